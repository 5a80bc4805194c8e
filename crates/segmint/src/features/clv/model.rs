//! What every model of customer value shares: its parameters, given or
//! fitted by maximum likelihood, and the report of the fit.

use serde::{Deserialize, Serialize};

use super::data::{MergedRfm, RfmData};
use super::fit::{FitOptions, FitReport, LogLikelihood, maximise};
use crate::error::Result;

/// The parameters of a model, as the optimiser sees them: a fixed number of
/// values, each finite and > 0.
pub trait ModelParams: Copy {
    /// How many parameters the model has.
    const LEN: usize;

    /// The parameters from their values in declaration order.
    fn from_slice(values: &[f64]) -> Self;

    /// Every parameter finite and > 0, or an error naming the first that is not.
    fn check(&self) -> Result<()>;
}

/// [`ModelParams`] for a parameter struct of `f64` fields, each of which must be
/// finite and > 0; the optimiser sees them in the order listed.
macro_rules! positive_params {
    ($params:ident { $($field:ident),+ }) => {
        impl $crate::features::clv::model::ModelParams for $params {
            const LEN: usize = [$(stringify!($field)),+].len();

            fn from_slice(values: &[f64]) -> Self {
                let mut values = values.iter().copied();
                $params { $($field: values.next().expect("one value per parameter")),+ }
            }

            fn check(&self) -> $crate::Result<()> {
                $crate::features::clv::data::check_positive(&[$((stringify!($field), self.$field)),+])
            }
        }
    };
}
pub(super) use positive_params;

/// A model: given parameters, or fitted by maximum likelihood with the report of its fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitted<P> {
    pub(super) params: P,
    report: Option<FitReport<P>>,
}

impl<P: ModelParams> Fitted<P> {
    /// A model with the given parameters (each finite and > 0).
    pub fn new(params: P) -> Result<Self> {
        params.check()?;
        Ok(Fitted { params, report: None })
    }

    /// The parameters.
    pub fn params(&self) -> P {
        self.params
    }

    /// How the fit went; `None` for a model made with `new`.
    pub fn fit_report(&self) -> Option<&FitReport<P>> {
        self.report.as_ref()
    }

    /// The maximum-likelihood fit of a purchase-history model on (x, t_x, T):
    /// the rows with the same history merged into one weighted row first.
    pub(super) fn fit_history(
        data: &RfmData<'_>,
        options: &FitOptions,
        likelihood: impl for<'a> FnOnce(RfmData<'a>) -> Box<dyn LogLikelihood + 'a>,
        starts: impl FnOnce(&RfmData<'_>) -> Vec<Vec<f64>>,
    ) -> Result<Self> {
        let total_weight = data.check()?;
        let merged = MergedRfm::new(data);
        let rows = merged.data();
        Self::maximise(
            likelihood(rows).as_ref(),
            &starts(&rows),
            total_weight,
            data.len(),
            options,
        )
    }

    /// The best of `starts` by maximum likelihood (see [`maximise`](super::fit::maximise)).
    pub(super) fn maximise(
        likelihood: &dyn LogLikelihood,
        starts: &[Vec<f64>],
        total_weight: f64,
        n_rows: usize,
        options: &FitOptions,
    ) -> Result<Self> {
        options.check(P::LEN)?;
        let estimate = maximise(likelihood, starts, total_weight, n_rows, options)?;
        Ok(Fitted {
            params: P::from_slice(&estimate.params),
            report: Some(estimate.report.map(|se| P::from_slice(&se))),
        })
    }
}
