//! A customer base too large to segment on one machine: the segmentation is
//! fitted on a seeded sample of it, each part of the base is placed with the
//! fitted model and summed per segment, and the report's profiles are taken
//! over the whole base from the merged sums.

use super::describe::{profiled_table, subset};
use super::model::Placement;
use super::{CustomerData, SegmentationModel};
use crate::error::Result;
use crate::profile::ProfilePartials;
use crate::report::SegmentReport;

impl SegmentationModel {
    /// Places the customers of one part of a large base, as
    /// [`score`](Self::score) does, and sums their profiled columns per
    /// segment for [`profile_whole_base`]. A part none of whose customers
    /// can be placed gives no partials.
    pub fn profile_part(&self, data: CustomerData<'_>, as_of: Option<i64>) -> Result<PlacedPart> {
        match self.place(data, as_of)? {
            Placement::Placed(placed) => {
                let kept = profiled_table(&subset(&placed.table, &placed.rows))?;
                let partials = ProfilePartials::of(&kept, &placed.scores.segments, self.names.len())?;
                Ok(PlacedPart {
                    ids: placed.scores.ids,
                    segments: placed.scores.segments,
                    unplaced: placed.scores.unplaced.len(),
                    partials: Some(partials),
                })
            }
            Placement::NonePlaced(dropped) => Ok(PlacedPart {
                ids: Vec::new(),
                segments: Vec::new(),
                unplaced: dropped.len(),
                partials: None,
            }),
        }
    }
}

/// The customers of one part of a base, placed, and their per-segment sums.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedPart {
    /// Ids of the customers placed.
    pub ids: Vec<String>,
    /// The segment of each.
    pub segments: Vec<usize>,
    /// Customers left out for lack of a basis value.
    pub unplaced: usize,
    /// The sums of the placed customers' profiled columns (`None`: none placed).
    pub partials: Option<ProfilePartials>,
}

/// Takes the sizes, shares, means, indices and Cohen's d of `report`, the
/// report of a segmentation fitted on a sample, over the whole base from
/// `partials` (the merged sums of its parts), where `unplaced` customers
/// lacked a basis value, and says so in the report's notes.
pub fn profile_whole_base(report: &mut SegmentReport, partials: &ProfilePartials, unplaced: usize) -> Result<()> {
    partials.apply(&mut report.segments)?;
    let sampled = report.data.n_customers;
    report.data.n_customers = partials.n_customers() as usize;
    report.features.notes.push(format!(
        "fitted on the {sampled} customers of a seeded sample, then all {placed} customers with a basis value \
         placed with the model ({unplaced} lacked one): sizes, shares, means, indices and Cohen's d are those \
         of all placed customers; medians, quartiles, levels, the choice of key drivers, names, make-up, the \
         choice of k and the scorecard are the sample's",
        placed = report.data.n_customers,
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CustomerTable;
    use crate::features::{
        FeatureOptions, Period, PredictiveModels, PredictiveOptions, RfmSummary, Sources, SummaryOptions,
        customer_features, rfm_summary,
    };
    use crate::pipeline::{AggregatedLog, Segmentation};
    use crate::synth::{SynthParams, generate};
    use approx::assert_relative_eq;

    /// The rows of `table` and `summary` whose customers `keep` picks.
    fn part(table: &CustomerTable, summary: &RfmSummary, keep: impl Fn(usize) -> bool) -> (CustomerTable, RfmSummary) {
        let rows: Vec<usize> = (0..table.n_customers()).filter(|&r| keep(r)).collect();
        let ids: Vec<String> = rows.iter().map(|&r| table.ids()[r].clone()).collect();
        let features = CustomerTable::new(
            ids.clone(),
            table.column_names().to_vec(),
            table.values().select(ndarray::Axis(0), &rows),
        )
        .unwrap();
        let wanted: std::collections::HashSet<&String> = ids.iter().collect();
        let pick: Vec<usize> = (0..summary.ids.len())
            .filter(|&i| wanted.contains(&summary.ids[i]))
            .collect();
        let take = |v: &[f64]| pick.iter().map(|&i| v[i]).collect();
        let daily = RfmSummary {
            ids: pick.iter().map(|&i| summary.ids[i].clone()).collect(),
            frequency: take(&summary.frequency),
            recency: take(&summary.recency),
            t: take(&summary.t),
            monetary_value: take(&summary.monetary_value),
        };
        (features, daily)
    }

    fn data(aggregated: AggregatedLog<'_>) -> CustomerData<'_> {
        CustomerData {
            aggregated: Some(aggregated),
            ..CustomerData::default()
        }
    }

    #[test]
    fn the_parts_of_a_base_give_the_profiles_of_the_whole() {
        let base = generate(&SynthParams::new(1_200, 11)).unwrap();
        let sources = Sources {
            customers: None,
            ..base.sources()
        };
        let features = customer_features(&base.transactions, &FeatureOptions::default(), sources).unwrap();
        let daily_options = SummaryOptions {
            period: Period::Day,
            multiplier: 1.0,
            observation_end: None,
        };
        let summary = rfm_summary(&base.transactions, &daily_options).unwrap();
        let models = PredictiveModels::fit(&summary, &PredictiveOptions::default()).unwrap();
        let whole = AggregatedLog {
            features: &features,
            daily_summary: &summary,
            span: base.transactions.time_span().unwrap(),
            n_transactions: base.transactions.len(),
            predictive: Some(&models),
        };
        let fitted = Segmentation::new().seed(5).k(4).fit_data(data(whole)).unwrap();
        let mut merged: Option<ProfilePartials> = None;
        for parity in [0, 1] {
            let (features, daily) = part(&features, &summary, |r| r % 2 == parity);
            let aggregated = AggregatedLog {
                features: &features,
                daily_summary: &daily,
                ..whole
            };
            let part = fitted.model.profile_part(data(aggregated), None).unwrap();
            assert_eq!(part.ids, features.ids(), "every customer of the part is placed");
            let partials = part.partials.unwrap();
            match &mut merged {
                Some(m) => m.merge(&partials).unwrap(),
                None => merged = Some(partials),
            }
        }
        let mut report = fitted.report.clone();
        for segment in &mut report.segments {
            segment.size = 0;
            for kpi in &mut segment.kpis {
                (kpi.mean, kpi.cohen_d) = (None, None);
            }
        }
        profile_whole_base(&mut report, &merged.unwrap(), 0).unwrap();
        assert_eq!(report.data.n_customers, fitted.report.data.n_customers);
        assert!(
            report
                .features
                .notes
                .last()
                .unwrap()
                .contains("the 1200 customers of a seeded sample")
        );
        for (got, want) in report.segments.iter().zip(&fitted.report.segments) {
            assert_eq!(got.size, want.size);
            for (g, w) in got.kpis.iter().zip(&want.kpis) {
                assert_eq!(g.name, w.name);
                match (g.mean, w.mean) {
                    (Some(a), Some(b)) => assert_relative_eq!(a, b, max_relative = 1e-12, epsilon = 1e-12),
                    (a, b) => assert_eq!(a, b, "{}", g.name),
                }
                match (g.cohen_d, w.cohen_d) {
                    (Some(a), Some(b)) => assert_relative_eq!(a, b, max_relative = 1e-9, epsilon = 1e-12),
                    (a, b) => assert_eq!(a, b, "{}", g.name),
                }
            }
        }
    }
}
