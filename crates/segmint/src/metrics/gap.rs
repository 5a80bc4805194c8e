//! The gap statistic (Tibshirani, Walther & Hastie 2001): how much tighter
//! the clusters of the data are than those of structureless reference data,
//! drawn uniformly in the box the data span along their principal components
//! ([`Pca`]).

use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::cluster::KMeans;
use crate::error::{Error, Result};
use crate::reduce::Pca;

/// Gap(k) for a range of k, and the k the 1-SE rule picks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapStatistic {
    /// The k values, ascending.
    pub k: Vec<usize>,
    /// log W_k of the data (W_k: within-cluster sum of squares).
    pub log_w: Vec<f64>,
    /// Mean log W_k over the reference sets.
    pub expected_log_w: Vec<f64>,
    /// Gap(k) = E*[log W_k] − log W_k.
    pub gap: Vec<f64>,
    /// s_k = sd_k · √(1 + 1/B), sd_k over the B reference sets.
    pub s: Vec<f64>,
    /// The smallest k with Gap(k) ≥ Gap(k+1) − s(k+1) ("Tibs2001SEmax");
    /// `None` when no k of the range qualifies.
    pub chosen: Option<usize>,
    /// Reference sets drawn.
    pub references: usize,
}

/// The first and the last k of `ks`, which must run up one by one (a
/// `range` in Python): the 1-SE rule compares each k with the next.
pub fn k_bounds(ks: &[usize]) -> Result<(usize, usize)> {
    match (ks.first(), ks.last()) {
        (Some(&first), Some(&last)) if ks.iter().zip(first..).all(|(&k, next)| k == next) => Ok((first, last)),
        _ => Err(Error::invalid_parameter(
            "k_range",
            format!("{ks:?}"),
            "consecutive k values",
        )),
    }
}

/// Computes the gap statistic of k-means (`n_init` runs) for every k in
/// `k_min..=k_max` with `references` reference sets drawn uniformly in the
/// box aligned with the principal components of `x`.
pub fn gap_statistic(
    x: ArrayView2<'_, f64>,
    k_min: usize,
    k_max: usize,
    references: usize,
    n_init: usize,
    seed: u64,
) -> Result<GapStatistic> {
    check::non_empty("X", x)?;
    check::finite("X", x)?;
    if k_min == 0 || k_max < k_min || k_max >= x.nrows() {
        return Err(Error::invalid_parameter(
            "k_range",
            format!("{k_min}..={k_max}"),
            format!("1 <= k_min <= k_max < n_samples ({})", x.nrows()),
        ));
    }
    if references < 2 {
        return Err(Error::invalid_parameter("references", references, "at least 2"));
    }
    let ks: Vec<usize> = (k_min..=k_max).collect();
    let log_w = log_within(x, &ks, n_init, seed)?;
    let reference = ReferenceBox::new(x)?;
    let per_reference: Vec<Vec<f64>> = (0..references)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64 + 1);
            log_within(reference.draw(x.nrows(), &mut rng).view(), &ks, n_init, seed)
        })
        .collect::<Result<_>>()?;
    let b = references as f64;
    let expected_log_w: Vec<f64> = (0..ks.len())
        .map(|i| per_reference.iter().map(|r| r[i]).sum::<f64>() / b)
        .collect();
    let s: Vec<f64> = (0..ks.len())
        .map(|i| {
            let var = per_reference
                .iter()
                .map(|r| (r[i] - expected_log_w[i]).powi(2))
                .sum::<f64>()
                / b;
            var.sqrt() * (1.0 + 1.0 / b).sqrt()
        })
        .collect();
    let gap: Vec<f64> = expected_log_w.iter().zip(&log_w).map(|(e, l)| e - l).collect();
    let chosen = (0..ks.len().saturating_sub(1))
        .find(|&i| gap[i] >= gap[i + 1] - s[i + 1])
        .map(|i| ks[i]);
    Ok(GapStatistic {
        k: ks,
        log_w,
        expected_log_w,
        gap,
        s,
        chosen,
        references,
    })
}

/// log of the k-means within-cluster sum of squares for each k.
fn log_within(x: ArrayView2<'_, f64>, ks: &[usize], n_init: usize, seed: u64) -> Result<Vec<f64>> {
    ks.iter()
        .map(|&k| {
            let inertia = KMeans::params(k).n_init(n_init).seed(seed).fit(x)?.inertia();
            // A perfect fit (as many distinct points as clusters) has W = 0; keep the log finite.
            Ok(inertia.max(f64::MIN_POSITIVE).ln())
        })
        .collect()
}

/// The box spanned by the data in principal-component coordinates.
struct ReferenceBox {
    pca: Pca,
    low: Vec<f64>,
    high: Vec<f64>,
}

impl ReferenceBox {
    fn new(x: ArrayView2<'_, f64>) -> Result<Self> {
        let components = x.nrows().min(x.ncols());
        let pca = Pca::params(components).fit(x)?;
        let scores = pca.transform(x)?;
        let low = scores.fold_axis(Axis(0), f64::INFINITY, |a, &b| a.min(b)).to_vec();
        let high = scores.fold_axis(Axis(0), f64::NEG_INFINITY, |a, &b| a.max(b)).to_vec();
        Ok(ReferenceBox { pca, low, high })
    }

    /// `n` points uniform in the box, mapped back to the data's coordinates.
    fn draw(&self, n: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
        let scores = Array2::from_shape_fn((n, self.low.len()), |(_, j)| {
            self.low[j] + (self.high[j] - self.low[j]) * rng.random::<f64>()
        });
        self.pca
            .inverse_transform(scores.view())
            .expect("scores have one column per component")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_bounds_take_consecutive_k_only() {
        assert_eq!(k_bounds(&[2, 3, 4]).unwrap(), (2, 4));
        assert_eq!(k_bounds(&[5]).unwrap(), (5, 5));
        for bad in [&[][..], &[2, 4], &[3, 2]] {
            let error = k_bounds(bad).unwrap_err().to_string();
            assert!(error.contains("expected consecutive k values"), "{error}");
        }
    }

    fn blobs(k: usize, n: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        Array2::from_shape_fn((n, 2), |(i, f)| {
            let j = i % k;
            10.0 * if f == 0 { j as f64 } else { (j % 2) as f64 } + rng.random::<f64>()
        })
    }

    #[test]
    fn finds_the_number_of_separated_blobs() {
        let g = gap_statistic(blobs(3, 300).view(), 1, 6, 10, 1, 3).unwrap();
        assert_eq!(g.chosen, Some(3), "{g:?}");
        assert_eq!(g.k, vec![1, 2, 3, 4, 5, 6]);
        assert!(g.gap[2] > g.gap[0]);
        assert!(g.s.iter().all(|&s| s > 0.0));
    }

    #[test]
    fn uniform_data_has_one_cluster() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x = Array2::from_shape_fn((300, 2), |_| rng.random::<f64>());
        let g = gap_statistic(x.view(), 1, 5, 10, 1, 3).unwrap();
        assert_eq!(g.chosen, Some(1), "{g:?}");
    }

    #[test]
    fn the_same_on_any_thread_count() {
        let x = blobs(4, 120);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| gap_statistic(x.view(), 1, 5, 6, 1, 2).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn bad_ranges_are_rejected() {
        let x = blobs(2, 10);
        assert!(
            gap_statistic(x.view(), 0, 3, 5, 1, 0)
                .unwrap_err()
                .to_string()
                .contains("k_range")
        );
        assert!(
            gap_statistic(x.view(), 1, 10, 5, 1, 0)
                .unwrap_err()
                .to_string()
                .contains("k_range")
        );
        assert!(
            gap_statistic(x.view(), 1, 3, 1, 1, 0)
                .unwrap_err()
                .to_string()
                .contains("references=1")
        );
    }
}
