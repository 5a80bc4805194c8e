//! Choosing the number of segments: a clustering method for every k in a
//! range ([`select_k`]: k-means; [`select_k_for`]: any [`Method`] on mixed
//! rows, indices in the encoded space), the validity indices of each, and a
//! recommendation with its reason.
//!
//! Three voices vote: the internal indices (the highest silhouette, the
//! highest Calinski–Harabasz, the lowest Davies–Bouldin — three ratios of
//! compactness to separation that agree or fail together, so they speak
//! once, with their majority or else the silhouette's k), the elbow of the
//! inertia curve, and the gap statistic's 1-SE rule. The k with the most
//! votes wins; a tie goes to the gap rule's k when it is among the tied, else
//! to the higher silhouette. A business constraint (the smallest segment's
//! share of customers) removes k values first. The table also carries, for
//! every k, the mean bootstrap stability of its segments, its prediction
//! strength (the reason warns when the chosen k's is below 0.8) and the BIC
//! of a Gaussian mixture with as many components (a mixture's k is the one
//! of lowest BIC). docs/benchmarks.md gives the rule's hit rate on a suite of
//! data sets with known k.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use ndarray::Axis;

use crate::cancel::CancelToken;
use crate::cluster::{ClusterModel, GaussianMixture, Method, MethodSettings, MixedRows};
use crate::error::{Error, Result};
mod recommend;

use crate::metrics::{
    GapStatistic, MethodResampling, bootstrap_stability, calinski_harabasz, davies_bouldin, gap_statistic,
    method_refit, prediction_strength_with, sampled_rows, segment_sizes, silhouette_score,
};
use recommend::{lowest_bic, recommend};

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
    /// Rows sampled for the silhouette, the stability, the gap statistic and
    /// the mixture BIC (`None`: all rows).
    pub silhouette_sample: Option<usize>,
    /// Smallest acceptable share of customers in any segment (0 = no constraint).
    pub min_share: f64,
    /// Bootstrap resamples for the stability of each k (0: not computed).
    #[serde(default = "default_stability_replicates")]
    pub stability_replicates: usize,
    /// Reference sets of the gap statistic (0: not computed).
    #[serde(default = "default_gap_references")]
    pub gap_references: usize,
    /// Whether to fit a full-covariance Gaussian mixture per k for its BIC.
    #[serde(default = "default_true")]
    pub mixture_bic: bool,
    /// Random halvings for the prediction strength of each k (0: not computed).
    #[serde(default = "default_prediction_splits")]
    pub prediction_splits: usize,
    /// The prediction strength below which the reason warns that the chosen
    /// k's segments are only partly reproducible.
    #[serde(default = "default_prediction_cutoff")]
    pub prediction_cutoff: f64,
    /// Checked before each k and inside each k-means fit (Ctrl-C from Python).
    #[serde(skip)]
    pub cancel: CancelToken,
}

fn default_stability_replicates() -> usize {
    20
}

fn default_gap_references() -> usize {
    20
}

fn default_true() -> bool {
    true
}

fn default_prediction_splits() -> usize {
    20
}

/// Tibshirani & Walther's threshold for clusters that are reproducible.
fn default_prediction_cutoff() -> f64 {
    0.8
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
            stability_replicates: default_stability_replicates(),
            gap_references: default_gap_references(),
            mixture_bic: true,
            prediction_splits: default_prediction_splits(),
            prediction_cutoff: default_prediction_cutoff(),
            cancel: CancelToken::default(),
        }
    }
}

/// The indices of one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// Number of segments.
    pub k: usize,
    /// Within-segment sum of squares.
    #[serde(deserialize_with = "crate::report::f64_or_nan")]
    pub inertia: f64,
    /// Mean silhouette (higher is better).
    #[serde(deserialize_with = "crate::report::f64_or_nan")]
    pub silhouette: f64,
    /// Calinski–Harabasz (higher is better).
    #[serde(deserialize_with = "crate::report::f64_or_nan")]
    pub calinski_harabasz: f64,
    /// Davies–Bouldin (lower is better).
    #[serde(deserialize_with = "crate::report::f64_or_nan")]
    pub davies_bouldin: f64,
    /// Share of customers in the smallest segment.
    pub smallest_share: f64,
    /// Whether the smallest segment meets `min_share`.
    pub admissible: bool,
    /// Mean bootstrap Jaccard stability of the k segments (Hennig).
    #[serde(default)]
    pub stability: Option<f64>,
    /// Gap(k) (Tibshirani, Walther & Hastie).
    #[serde(default)]
    pub gap: Option<f64>,
    /// The gap's standard error s(k).
    #[serde(default)]
    pub gap_s: Option<f64>,
    /// BIC of a full-covariance Gaussian mixture with k components (lower is better).
    #[serde(default)]
    pub bic: Option<f64>,
    /// Prediction strength of k (Tibshirani & Walther; higher is better).
    #[serde(default)]
    pub prediction_strength: Option<f64>,
}

impl KScore {
    /// The row of a k the method could not fit: not admissible, no indices.
    fn unfitted(k: usize) -> Self {
        KScore {
            k,
            inertia: f64::NAN,
            silhouette: f64::NAN,
            calinski_harabasz: f64::NAN,
            davies_bouldin: f64::NAN,
            smallest_share: 0.0,
            admissible: false,
            stability: None,
            gap: None,
            gap_s: None,
            bic: None,
            prediction_strength: None,
        }
    }
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
    /// The k of the gap statistic's 1-SE rule, when computed and one qualifies.
    #[serde(default)]
    pub gap_choice: Option<usize>,
}

/// Refuses `k` segments when the customers (rows of `x`) take fewer than `k`
/// distinct values: k-means would leave the extra segments empty.
pub fn check_distinct_profiles(x: ArrayView2<'_, f64>, k: usize) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for row in x.rows() {
        // `+ 0.0` makes -0.0 and 0.0 one value.
        seen.insert(row.iter().map(|v| (v + 0.0).to_bits()).collect::<Vec<u64>>());
        if seen.len() >= k {
            return Ok(());
        }
    }
    let distinct = seen.len();
    Err(Error::invalid_parameter(
        "k",
        k,
        format!(
            "at most {distinct} segment(s): the customers' features take only {distinct} distinct value(s), so \
             {} of the {k} segments would be empty",
            k - distinct
        ),
    ))
}

/// Fits k-means for every k in the range and recommends one.
pub fn select_k(x: ArrayView2<'_, f64>, options: &SelectOptions) -> Result<KSelection> {
    select_k_for(MixedRows::numeric(x), Method::KMeans, options).map(|(selection, _)| selection)
}

/// [`select_k`] for any clustering method on mixed-type rows, also
/// returning the fitted model of every k (in table order), so that a
/// caller need not fit the chosen k again (`None` for a k the method could
/// not start, which is not admissible). The indices are computed in the
/// encoded space ([`MixedRows::encoded`]); a Gaussian mixture's k is the
/// one of lowest BIC.
pub fn select_k_for(
    rows: MixedRows<'_>,
    method: Method,
    options: &SelectOptions,
) -> Result<(KSelection, Vec<Option<ClusterModel>>)> {
    let n = rows.n_rows();
    check_range(n, options)?;
    let encoded = rows.encoded();
    let x = encoded.view();
    // Identical customers cannot form even the smallest k tried: say so in terms of k.
    check_distinct_profiles(x, options.k_min)?;
    let sample = options.silhouette_sample.filter(|&s| s < n);
    let sampled = sampled_rows(n, sample.unwrap_or(n), options.seed);
    let xs = x.select(Axis(0), &sampled);
    let settings = MethodSettings {
        seed: options.seed,
        n_init: Some(options.n_init),
        cancel: options.cancel.clone(),
    };
    let (mut table, models): (Vec<KScore>, Vec<Option<ClusterModel>>) = (options.k_min..=options.k_max)
        .map(|k| {
            options.cancel.check()?;
            let model = match method.clusterer(k, &settings).fit_rows(rows) {
                Ok(model) => model,
                // A k the method cannot start (k-prototypes on few distinct
                // rows) is left out of the vote, not the end of the choice.
                Err(Error::InsufficientData { .. }) if method != Method::KMeans => {
                    return Ok((KScore::unfitted(k), None));
                }
                Err(e) => return Err(e),
            };
            let labels = model.labels();
            let sampled_labels: Vec<usize> = sampled.iter().map(|&i| labels[i]).collect();
            let sizes = segment_sizes(&labels, k);
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
                inertia: match &model {
                    ClusterModel::KMeans(m) => m.inertia(),
                    _ => within_sum_of_squares(x, &labels, k),
                },
                silhouette,
                calinski_harabasz: ch,
                davies_bouldin: db,
                smallest_share,
                admissible: smallest_share >= options.min_share && silhouette.is_finite(),
                stability: mean_stability(xs.view(), &sampled_labels, k, options, method, &rows)?,
                gap: None,
                gap_s: None,
                bic: (options.mixture_bic || method == Method::Gmm)
                    .then(|| mixture_bic(xs.view(), k, options.seed))
                    .flatten(),
                prediction_strength: strength(xs.view(), k, options, method, &rows)?,
            };
            Ok((score, Some(model)))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    options.cancel.check()?;
    let gap = (options.gap_references > 0)
        .then(|| {
            gap_statistic(
                xs.view(),
                options.k_min,
                options.k_max,
                options.gap_references,
                1,
                options.seed,
            )
        })
        .transpose()?;
    if let Some(gap) = &gap {
        for (score, (g, s)) in table.iter_mut().zip(gap.gap.iter().zip(&gap.s)) {
            score.gap = Some(*g);
            score.gap_s = Some(*s);
        }
    }
    let gap_choice = gap.as_ref().and_then(|g: &GapStatistic| g.chosen);
    let (recommended, reason) = match method {
        Method::Gmm => lowest_bic(&table, options.min_share)?,
        _ => recommend(&table, options, gap_choice)?,
    };
    let selection = KSelection {
        table,
        recommended,
        reason,
        gap_choice,
    };
    Ok((selection, models))
}

fn check_range(n: usize, options: &SelectOptions) -> Result<()> {
    if options.k_min < 2 || options.k_max < options.k_min {
        return Err(Error::invalid_parameter(
            "k_range",
            format!("{}..={}", options.k_min, options.k_max),
            "2 <= k_min <= k_max",
        ));
    }
    if options.k_max >= n {
        // Said in the words of someone who asked for k to be chosen, not of the option's name.
        return Err(Error::InsufficientData {
            what: format!(
                "choosing the number of segments (k) automatically compares k = {}..={} and needs more \
                 customers than the largest k, found {n}; give a fixed number of segments below {n} instead",
                options.k_min, options.k_max
            ),
        });
    }
    if !(0.0..1.0).contains(&options.min_share) {
        return Err(Error::invalid_parameter(
            "min_share",
            options.min_share,
            "a share in [0, 1)",
        ));
    }
    Ok(())
}

/// Σ of squared distances of the rows to their cluster's mean.
fn within_sum_of_squares(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> f64 {
    let mut sums = ndarray::Array2::<f64>::zeros((k, x.ncols()));
    let mut counts = vec![0.0; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        let mut sum = sums.row_mut(l);
        sum += &row;
        counts[l] += 1.0;
    }
    x.rows()
        .into_iter()
        .zip(labels)
        .map(|(row, &l)| {
            let n = counts[l];
            row.iter()
                .zip(sums.row(l))
                .map(|(v, s)| (v - s / n).powi(2))
                .sum::<f64>()
        })
        .sum()
}

/// Mean bootstrap stability of the k segments on the sample; `None` when not
/// asked for or when the sample is too small to refit.
fn mean_stability(
    xs: ArrayView2<'_, f64>,
    labels: &[usize],
    k: usize,
    options: &SelectOptions,
    method: Method,
    rows: &MixedRows<'_>,
) -> Result<Option<f64>> {
    if options.stability_replicates == 0 || xs.nrows() < 2 * k {
        return Ok(None);
    }
    let refit = method_refit(method, k, rows.numeric.ncols(), rows.n_levels, options.cancel.clone());
    let stability = match bootstrap_stability(xs, labels, options.stability_replicates, options.seed, refit) {
        Ok(stability) => stability,
        // A resample the method cannot start leaves the stability unknown
        // (k-means always starts, so its failure is a real one).
        Err(Error::InsufficientData { .. }) if method != Method::KMeans => return Ok(None),
        Err(e) => return Err(e),
    };
    let seen: Vec<f64> = stability.mean_jaccard.into_iter().filter(|j| !j.is_nan()).collect();
    Ok((!seen.is_empty()).then(|| seen.iter().sum::<f64>() / seen.len() as f64))
}

/// Prediction strength of k on the sample, refitting the method with the
/// selection's runs; `None` when not asked for, for a mixture (chosen by its
/// BIC), or when the sample is too small or a half cannot be fitted.
fn strength(
    xs: ArrayView2<'_, f64>,
    k: usize,
    options: &SelectOptions,
    method: Method,
    rows: &MixedRows<'_>,
) -> Result<Option<f64>> {
    if options.prediction_splits == 0 || method == Method::Gmm || xs.nrows() < 2 * k {
        return Ok(None);
    }
    let resampling = MethodResampling {
        method,
        k,
        n_init: options.n_init,
        n_numeric: rows.numeric.ncols(),
        n_levels: rows.n_levels.to_vec(),
        cancel: options.cancel.clone(),
    };
    match prediction_strength_with(xs, k, options.prediction_splits, options.seed, resampling.fit_place()) {
        Ok(strength) => Ok(Some(strength.mean)),
        Err(Error::InsufficientData { .. }) if method != Method::KMeans => Ok(None),
        Err(e) => Err(e),
    }
}

/// BIC of a full-covariance mixture; `None` when EM cannot fit one (e.g. a
/// component collapsing onto too few distinct rows).
fn mixture_bic(xs: ArrayView2<'_, f64>, k: usize, seed: u64) -> Option<f64> {
    let model = GaussianMixture::params(k).seed(seed).fit(xs).ok()?;
    model.bic(xs).ok()
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
        assert_eq!(sel.gap_choice, Some(4));
        assert!(
            sel.reason.contains("gap statistic") && sel.reason.contains("stability"),
            "{}",
            sel.reason
        );
        let four = &sel.table[2];
        assert!(four.stability.unwrap() > 0.95, "{four:?}");
        assert!(sel.table.iter().all(|s| s.gap.is_some() && s.gap_s.is_some()));
        let best_bic = sel
            .table
            .iter()
            .min_by(|a, b| a.bic.unwrap().total_cmp(&b.bic.unwrap()))
            .unwrap();
        assert!(best_bic.k >= 4, "{best_bic:?}");
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
    fn identical_customers_make_one_segment_not_three() {
        let same = Array2::from_elem((12, 3), 1.5);
        let err = check_distinct_profiles(same.view(), 3).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid parameter k=3: expected at most 1 segment(s)"),
            "{err}"
        );
        assert!(err.contains("2 of the 3 segments would be empty"), "{err}");
        let mut two = same.clone();
        two[[5, 0]] = -0.0;
        two[[6, 0]] = 0.0;
        assert!(
            check_distinct_profiles(two.view(), 3)
                .unwrap_err()
                .to_string()
                .contains("at most 2 segment(s)")
        );
        assert!(check_distinct_profiles(blobs(2, 10).view(), 8).is_ok());
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
            .contains("compares k = 2..=10 and needs more customers than the largest k, found 10")
        );
        assert!(
            err(SelectOptions {
                min_share: 1.5,
                ..Default::default()
            })
            .contains("min_share")
        );
    }

    #[test]
    fn a_cancelled_token_stops_the_search() {
        let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * 7 + j * 13) % 17) as f64);
        let options = SelectOptions::default();
        options.cancel.cancel();
        assert!(matches!(select_k(x.view(), &options), Err(Error::Cancelled)));
    }
}
