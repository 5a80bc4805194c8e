//! Segment profiles: size, share and the KPIs of each segment against the whole base.

use serde::{Deserialize, Serialize};

use crate::data::CustomerTable;
use crate::error::{Error, Result};

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
}

/// What one segment looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Segment number (the cluster label).
    pub segment: usize,
    /// Number of customers.
    pub size: usize,
    /// Share of all customers.
    pub share: f64,
    /// Share of net revenue (`monetary` column), when the table has it and
    /// total revenue is positive.
    pub revenue_share: Option<f64>,
    /// Every column of the table, summarised.
    pub kpis: Vec<KpiSummary>,
}

/// Profiles `n_segments` segments of the customers in `table`, whose rows are
/// labelled by `labels`.
pub fn profile_segments(table: &CustomerTable, labels: &[usize], n_segments: usize) -> Result<Vec<SegmentProfile>> {
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
    let values = table.values();
    let n_cols = values.ncols();
    let mut sizes = vec![0usize; n_segments];
    // Undefined values (NaN, e.g. the gap between orders of a one-order customer) are left out of means.
    let mut sums = vec![vec![0.0; n_cols]; n_segments];
    let mut counts = vec![vec![0usize; n_cols]; n_segments];
    for (row, &label) in values.rows().into_iter().zip(labels) {
        sizes[label] += 1;
        for (c, &v) in row.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            sums[label][c] += v;
            counts[label][c] += 1;
        }
    }
    let overall: Vec<f64> = (0..n_cols)
        .map(|c| {
            let count: usize = counts.iter().map(|k| k[c]).sum();
            sums.iter().map(|s| s[c]).sum::<f64>() / count.max(1) as f64
        })
        .collect();
    let revenue = table.column_index("monetary").ok();
    let total_revenue = revenue.map_or(0.0, |c| sums.iter().map(|s| s[c]).sum());
    Ok((0..n_segments)
        .map(|s| {
            let size = sizes[s];
            let mean = |c: usize| (counts[s][c] > 0).then(|| sums[s][c] / counts[s][c] as f64);
            SegmentProfile {
                segment: s,
                size,
                share: size as f64 / n as f64,
                revenue_share: revenue
                    .filter(|_| total_revenue > 0.0)
                    .map(|c| sums[s][c] / total_revenue),
                kpis: table
                    .column_names()
                    .iter()
                    .enumerate()
                    .map(|(c, name)| KpiSummary {
                        name: name.clone(),
                        mean: mean(c),
                        index: mean(c).filter(|_| overall[c] != 0.0).map(|m| m / overall[c] * 100.0),
                    })
                    .collect(),
            }
        })
        .collect())
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
    }

    #[test]
    fn labels_must_fit_the_table() {
        let table = CustomerTable::new(vec!["a".into()], vec!["x".into()], array![[1.0]]).unwrap();
        assert!(profile_segments(&table, &[0, 1], 2).is_err());
        assert!(profile_segments(&table, &[3], 2).is_err());
    }
}
