//! The four behavioural archetypes and how each one buys.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The behavioural archetypes of the customer-segmentation literature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Archetype {
    /// Long-standing, frequent, high-spending customers.
    HighValueLoyalist,
    /// Recently acquired, few orders so far.
    NewPotential,
    /// Frequent small baskets, price driven.
    BudgetConscious,
    /// Bought regularly once, inactive for a long time now.
    AtRiskChurned,
}

/// How an archetype buys; ranges are drawn uniformly per customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Behaviour {
    /// First purchase, as a fraction of the window.
    pub first_purchase: (f64, f64),
    /// Mean days between orders.
    pub mean_gap_days: (f64, f64),
    /// Days from the first purchase until the customer stops buying (`None`: still active).
    pub active_days: Option<(f64, f64)>,
    /// Median order value.
    pub median_order_value: f64,
    /// Log-normal sigma of the order value.
    pub order_value_sigma: f64,
    /// Probability that an order is partly returned.
    pub return_rate: f64,
    /// Mean and standard deviation of age.
    pub age: (f64, f64),
    /// Probability of an e-mail opt-in.
    pub email_opt_in: f64,
    /// Probability that an order is bought on promotion.
    pub promo_rate: f64,
    /// Probability that a line is a product launched in the last 90 days.
    pub new_product_affinity: f64,
    /// Interactions (e-mail opens, visits, service contacts) per month while active.
    pub interactions_per_month: f64,
    /// Mean satisfaction (1–5) of service contacts.
    pub satisfaction: f64,
}

impl Archetype {
    /// All archetypes, in a fixed order.
    pub const ALL: [Archetype; 4] = [
        Archetype::HighValueLoyalist,
        Archetype::NewPotential,
        Archetype::BudgetConscious,
        Archetype::AtRiskChurned,
    ];

    /// The name a marketer uses.
    pub fn name(self) -> &'static str {
        match self {
            Archetype::HighValueLoyalist => "High-Value Loyalists",
            Archetype::NewPotential => "New & Potential Customers",
            Archetype::BudgetConscious => "Budget-Conscious Shoppers",
            Archetype::AtRiskChurned => "At-Risk & Churned",
        }
    }

    /// The generator's parameters for this archetype.
    pub fn behaviour(self) -> Behaviour {
        match self {
            Archetype::HighValueLoyalist => Behaviour {
                first_purchase: (0.0, 0.5),
                mean_gap_days: (8.0, 20.0),
                active_days: None,
                median_order_value: 95.0,
                order_value_sigma: 0.35,
                return_rate: 0.02,
                age: (46.0, 12.0),
                email_opt_in: 0.85,
                promo_rate: 0.10,
                new_product_affinity: 0.35,
                interactions_per_month: 6.0,
                satisfaction: 4.4,
            },
            Archetype::NewPotential => Behaviour {
                first_purchase: (0.86, 0.995),
                mean_gap_days: (25.0, 45.0),
                active_days: None,
                median_order_value: 45.0,
                order_value_sigma: 0.45,
                return_rate: 0.03,
                age: (31.0, 9.0),
                email_opt_in: 0.7,
                promo_rate: 0.25,
                new_product_affinity: 0.15,
                interactions_per_month: 4.0,
                satisfaction: 4.0,
            },
            Archetype::BudgetConscious => Behaviour {
                first_purchase: (0.0, 0.8),
                mean_gap_days: (20.0, 45.0),
                active_days: None,
                median_order_value: 18.0,
                order_value_sigma: 0.35,
                return_rate: 0.04,
                age: (38.0, 13.0),
                email_opt_in: 0.6,
                promo_rate: 0.60,
                new_product_affinity: 0.05,
                interactions_per_month: 2.0,
                satisfaction: 3.7,
            },
            Archetype::AtRiskChurned => Behaviour {
                first_purchase: (0.0, 0.4),
                mean_gap_days: (15.0, 35.0),
                active_days: Some((60.0, 240.0)),
                median_order_value: 50.0,
                order_value_sigma: 0.4,
                return_rate: 0.06,
                age: (42.0, 14.0),
                email_opt_in: 0.4,
                promo_rate: 0.20,
                new_product_affinity: 0.10,
                interactions_per_month: 1.5,
                satisfaction: 2.9,
            },
        }
    }

    /// Draws an archetype with probabilities proportional to `mix`.
    pub(crate) fn draw(rng: &mut impl Rng, mix: &[f64; 4]) -> Archetype {
        let total: f64 = mix.iter().sum();
        let mut r = rng.random::<f64>() * total;
        let mut last = Archetype::AtRiskChurned;
        for (&a, &m) in Archetype::ALL.iter().zip(mix).filter(|(_, m)| **m > 0.0) {
            if r < m {
                return a;
            }
            r -= m;
            last = a;
        }
        last
    }
}
