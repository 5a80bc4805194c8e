//! What customer-lifetime value needs from a purchase model, and the horizon.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A model that predicts a customer's future purchases from (x, t_x, T).
pub trait TransactionModel {
    /// Expected repeat purchases in the next `t` time units of a customer with
    /// `frequency` x, `recency` t_x and `age` T.
    fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> Result<f64>;
}

/// The horizon and discounting of a lifetime value, as in lifetimes'
/// `customer_lifetime_value(time, discount_rate, freq)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvHorizon {
    /// Months to sum over (lifetimes' `time`, default 12).
    pub months: u32,
    /// Discount rate per month, ≥ 0 (lifetimes' default 0.01).
    pub discount_rate: f64,
    /// Time units of the model per month: [`ClvHorizon::WEEKS_PER_MONTH`]
    /// for weeks, [`ClvHorizon::DAYS_PER_MONTH`] for days.
    pub periods_per_month: f64,
}

impl ClvHorizon {
    /// lifetimes' weeks per month (`freq="W"`).
    pub const WEEKS_PER_MONTH: f64 = 4.345;
    /// lifetimes' days per month (`freq="D"`).
    pub const DAYS_PER_MONTH: f64 = 30.0;

    /// A horizon of `months` months at a monthly `discount_rate`.
    pub fn new(months: u32, discount_rate: f64, periods_per_month: f64) -> Self {
        ClvHorizon {
            months,
            discount_rate,
            periods_per_month,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if !(self.discount_rate.is_finite() && self.discount_rate >= 0.0) {
            return Err(Error::invalid_parameter(
                "discount_rate",
                self.discount_rate,
                "a finite monthly rate ≥ 0",
            ));
        }
        if !(self.periods_per_month.is_finite() && self.periods_per_month > 0.0) {
            return Err(Error::invalid_parameter(
                "periods_per_month",
                self.periods_per_month,
                "a finite number > 0 of model time units per month (4.345 for weeks, 30 for days)",
            ));
        }
        Ok(())
    }
}

impl Default for ClvHorizon {
    /// lifetimes' defaults for weekly data: 12 months at 1 % a month.
    fn default() -> Self {
        ClvHorizon::new(12, 0.01, ClvHorizon::WEEKS_PER_MONTH)
    }
}
