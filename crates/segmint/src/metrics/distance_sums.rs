//! Σ of the Euclidean distances from every row to the rows of every cluster,
//! the silhouette's O(n² d) core.
//!
//! Each pair is computed once (the distance is symmetric) in tiles of rows,
//! and every distance is added to both of its rows' sums. Deterministic on
//! any number of threads: tile pairs are scheduled in rounds (a round-robin
//! tournament), each round's pairs touch disjoint rows and run in parallel,
//! and the rounds run in a fixed order, so every sum receives its terms in
//! the same order whatever the scheduling.

use multiversion::multiversion;
use rayon::prelude::*;

/// Rows per tile. A tile's row-major and feature-major copies (d = 16) take
/// 64 KiB, so both tiles of a pair stay in L2 while it is worked through.
const TILE: usize = 256;
/// Register block: 4 rows against 8 columns, 8 vector accumulators (AVX2, 4
/// lanes each) with the operands fit in the 16 vector registers.
const ROWS: usize = 4;
const LANES: usize = 8;

/// One tile of the cluster-sorted rows.
struct Tile<'a> {
    /// Row-major rows of the tile.
    rows: &'a [f64],
    /// Feature-major copy: feature f of local row j at `columns[f * len + j]`.
    columns: Vec<f64>,
    len: usize,
    /// Local row ranges of one cluster each: (start, end, cluster).
    runs: Vec<(usize, usize, usize)>,
}

impl<'a> Tile<'a> {
    fn new(data: &'a [f64], d: usize, starts: &[usize], index: usize) -> Self {
        let n = data.len() / d;
        let (first, end) = (index * TILE, ((index + 1) * TILE).min(n));
        let len = end - first;
        let rows = &data[first * d..end * d];
        let mut columns = vec![0.0; len * d];
        for (j, row) in rows.chunks_exact(d).enumerate() {
            for (f, &v) in row.iter().enumerate() {
                columns[f * len + j] = v;
            }
        }
        let runs = starts
            .windows(2)
            .enumerate()
            .filter_map(|(c, range)| {
                let (lo, hi) = (range[0].max(first), range[1].min(end));
                (lo < hi).then(|| (lo - first, hi - first, c))
            })
            .collect();
        Tile {
            rows,
            columns,
            len,
            runs,
        }
    }
}

/// `sums[s * k + c]`: Σ of the distances from row s to the rows of cluster c
/// (row s itself included, at distance 0). `data` holds n × d rows sorted by
/// cluster, `starts[c]..starts[c + 1]` being cluster c (k = starts.len() − 1).
pub(super) fn cluster_distance_sums(data: &[f64], d: usize, starts: &[usize]) -> Vec<f64> {
    let k = starts.len() - 1;
    let n = data.len() / d;
    let tiles: Vec<Tile<'_>> = (0..n.div_ceil(TILE)).map(|t| Tile::new(data, d, starts, t)).collect();
    let mut sums = vec![0.0; n * k];
    let diagonal: Vec<(usize, usize)> = (0..tiles.len()).map(|t| (t, t)).collect();
    run_round(&mut sums, k, d, &tiles, &diagonal);
    for round in tournament(tiles.len()) {
        run_round(&mut sums, k, d, &tiles, &round);
    }
    sums
}

/// Every unordered pair of distinct tiles exactly once, in rounds where no
/// tile appears twice (the circle method: one tile fixed, the others rotate).
fn tournament(tiles: usize) -> Vec<Vec<(usize, usize)>> {
    let players = tiles + tiles % 2; // an odd count gets a dummy tile: a bye
    let rotating = players.saturating_sub(1);
    (0..rotating)
        .map(|r| {
            (0..players / 2)
                .map(|i| {
                    if i == 0 {
                        (r, players - 1)
                    } else {
                        ((r + i) % rotating, (r + rotating - i) % rotating)
                    }
                })
                .filter(|&(a, b)| a < tiles && b < tiles)
                .collect()
        })
        .collect()
}

/// The tile pairs of one round, in parallel: they write to disjoint rows.
fn run_round(sums: &mut [f64], k: usize, d: usize, tiles: &[Tile<'_>], pairs: &[(usize, usize)]) {
    let mut slots: Vec<Option<&mut [f64]>> = sums.chunks_mut(TILE * k).map(Some).collect();
    let mut work = Vec::with_capacity(pairs.len());
    for &(a, b) in pairs {
        let sums_a = slots[a].take();
        let sums_b = if a == b { None } else { slots[b].take() };
        if let Some(sums_a) = sums_a {
            work.push((a, b, sums_a, sums_b));
        }
    }
    work.into_par_iter().for_each(|(a, b, sums_a, sums_b)| {
        tile_pair(&tiles[a], &tiles[b], d, k, sums_a, sums_b);
    });
}

/// All distances between the rows of `a` and of `b`, added to the rows of
/// `a` and, unless `a` is `b` (`sums_b` None: both orders are visited
/// then), to the rows of `b`.
fn tile_pair(a: &Tile<'_>, b: &Tile<'_>, d: usize, k: usize, sums_a: &mut [f64], mut sums_b: Option<&mut [f64]>) {
    let mut row_totals = vec![0.0; a.len];
    let mut column_totals = vec![0.0; b.len];
    for &(a_start, a_end, a_cluster) in &a.runs {
        for &(b_start, b_end, b_cluster) in &b.runs {
            let row_out = &mut row_totals[a_start..a_end];
            let column_out = &mut column_totals[b_start..b_end];
            row_out.fill(0.0);
            column_out.fill(0.0);
            run_pair(
                &a.rows[a_start * d..a_end * d],
                d,
                &b.columns[b_start..],
                b.len,
                row_out,
                column_out,
            );
            for (i, total) in (a_start..a_end).zip(row_out.iter()) {
                sums_a[i * k + b_cluster] += total;
            }
            if let Some(sums_b) = sums_b.as_deref_mut() {
                for (j, total) in (b_start..b_end).zip(column_out.iter()) {
                    sums_b[j * k + a_cluster] += total;
                }
            }
        }
    }
}

/// Distances between `rows` (row-major) and the `column_out.len()` columns
/// of `columns` (feature f of column j at `columns[f * stride + j]`):
/// `row_out[i]` gets Σ_j, `column_out[j]` gets Σ_i.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn run_pair(rows: &[f64], d: usize, columns: &[f64], stride: usize, row_out: &mut [f64], column_out: &mut [f64]) {
    let mut blocks = rows.chunks_exact(ROWS * d);
    let mut outs = row_out.chunks_exact_mut(ROWS);
    for (block, out) in (&mut blocks).zip(&mut outs) {
        rows_against_columns::<ROWS>(block, d, columns, stride, out, column_out);
    }
    for (row, out) in blocks.remainder().chunks_exact(d).zip(outs.into_remainder()) {
        rows_against_columns::<1>(row, d, columns, stride, std::slice::from_mut(out), column_out);
    }
}

/// `R` rows against all columns, `LANES` columns at a time so that the
/// differences, the sums of squares and the square roots run as vectors.
/// Each distance is Σ_f (column − row)² summed over f in order, the same
/// arithmetic in the vector and the scalar tail, so a pair's distance does
/// not depend on where it falls.
#[inline(always)]
fn rows_against_columns<const R: usize>(
    rows: &[f64],
    d: usize,
    columns: &[f64],
    stride: usize,
    row_out: &mut [f64],
    column_out: &mut [f64],
) {
    let width = column_out.len();
    let full = width - width % LANES;
    // The R rows feature by feature, gathered once: the hot loop then has
    // no index arithmetic on `rows` (whose bounds checks kept it scalar).
    let features: Vec<[f64; R]> = (0..d).map(|f| std::array::from_fn(|r| rows[r * d + f])).collect();
    let mut row_lanes = [[0.0f64; LANES]; R];
    for j0 in (0..full).step_by(LANES) {
        let mut squares = [[0.0f64; LANES]; R];
        for (f, xs) in features.iter().enumerate() {
            let Some(column) = columns[f * stride + j0..].first_chunk::<LANES>() else {
                continue;
            };
            for (square, &x) in squares.iter_mut().zip(xs) {
                for (s, &c) in square.iter_mut().zip(column) {
                    let t = c - x;
                    *s += t * t;
                }
            }
        }
        let mut column_sum = [0.0f64; LANES];
        for (lanes, square) in row_lanes.iter_mut().zip(&squares) {
            for l in 0..LANES {
                let distance = square[l].sqrt();
                lanes[l] += distance;
                column_sum[l] += distance;
            }
        }
        for (out, s) in column_out[j0..full].iter_mut().zip(column_sum) {
            *out += s;
        }
    }
    let mut row_tail = [0.0f64; R];
    for (j, out) in column_out.iter_mut().enumerate().skip(full) {
        let mut column_sum = 0.0;
        for (r, tail) in row_tail.iter_mut().enumerate() {
            let mut square = 0.0;
            for f in 0..d {
                let t = columns[f * stride + j] - rows[r * d + f];
                square += t * t;
            }
            let distance = square.sqrt();
            *tail += distance;
            column_sum += distance;
        }
        *out += column_sum;
    }
    for ((out, lanes), tail) in row_out.iter_mut().zip(&row_lanes).zip(row_tail) {
        *out += lanes.iter().sum::<f64>() + tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tournament_meets_every_pair_once_and_no_tile_twice_a_round() {
        for tiles in 0..12 {
            let mut met = vec![vec![0; tiles]; tiles];
            for round in tournament(tiles) {
                let mut seen = vec![false; tiles];
                for (a, b) in round {
                    assert!(!seen[a] && !seen[b] && a != b);
                    seen[a] = true;
                    seen[b] = true;
                    met[a.min(b)][a.max(b)] += 1;
                }
            }
            for (a, met_a) in met.iter().enumerate() {
                for (b, &count) in met_a.iter().enumerate().skip(a + 1) {
                    assert_eq!(count, 1, "{tiles} tiles: pair {a}, {b}");
                }
            }
        }
    }

    /// Against the plain double loop, on sizes that leave every kind of tail
    /// (tiles, runs, row blocks and lanes) and clusters that straddle tiles.
    #[test]
    fn sums_equal_the_plain_double_loop() {
        let d = 3;
        for sizes in [vec![1, 1], vec![5, 300, 2], vec![257, 256, 13, 600]] {
            let n: usize = sizes.iter().sum();
            let data: Vec<f64> = (0..n * d).map(|i| ((i * 7919) % 1013) as f64 / 17.0).collect();
            let mut starts = vec![0];
            sizes.iter().for_each(|s| starts.push(starts.last().unwrap() + s));
            let k = sizes.len();
            let sums = cluster_distance_sums(&data, d, &starts);
            for s in 0..n {
                for c in 0..k {
                    let plain: f64 = (starts[c]..starts[c + 1])
                        .map(|t| {
                            (0..d)
                                .map(|f| (data[s * d + f] - data[t * d + f]).powi(2))
                                .sum::<f64>()
                                .sqrt()
                        })
                        .sum();
                    approx::assert_relative_eq!(sums[s * k + c], plain, max_relative = 1e-12);
                }
            }
        }
    }
}
