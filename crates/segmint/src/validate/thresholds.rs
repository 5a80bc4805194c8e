//! The thresholds of the MASDA checks, with their published defaults.

use serde::{Deserialize, Serialize};

use super::Verdict;
use crate::error::{Error, Result};

/// A higher-is-better band: pass at `pass` or above, fail below `fail`,
/// warn in between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest passing value.
    pub pass: f64,
    /// Values below this fail.
    pub fail: f64,
}

impl Band {
    /// A band; `fail == pass` leaves no warning zone.
    pub const fn new(pass: f64, fail: f64) -> Self {
        Band { pass, fail }
    }

    /// The verdict of a value (NaN: not assessed).
    pub fn judge(&self, value: f64) -> Verdict {
        match value {
            v if v.is_nan() => Verdict::NotAssessed,
            v if v >= self.pass => Verdict::Pass,
            v if v < self.fail => Verdict::Fail,
            _ => Verdict::Warn,
        }
    }

    /// The band in words.
    pub fn describe(&self) -> String {
        if self.pass == self.fail {
            format!("pass ≥ {}", self.pass)
        } else {
            format!("pass ≥ {}, fail < {}", self.pass, self.fail)
        }
    }

    fn check(&self, name: &'static str) -> Result<()> {
        if self.pass.is_finite() && self.fail.is_finite() && self.fail <= self.pass {
            Ok(())
        } else {
            Err(Error::invalid_parameter(
                name,
                format!("pass {} / fail {}", self.pass, self.fail),
                "finite values with fail ≤ pass",
            ))
        }
    }
}

/// Every threshold of the scorecard (docs/methodology.md cites each default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Share of non-missing clustering-feature values (our default: 0.95 / 0.80).
    pub completeness: Band,
    /// Cronbach's α of a survey scale (George & Mallery: ≥ .7 acceptable, < .6 questionable or worse).
    pub cronbach_alpha: Band,
    /// Share of a segment reachable on an opted-in channel (no published floor; our default 0.5 / 0.2).
    pub reachable_share: Band,
    /// Smallest share of customers (or of revenue) a segment needs (default 5%, the organisation sets it).
    pub min_share: f64,
    /// Mean silhouette (Kaufman & Rousseeuw: > .50 reasonable structure, ≤ .25 none).
    pub silhouette: Band,
    /// η² of a feature counted as a large effect (Cohen: .14).
    pub large_effect: f64,
    /// η² of a feature counted as a medium effect (Cohen: .06).
    pub medium_effect: f64,
    /// A marker variable: |segment mean − overall mean| ≥ this many standard deviations (flexclust: 0.25).
    pub marker_sd: f64,
    /// Bootstrap Jaccard stability (Hennig: ≥ .75 valid, < .6 not trustworthy).
    pub stability: Band,
    /// Prediction strength of k (Tibshirani & Walther: > 0.8).
    pub prediction_strength: Band,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            completeness: Band::new(0.95, 0.80),
            cronbach_alpha: Band::new(0.7, 0.6),
            reachable_share: Band::new(0.5, 0.2),
            min_share: 0.05,
            silhouette: Band::new(0.50, 0.26),
            large_effect: 0.14,
            medium_effect: 0.06,
            marker_sd: 0.25,
            stability: Band::new(0.75, 0.6),
            prediction_strength: Band::new(0.8, 0.8),
        }
    }
}

impl Thresholds {
    /// Checks that every band is ordered and every share is in [0, 1).
    pub fn check(&self) -> Result<()> {
        self.completeness.check("thresholds.completeness")?;
        self.cronbach_alpha.check("thresholds.cronbach_alpha")?;
        self.reachable_share.check("thresholds.reachable_share")?;
        self.silhouette.check("thresholds.silhouette")?;
        self.stability.check("thresholds.stability")?;
        self.prediction_strength.check("thresholds.prediction_strength")?;
        if !(0.0..1.0).contains(&self.min_share) {
            return Err(Error::invalid_parameter(
                "thresholds.min_share",
                self.min_share,
                "a share in [0, 1)",
            ));
        }
        if !(self.medium_effect > 0.0 && self.medium_effect <= self.large_effect && self.large_effect < 1.0) {
            return Err(Error::invalid_parameter(
                "thresholds.medium_effect/large_effect",
                format!("{}/{}", self.medium_effect, self.large_effect),
                "0 < medium ≤ large < 1",
            ));
        }
        if !(self.marker_sd > 0.0 && self.marker_sd.is_finite()) {
            return Err(Error::invalid_parameter(
                "thresholds.marker_sd",
                self.marker_sd,
                "a positive number of standard deviations",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_judge_and_describe() {
        let band = Band::new(0.75, 0.6);
        assert_eq!(band.judge(0.8), Verdict::Pass);
        assert_eq!(band.judge(0.75), Verdict::Pass);
        assert_eq!(band.judge(0.7), Verdict::Warn);
        assert_eq!(band.judge(0.5), Verdict::Fail);
        assert_eq!(band.judge(f64::NAN), Verdict::NotAssessed);
        assert_eq!(band.describe(), "pass ≥ 0.75, fail < 0.6");
        assert_eq!(Band::new(0.8, 0.8).describe(), "pass ≥ 0.8");
        assert_eq!(Band::new(0.8, 0.8).judge(0.79), Verdict::Fail);
    }

    #[test]
    fn the_defaults_are_valid_and_survive_json() {
        let t = Thresholds::default();
        t.check().unwrap();
        let partial: Thresholds = serde_json::from_str(r#"{"min_share": 0.1}"#).unwrap();
        assert_eq!(partial.min_share, 0.1);
        assert_eq!(partial.stability, t.stability);
    }

    #[test]
    fn each_rule_is_enforced() {
        let bad = |edit: fn(&mut Thresholds)| {
            let mut t = Thresholds::default();
            edit(&mut t);
            t.check().unwrap_err().to_string()
        };
        assert!(bad(|t| t.stability = Band::new(0.5, 0.7)).contains("thresholds.stability"));
        assert!(bad(|t| t.silhouette.pass = f64::NAN).contains("thresholds.silhouette"));
        assert!(bad(|t| t.min_share = 1.0).contains("thresholds.min_share"));
        assert!(bad(|t| t.medium_effect = 0.2).contains("medium_effect"));
        assert!(bad(|t| t.marker_sd = 0.0).contains("marker_sd"));
        assert!(bad(|t| t.completeness = Band::new(0.5, 0.9)).contains("completeness"));
        assert!(bad(|t| t.cronbach_alpha = Band::new(0.5, 0.9)).contains("cronbach_alpha"));
        assert!(bad(|t| t.reachable_share = Band::new(0.1, 0.9)).contains("reachable_share"));
        assert!(bad(|t| t.prediction_strength = Band::new(0.1, 0.9)).contains("prediction_strength"));
    }
}
