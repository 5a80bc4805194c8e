//! Levels: where a segment sits in the whole base, in four quartile bands.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A quartile band of the whole base's customer-level values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Bottom quarter of the base.
    Low,
    /// Second quarter.
    Moderate,
    /// Third quarter.
    High,
    /// Top quarter.
    VeryHigh,
}

impl Level {
    /// All four, lowest first.
    pub const ALL: [Level; 4] = [Level::Low, Level::Moderate, Level::High, Level::VeryHigh];

    /// The band of a percentile in [0, 1]: below 0.25 Low, below 0.5
    /// Moderate, below 0.75 High, else Very High.
    pub fn of_percentile(p: f64) -> Level {
        match p {
            p if p < 0.25 => Level::Low,
            p if p < 0.5 => Level::Moderate,
            p if p < 0.75 => Level::High,
            _ => Level::VeryHigh,
        }
    }

    /// Position 0..=3.
    pub fn rank(self) -> usize {
        self as usize
    }

    /// The band's percentile interval.
    pub fn bounds(self) -> (f64, f64) {
        let lo = self.rank() as f64 / 4.0;
        (lo, lo + 0.25)
    }

    /// `Low`, `Moderate`, `High`, `Very High`.
    pub fn label(self) -> &'static str {
        match self {
            Level::Low => "Low",
            Level::Moderate => "Moderate",
            Level::High => "High",
            Level::VeryHigh => "Very High",
        }
    }

    /// The spelling used in catalogues (`low`, `moderate`, `high`, `very_high`).
    pub fn key(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
            Level::VeryHigh => "very_high",
        }
    }

    fn from_key(key: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key() == key.trim())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A run of adjacent bands, `from` ≤ `to` (`Low to Moderate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LevelRange {
    /// Lowest band.
    pub from: Level,
    /// Highest band.
    pub to: Level,
}

impl LevelRange {
    /// The range between two bands, in either order.
    pub fn new(a: Level, b: Level) -> Self {
        LevelRange {
            from: a.min(b),
            to: a.max(b),
        }
    }

    /// One band.
    pub fn single(level: Level) -> Self {
        LevelRange { from: level, to: level }
    }

    /// The percentile interval the range covers.
    pub fn bounds(self) -> (f64, f64) {
        (self.from.bounds().0, self.to.bounds().1)
    }

    /// How far a percentile lies outside the range (0 inside it).
    pub fn distance(self, p: f64) -> f64 {
        let (lo, hi) = self.bounds();
        (lo - p).max(p - hi).max(0.0)
    }

    /// `High` or `Low to Moderate`.
    pub fn label(self) -> String {
        if self.from == self.to {
            self.from.label().into()
        } else {
            format!("{} to {}", self.from.label(), self.to.label())
        }
    }
}

impl fmt::Display for LevelRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl TryFrom<String> for LevelRange {
    type Error = String;

    /// `high`, or a range `low..moderate`.
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let parse = |part: &str| {
            Level::from_key(part).ok_or_else(|| {
                format!("unknown level {part:?}: expected low, moderate, high or very_high, or a range such as low..moderate")
            })
        };
        match text.split_once("..") {
            Some((a, b)) => Ok(LevelRange::new(parse(a)?, parse(b)?)),
            None => parse(&text).map(LevelRange::single),
        }
    }
}

impl From<LevelRange> for String {
    fn from(range: LevelRange) -> String {
        if range.from == range.to {
            range.from.key().into()
        } else {
            format!("{}..{}", range.from.key(), range.to.key())
        }
    }
}

/// The sorted finite values of one KPI over the whole base, to place a
/// value at its percentile.
#[derive(Debug, Clone)]
pub(crate) struct BaseDistribution {
    sorted: Vec<f64>,
}

impl BaseDistribution {
    pub(crate) fn new(values: impl Iterator<Item = f64>) -> Self {
        let mut sorted: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        BaseDistribution { sorted }
    }

    /// Mid-rank percentile of `v`: the share of the base below it plus half
    /// the share equal to it, so ties (many zero discount shares) split evenly.
    pub(crate) fn percentile(&self, v: f64) -> Option<f64> {
        if self.sorted.is_empty() || !v.is_finite() {
            return None;
        }
        let below = self.sorted.partition_point(|&x| x < v);
        let not_above = self.sorted.partition_point(|&x| x <= v);
        Some((below as f64 + 0.5 * (not_above - below) as f64) / self.sorted.len() as f64)
    }
}

/// The `q`-quantile of sorted values, interpolated linearly between order
/// statistics (numpy's default, type 7).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = q * last as f64;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(last);
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_fall_in_quartile_bands() {
        assert_eq!(Level::of_percentile(0.0), Level::Low);
        assert_eq!(Level::of_percentile(0.25), Level::Moderate);
        assert_eq!(Level::of_percentile(0.74), Level::High);
        assert_eq!(Level::of_percentile(1.0), Level::VeryHigh);
    }

    #[test]
    fn ranges_parse_print_and_measure_distance() {
        let r = LevelRange::try_from("very_high..moderate".to_string()).unwrap();
        assert_eq!((r.from, r.to), (Level::Moderate, Level::VeryHigh));
        assert_eq!(r.label(), "Moderate to Very High");
        assert_eq!(String::from(r), "moderate..very_high");
        assert_eq!(r.distance(0.6), 0.0);
        assert!((r.distance(0.1) - 0.15).abs() < 1e-12);
        let err = LevelRange::try_from("huge".to_string()).unwrap_err();
        assert!(err.contains("unknown level \"huge\""), "{err}");
    }

    #[test]
    fn mid_rank_percentile_splits_ties() {
        let base = BaseDistribution::new([0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0, f64::NAN].into_iter());
        assert_eq!(base.percentile(0.0), Some(2.0 / 7.0));
        assert_eq!(base.percentile(7.0), Some(6.5 / 7.0));
        assert_eq!(base.percentile(100.0), Some(1.0));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
