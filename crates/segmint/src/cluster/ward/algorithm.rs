//! The nearest-neighbour chain over cluster centroids, and the fitted tree.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::WardParams;
use crate::error::{Error, Result};

/// Active clusters scanned per parallel task in a nearest-neighbour search.
const SEARCH_CHUNK: usize = 2048;

/// A Ward merge tree in scipy's linkage format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ward {
    linkage: Array2<f64>,
}

impl Ward {
    /// Settings, to be adjusted and then fitted.
    pub fn params() -> WardParams {
        WardParams::new()
    }

    /// scipy's linkage matrix, `(n − 1) × 4`: row `i` merges clusters
    /// `a < b` (ids below n are rows; id `n + j` is the cluster made by row
    /// `j`) at Ward distance `d` into a cluster of `size` rows. Rows are in
    /// increasing distance.
    pub fn linkage(&self) -> &Array2<f64> {
        &self.linkage
    }

    /// Number of rows clustered.
    pub fn n_samples(&self) -> usize {
        self.linkage.nrows() + 1
    }

    /// Labels of the `k` clusters left after the first `n − k` merges,
    /// numbered by first appearance in row order.
    pub fn labels_for(&self, k: usize) -> Result<Array1<usize>> {
        let n = self.n_samples();
        if k == 0 || k > n {
            return Err(Error::invalid_parameter(
                "n_clusters",
                k,
                format!("between 1 and n_samples={n}"),
            ));
        }
        let mut parent: Vec<usize> = (0..2 * n - 1).collect();
        for (j, merge) in self.linkage.outer_iter().take(n - k).enumerate() {
            parent[merge[0] as usize] = n + j;
            parent[merge[1] as usize] = n + j;
        }
        let root = |mut i: usize| {
            while parent[i] != i {
                i = parent[i];
            }
            i
        };
        let mut label_of_root = vec![usize::MAX; 2 * n - 1];
        let mut next = 0;
        Ok((0..n)
            .map(|i| {
                let r = root(i);
                if label_of_root[r] == usize::MAX {
                    label_of_root[r] = next;
                    next += 1;
                }
                label_of_root[r]
            })
            .collect())
    }
}

/// Centroids and sizes of the active clusters; a merged cluster takes the
/// higher index, as in scipy.
struct Clusters {
    /// Row-major `n × d` centroids.
    centroids: Vec<f64>,
    d: usize,
    sizes: Vec<f64>,
    /// Active cluster indices, increasing.
    active: Vec<usize>,
}

impl Clusters {
    /// Squared Ward distance: 2·nₐ·n_b/(nₐ+n_b)·‖cₐ − c_b‖² (the square of
    /// scipy's Lance–Williams Ward distance).
    fn distance(&self, a: usize, b: usize) -> f64 {
        let (na, nb) = (self.sizes[a], self.sizes[b]);
        let (d, c) = (self.d, &self.centroids);
        let squared: f64 = c[a * d..(a + 1) * d]
            .iter()
            .zip(&c[b * d..(b + 1) * d])
            .map(|(u, v)| (u - v) * (u - v))
            .sum();
        2.0 * na * nb / (na + nb) * squared
    }

    /// The active cluster nearest to `x` and its distance, starting from
    /// `(incumbent, distance)`; a strictly smaller distance wins, so ties go
    /// to the incumbent, then to the lowest index (scipy's order). Chunks are
    /// combined in index order, so the answer does not depend on threads.
    fn nearest(&self, x: usize, incumbent: (usize, f64)) -> (usize, f64) {
        let scan = |chunk: &[usize], start: (usize, f64)| {
            chunk.iter().fold(start, |best, &i| {
                if i == x {
                    return best;
                }
                let d = self.distance(x, i);
                if d < best.1 { (i, d) } else { best }
            })
        };
        if self.active.len() <= SEARCH_CHUNK {
            return scan(&self.active, incumbent);
        }
        let partials: Vec<(usize, f64)> = self
            .active
            .par_chunks(SEARCH_CHUNK)
            .map(|chunk| scan(chunk, (usize::MAX, f64::INFINITY)))
            .collect();
        partials
            .into_iter()
            .fold(incumbent, |best, p| if p.1 < best.1 { p } else { best })
    }

    /// Merges `x` into `y` (centroid of the union, size summed); `x` leaves.
    fn merge(&mut self, x: usize, y: usize) {
        let (nx, ny) = (self.sizes[x], self.sizes[y]);
        let total = nx + ny;
        let d = self.d;
        for f in 0..d {
            self.centroids[y * d + f] = (nx * self.centroids[x * d + f] + ny * self.centroids[y * d + f]) / total;
        }
        self.sizes[y] = total;
        self.sizes[x] = 0.0;
        let position = self.active.binary_search(&x).expect("x is active");
        self.active.remove(position);
    }
}

/// Exact Ward linkage by the nearest-neighbour chain (Murtagh 1983; scipy's
/// `nn_chain`): O(n²) distance evaluations, O(n·d) memory.
pub(super) fn fit(x: ArrayView2<'_, f64>) -> Ward {
    let n = x.nrows();
    let mut clusters = Clusters {
        centroids: x.iter().copied().collect(),
        d: x.ncols(),
        sizes: vec![1.0; n],
        active: (0..n).collect(),
    };
    let mut merges: Vec<[f64; 4]> = Vec::with_capacity(n - 1);
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            chain.push(clusters.active[0]);
        }
        let (a, b, distance) = loop {
            let a = *chain.last().expect("non-empty chain");
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let incumbent = previous.map_or((usize::MAX, f64::INFINITY), |p| (p, clusters.distance(a, p)));
            let (b, distance) = clusters.nearest(a, incumbent);
            if Some(b) == previous {
                break (a, b, distance);
            }
            chain.push(b);
        };
        chain.truncate(chain.len() - 2);
        let (low, high) = (a.min(b), a.max(b));
        merges.push([
            low as f64,
            high as f64,
            distance.sqrt(),
            clusters.sizes[a] + clusters.sizes[b],
        ]);
        clusters.merge(low, high);
    }
    Ward {
        linkage: relabel(merges, n),
    }
}

/// scipy's final steps: merges sorted by distance (stable), then cluster
/// ids renamed so that the cluster made by row `j` is `n + j`.
fn relabel(mut merges: Vec<[f64; 4]>, n: usize) -> Array2<f64> {
    merges.sort_by(|p, q| p[2].total_cmp(&q[2]));
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let find = |parent: &mut Vec<usize>, mut i: usize| {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    };
    // Before renaming, a merged cluster is known by its surviving row
    // index; the union-find root of that row is its linkage id.
    let mut out = Array2::zeros((n - 1, 4));
    for (j, m) in merges.iter().enumerate() {
        let (ra, rb) = (find(&mut parent, m[0] as usize), find(&mut parent, m[1] as usize));
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        out.row_mut(j)
            .assign(&ndarray::arr1(&[lo as f64, hi as f64, m[2], m[3]]));
        parent[ra] = n + j;
        parent[rb] = n + j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn four_points_on_a_line() {
        // {0,1} at distance 1, {2,3} at distance 2, then the two pairs.
        let x = array![[0.0], [1.0], [10.0], [12.0]];
        let tree = Ward::params().fit(x.view()).unwrap();
        let z = tree.linkage();
        assert_eq!(z.row(0).to_vec(), vec![0.0, 1.0, 1.0, 2.0]);
        assert_eq!(z.row(1).to_vec(), vec![2.0, 3.0, 2.0, 2.0]);
        // Ward distance of the pairs: sqrt(2·2·2/4)·|0.5 − 11| = sqrt(2)·10.5.
        assert_eq!(z.row(2).slice(ndarray::s![..2]).to_vec(), vec![4.0, 5.0]);
        assert!((z[[2, 2]] - 2f64.sqrt() * 10.5).abs() < 1e-12);
        assert_eq!(tree.labels_for(2).unwrap().to_vec(), vec![0, 0, 1, 1]);
        assert_eq!(tree.labels_for(4).unwrap().to_vec(), vec![0, 1, 2, 3]);
        assert_eq!(tree.labels_for(1).unwrap().to_vec(), vec![0; 4]);
        assert!(
            tree.labels_for(5)
                .unwrap_err()
                .to_string()
                .contains("between 1 and n_samples=4")
        );
    }

    #[test]
    fn identical_on_one_and_many_threads_and_serde_round_trip() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        // Above SEARCH_CHUNK rows, so the first searches run in parallel.
        let x = Array2::from_shape_simple_fn((SEARCH_CHUNK + 300, 3), || rng.random::<f64>());
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| Ward::params().fit(x.view()).unwrap())
        };
        let one = fit_on(1);
        for threads in [2, 8] {
            assert_eq!(one, fit_on(threads), "{threads} threads");
        }
        let heights = one.linkage().column(2).to_vec();
        assert!(heights.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(one.linkage()[[SEARCH_CHUNK + 298, 3]], (SEARCH_CHUNK + 300) as f64);
        let back: Ward = serde_json::from_str(&serde_json::to_string(&one).unwrap()).unwrap();
        assert_eq!(back, one);
    }
}
