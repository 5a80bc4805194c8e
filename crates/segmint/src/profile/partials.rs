//! Profiles of a customer base too large for one machine: each part of the
//! base gives the per-segment counts and moments of every profiled column,
//! the parts merge in a fixed order, and the merged moments give the sizes,
//! shares, means, indices and Cohen's d of the whole base. Medians, quartiles
//! and levels have no such exact merge; they stay those of the profiled sample.

use serde::{Deserialize, Serialize};

use super::SegmentProfile;
use crate::data::CustomerTable;
use crate::error::{Error, Result};

/// Count, mean and sum of squared deviations of a column's defined values,
/// merged by Chan, Golub & LeVeque's update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunningMoments {
    /// Defined (finite) values.
    pub n: u64,
    /// Their mean (0 without values).
    pub mean: f64,
    /// Σ (v − mean)².
    pub m2: f64,
}

impl RunningMoments {
    fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return RunningMoments::default();
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let m2 = values.iter().map(|v| (v - mean).powi(2)).sum();
        RunningMoments {
            n: values.len() as u64,
            mean,
            m2,
        }
    }

    /// The moments of both sets of values together.
    pub fn merge(self, other: RunningMoments) -> RunningMoments {
        if other.n == 0 {
            return self;
        }
        if self.n == 0 {
            return other;
        }
        let (a, b) = (self.n as f64, other.n as f64);
        let n = a + b;
        let delta = other.mean - self.mean;
        RunningMoments {
            n: self.n + other.n,
            mean: self.mean + delta * b / n,
            m2: self.m2 + other.m2 + delta * delta * a * b / n,
        }
    }

    fn sum(self) -> f64 {
        self.n as f64 * self.mean
    }

    fn mean(self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Cohen's d of `self` against `rest` with the pooled standard deviation,
    /// as [`profile_segments`](super::profile_segments) computes it.
    fn cohen_d(self, rest: RunningMoments) -> Option<f64> {
        let (n1, n2) = (self.n as f64, rest.n as f64);
        if n1 < 1.0 || n2 < 1.0 || n1 + n2 < 3.0 {
            return None;
        }
        let pooled = ((self.m2 + rest.m2) / (n1 + n2 - 2.0)).sqrt();
        (pooled > 0.0).then(|| (self.mean - rest.mean) / pooled)
    }
}

/// The per-segment sums of one part of a customer base: its size and the
/// moments of every profiled column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilePartials {
    /// The profiled columns.
    pub columns: Vec<String>,
    /// Customers of each segment.
    pub sizes: Vec<u64>,
    /// Per column, per segment: the moments of its defined values.
    pub moments: Vec<Vec<RunningMoments>>,
}

impl ProfilePartials {
    /// The partials of the customers of `table`, whose rows are labelled by `labels`.
    pub fn of(table: &CustomerTable, labels: &[usize], n_segments: usize) -> Result<Self> {
        super::check_labels(table, labels, n_segments)?;
        let mut sizes = vec![0u64; n_segments];
        labels.iter().for_each(|&l| sizes[l] += 1);
        let values = table.values();
        let moments = values
            .columns()
            .into_iter()
            .map(|column| {
                let mut by_segment = vec![Vec::new(); n_segments];
                for (&v, &l) in column.iter().zip(labels) {
                    if v.is_finite() {
                        by_segment[l].push(v);
                    }
                }
                by_segment.iter().map(|v| RunningMoments::of(v)).collect()
            })
            .collect();
        Ok(ProfilePartials {
            columns: table.column_names().to_vec(),
            sizes,
            moments,
        })
    }

    /// Adds the partials of another part of the same segmentation.
    pub fn merge(&mut self, other: &ProfilePartials) -> Result<()> {
        if other.columns != self.columns || other.sizes.len() != self.sizes.len() {
            return Err(Error::ShapeMismatch {
                what: "profile partials to merge (columns and segments)".into(),
                expected: format!("{} segments of {}", self.sizes.len(), self.columns.join(", ")),
                found: format!("{} segments of {}", other.sizes.len(), other.columns.join(", ")),
            });
        }
        self.sizes.iter_mut().zip(&other.sizes).for_each(|(a, b)| *a += b);
        for (mine, theirs) in self.moments.iter_mut().zip(&other.moments) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.merge(*b);
            }
        }
        Ok(())
    }

    /// Customers of every segment.
    pub fn n_customers(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Sets the size, share, revenue and CLV shares, and each KPI's mean,
    /// index and Cohen's d of `profiles` (those of a sample of the base) to
    /// the values of the whole base; the key drivers (the same KPIs) are
    /// described with the whole base's Cohen's d.
    pub fn apply(&self, profiles: &mut [SegmentProfile]) -> Result<()> {
        if profiles.len() != self.sizes.len() {
            return Err(Error::ShapeMismatch {
                what: "profiles (one per segment of the partials)".into(),
                expected: self.sizes.len().to_string(),
                found: profiles.len().to_string(),
            });
        }
        let total = self.n_customers().max(1) as f64;
        let share_of = |column: &str| -> Option<Vec<f64>> {
            let c = self.columns.iter().position(|n| n == column)?;
            let sums: Vec<f64> = self.moments[c].iter().map(|m| m.sum()).collect();
            let whole: f64 = sums.iter().sum();
            (whole > 0.0).then(|| sums.iter().map(|s| s / whole).collect())
        };
        let (revenue, clv) = (share_of("monetary"), share_of("clv"));
        for (s, profile) in profiles.iter_mut().enumerate() {
            profile.size = self.sizes[s] as usize;
            profile.share = self.sizes[s] as f64 / total;
            profile.revenue_share = revenue.as_ref().map(|r| r[s]);
            profile.clv_share = clv.as_ref().map(|r| r[s]);
            for kpi in &mut profile.kpis {
                let Some(c) = self.columns.iter().position(|n| *n == kpi.name) else {
                    continue;
                };
                let segments = &self.moments[c];
                let rest = segments
                    .iter()
                    .enumerate()
                    .filter(|&(other, _)| other != s)
                    .fold(RunningMoments::default(), |acc, (_, m)| acc.merge(*m));
                let overall = rest.merge(segments[s]).mean;
                kpi.mean = segments[s].mean();
                kpi.index = kpi.mean.filter(|_| overall != 0.0).map(|m| m / overall * 100.0);
                kpi.cohen_d = segments[s].cohen_d(rest);
            }
            super::drivers::refresh_key_drivers(profile);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::profile_segments;
    use approx::assert_relative_eq;
    use ndarray::Array2;

    fn table(n: usize) -> (CustomerTable, Vec<usize>) {
        let values = Array2::from_shape_fn((n, 3), |(i, j)| match j {
            0 => (i * 37 % 101) as f64,
            1 if i % 7 == 0 => f64::NAN,
            1 => (i % 13) as f64 - 4.0,
            _ => ((i * 11) % 17) as f64 * 0.5,
        });
        let ids = (0..n).map(|i| format!("c{i}")).collect();
        let columns = vec!["monetary".into(), "gap".into(), "clv".into()];
        let labels = (0..n).map(|i| (i * 7 + i / 5) % 3).collect();
        (CustomerTable::new(ids, columns, values).unwrap(), labels)
    }

    #[test]
    fn merged_parts_give_the_profiles_of_the_whole_base() {
        let (whole, labels) = table(500);
        let mut profiles = profile_segments(&whole, &labels, 3).unwrap();
        let expected = profiles.clone();
        let mut merged: Option<ProfilePartials> = None;
        for (start, end) in [(0, 120), (120, 121), (121, 500)] {
            let part = CustomerTable::new(
                whole.ids()[start..end].to_vec(),
                whole.column_names().to_vec(),
                whole.values().slice(ndarray::s![start..end, ..]).to_owned(),
            )
            .unwrap();
            let partials = ProfilePartials::of(&part, &labels[start..end], 3).unwrap();
            match &mut merged {
                Some(m) => m.merge(&partials).unwrap(),
                None => merged = Some(partials),
            }
        }
        let merged = merged.unwrap();
        assert_eq!(merged.n_customers(), 500);
        for p in &mut profiles {
            p.size = 0;
            p.share = 0.0;
            for kpi in &mut p.kpis {
                (kpi.mean, kpi.index, kpi.cohen_d) = (None, None, None);
            }
        }
        merged.apply(&mut profiles).unwrap();
        for (got, want) in profiles.iter().zip(&expected) {
            assert_eq!(got.size, want.size);
            assert_relative_eq!(got.share, want.share, max_relative = 1e-12);
            assert_relative_eq!(
                got.revenue_share.unwrap(),
                want.revenue_share.unwrap(),
                max_relative = 1e-12
            );
            assert_relative_eq!(got.clv_share.unwrap(), want.clv_share.unwrap(), max_relative = 1e-12);
            for (g, w) in got.kpis.iter().zip(&want.kpis) {
                assert_relative_eq!(g.mean.unwrap(), w.mean.unwrap(), max_relative = 1e-12);
                assert_relative_eq!(g.index.unwrap(), w.index.unwrap(), max_relative = 1e-12);
                assert_relative_eq!(g.cohen_d.unwrap(), w.cohen_d.unwrap(), max_relative = 1e-9);
                assert_eq!(g.median, w.median, "what has no exact merge is left as it was");
            }
        }
    }

    #[test]
    fn parts_of_other_segmentations_do_not_merge() {
        let (whole, labels) = table(40);
        let mut a = ProfilePartials::of(&whole, &labels, 3).unwrap();
        let b = ProfilePartials::of(&whole, &labels, 4).unwrap();
        let error = a.merge(&b).unwrap_err();
        assert!(error.to_string().contains("profile partials to merge"), "{error}");
        assert!(ProfilePartials::of(&whole, &labels[1..], 3).is_err());
    }
}
