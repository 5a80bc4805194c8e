//! How strongly one feature differs across segments: η² (ANOVA) and the
//! Kruskal–Wallis test with its rank-based effect size η²_H.

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};

/// The Kruskal–Wallis test of one feature across segments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KruskalWallis {
    /// The H statistic, corrected for ties (as `scipy.stats.kruskal`).
    pub h: f64,
    /// Degrees of freedom, k − 1.
    pub df: usize,
    /// Upper tail of χ²(df) at H.
    pub p_value: f64,
    /// Effect size η²_H = (H − k + 1) / (n − k) (Tomczak & Tomczak 2014).
    pub eta_squared_h: f64,
}

/// Cohen's bands for η²: negligible < .01 ≤ small < .06 ≤ medium < .14 ≤ large.
pub fn effect_band(eta_squared: f64) -> &'static str {
    match eta_squared {
        e if e.is_nan() => "undefined",
        e if e >= 0.14 => "large",
        e if e >= 0.06 => "medium",
        e if e >= 0.01 => "small",
        _ => "negligible",
    }
}

/// Share of the feature's variance explained by the segments (between-segment
/// sum of squares / total sum of squares). NaN for a constant feature.
pub fn eta_squared(values: ArrayView1<'_, f64>, labels: &[usize], k: usize) -> Result<f64> {
    check_inputs(values, labels, k)?;
    let n = values.len() as f64;
    let mean = values.sum() / n;
    let (sums, counts) = group_sums(values.iter().copied(), labels, k);
    let total: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    let between: f64 = sums
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c > 0)
        .map(|(s, &c)| c as f64 * (s / c as f64 - mean).powi(2))
        .sum();
    Ok(if total > 0.0 { between / total } else { f64::NAN })
}

/// The Kruskal–Wallis H test (mid-ranks for ties, tie correction) over the
/// non-empty segments. H is NaN when every value is tied.
pub fn kruskal_wallis(values: ArrayView1<'_, f64>, labels: &[usize], k: usize) -> Result<KruskalWallis> {
    check_inputs(values, labels, k)?;
    let n = values.len();
    let (ranks, tie_term) = mid_ranks(values);
    let (rank_sums, counts) = group_sums(ranks.into_iter(), labels, k);
    let groups = counts.iter().filter(|&&c| c > 0).count();
    if groups < 2 {
        return Err(Error::InsufficientData {
            what: format!("the Kruskal–Wallis test needs at least 2 non-empty segments, found {groups}"),
        });
    }
    let nf = n as f64;
    let sum_sq: f64 = rank_sums
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c > 0)
        .map(|(r, &c)| r * r / c as f64)
        .sum();
    let raw = 12.0 / (nf * (nf + 1.0)) * sum_sq - 3.0 * (nf + 1.0);
    let correction = 1.0 - tie_term / (nf.powi(3) - nf);
    let h = if correction > 0.0 { raw / correction } else { f64::NAN };
    let df = groups - 1;
    let p_value = ChiSquared::new(df as f64).map_or(f64::NAN, |chi| chi.sf(h));
    let eta_squared_h = if n > groups {
        (h - groups as f64 + 1.0) / (nf - groups as f64)
    } else {
        f64::NAN
    };
    Ok(KruskalWallis {
        h,
        df,
        p_value,
        eta_squared_h,
    })
}

/// 1-based mid-ranks of the values and Σ(t³ − t) over groups of t ties.
fn mid_ranks(values: ArrayView1<'_, f64>) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < order.len() {
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| values[i] == values[order[start]])
                .count();
        let rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = rank);
        let t = (end - start) as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    (ranks, tie_term)
}

fn group_sums(values: impl Iterator<Item = f64>, labels: &[usize], k: usize) -> (Vec<f64>, Vec<usize>) {
    let mut sums = vec![0.0; k];
    let mut counts = vec![0usize; k];
    for (v, &l) in values.zip(labels) {
        sums[l] += v;
        counts[l] += 1;
    }
    (sums, counts)
}

fn check_inputs(values: ArrayView1<'_, f64>, labels: &[usize], k: usize) -> Result<()> {
    if values.len() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "labels (one per value)".into(),
            expected: values.len().to_string(),
            found: labels.len().to_string(),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= k) {
        return Err(Error::invalid_parameter("labels", bad, format!("labels below k={k}")));
    }
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "feature values",
            row,
            column: 0,
            value: values[row],
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn eta_squared_of_separated_and_of_mixed_groups() {
        let v = array![1.0, 1.0, 5.0, 5.0];
        assert_abs_diff_eq!(eta_squared(v.view(), &[0, 0, 1, 1], 2).unwrap(), 1.0);
        assert_abs_diff_eq!(eta_squared(v.view(), &[0, 1, 0, 1], 2).unwrap(), 0.0);
        assert!(eta_squared(array![2.0, 2.0].view(), &[0, 1], 2).unwrap().is_nan());
    }

    #[test]
    fn mid_ranks_and_the_tie_term() {
        let (ranks, ties) = mid_ranks(array![3.0, 1.0, 3.0, 2.0].view());
        assert_eq!(ranks, vec![3.5, 1.0, 3.5, 2.0]);
        assert_abs_diff_eq!(ties, 6.0);
    }

    #[test]
    fn bands_follow_cohen() {
        assert_eq!(effect_band(0.2), "large");
        assert_eq!(effect_band(0.06), "medium");
        assert_eq!(effect_band(0.02), "small");
        assert_eq!(effect_band(0.001), "negligible");
        assert_eq!(effect_band(f64::NAN), "undefined");
    }

    #[test]
    fn bad_inputs_are_named() {
        let v = array![1.0, f64::NAN];
        assert!(
            eta_squared(v.view(), &[0], 2)
                .unwrap_err()
                .to_string()
                .contains("labels")
        );
        assert!(
            kruskal_wallis(v.view(), &[0, 1], 2)
                .unwrap_err()
                .to_string()
                .contains("non-finite")
        );
        let one_group = kruskal_wallis(array![1.0, 2.0].view(), &[0, 0], 2).unwrap_err();
        assert!(one_group.to_string().contains("at least 2 non-empty segments"));
    }
}
