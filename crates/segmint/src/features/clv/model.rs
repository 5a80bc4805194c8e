//! What every model of customer value shares: its parameters, given or
//! fitted by maximum likelihood, and the report of the fit.

use serde::{Deserialize, Serialize};

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
