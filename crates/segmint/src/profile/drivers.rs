//! Key drivers: the KPIs on which a segment differs most from the rest of
//! the base, measured by Cohen's d and said in words.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::vocabulary::kpi_words;
use super::{LevelRange, SegmentProfile};

/// Smallest |Cohen's d| that makes a KPI a key driver: Cohen's (1988) "medium" effect.
pub const DRIVER_MIN_EFFECT: f64 = 0.5;
/// From this |d| on the difference is called "very large" (Sawilowsky 2009).
const VERY_LARGE_EFFECT: f64 = 1.2;
/// Drivers shown per segment.
const MAX_DRIVERS: usize = 3;
/// A KPI correlated at least this much (|Pearson r|, customer level) with a
/// stronger driver says the same thing again (monetary beside CLV) and is skipped.
const REDUNDANT_CORRELATION: f64 = 0.8;

/// One KPI that sets a segment apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyDriver {
    /// Column name.
    pub kpi: String,
    /// The KPI's label (`AOV`).
    pub label: String,
    /// Cohen's d of the segment against the rest of the base.
    pub cohen_d: f64,
    /// The segment's level on the KPI.
    pub level: Option<LevelRange>,
    /// In words: `high AOV`, `long inactive`.
    pub phrase: String,
    /// With the size of the effect: `much higher AOV than the rest (d = 1.8)`.
    pub description: String,
}

/// Per-segment moments of one column, centred on the overall mean so that
/// the rest of the base is the total minus the segment.
pub(super) struct Moments {
    n: Vec<f64>,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Moments {
    pub(super) fn new(by_segment: &[Vec<f64>], centre: f64) -> Self {
        let mut m = Moments {
            n: Vec::new(),
            sum: Vec::new(),
            sum_sq: Vec::new(),
        };
        for values in by_segment {
            m.n.push(values.len() as f64);
            m.sum.push(values.iter().map(|v| v - centre).sum());
            m.sum_sq.push(values.iter().map(|v| (v - centre).powi(2)).sum());
        }
        m
    }

    /// Cohen's d of segment `s` against all other customers, with the pooled
    /// standard deviation; `None` without two customers on either side or
    /// when the pooled spread is 0.
    pub(super) fn cohen_d(&self, s: usize) -> Option<f64> {
        let total = |v: &[f64]| v.iter().sum::<f64>();
        let (n1, sum1, sq1) = (self.n[s], self.sum[s], self.sum_sq[s]);
        let (n2, sum2, sq2) = (total(&self.n) - n1, total(&self.sum) - sum1, total(&self.sum_sq) - sq1);
        if n1 < 1.0 || n2 < 1.0 || n1 + n2 < 3.0 {
            return None;
        }
        // Within-group sums of squared deviations.
        let ss1 = (sq1 - sum1 * sum1 / n1).max(0.0);
        let ss2 = (sq2 - sum2 * sum2 / n2).max(0.0);
        let pooled = ((ss1 + ss2) / (n1 + n2 - 2.0)).sqrt();
        (pooled > 0.0).then(|| (sum1 / n1 - sum2 / n2) / pooled)
    }
}

/// Chooses each segment's key drivers from its KPIs' Cohen's d.
pub(super) fn attach_key_drivers(profiles: &mut [SegmentProfile], values: ArrayView2<'_, f64>) {
    let candidates: Vec<usize> = (0..values.ncols())
        .filter(|&c| {
            profiles
                .iter()
                .any(|p| p.kpis[c].cohen_d.is_some_and(|d| d.abs() >= DRIVER_MIN_EFFECT))
        })
        .collect();
    let correlations = Correlations::new(values, &candidates);
    for profile in profiles {
        let mut ranked: Vec<(usize, f64)> = candidates
            .iter()
            .filter_map(|&c| profile.kpis[c].cohen_d.map(|d| (c, d)))
            .filter(|(_, d)| d.abs() >= DRIVER_MIN_EFFECT)
            .collect();
        ranked.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let mut chosen: Vec<usize> = Vec::new();
        for (c, _) in ranked {
            if chosen.len() == MAX_DRIVERS {
                break;
            }
            if chosen
                .iter()
                .all(|&o| correlations.get(o, c).abs() < REDUNDANT_CORRELATION)
            {
                chosen.push(c);
            }
        }
        profile.key_drivers = chosen.into_iter().map(|c| driver(profile, c)).collect();
    }
}

/// Rewrites each key driver of `profile` from its KPI's Cohen's d as it is
/// now (the KPIs chosen stay): after the d are taken over a whole base.
pub(super) fn refresh_key_drivers(profile: &mut SegmentProfile) {
    let columns: Vec<usize> = profile
        .key_drivers
        .iter()
        .filter_map(|k| profile.kpis.iter().position(|kpi| kpi.name == k.kpi))
        .collect();
    profile.key_drivers = columns.into_iter().map(|c| driver(profile, c)).collect();
}

fn driver(profile: &SegmentProfile, c: usize) -> KeyDriver {
    let kpi = &profile.kpis[c];
    let d = kpi.cohen_d.unwrap_or(0.0);
    let words = kpi_words(&kpi.name);
    let (phrase, comparative) = if d > 0.0 {
        (words.higher, "higher")
    } else {
        (words.lower, "lower")
    };
    let strength = if d.abs() >= VERY_LARGE_EFFECT { "much " } else { "" };
    KeyDriver {
        kpi: kpi.name.clone(),
        description: format!(
            "{strength}{comparative} {} than the rest of the base (d = {d:+.2})",
            words.label
        ),
        label: words.label,
        cohen_d: d,
        level: kpi.level_range,
        phrase,
    }
}

/// Pearson correlations among the candidate columns, over customers with
/// both values defined.
struct Correlations {
    columns: Vec<usize>,
    r: Vec<f64>,
}

impl Correlations {
    fn new(values: ArrayView2<'_, f64>, columns: &[usize]) -> Self {
        let m = columns.len();
        let pairs: Vec<(usize, usize)> = (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j))).collect();
        let upper: Vec<f64> = pairs
            .par_iter()
            .map(|&(i, j)| pearson(values.column(columns[i]), values.column(columns[j])))
            .collect();
        let mut r = vec![1.0; m * m];
        for (&(i, j), &v) in pairs.iter().zip(&upper) {
            r[i * m + j] = v;
            r[j * m + i] = v;
        }
        Correlations {
            columns: columns.to_vec(),
            r,
        }
    }

    fn get(&self, a: usize, b: usize) -> f64 {
        let m = self.columns.len();
        let at = |c| self.columns.iter().position(|&x| x == c);
        match (at(a), at(b)) {
            (Some(i), Some(j)) => self.r[i * m + j],
            _ => 0.0,
        }
    }
}

/// 0 when either column is constant over the shared rows (nothing to repeat).
fn pearson(x: ndarray::ArrayView1<'_, f64>, y: ndarray::ArrayView1<'_, f64>) -> f64 {
    let pairs = || x.iter().zip(y).filter(|(a, b)| a.is_finite() && b.is_finite());
    let n = pairs().count() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = pairs().fold((0.0, 0.0), |(sx, sy), (a, b)| (sx + a / n, sy + b / n));
    let (sxy, sxx, syy) = pairs().fold((0.0, 0.0, 0.0), |(sxy, sxx, syy), (a, b)| {
        let (dx, dy) = (a - mx, b - my);
        (sxy + dx * dy, sxx + dx * dx, syy + dy * dy)
    });
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use crate::data::CustomerTable;
    use crate::profile::profile_segments;
    use ndarray::Array2;

    #[test]
    fn a_duplicate_column_is_not_a_second_driver() {
        // monetary and clv say the same; recency is independent and weaker.
        let rows: Vec<[f64; 3]> = (0..40)
            .map(|i| {
                let high = i >= 20;
                let spend = if high { 100.0 } else { 10.0 } + f64::from(i % 5);
                [spend, 2.0 * spend, if high { 5.0 } else { 8.0 } + f64::from(i % 7)]
            })
            .collect();
        let table = CustomerTable::new(
            (0..40).map(|i| format!("c{i}")).collect(),
            vec!["monetary".into(), "clv".into(), "recency_days".into()],
            Array2::from_shape_vec((40, 3), rows.concat()).unwrap(),
        )
        .unwrap();
        let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
        let p = profile_segments(&table, &labels, 2).unwrap();
        let kpis: Vec<&str> = p[1].key_drivers.iter().map(|d| d.kpi.as_str()).collect();
        assert_eq!(kpis, ["monetary", "recency_days"]);
        assert_eq!(p[1].key_drivers[1].phrase, "recently active");
        assert!(p[1].key_drivers[0].description.starts_with("much higher revenue"));
    }
}
