//! Choosing the number of segments: k-means for every k in a range, the
//! validity indices of each, and a recommendation with its reason.
//!
//! Four criteria vote: the elbow of the inertia curve, the highest
//! silhouette, the highest Calinski–Harabasz and the lowest Davies–Bouldin.
//! The k with the most votes wins; ties go to the higher silhouette. A
//! business constraint (the smallest segment's share of customers) removes
//! k values before the vote.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::cluster::KMeans;
use crate::error::{Error, Result};
use crate::metrics::{calinski_harabasz, davies_bouldin, silhouette_score};

/// How to choose k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectOptions {
    /// Smallest k tried (at least 2).
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// k-means runs per k (best inertia kept).
    pub n_init: usize,
    /// Seed of every fit and of the silhouette sample.
    pub seed: u64,
    /// Rows sampled for the silhouette (`None`: all rows).
    pub silhouette_sample: Option<usize>,
    /// Smallest acceptable share of customers in any segment (0 = no constraint).
    pub min_share: f64,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            k_min: 2,
            k_max: 8,
            n_init: 3,
            seed: 0,
            silhouette_sample: Some(10_000),
            min_share: 0.0,
        }
    }
}

/// The indices of one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// Number of segments.
    pub k: usize,
    /// Within-segment sum of squares.
    pub inertia: f64,
    /// Mean silhouette (higher is better).
    pub silhouette: f64,
    /// Calinski–Harabasz (higher is better).
    pub calinski_harabasz: f64,
    /// Davies–Bouldin (lower is better).
    pub davies_bouldin: f64,
    /// Share of customers in the smallest segment.
    pub smallest_share: f64,
    /// Whether the smallest segment meets `min_share`.
    pub admissible: bool,
}

/// The whole table and the recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSelection {
    /// One row per k tried.
    pub table: Vec<KScore>,
    /// The recommended k.
    pub recommended: usize,
    /// Why, in words.
    pub reason: String,
}

/// Fits k-means for every k in the range and recommends one.
pub fn select_k(x: ArrayView2<'_, f64>, options: &SelectOptions) -> Result<KSelection> {
    select_k_with_models(x, options).map(|(selection, _)| selection)
}

/// [`select_k`], also returning the fitted model of every k (in table order),
/// so that a caller need not fit the chosen k again.
pub(crate) fn select_k_with_models(
    x: ArrayView2<'_, f64>,
    options: &SelectOptions,
) -> Result<(KSelection, Vec<KMeans>)> {
    let n = x.nrows();
    if options.k_min < 2 || options.k_max < options.k_min {
        return Err(Error::invalid_parameter(
            "k_range",
            format!("{}..={}", options.k_min, options.k_max),
            "2 <= k_min <= k_max",
        ));
    }
    if options.k_max >= n {
        return Err(Error::invalid_parameter(
            "k_max",
            options.k_max,
            format!("below the number of rows ({n})"),
        ));
    }
    if !(0.0..1.0).contains(&options.min_share) {
        return Err(Error::invalid_parameter(
            "min_share",
            options.min_share,
            "a share in [0, 1)",
        ));
    }
    let sample = options.silhouette_sample.filter(|&s| s < n);
    let (table, models): (Vec<KScore>, Vec<KMeans>) = (options.k_min..=options.k_max)
        .map(|k| {
            let model = KMeans::params(k).n_init(options.n_init).seed(options.seed).fit(x)?;
            let labels = model.labels().to_vec();
            let mut sizes = vec![0usize; k];
            labels.iter().for_each(|&l| sizes[l] += 1);
            let smallest_share = sizes.iter().copied().min().unwrap_or(0) as f64 / n as f64;
            let (silhouette, ch, db) = if sizes.contains(&0) {
                (f64::NAN, f64::NAN, f64::NAN)
            } else {
                (
                    silhouette_score(x, &labels, sample, options.seed)?,
                    calinski_harabasz(x, &labels)?,
                    davies_bouldin(x, &labels)?,
                )
            };
            let score = KScore {
                k,
                inertia: model.inertia(),
                silhouette,
                calinski_harabasz: ch,
                davies_bouldin: db,
                smallest_share,
                admissible: smallest_share >= options.min_share && silhouette.is_finite(),
            };
            Ok((score, model))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let (recommended, reason) = recommend(&table, options.min_share)?;
    let selection = KSelection {
        table,
        recommended,
        reason,
    };
    Ok((selection, models))
}

/// The elbow: the k whose (k, inertia) point lies farthest below the chord
/// from the first to the last point, both axes scaled to [0, 1].
fn elbow(table: &[&KScore]) -> Option<usize> {
    let (first, last) = (table.first()?, table.last()?);
    if table.len() < 3 || first.inertia <= last.inertia {
        return None;
    }
    let span_k = (last.k - first.k) as f64;
    let span_i = first.inertia - last.inertia;
    table
        .iter()
        .map(|s| {
            let t = (s.k - first.k) as f64 / span_k;
            let chord = 1.0 - t;
            let y = (s.inertia - last.inertia) / span_i;
            (s.k, chord - y)
        })
        .filter(|(_, gap)| *gap > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

fn recommend(table: &[KScore], min_share: f64) -> Result<(usize, String)> {
    let candidates: Vec<&KScore> = table.iter().filter(|s| s.admissible).collect();
    if candidates.is_empty() {
        return Err(Error::InsufficientData {
            what: format!(
                "no k in the range gives every segment at least {:.1}% of the customers",
                100.0 * min_share
            ),
        });
    }
    let best_by = |key: &dyn Fn(&KScore) -> f64| {
        candidates
            .iter()
            .max_by(|a, b| key(a).total_cmp(&key(b)).then(b.k.cmp(&a.k)))
            .map(|s| s.k)
    };
    let mut votes: Vec<(&str, usize)> = vec![
        ("silhouette", best_by(&|s| s.silhouette).expect("candidates")),
        (
            "Calinski–Harabasz",
            best_by(&|s| s.calinski_harabasz).expect("candidates"),
        ),
        ("Davies–Bouldin", best_by(&|s| -s.davies_bouldin).expect("candidates")),
    ];
    if let Some(k) = elbow(&candidates) {
        votes.push(("elbow", k));
    }
    let count = |k: usize| votes.iter().filter(|(_, v)| *v == k).count();
    let silhouette_of = |k: usize| candidates.iter().find(|s| s.k == k).map_or(f64::NAN, |s| s.silhouette);
    let winner = candidates
        .iter()
        .map(|s| s.k)
        .max_by(|&a, &b| {
            count(a)
                .cmp(&count(b))
                .then(silhouette_of(a).total_cmp(&silhouette_of(b)))
        })
        .expect("candidates");
    let agree: Vec<&str> = votes.iter().filter(|(_, k)| *k == winner).map(|(n, _)| *n).collect();
    let others: Vec<String> = votes
        .iter()
        .filter(|(_, k)| *k != winner)
        .map(|(n, k)| format!("{n} prefers {k}"))
        .collect();
    let mut reason = if agree.is_empty() {
        format!("k = {winner}: no criterion agrees; chosen for the highest silhouette among the tied")
    } else {
        format!("k = {winner}: {} agree", agree.join(", "))
    };
    if !others.is_empty() {
        reason += &format!(" ({})", others.join("; "));
    }
    if min_share > 0.0 {
        reason += &format!(
            "; only k with every segment ≥ {:.1}% of customers considered",
            100.0 * min_share
        );
    }
    Ok((winner, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn blobs(k: usize, n: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let centres: Vec<[f64; 2]> = (0..k).map(|j| [10.0 * j as f64, 5.0 * (j % 2) as f64]).collect();
        Array2::from_shape_fn((n, 2), |(i, f)| centres[i % k][f] + rng.random::<f64>() - 0.5)
    }

    #[test]
    fn recovers_the_number_of_blobs_with_the_whole_table() {
        let sel = select_k(blobs(4, 800).view(), &SelectOptions::default()).unwrap();
        assert_eq!(sel.recommended, 4, "{}", sel.reason);
        assert_eq!(sel.table.len(), 7);
        assert!(sel.reason.starts_with("k = 4: "), "{}", sel.reason);
        assert!(sel.table.windows(2).all(|w| w[0].inertia >= w[1].inertia));
    }

    #[test]
    fn a_minimum_share_rules_out_small_segments() {
        let mut x = blobs(3, 600);
        // Twelve rows moved aside make a small fourth group (2% of customers).
        for i in 0..12 {
            x[[i * 50, 0]] = 35.0;
        }
        let options = SelectOptions {
            k_max: 5,
            min_share: 0.05,
            ..Default::default()
        };
        let constrained = select_k(x.view(), &options).unwrap();
        assert!(constrained.table.iter().any(|s| !s.admissible));
        let chosen = constrained
            .table
            .iter()
            .find(|s| s.k == constrained.recommended)
            .unwrap();
        assert!(chosen.smallest_share >= 0.05);
        assert!(constrained.reason.contains("5.0%"));
        // Far enough away, the small group is a segment for every k: nothing qualifies.
        for i in 0..12 {
            x[[i * 50, 0]] = 500.0;
        }
        let err = select_k(x.view(), &options).unwrap_err().to_string();
        assert!(err.contains("no k in the range"), "{err}");
    }

    #[test]
    fn bad_ranges_are_rejected() {
        let x = blobs(2, 10);
        let err = |o: SelectOptions| select_k(x.view(), &o).unwrap_err().to_string();
        assert!(
            err(SelectOptions {
                k_min: 1,
                ..Default::default()
            })
            .contains("k_range")
        );
        assert!(
            err(SelectOptions {
                k_max: 10,
                ..Default::default()
            })
            .contains("k_max=10")
        );
        assert!(
            err(SelectOptions {
                min_share: 1.5,
                ..Default::default()
            })
            .contains("min_share")
        );
    }
}
