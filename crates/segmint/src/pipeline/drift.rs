//! How far a scored snapshot has moved from the data a model was trained on:
//! the population stability index (PSI) of every numeric basis column over
//! the training deciles, the share of customers far from every segment, and
//! a verdict. Thresholds and sources are in docs/methodology.md.

use serde::{Deserialize, Serialize};

use crate::report::markdown::escape;

/// PSI below this: the column is stable (Siddiqi 2006).
pub const PSI_WATCH: f64 = 0.10;
/// PSI at or above this: the column has shifted; refit (Siddiqi 2006).
pub const PSI_REFIT: f64 = 0.25;
/// The training customers farther from their centre than this quantile are "far".
pub const FAR_QUANTILE: f64 = 0.99;
/// Share of far customers from which the snapshot is watched (twice the 1% of training).
pub const FAR_WATCH: f64 = 0.02;
/// Share of far customers from which a refit is recommended (five times the 1% of training).
pub const FAR_REFIT: f64 = 0.05;

/// A share below this counts as this in the PSI, so that an empty bin does not make it infinite.
const MIN_SHARE: f64 = 1e-4;

/// The training distribution of one numeric basis column: its deciles and
/// the share of customers in each bin (below the first cut point, between
/// cut points, above the last, then missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBins {
    /// The column.
    pub name: String,
    /// Interior cut points (distinct training deciles), increasing.
    pub cuts: Vec<f64>,
    /// Training share of each bin: `cuts.len() + 1` value bins, then missing.
    pub shares: Vec<f64>,
}

impl FeatureBins {
    /// The bins of `values` (NaN is missing) at their deciles.
    pub fn of(name: &str, values: &[f64]) -> Self {
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        let mut cuts: Vec<f64> = (1..10)
            .filter_map(|d| finite.get(d * finite.len() / 10).copied())
            .collect();
        cuts.dedup();
        let mut bins = FeatureBins {
            name: name.into(),
            cuts,
            shares: Vec::new(),
        };
        bins.shares = bins.shares_of(values);
        bins
    }

    /// The share of `values` in each bin.
    pub fn shares_of(&self, values: &[f64]) -> Vec<f64> {
        let mut counts = vec![0usize; self.cuts.len() + 2];
        for &v in values {
            let bin = if v.is_finite() {
                self.cuts.partition_point(|&c| c <= v)
            } else {
                self.cuts.len() + 1
            };
            counts[bin] += 1;
        }
        let n = values.len().max(1) as f64;
        counts.into_iter().map(|c| c as f64 / n).collect()
    }

    /// Population stability index of `values` against the training shares:
    /// Σ (now − then) · ln(now / then).
    pub fn psi(&self, values: &[f64]) -> f64 {
        self.shares_of(values)
            .iter()
            .zip(&self.shares)
            .map(|(&now, &then)| {
                let (now, then) = (now.max(MIN_SHARE), then.max(MIN_SHARE));
                (now - then) * (now / then).ln()
            })
            .sum()
    }
}

/// What to do about a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftVerdict {
    /// The snapshot looks like the training data.
    Stable,
    /// Something moved: watch the next snapshots.
    Watch,
    /// The data have moved away from the model: fit it again.
    RefitRecommended,
}

impl DriftVerdict {
    fn of(value: f64, watch: f64, refit: f64) -> Self {
        if value >= refit {
            DriftVerdict::RefitRecommended
        } else if value >= watch {
            DriftVerdict::Watch
        } else {
            DriftVerdict::Stable
        }
    }

    /// The verdict in words.
    pub fn label(self) -> &'static str {
        match self {
            DriftVerdict::Stable => "stable",
            DriftVerdict::Watch => "watch",
            DriftVerdict::RefitRecommended => "refit recommended",
        }
    }
}

/// The PSI of one basis column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// The column.
    pub name: String,
    /// Its population stability index against training.
    pub psi: f64,
    /// Its verdict by [`PSI_WATCH`] and [`PSI_REFIT`].
    pub verdict: DriftVerdict,
}

/// The drift of a scored snapshot from the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Each numeric basis column's PSI.
    pub features: Vec<FeatureDrift>,
    /// Share of the placed customers farther from their centre than
    /// [`FAR_QUANTILE`] of the training customers were.
    pub far_share: f64,
    /// Customers in each segment at training.
    pub sizes_then: Vec<usize>,
    /// Customers in each segment now.
    pub sizes_now: Vec<usize>,
    /// The worst verdict of the columns and of the far share.
    pub verdict: DriftVerdict,
}

impl Drift {
    /// The drift of a snapshot: `columns` are its values of each binned
    /// column (in the order of `bins`), `distance` each placed customer's
    /// distance to its centre, `far` the training distance beyond which a customer is far.
    pub(super) fn measure(
        bins: &[FeatureBins],
        columns: &[Vec<f64>],
        distance: &[f64],
        far: f64,
        sizes_then: Vec<usize>,
        sizes_now: Vec<usize>,
    ) -> Self {
        let features: Vec<FeatureDrift> = bins
            .iter()
            .zip(columns)
            .map(|(b, values)| {
                let psi = b.psi(values);
                FeatureDrift {
                    name: b.name.clone(),
                    psi,
                    verdict: DriftVerdict::of(psi, PSI_WATCH, PSI_REFIT),
                }
            })
            .collect();
        let far_share = distance.iter().filter(|&&d| d > far).count() as f64 / distance.len().max(1) as f64;
        let verdict = features
            .iter()
            .map(|f| f.verdict)
            .chain([DriftVerdict::of(far_share, FAR_WATCH, FAR_REFIT)])
            .max()
            .unwrap_or(DriftVerdict::Stable);
        Drift {
            features,
            far_share,
            sizes_then,
            sizes_now,
            verdict,
        }
    }

    /// A short Markdown section: the verdict, the far share, the columns that moved and the sizes.
    pub fn to_markdown(&self, names: &[String]) -> String {
        let mut text = format!(
            "## Drift since training: {}\n\n{:.1}% of the customers are farther from their segment's centre \
             than 99% of the training customers were (watch from {:.0}%, refit from {:.0}%).\n\n",
            self.verdict.label(),
            100.0 * self.far_share,
            100.0 * FAR_WATCH,
            100.0 * FAR_REFIT
        );
        text += &format!(
            "| basis column | PSI | verdict |\n|---|---:|---|\n{}\n",
            self.features
                .iter()
                .map(|f| format!("| {} | {:.3} | {} |", escape(&f.name), f.psi, f.verdict.label()))
                .collect::<Vec<_>>()
                .join("\n")
        );
        text += &format!(
            "\nPSI below {PSI_WATCH} is stable, from {PSI_REFIT} a shift (Siddiqi 2006).\n\n\
             | segment | name | customers at training | customers now |\n|---:|---|---:|---:|\n"
        );
        for (s, name) in names.iter().enumerate() {
            let then = self.sizes_then.get(s).copied().unwrap_or(0);
            let now = self.sizes_now.get(s).copied().unwrap_or(0);
            text += &format!("| {s} | {} | {then} | {now} |\n", escape(name));
        }
        text
    }
}

/// The `q` quantile of `values` by nearest rank (NaN for none): unlike the
/// interpolated quantile of `profile::levels`, it is one of the values, so at
/// most a share 1 − q of them lies beyond it, which the far share relies on.
pub(super) fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_distribution_is_stable_and_a_shifted_one_is_not() {
        let training: Vec<f64> = (0..1000).map(|i| f64::from(i % 100)).collect();
        let bins = FeatureBins::of("x", &training);
        assert_eq!(bins.cuts.len(), 9);
        assert!((bins.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(bins.psi(&training).abs() < 1e-12);
        let shifted: Vec<f64> = training.iter().map(|v| v + 30.0).collect();
        let psi = bins.psi(&shifted);
        assert!(psi > PSI_REFIT, "{psi}");
        // Two bins of 10% that swap half their mass: 2·(0.05·ln 1.5 + (−0.05)·ln 0.5) by hand.
        let mut moved = training.clone();
        let mut n = 0;
        for v in moved.iter_mut() {
            if *v < 10.0 && n < 50 {
                *v += 10.0;
                n += 1;
            }
        }
        let expected = 0.05 * (0.15_f64 / 0.10).ln() - 0.05 * (0.05_f64 / 0.10).ln();
        assert!(
            (bins.psi(&moved) - expected).abs() < 1e-12,
            "{} vs {expected}",
            bins.psi(&moved)
        );
    }

    #[test]
    fn missing_values_have_a_bin_of_their_own() {
        let bins = FeatureBins::of("x", &[1.0, 2.0, f64::NAN, 4.0]);
        assert_eq!(*bins.shares.last().unwrap(), 0.25);
        assert!(bins.psi(&[f64::NAN; 4]) > PSI_REFIT);
    }

    #[test]
    fn the_verdict_is_the_worst_of_the_columns_and_the_far_share() {
        let bins = vec![FeatureBins::of("x", &[1.0, 2.0, 3.0, 4.0])];
        let same = vec![vec![1.0, 2.0, 3.0, 4.0]];
        let calm = Drift::measure(&bins, &same, &[0.1, 0.2, 0.3], 1.0, vec![3], vec![3]);
        assert_eq!(calm.verdict, DriftVerdict::Stable);
        let far = Drift::measure(&bins, &same, &[0.1, 2.0, 3.0], 1.0, vec![3], vec![3]);
        assert_eq!(far.verdict, DriftVerdict::RefitRecommended);
        assert!((far.far_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), 2.0);
    }
}
