//! The checks behind the scorecard, one function per measure.

use ndarray::{Array2, ArrayView2, Axis};

use super::{
    Band, Check, Criterion, FeatureSeparation, Scorecard, SegmentScorecard, ValidateOptions, ValidationInput, Verdict,
};
use crate::error::Result;
use crate::metrics::{
    PredictionStrength, Stability, bootstrap_stability, effect_band, eta_squared, kmeans_refit, kruskal_wallis,
    prediction_strength, prediction_strength_with, sampled_rows, segment_sizes, silhouette_samples,
};

use Criterion::{Accessible, Actionable, Differentiable, Measurable, Substantial};

/// Everything measured once and shared by the overall and per-segment checks.
struct Measures {
    k: usize,
    sizes: Vec<usize>,
    completeness: Vec<f64>,
    /// Per segment, shares of revenue and of lifetime value (or why not assessed).
    value_shares: Vec<(&'static str, Result<Vec<f64>, &'static str>)>,
    /// Per segment, then the whole sample.
    silhouette: (Vec<f64>, f64),
    stability: Option<Stability>,
    prediction_strength: Option<PredictionStrength>,
    /// Segment means minus overall means, in overall standard deviations (NaN for constant features).
    standardised_means: Array2<f64>,
}

pub(super) fn scorecard(input: &ValidationInput<'_>, k: usize, options: &ValidateOptions) -> Result<Scorecard> {
    let n = input.x.nrows();
    let rows = sampled_rows(n, options.sample_rows, options.seed);
    let xs = input.x.select(Axis(0), &rows);
    let labels: Vec<usize> = rows.iter().map(|&i| input.labels[i]).collect();
    let resampled = k >= 2 && labels.len() >= 2 * k;
    let measures = Measures {
        k,
        sizes: segment_sizes(input.labels, k),
        completeness: completeness(input, k),
        value_shares: segment_value_shares(input, k),
        silhouette: silhouette_by_segment(xs.view(), &labels, k)?,
        stability: resampled
            .then(|| {
                let (replicates, seed) = (options.replicates, options.seed);
                match input.method {
                    Some(method) => bootstrap_stability(xs.view(), &labels, replicates, seed, method.refit()),
                    None => bootstrap_stability(xs.view(), &labels, replicates, seed, kmeans_refit(k, options.n_init)),
                }
            })
            .transpose()?,
        prediction_strength: resampled
            .then(|| {
                let (splits, seed) = (options.splits, options.seed);
                match input.method {
                    Some(method) => prediction_strength_with(xs.view(), k, splits, seed, method.fit_place()),
                    None => prediction_strength(xs.view(), k, splits, options.n_init, seed),
                }
            })
            .transpose()?,
        standardised_means: standardised_means(input.x, input.labels, k),
    };
    let features = feature_separation(input, k)?;
    let t = &options.thresholds;
    let overall = overall_checks(input, &measures, &features, t);
    let segments = (0..k)
        .map(|s| {
            let (nearest_segment, separation) = nearest(&measures.standardised_means, s);
            SegmentScorecard {
                segment: s,
                checks: segment_checks(input, &measures, s, t),
                nearest_segment,
                separation,
            }
        })
        .collect();
    Ok(Scorecard {
        overall,
        segments,
        features,
        stability: measures.stability,
        prediction_strength: measures.prediction_strength,
        rows_sampled: rows.len(),
        thresholds: t.clone(),
    })
}

fn overall_checks(
    input: &ValidationInput<'_>,
    m: &Measures,
    features: &[FeatureSeparation],
    t: &super::Thresholds,
) -> Vec<Check> {
    let n = input.labels.len() as f64;
    let weighted = |per_segment: &[f64]| {
        per_segment
            .iter()
            .zip(&m.sizes)
            .map(|(v, &s)| v * s as f64)
            .sum::<f64>()
            / n
    };
    let mut checks = vec![banded(
        Measurable,
        "completeness of the segmentation features",
        weighted(&m.completeness),
        t.completeness,
        "share of customer × feature values present".into(),
    )];
    checks.extend(scale_checks(input, t));
    checks.push(match input.reachable {
        Some(reachable) => {
            let share = reachable.iter().filter(|&&r| r).count() as f64 / n;
            banded(
                Accessible,
                "share reachable on an opted-in channel",
                share,
                t.reachable_share,
                format!("{} of all customers can be contacted", pct(share)),
            )
        }
        None => no_channel_data(),
    });
    let smallest = (0..m.k).min_by_key(|&s| m.sizes[s]).expect("k ≥ 1");
    let smallest_check = share_of_customers(input, m, smallest, t.min_share);
    checks.push(Check {
        measure: "smallest segment's share of customers".into(),
        reason: format!("segment {smallest}: {}", smallest_check.reason),
        ..smallest_check
    });
    checks.push(if m.k < 2 {
        one_segment(Differentiable, "mean silhouette")
    } else {
        banded(
            Differentiable,
            "mean silhouette",
            m.silhouette.1,
            t.silhouette,
            silhouette_words(m.silhouette.1).into(),
        )
    });
    checks.push(effect_check(features, t, m.k));
    checks.extend(overall_actionable(input, m, t));
    checks
}

fn overall_actionable(input: &ValidationInput<'_>, m: &Measures, t: &super::Thresholds) -> Vec<Check> {
    let mut checks = vec![match &m.prediction_strength {
        Some(ps) => banded(
            Actionable,
            "prediction strength of k",
            ps.mean,
            t.prediction_strength,
            format!(
                "k = {}: {:.2} ± {:.2} over {} random halvings",
                ps.k, ps.mean, ps.sd, ps.splits
            ),
        ),
        None => one_segment(Actionable, "prediction strength of k"),
    }];
    checks.push(match &m.stability {
        Some(s) => {
            let (segment, lowest) = s
                .mean_jaccard
                .iter()
                .enumerate()
                .filter(|(_, j)| !j.is_nan())
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, f64::NAN), |(i, j)| (i, *j));
            banded(
                Actionable,
                "lowest bootstrap stability",
                lowest,
                t.stability,
                format!("segment {segment}, mean Jaccard over {} resamples", s.replicates),
            )
        }
        None => one_segment(Actionable, "lowest bootstrap stability"),
    });
    checks.push(match input.strategies {
        Some(strategies) => {
            let mut distinct: Vec<&String> = strategies.iter().collect();
            distinct.sort();
            distinct.dedup();
            let verdict = if distinct.len() == m.k {
                Verdict::Pass
            } else {
                Verdict::Warn
            };
            Check {
                criterion: Actionable,
                measure: "distinct strategies".into(),
                value: Some(distinct.len() as f64),
                threshold: format!("one per segment ({})", m.k),
                verdict,
                reason: format!("{} distinct strategies for {} segments", distinct.len(), m.k),
            }
        }
        None => no_strategies(),
    });
    checks
}

fn segment_checks(input: &ValidationInput<'_>, m: &Measures, s: usize, t: &super::Thresholds) -> Vec<Check> {
    let mut checks = vec![banded(
        Measurable,
        "completeness of the segmentation features",
        m.completeness[s],
        t.completeness,
        "share of the segment's feature values present".into(),
    )];
    checks.push(match input.reachable {
        Some(reachable) => {
            let members = || input.labels.iter().zip(reachable).filter(|(l, _)| **l == s);
            let share = members().filter(|(_, r)| **r).count() as f64 / m.sizes[s] as f64;
            banded(
                Accessible,
                "share reachable on an opted-in channel",
                share,
                t.reachable_share,
                format!("{} of the segment can be contacted", pct(share)),
            )
        }
        None => no_channel_data(),
    });
    checks.push(share_of_customers(input, m, s, t.min_share));
    checks.extend(value_shares(m, s, t.min_share));
    checks.extend(segment_differentiable(input, m, s, t));
    checks.extend(segment_actionable(input, m, s, t));
    checks
}

fn segment_differentiable(input: &ValidationInput<'_>, m: &Measures, s: usize, t: &super::Thresholds) -> Vec<Check> {
    if m.k < 2 {
        return vec![
            one_segment(Differentiable, "silhouette"),
            one_segment(Differentiable, "marker variables"),
        ];
    }
    let silhouette = m.silhouette.0[s];
    let silhouette_check = if silhouette.is_nan() {
        not_assessed(
            Differentiable,
            "silhouette",
            "the segment has no customer in the sample",
        )
    } else {
        banded(
            Differentiable,
            "silhouette",
            silhouette,
            t.silhouette,
            silhouette_words(silhouette).into(),
        )
    };
    let mut markers: Vec<(f64, &String)> = m
        .standardised_means
        .row(s)
        .iter()
        .zip(input.feature_names)
        .filter(|(d, _)| d.abs() >= t.marker_sd)
        .map(|(d, name)| (*d, name))
        .collect();
    markers.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let named: Vec<String> = markers
        .iter()
        .take(3)
        .map(|(d, name)| format!("{name} {d:+.2} sd"))
        .collect();
    let marker_check = Check {
        criterion: Differentiable,
        measure: "marker variables".into(),
        value: Some(markers.len() as f64),
        threshold: format!("at least one feature ≥ {} sd from the overall mean", t.marker_sd),
        verdict: if markers.is_empty() {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
        reason: if markers.is_empty() {
            "no feature sets the segment apart from the base".into()
        } else {
            named.join(", ")
        },
    };
    vec![silhouette_check, marker_check]
}

fn segment_actionable(input: &ValidationInput<'_>, m: &Measures, s: usize, t: &super::Thresholds) -> Vec<Check> {
    let stability = match &m.stability {
        Some(st) if !st.mean_jaccard[s].is_nan() => banded(
            Actionable,
            "bootstrap stability",
            st.mean_jaccard[s],
            t.stability,
            format!(
                "mean Jaccard over {} resamples; dissolved (≤ 0.5) in {}",
                st.replicates, st.dissolved[s]
            ),
        ),
        Some(_) => not_assessed(
            Actionable,
            "bootstrap stability",
            "the segment has no customer in the sample",
        ),
        None => one_segment(Actionable, "bootstrap stability"),
    };
    let strategy = match input.strategies {
        Some(strategies) => {
            let twins: Vec<String> = (0..m.k)
                .filter(|&o| o != s && strategies[o] == strategies[s])
                .map(|o| o.to_string())
                .collect();
            Check {
                criterion: Actionable,
                measure: "distinct strategy".into(),
                value: None,
                threshold: "a strategy no other segment has".into(),
                verdict: if twins.is_empty() { Verdict::Pass } else { Verdict::Warn },
                reason: if twins.is_empty() {
                    format!("its own strategy: {}", strategies[s])
                } else {
                    format!("shares \"{}\" with segment(s) {}", strategies[s], twins.join(", "))
                },
            }
        }
        None => no_strategies(),
    };
    vec![stability, strategy]
}

fn share_of_customers(input: &ValidationInput<'_>, m: &Measures, s: usize, min_share: f64) -> Check {
    let n = input.labels.len() as f64;
    let share = m.sizes[s] as f64 / n;
    let valuable = value_shares(m, s, min_share)
        .into_iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .map(|c| {
            format!(
                "{} of {}",
                pct(c.value.unwrap_or(0.0)),
                c.measure.trim_start_matches("share of ")
            )
        })
        .next();
    let (verdict, reason) = match (share >= min_share, valuable) {
        (true, _) => (
            Verdict::Pass,
            format!("{} customers, {} of the base", m.sizes[s], pct(share)),
        ),
        (false, Some(value)) => (
            Verdict::Warn,
            format!("small ({} of customers) but holds {value}", pct(share)),
        ),
        (false, None) => (Verdict::Fail, format!("{} of customers, below the minimum", pct(share))),
    };
    Check {
        criterion: Substantial,
        measure: "share of customers".into(),
        value: Some(share),
        threshold: format!("≥ {}", pct(min_share)),
        verdict,
        reason,
    }
}

/// Each segment's share of revenue and of lifetime value, computed once:
/// per measure, the shares or why they cannot be assessed.
fn segment_value_shares(input: &ValidationInput<'_>, k: usize) -> Vec<(&'static str, Result<Vec<f64>, &'static str>)> {
    [
        ("share of revenue", input.revenue),
        ("share of lifetime value", input.value),
    ]
    .into_iter()
    .map(|(measure, values)| {
        let Some(values) = values else {
            return (measure, Err("not in the data"));
        };
        let mut sums = vec![0.0; k];
        for (v, &l) in values.iter().zip(input.labels).filter(|(v, _)| v.is_finite()) {
            sums[l] += v;
        }
        let total: f64 = sums.iter().sum();
        if total <= 0.0 {
            return (measure, Err("the total is not positive"));
        }
        (measure, Ok(sums.iter().map(|v| v / total).collect()))
    })
    .collect()
}

/// The checks of segment `s`'s shares of revenue and of lifetime value.
fn value_shares(m: &Measures, s: usize, min_share: f64) -> Vec<Check> {
    m.value_shares
        .iter()
        .map(|(measure, shares)| match shares {
            Err(reason) => not_assessed(Substantial, measure, reason),
            Ok(shares) => Check {
                criterion: Substantial,
                measure: (*measure).into(),
                value: Some(shares[s]),
                threshold: format!("≥ {}", pct(min_share)),
                verdict: if shares[s] >= min_share {
                    Verdict::Pass
                } else {
                    Verdict::Warn
                },
                reason: format!("{} of the total", pct(shares[s])),
            },
        })
        .collect()
}

fn scale_checks(input: &ValidationInput<'_>, t: &super::Thresholds) -> Vec<Check> {
    if input.scales.is_empty() {
        return vec![not_assessed(
            Measurable,
            "Cronbach's α of survey scales",
            "no survey scales given",
        )];
    }
    input
        .scales
        .iter()
        .map(|scale| {
            banded(
                Measurable,
                &format!("Cronbach's α of scale {}", scale.name),
                scale.alpha,
                t.cronbach_alpha,
                format!("{} items", scale.n_items),
            )
        })
        .collect()
}

fn effect_check(features: &[FeatureSeparation], t: &super::Thresholds, k: usize) -> Check {
    let measure = "features with a large effect (η²)";
    if k < 2 {
        return one_segment(Differentiable, measure);
    }
    let count = |min: f64| features.iter().filter(|f| f.eta_squared >= min).count();
    let (large, medium) = (count(t.large_effect), count(t.medium_effect));
    let mut strongest: Vec<&FeatureSeparation> = features.iter().filter(|f| !f.eta_squared.is_nan()).collect();
    strongest.sort_by(|a, b| b.eta_squared.total_cmp(&a.eta_squared));
    let named: Vec<String> = strongest
        .iter()
        .take(3)
        .map(|f| format!("{} {:.2}", f.feature, f.eta_squared))
        .collect();
    Check {
        criterion: Differentiable,
        measure: measure.into(),
        value: Some(large as f64),
        threshold: format!(
            "pass: one with η² ≥ {}; warn: only ≥ {}",
            t.large_effect, t.medium_effect
        ),
        verdict: match (large, medium) {
            (l, _) if l > 0 => Verdict::Pass,
            (_, m) if m > 0 => Verdict::Warn,
            _ => Verdict::Fail,
        },
        reason: format!(
            "{large} large, {medium} at least medium; strongest: {}",
            named.join(", ")
        ),
    }
}

fn feature_separation(input: &ValidationInput<'_>, k: usize) -> Result<Vec<FeatureSeparation>> {
    input
        .x
        .columns()
        .into_iter()
        .zip(input.feature_names)
        .map(|(column, name)| {
            let eta = eta_squared(column, input.labels, k)?;
            let kruskal = if k >= 2 && !eta.is_nan() {
                Some(kruskal_wallis(column, input.labels, k)?)
            } else {
                None
            };
            Ok(FeatureSeparation {
                feature: name.clone(),
                eta_squared: eta,
                band: effect_band(eta).into(),
                kruskal_wallis: kruskal,
            })
        })
        .collect()
}

fn completeness(input: &ValidationInput<'_>, k: usize) -> Vec<f64> {
    let raw = input.raw.unwrap_or(input.x);
    let mut present = vec![0usize; k];
    let mut cells = vec![0usize; k];
    for (row, &l) in raw.rows().into_iter().zip(input.labels) {
        present[l] += row.iter().filter(|v| v.is_finite()).count();
        cells[l] += row.len();
    }
    present
        .iter()
        .zip(&cells)
        .map(|(&p, &c)| p as f64 / c.max(1) as f64)
        .collect()
}

/// Mean silhouette of each segment and of the sample; NaN where undefined
/// (one segment, or a segment absent from the sample).
fn silhouette_by_segment(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Result<(Vec<f64>, f64)> {
    let mut present: Vec<Option<usize>> = vec![None; k];
    let mut m = 0;
    for &l in labels {
        if present[l].is_none() {
            present[l] = Some(m);
            m += 1;
        }
    }
    if m < 2 || m >= labels.len() {
        return Ok((vec![f64::NAN; k], f64::NAN));
    }
    let compact: Vec<usize> = labels.iter().map(|&l| present[l].expect("seen")).collect();
    let values = silhouette_samples(x, &compact)?;
    let mut sums = vec![0.0; k];
    let mut counts = vec![0usize; k];
    for (&l, v) in labels.iter().zip(&values) {
        sums[l] += v;
        counts[l] += 1;
    }
    let per_segment = sums.iter().zip(&counts).map(|(s, &c)| s / c as f64).collect();
    Ok((per_segment, values.mean().expect("non-empty")))
}

/// (segment mean − overall mean) / overall sd per feature; NaN for constant features.
fn standardised_means(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Array2<f64> {
    let mean = x.mean_axis(Axis(0)).expect("non-empty");
    let sd = x.std_axis(Axis(0), 0.0);
    let mut sums = Array2::<f64>::zeros((k, x.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        sums.row_mut(l).zip_mut_with(&row, |s, v| *s += v);
        counts[l] += 1;
    }
    Array2::from_shape_fn((k, x.ncols()), |(s, j)| {
        let segment_mean = sums[[s, j]] / counts[s] as f64;
        if sd[j] > 0.0 {
            (segment_mean - mean[j]) / sd[j]
        } else {
            f64::NAN
        }
    })
}

/// The nearest other segment and the distance between standardised centroids.
fn nearest(standardised: &Array2<f64>, s: usize) -> (Option<usize>, Option<f64>) {
    let distance = |o: usize| {
        standardised
            .row(s)
            .iter()
            .zip(standardised.row(o))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    (0..standardised.nrows())
        .filter(|&o| o != s)
        .map(|o| (o, distance(o)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or((None, None), |(o, d)| (Some(o), Some(d)))
}

fn silhouette_words(value: f64) -> &'static str {
    match value {
        v if v > 0.70 => "strong structure (Kaufman & Rousseeuw)",
        v if v > 0.50 => "reasonable structure",
        v if v > 0.25 => "weak structure, could be artificial",
        _ => "no substantial structure",
    }
}

fn banded(criterion: Criterion, measure: &str, value: f64, band: Band, reason: String) -> Check {
    Check {
        criterion,
        measure: measure.into(),
        value: value.is_finite().then_some(value),
        threshold: band.describe(),
        verdict: band.judge(value),
        reason,
    }
}

fn not_assessed(criterion: Criterion, measure: &str, reason: &str) -> Check {
    Check {
        criterion,
        measure: measure.into(),
        value: None,
        threshold: String::new(),
        verdict: Verdict::NotAssessed,
        reason: reason.into(),
    }
}

fn one_segment(criterion: Criterion, measure: &str) -> Check {
    not_assessed(
        criterion,
        measure,
        "needs at least two segments and two customers per segment in the sample",
    )
}

fn no_channel_data() -> Check {
    not_assessed(
        Accessible,
        "share reachable on an opted-in channel",
        "no contact-channel opt-ins in the data (a customers table with channel columns)",
    )
}

fn no_strategies() -> Check {
    not_assessed(
        Actionable,
        "distinct strategy",
        "segments not yet matched to strategies",
    )
}

fn pct(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}
