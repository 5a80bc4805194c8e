//! What describes the segments: the numeric columns profiled as KPIs, the
//! columns described by composition, the snake plot's points, and how the
//! basis was prepared.

use crate::cluster::Segments;
use crate::data::{Attributes, CustomerTable};
use crate::error::Result;
use crate::preprocess::{BasisPreparation, PreparedBasis};
use crate::report::{BasisSummary, FeatureSummary};

use super::join::{Joined, Origin};

/// Most distinct values a categorical column may have to describe segments
/// by its composition (as many as a categorical basis column may have).
pub const MAX_DESCRIBED_LEVELS: usize = 50;

/// The rows `rows` of a table.
pub(super) fn subset(table: &Attributes, rows: &[usize]) -> Attributes {
    let pick = |values: &[f64]| rows.iter().map(|&r| values[r]).collect();
    Attributes {
        ids: rows.iter().map(|&r| table.ids[r].clone()).collect(),
        numeric: table.numeric.iter().map(|(n, v)| (n.clone(), pick(v))).collect(),
        categorical: table
            .categorical
            .iter()
            .map(|(n, v)| (n.clone(), rows.iter().map(|&r| v[r].clone()).collect()))
            .collect(),
    }
}

/// The numeric columns profiled as KPIs: every numeric column of every
/// source (behavioural features, customer-table columns, survey items and
/// factor scores), basis or not.
pub(super) fn profiled_table(kept: &Attributes) -> Result<CustomerTable> {
    CustomerTable::from_columns(kept.ids.clone(), kept.numeric.clone())
}

/// The columns described by composition: every categorical column of at
/// most [`MAX_DESCRIBED_LEVELS`] levels (a date or free text kept as text
/// is noted and left out), and beside a log the numeric columns of the
/// customer table outside the basis, whose means say who the segment's
/// customers are beside their KPI rows.
pub(super) fn described_table(
    kept: &Attributes,
    joined: &Joined,
    has_log: bool,
    notes: &mut Vec<String>,
) -> Attributes {
    let numeric_described = |name: &str| {
        has_log && joined.origin.get(name) == Some(&Origin::Customers) && !joined.basis.iter().any(|b| b == name)
    };
    let mut categorical = Vec::new();
    for (name, values) in &kept.categorical {
        let levels: std::collections::HashSet<&str> = values.iter().map(String::as_str).collect();
        if levels.len() > MAX_DESCRIBED_LEVELS {
            notes.push(format!(
                "{name}: {} distinct values, too many to describe the segments by (at most {MAX_DESCRIBED_LEVELS})",
                levels.len()
            ));
        } else {
            categorical.push((name.clone(), values.clone()));
        }
    }
    Attributes {
        ids: kept.ids.clone(),
        numeric: kept
            .numeric
            .iter()
            .filter(|(n, _)| numeric_described(n))
            .cloned()
            .collect(),
        categorical,
    }
}

/// The snake plot's point of each segment in the clustered (encoded)
/// space: the model's centres where they span it (k-means, GMM, Ward),
/// else the segment means of the encoded rows (k-prototypes keeps modes,
/// not one-hot centres).
pub(super) fn snake_points(segments: &Segments, encoded: ndarray::ArrayView2<'_, f64>) -> ndarray::Array2<f64> {
    let centres = segments.centres();
    if centres.ncols() == encoded.ncols() {
        return centres;
    }
    let labels = segments.labels();
    let mut sums = ndarray::Array2::<f64>::zeros((segments.n_segments(), encoded.ncols()));
    let mut counts = vec![0.0; segments.n_segments()];
    for (row, &l) in encoded.rows().into_iter().zip(&labels) {
        let mut sum = sums.row_mut(l);
        sum += &row;
        counts[l] += 1.0;
    }
    for (mut sum, n) in sums.rows_mut().into_iter().zip(counts) {
        sum /= f64::max(n, 1.0);
    }
    sums
}

/// How the basis was prepared, for the report.
pub(super) fn feature_summary(
    preparation: &BasisPreparation,
    prepared: &PreparedBasis,
    mut notes: Vec<String>,
) -> FeatureSummary {
    if !prepared.dropped.is_empty() {
        let mut by_column: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for d in &prepared.dropped {
            *by_column.entry(d.column.as_str()).or_default() += 1;
        }
        let counts: Vec<String> = by_column.iter().map(|(c, n)| format!("{n} without {c}")).collect();
        let examples: Vec<&str> = prepared.dropped.iter().take(5).map(|d| d.id.as_str()).collect();
        notes.push(format!(
            "{} customers left out for a missing basis value ({}), e.g. {}",
            prepared.dropped.len(),
            counts.join(", "),
            examples.join(", ")
        ));
    }
    for (column, n) in &prepared.imputed {
        notes.push(format!("{column}: {n} missing values imputed"));
    }
    FeatureSummary {
        columns: preparation.encoded_names(),
        log_transformed: preparation
            .numeric
            .iter()
            .filter(|c| c.log)
            .map(|c| c.name.clone())
            .collect(),
        standardised: true,
        notes,
        basis: Some(BasisSummary {
            numeric: preparation.numeric.iter().map(|c| c.name.clone()).collect(),
            categorical: preparation.categorical.iter().map(|c| c.name.clone()).collect(),
            missing: preparation.missing,
            imputed: prepared.imputed.clone(),
            dropped_customers: prepared.dropped.len(),
        }),
    }
}
