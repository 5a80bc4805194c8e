//! The transaction log a segmentation reads: its lines, or its aggregation
//! into one row per customer made elsewhere (by `segmint.dask` on a cluster).

use std::collections::HashSet;

use super::{CustomerData, Segmentation};
use crate::data::{CustomerTable, Transactions};
use crate::error::{Error, Result};
use crate::features::{
    PredictiveModels, PredictiveOptions, RfmSummary, Sources, customer_features, predictive_value, predictive_value_of,
};

/// A transaction log already aggregated into one row per customer, as
/// `segmint.dask` aggregates a log too large for one machine: all that a
/// segmentation reads of a log, without its lines.
///
/// The result is the one-machine result of the same log when the tables are
/// what the one-machine pipeline computes: the rows in the log's order of
/// first appearance (k-means++ and the CLV fit pick customers by row).
#[derive(Debug, Clone, Copy)]
pub struct AggregatedLog<'a> {
    /// The behavioural feature table (`customer_features` with the
    /// segmentation's feature options, products and interactions included).
    pub features: &'a CustomerTable,
    /// The daily repeat-purchase summary up to the end of observation
    /// (`Period::Day`, multiplier 1), in the same order; customers without a
    /// purchase are absent. Predictive CLV and P(alive) are fitted on it.
    pub daily_summary: &'a RfmSummary,
    /// The first and the latest transaction, in seconds since the epoch
    /// (UTC wall-clock time, as the readers store timestamps).
    pub span: (i64, i64),
    /// The number of lines in the log.
    pub n_transactions: usize,
    /// Predictive models fitted elsewhere (on a sample of a log too large
    /// for one machine, to value each part of it alike); `None`: fitted on
    /// `daily_summary` when the segmentation asks for predictive columns.
    pub predictive: Option<&'a PredictiveModels>,
}

impl AggregatedLog<'_> {
    /// The summary's columns are as long as its ids, its customers are in
    /// the feature table, and the span runs forward.
    fn check(&self) -> Result<()> {
        let summary = self.daily_summary;
        let n = summary.ids.len();
        for (name, column) in [
            ("frequency", &summary.frequency),
            ("recency", &summary.recency),
            ("T", &summary.t),
            ("monetary_value", &summary.monetary_value),
        ] {
            if column.len() != n {
                return Err(Error::ShapeMismatch {
                    what: format!("daily summary column {name}"),
                    expected: format!("{n} values, one per customer of the summary"),
                    found: column.len().to_string(),
                });
            }
        }
        let known: HashSet<&str> = self.features.ids().iter().map(String::as_str).collect();
        if let Some(stranger) = summary.ids.iter().find(|id| !known.contains(id.as_str())) {
            return Err(Error::InvalidValue {
                what: format!("customer {stranger:?} of the daily summary"),
                value: stranger.clone(),
                expected: "a customer of the feature table".into(),
            });
        }
        let (first, latest) = self.span;
        if first > latest {
            return Err(Error::invalid_parameter(
                "span",
                format!("({first}, {latest})"),
                "the first transaction no later than the latest",
            ));
        }
        Ok(())
    }
}

/// The log of a segmentation, as lines or aggregated.
#[derive(Debug, Clone, Copy)]
pub(super) enum Log<'a> {
    Lines(&'a Transactions),
    Aggregated(AggregatedLog<'a>),
}

impl<'a> Log<'a> {
    /// The log of `data`, if it has one; lines and an aggregation at once are
    /// an error, as are side files an aggregation has already taken in.
    pub(super) fn of(data: &CustomerData<'a>) -> Result<Option<Self>> {
        match (data.transactions, data.aggregated) {
            (Some(_), Some(_)) => Err(Error::invalid_parameter(
                "aggregated",
                "an aggregated log beside the transactions",
                "either the transaction lines or their aggregation, not both",
            )),
            (Some(tx), None) => Ok(Some(Log::Lines(tx))),
            (None, Some(aggregated)) => {
                if data.sources.products.is_some() || data.sources.interactions.is_some() {
                    return Err(Error::invalid_parameter(
                        "sources",
                        "products or interactions beside an aggregated log",
                        "them aggregated into the log's feature table",
                    ));
                }
                aggregated.check()?;
                Ok(Some(Log::Aggregated(aggregated)))
            }
            (None, None) => Ok(None),
        }
    }

    /// The first and the latest transaction.
    pub(super) fn span(&self) -> Option<(i64, i64)> {
        match self {
            Log::Lines(tx) => tx.time_span(),
            Log::Aggregated(aggregated) => Some(aggregated.span),
        }
    }

    /// The customers of the log, in order of first appearance.
    pub(super) fn customer_ids(&self) -> &'a [String] {
        match self {
            Log::Lines(tx) => tx.customer_ids(),
            Log::Aggregated(aggregated) => aggregated.features.ids(),
        }
    }

    pub(super) fn n_transactions(&self) -> usize {
        match self {
            Log::Lines(tx) => tx.len(),
            Log::Aggregated(aggregated) => aggregated.n_transactions,
        }
    }
}

impl Segmentation {
    /// The behavioural feature table of the log, with predictive CLV and
    /// P(alive) when asked for.
    pub(super) fn behaviour(
        &self,
        log: Log<'_>,
        sources: Sources<'_>,
        notes: &mut Vec<String>,
    ) -> Result<CustomerTable> {
        let mut features = match log {
            Log::Lines(tx) => customer_features(tx, &self.features, sources)?,
            Log::Aggregated(aggregated) => aggregated.features.clone(),
        };
        if let Some(options) = &self.predictive {
            let options = PredictiveOptions {
                as_of: self.features.as_of,
                ..options.clone()
            };
            let value = match log {
                Log::Lines(tx) => predictive_value(tx, &options),
                Log::Aggregated(aggregated) => match aggregated.predictive {
                    Some(models) => models.value(aggregated.daily_summary, aggregated.features.ids(), &options),
                    None => predictive_value_of(aggregated.daily_summary, aggregated.features.ids(), &options),
                },
            };
            // Data the models cannot fit is a note in the report, not a failed segmentation.
            match value {
                Ok(value) => {
                    features = features.with_columns(value.columns)?;
                    notes.extend(value.notes);
                }
                Err(e) => notes.push(format!("predictive CLV and P(alive) not computed: {e}")),
            }
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Attributes;
    use crate::error::ErrorKind;
    use crate::features::{FeatureOptions, Period, Sources, SummaryOptions, customer_features, rfm_summary};
    use crate::preprocess::MissingValues;
    use crate::synth::{CustomerBase, SynthParams, generate};

    /// The aggregation `segmint.dask` makes: features with the side files, and the daily summary.
    fn aggregation(base: &CustomerBase, as_of: Option<i64>) -> (CustomerTable, RfmSummary) {
        let sources = Sources {
            customers: None,
            ..base.sources()
        };
        let options = FeatureOptions {
            as_of,
            ..FeatureOptions::default()
        };
        let features = customer_features(&base.transactions, &options, sources).unwrap();
        let daily = SummaryOptions {
            period: Period::Day,
            multiplier: 1.0,
            observation_end: as_of,
        };
        (features, rfm_summary(&base.transactions, &daily).unwrap())
    }

    fn aggregated<'a>(base: &CustomerBase, features: &'a CustomerTable, summary: &'a RfmSummary) -> AggregatedLog<'a> {
        AggregatedLog {
            features,
            daily_summary: summary,
            span: base.transactions.time_span().unwrap(),
            n_transactions: base.transactions.len(),
            predictive: None,
        }
    }

    #[test]
    fn an_aggregated_log_segments_as_its_lines() {
        let base = generate(&SynthParams::new(1_500, 7)).unwrap();
        for as_of in [None, Some(base.as_of + 86_400 * 30)] {
            let (features, summary) = aggregation(&base, as_of);
            let mut segmentation = Segmentation::new().seed(3).k(4).basis(["behaviour", "age"]);
            segmentation.features.as_of = as_of;
            let from_lines = segmentation
                .fit_with_sources(&base.transactions, None, base.sources())
                .unwrap();
            let from_aggregation = segmentation
                .fit_data(CustomerData {
                    aggregated: Some(aggregated(&base, &features, &summary)),
                    sources: Sources {
                        customers: Some(&base.customers),
                        ..Sources::default()
                    },
                    ..CustomerData::default()
                })
                .unwrap();
            assert_eq!(from_aggregation.report, from_lines.report);
            assert_eq!(from_aggregation.labels, from_lines.labels);
            let (got, expected) = (&from_aggregation.features, &from_lines.features);
            assert_eq!(
                (got.ids(), got.column_names()),
                (expected.ids(), expected.column_names())
            );
            let bits = |t: &CustomerTable| t.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(got),
                bits(expected),
                "the same values, NaN where the lines give NaN"
            );
            let scored = from_aggregation.model.score(
                CustomerData {
                    aggregated: Some(aggregated(&base, &features, &summary)),
                    sources: Sources {
                        customers: Some(&base.customers),
                        ..Sources::default()
                    },
                    ..CustomerData::default()
                },
                as_of,
            );
            assert_eq!(scored.unwrap().segments, from_lines.labels);
        }
    }

    #[test]
    fn customers_the_basis_leaves_out_are_counted_as_the_lines_count_them() {
        let base = generate(&SynthParams::new(600, 2)).unwrap();
        let (features, summary) = aggregation(&base, None);
        let every_other = |values: &[f64]| values.iter().step_by(2).copied().collect::<Vec<_>>();
        let half = Attributes {
            ids: base.customers.ids.iter().step_by(2).cloned().collect(),
            numeric: base
                .customers
                .numeric
                .iter()
                .map(|(n, v)| (n.clone(), every_other(v)))
                .collect(),
            categorical: Vec::new(),
        };
        let mut segmentation = Segmentation::new().seed(1).k(3).basis(["behaviour", "age"]);
        segmentation.preparation.missing = MissingValues::DropRows;
        let from_lines = segmentation
            .fit_data(CustomerData {
                transactions: Some(&base.transactions),
                sources: Sources {
                    customers: Some(&half),
                    ..base.sources()
                },
                ..CustomerData::default()
            })
            .unwrap();
        let from_aggregation = segmentation
            .fit_data(CustomerData {
                aggregated: Some(aggregated(&base, &features, &summary)),
                sources: Sources {
                    customers: Some(&half),
                    ..Sources::default()
                },
                ..CustomerData::default()
            })
            .unwrap();
        assert!(
            from_lines
                .report
                .features
                .notes
                .iter()
                .any(|n| n.contains("300 without a row"))
        );
        assert_eq!(from_aggregation.report, from_lines.report);
    }

    #[test]
    fn an_aggregation_that_does_not_hold_together_is_refused() {
        let base = generate(&SynthParams::new(300, 1)).unwrap();
        let (features, summary) = aggregation(&base, None);
        let segmentation = Segmentation::new().k(3);
        let fit = |data: CustomerData<'_>| segmentation.fit_data(data).unwrap_err();

        let both = fit(CustomerData {
            transactions: Some(&base.transactions),
            aggregated: Some(aggregated(&base, &features, &summary)),
            ..CustomerData::default()
        });
        assert_eq!(both.kind(), ErrorKind::InvalidParameter);
        assert!(both.to_string().contains("not both"), "{both}");

        let side_files = fit(CustomerData {
            aggregated: Some(aggregated(&base, &features, &summary)),
            sources: base.sources(),
            ..CustomerData::default()
        });
        assert!(
            side_files.to_string().contains("products or interactions"),
            "{side_files}"
        );

        let mut stranger = summary.clone();
        stranger.ids[5] = "nobody".into();
        let unknown = fit(CustomerData {
            aggregated: Some(aggregated(&base, &features, &stranger)),
            ..CustomerData::default()
        });
        assert!(
            unknown.to_string().contains("customer \"nobody\" of the daily summary"),
            "{unknown}"
        );

        let mut short = summary.clone();
        short.recency.pop();
        let shape = fit(CustomerData {
            aggregated: Some(aggregated(&base, &features, &short)),
            ..CustomerData::default()
        });
        assert!(shape.to_string().contains("daily summary column recency"), "{shape}");

        let (first, latest) = base.transactions.time_span().unwrap();
        let backwards = fit(CustomerData {
            aggregated: Some(AggregatedLog {
                span: (latest, first),
                ..aggregated(&base, &features, &summary)
            }),
            ..CustomerData::default()
        });
        assert!(backwards.to_string().contains("invalid parameter span"), "{backwards}");
    }
}
