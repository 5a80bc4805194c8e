//! Buy-till-you-die models of customer value.
//!
//! * [`BetaGeo`] — BG/NBD (Fader, Hardie & Lee 2005) and [`ParetoNbd`] —
//!   Pareto/NBD (Schmittlein, Morrison & Colombo 1987) model repeat purchases
//!   from each customer's frequency x, recency t_x and age T ([`RfmData`],
//!   e.g. from [`RfmSummary`](crate::features::RfmSummary)): expected
//!   purchases, P(alive), the distribution of purchases;
//! * [`GammaGamma`] (Fader, Hardie & Lee 2005; Fader & Hardie 2013) models
//!   spend per transaction of repeat buyers ([`SpendData`]);
//! * [`GammaGamma::customer_lifetime_value`] combines the two over a
//!   [`ClvHorizon`], as lifetimes does;
//! * [`evaluate_holdout`] checks a model fitted on a calibration period
//!   against the purchases of the holdout.
//!
//! Each model is a [`Fitted`] of its parameters ([`ModelParams`]): given
//! (`new`), or fitted with the report of its fit (`fit_report`). The fits
//! maximise the log-likelihood over the log-parameters (so that they stay
//! positive) from deterministic starts with BFGS (argmin) on analytic
//! gradients (BG/NBD, Pareto/NBD, Gamma-Gamma; `fit.rs`); the first start that
//! converges ends the fit ([`FitOptions::every_start`] runs them all);
//! [`FitReport`] gives the log-likelihood, iterations, whether the fit
//! converged and standard errors. The likelihood is summed in fixed
//! blocks of customers in parallel and added in order, so a fit gives the same
//! bits on any number of threads. Formulas and numbers equal lifetimes 0.11.3
//! (tests/clv.rs checks them on the CDNOW data of the papers).
//!
//! ```
//! use segmint::features::clv::{BetaGeo, BetaGeoParams, ClvHorizon, GammaGamma, GammaGammaParams};
//!
//! // The estimates of Fader, Hardie & Lee (2005) on CDNOW (weeks) …
//! let purchases = BetaGeo::new(BetaGeoParams { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })?;
//! let spend = GammaGamma::new(GammaGammaParams { p: 6.25, q: 3.74, v: 15.44 })?;
//! // … for a customer with 2 repeat purchases, the last at week 30.43 of 38.86, spending $22.35 on average.
//! let next_year = purchases.conditional_expected_purchases(52.0, 2.0, 30.43, 38.86)?;
//! let clv = spend.customer_lifetime_value(&purchases, 2.0, 30.43, 38.86, 22.35, &ClvHorizon::default())?;
//! assert!(next_year > 1.0 && clv > 30.0);
//! # Ok::<(), segmint::Error>(())
//! ```

mod bgnbd;
mod data;
mod fit;
mod gamma_gamma;
mod holdout;
mod model;
mod pareto;
mod special;
mod value;

pub use bgnbd::{BetaGeo, BetaGeoParams};
pub use data::{RfmData, SpendData};
pub use fit::{FitOptions, FitReport};
pub use gamma_gamma::{GammaGamma, GammaGammaParams};
pub use holdout::{HoldoutBin, HoldoutEvaluation, evaluate_holdout};
pub use model::{Fitted, ModelParams};
pub use pareto::{ParetoNbd, ParetoNbdParams};
pub use value::{ClvHorizon, TransactionModel};
