//! Segment profiles: size, share and the KPIs of each segment against the
//! whole base — mean, median, quartiles, index, level — the key drivers that
//! set each segment apart, and (in [`archetype`]) the archetype it matches.

pub mod archetype;
mod composition;
mod drivers;
mod levels;
mod matching;
mod partials;
mod vocabulary;

use ndarray::ArrayView1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::CustomerTable;
use crate::error::{Error, Result};

pub use archetype::{Archetype, Catalogue, Strategy};
pub use composition::{Composition, MARKER_ABSOLUTE, MARKER_MIN_SHARE, MARKER_RELATIVE, segment_composition};
pub use drivers::{DRIVER_MIN_EFFECT, KeyDriver};
pub use levels::{Level, LevelRange};
pub use matching::{ArchetypeMatch, Confidence, NamingOptions, name_segments};
pub use partials::{ProfilePartials, RunningMoments};
pub(crate) use vocabulary::capitalised;
pub use vocabulary::{KpiWords, higher_is_better, kpi_words};

use levels::{BaseDistribution, quantile};

/// One KPI of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiSummary {
    /// KPI (column) name.
    pub name: String,
    /// Mean over the segment's customers with a defined value; `None` when
    /// no customer of the segment has one (e.g. gaps between orders of one-order customers).
    pub mean: Option<f64>,
    /// Segment mean / overall mean × 100; `None` when the overall mean is 0.
    pub index: Option<f64>,
    /// Median of the segment's defined values.
    #[serde(default)]
    pub median: Option<f64>,
    /// First quartile (linear interpolation, numpy's default).
    #[serde(default)]
    pub q1: Option<f64>,
    /// Third quartile.
    #[serde(default)]
    pub q3: Option<f64>,
    /// Where the segment median sits in the whole base: its mid-rank percentile in [0, 1].
    #[serde(default)]
    pub percentile: Option<f64>,
    /// The base quartile band of the segment median.
    #[serde(default)]
    pub level: Option<Level>,
    /// The bands of the segment's first and third quartiles: the middle half
    /// of the segment spans them (`Low to Moderate`).
    #[serde(default)]
    pub level_range: Option<LevelRange>,
    /// Cohen's d of the segment against the rest of the base (pooled sd).
    #[serde(default)]
    pub cohen_d: Option<f64>,
    /// Whether a higher value is better for the business (`None`: neither,
    /// for columns segmint does not know); the dashboard colours levels by it.
    #[serde(default)]
    pub higher_is_better: Option<bool>,
}

impl KpiSummary {
    /// The level in words: the median's band, or the range of bands when the
    /// middle half of the segment spans more than one.
    pub fn level_label(&self) -> Option<String> {
        match (self.level, self.level_range) {
            (_, Some(range)) if range.from != range.to => Some(range.label()),
            (Some(level), _) => Some(level.label().into()),
            _ => None,
        }
    }
}

/// What one segment looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Segment number (the cluster label).
    pub segment: usize,
    /// Display name: the matched archetype, or a description from the key
    /// drivers (`Segment 3` until [`name_segments`] runs).
    #[serde(default)]
    pub name: String,
    /// Number of customers.
    pub size: usize,
    /// Share of all customers.
    pub share: f64,
    /// Share of net revenue (`monetary` column), when the table has it and
    /// total revenue is positive.
    pub revenue_share: Option<f64>,
    /// Share of customer lifetime value (`clv` column), when the table has it
    /// and the total is positive.
    #[serde(default)]
    pub clv_share: Option<f64>,
    /// Every column of the table, summarised.
    pub kpis: Vec<KpiSummary>,
    /// The KPIs that set the segment apart most (largest |Cohen's d|, at
    /// least [`DRIVER_MIN_EFFECT`], near-duplicates left out), strongest first.
    #[serde(default)]
    pub key_drivers: Vec<KeyDriver>,
    /// Mean of each clustered (standardised) feature, in the order of the
    /// report's feature columns: the points of the snake plot.
    #[serde(default)]
    pub centroid: Vec<f64>,
    /// The archetype matched in each catalogue, in catalogue order.
    #[serde(default)]
    pub archetypes: Vec<ArchetypeMatch>,
    /// Demographic and geographic make-up, when a customers table was joined.
    #[serde(default)]
    pub composition: Vec<Composition>,
}

impl SegmentProfile {
    /// The summary of one KPI, by column name.
    pub fn kpi(&self, name: &str) -> Option<&KpiSummary> {
        self.kpis.iter().find(|k| k.name == name)
    }

    /// The archetype whose playbook serves the segment: the first catalogue's
    /// match, else the next catalogue's; `no matching archetype` without one.
    pub fn playbook_name(&self) -> &str {
        self.archetypes
            .iter()
            .find_map(|m| m.archetype.as_deref())
            .unwrap_or("no matching archetype")
    }

    /// The primary archetype (first catalogue) when one was matched.
    pub fn archetype(&self) -> Option<&ArchetypeMatch> {
        self.archetypes.first().filter(|m| m.archetype.is_some())
    }
}

/// Profiles `n_segments` segments of the customers in `table`, whose rows are
/// labelled by `labels`.
pub fn profile_segments(table: &CustomerTable, labels: &[usize], n_segments: usize) -> Result<Vec<SegmentProfile>> {
    check_labels(table, labels, n_segments)?;
    let n = table.n_customers();
    let mut sizes = vec![0usize; n_segments];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let values = table.values();
    // Column by column: [segment][column] summaries and each segment's total.
    let columns: Vec<ColumnSummary> = (0..values.ncols())
        .into_par_iter()
        .map(|c| ColumnSummary::new(values.column(c), labels, n_segments))
        .collect();
    let share_of = |column: &str| {
        let c = table.column_index(column).ok()?;
        let total: f64 = columns[c].totals.iter().sum();
        (total > 0.0).then(|| columns[c].totals.iter().map(|t| t / total).collect::<Vec<_>>())
    };
    let (revenue, clv) = (share_of("monetary"), share_of("clv"));
    let mut profiles: Vec<SegmentProfile> = (0..n_segments)
        .map(|s| SegmentProfile {
            segment: s,
            name: format!("Segment {s}"),
            size: sizes[s],
            share: sizes[s] as f64 / n as f64,
            revenue_share: revenue.as_ref().map(|r| r[s]),
            clv_share: clv.as_ref().map(|v| v[s]),
            kpis: table
                .column_names()
                .iter()
                .zip(&columns)
                .map(|(name, column)| KpiSummary {
                    name: name.clone(),
                    higher_is_better: higher_is_better(name),
                    ..column.segments[s].clone()
                })
                .collect(),
            key_drivers: Vec::new(),
            centroid: Vec::new(),
            archetypes: Vec::new(),
            composition: Vec::new(),
        })
        .collect();
    drivers::attach_key_drivers(&mut profiles, values);
    Ok(profiles)
}

/// One label per customer of `table`, each below `n_segments`.
fn check_labels(table: &CustomerTable, labels: &[usize], n_segments: usize) -> Result<()> {
    let n = table.n_customers();
    if labels.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels (one per customer)".into(),
            expected: n.to_string(),
            found: labels.len().to_string(),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= n_segments) {
        return Err(Error::invalid_parameter(
            "labels",
            bad,
            format!("labels below n_segments={n_segments}"),
        ));
    }
    Ok(())
}

/// One column's summaries for every segment.
struct ColumnSummary {
    /// Per segment, with an empty name (set by the caller).
    segments: Vec<KpiSummary>,
    /// Σ of the segment's defined values.
    totals: Vec<f64>,
}

impl ColumnSummary {
    fn new(column: ArrayView1<'_, f64>, labels: &[usize], n_segments: usize) -> Self {
        let base = BaseDistribution::new(column.iter().copied());
        let mut by_segment = vec![Vec::new(); n_segments];
        for (&v, &l) in column.iter().zip(labels) {
            if v.is_finite() {
                by_segment[l].push(v);
            }
        }
        let totals: Vec<f64> = by_segment.iter().map(|v| v.iter().sum()).collect();
        let n_all: usize = by_segment.iter().map(Vec::len).sum();
        let overall = totals.iter().sum::<f64>() / n_all.max(1) as f64;
        let moments = drivers::Moments::new(&by_segment, overall);
        let segments = by_segment
            .into_iter()
            .enumerate()
            .map(|(s, mut values)| {
                values.sort_by(f64::total_cmp);
                let mean = (!values.is_empty()).then(|| totals[s] / values.len() as f64);
                let (q1, median, q3) = (quantile(&values, 0.25), quantile(&values, 0.5), quantile(&values, 0.75));
                let percentile = median.and_then(|m| base.percentile(m));
                let band = |q: Option<f64>| q.and_then(|q| base.percentile(q)).map(Level::of_percentile);
                KpiSummary {
                    name: String::new(),
                    mean,
                    index: mean.filter(|_| overall != 0.0).map(|m| m / overall * 100.0),
                    median,
                    q1,
                    q3,
                    percentile,
                    level: percentile.map(Level::of_percentile),
                    level_range: band(q1).zip(band(q3)).map(|(a, b)| LevelRange::new(a, b)),
                    cohen_d: moments.cohen_d(s),
                    higher_is_better: None,
                }
            })
            .collect();
        ColumnSummary { segments, totals }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn sizes_shares_means_and_indices() {
        let table = CustomerTable::new(
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec!["monetary".into(), "frequency".into()],
            array![[10.0, 1.0], [30.0, 3.0], [60.0, 2.0], [0.0, 2.0]],
        )
        .unwrap();
        let p = profile_segments(&table, &[0, 0, 1, 1], 2).unwrap();
        assert_eq!((p[0].size, p[1].size), (2, 2));
        assert_abs_diff_eq!(p[0].share, 0.5);
        assert_abs_diff_eq!(p[0].revenue_share.unwrap(), 0.4);
        assert_abs_diff_eq!(p[1].kpis[0].mean.unwrap(), 30.0);
        assert_abs_diff_eq!(p[1].kpis[0].index.unwrap(), 120.0);
        assert_abs_diff_eq!(p[0].kpis[1].index.unwrap(), 100.0);
        assert_eq!(p[0].clv_share, None);
        assert_eq!(p[1].name, "Segment 1");
    }

    #[test]
    fn undefined_values_are_left_out_and_an_all_undefined_mean_is_none() {
        let table = CustomerTable::new(
            vec!["a".into(), "b".into(), "c".into()],
            vec!["gap_days".into()],
            array![[f64::NAN], [10.0], [f64::NAN]],
        )
        .unwrap();
        let p = profile_segments(&table, &[0, 0, 1], 2).unwrap();
        assert_eq!(p[0].kpis[0].mean, Some(10.0));
        assert_eq!(p[0].kpis[0].index, Some(100.0));
        assert_eq!((p[1].kpis[0].mean, p[1].kpis[0].index), (None, None));
        assert_eq!((p[1].kpis[0].median, p[1].kpis[0].level), (None, None));
    }

    #[test]
    fn medians_quartiles_levels_and_effect_sizes() {
        // Segment 0 holds the four lowest of eight values, segment 1 the four highest.
        let values: Vec<f64> = (1..=8).map(f64::from).collect();
        let table = CustomerTable::new(
            (0..8).map(|i| format!("c{i}")).collect(),
            vec!["clv".into()],
            ndarray::Array2::from_shape_vec((8, 1), values).unwrap(),
        )
        .unwrap();
        let p = profile_segments(&table, &[0, 0, 0, 0, 1, 1, 1, 1], 2).unwrap();
        let low = &p[0].kpis[0];
        assert_eq!((low.q1, low.median, low.q3), (Some(1.75), Some(2.5), Some(3.25)));
        // 2.5 lies above two of eight values: percentile 0.25, the Moderate band.
        assert_eq!(low.percentile, Some(0.25));
        assert_eq!(low.level, Some(Level::Moderate));
        assert_eq!(low.level_label().as_deref(), Some("Low to Moderate"));
        assert_eq!(p[1].kpis[0].level, Some(Level::VeryHigh));
        // Means 2.5 and 6.5, each sample variance 5/3: d = −4 / √(5/3).
        assert_abs_diff_eq!(low.cohen_d.unwrap(), -4.0 / (5.0f64 / 3.0).sqrt(), epsilon = 1e-12);
        assert_abs_diff_eq!(p[1].clv_share.unwrap(), 26.0 / 36.0, epsilon = 1e-12);
        assert_eq!(p[1].key_drivers[0].phrase, "high CLV");
    }

    #[test]
    fn labels_must_fit_the_table() {
        let table = CustomerTable::new(vec!["a".into()], vec!["x".into()], array![[1.0]]).unwrap();
        assert!(profile_segments(&table, &[0, 1], 2).is_err());
        assert!(profile_segments(&table, &[3], 2).is_err());
    }
}
