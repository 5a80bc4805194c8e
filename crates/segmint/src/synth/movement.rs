//! A second period with known movement between the archetypes: the ground
//! truth that migration analysis is tested against.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Archetype;
use crate::error::{Error, Result};

/// A second period after the first: every customer of the first period
/// behaves in it as the archetype `matrix` draws for them, and new customers
/// arrive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    /// Length of the second period in days.
    pub days: u32,
    /// Row `a`, column `b`: the chance that a customer of archetype `a` in
    /// the first period behaves as archetype `b` in the second (rows and
    /// columns in [`Archetype::ALL`] order, each row summing to 1). Nobody
    /// becomes new again, so the New & Potential column is zero: the new
    /// customers of the second period are its acquisitions. A customer who
    /// moves to At-Risk & Churned stops buying when the period starts; one
    /// who leaves it buys again.
    pub matrix: [[f64; 4]; 4],
    /// Customers acquired in the second period, as a share of the first
    /// period's customers.
    pub acquisition: f64,
}

impl Movement {
    /// One year in which customers move by `matrix`, with 10% acquisition.
    pub fn yearly(matrix: [[f64; 4]; 4]) -> Self {
        Movement {
            days: 365,
            matrix,
            acquisition: 0.10,
        }
    }

    pub(super) fn check(&self) -> Result<()> {
        if self.days < 30 {
            return Err(Error::invalid_parameter("movement.days", self.days, "at least 30"));
        }
        if !(self.acquisition.is_finite() && (0.0..=10.0).contains(&self.acquisition)) {
            return Err(Error::invalid_parameter(
                "movement.acquisition",
                self.acquisition,
                "a share between 0 and 10",
            ));
        }
        for (from, row) in Archetype::ALL.iter().zip(&self.matrix) {
            let sum: f64 = row.iter().sum();
            let valid = row.iter().all(|p| p.is_finite() && *p >= 0.0) && (sum - 1.0).abs() < 1e-9;
            if !valid || row[Archetype::NewPotential as usize] != 0.0 {
                return Err(Error::invalid_parameter(
                    "movement.matrix",
                    format!("{row:?} (row {})", from.name()),
                    "chances >= 0 that sum to 1, with 0 for New & Potential Customers",
                ));
            }
        }
        Ok(())
    }

    /// The archetype of the second period for a customer of `from`.
    pub(super) fn next(&self, from: Archetype, rng: &mut ChaCha8Rng) -> Archetype {
        let row = &self.matrix[from as usize];
        let mut r = rng.random::<f64>();
        for (&to, &p) in Archetype::ALL.iter().zip(row) {
            if r < p {
                return to;
            }
            r -= p;
        }
        // Rounding left r just above the last positive chance.
        let last = row.iter().rposition(|&p| p > 0.0).expect("a row sums to 1");
        Archetype::ALL[last]
    }
}

/// The first period of a two-period customer base.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstPeriod {
    /// End of the first period: the date its snapshot is taken.
    pub end: i64,
    /// Each customer's archetype in the first period (`None`: acquired in the second).
    pub archetypes: Vec<Option<Archetype>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SynthParams, generate};

    const STAY: [[f64; 4]; 4] = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ];

    #[test]
    fn the_first_period_is_the_base_without_movement() {
        let moving = [
            [0.7, 0.0, 0.1, 0.2],
            [0.3, 0.0, 0.45, 0.25],
            [0.1, 0.0, 0.8, 0.1],
            [0.05, 0.0, 0.2, 0.75],
        ];
        for seed in [4, 5, 6] {
            let plain = generate(&SynthParams::new(3000, seed)).unwrap();
            let mut params = SynthParams::new(3000, seed);
            params.movement = Some(Movement::yearly(moving));
            let moved = generate(&params).unwrap();
            let first = moved.first_period.as_ref().unwrap();
            assert_eq!(first.end, plain.as_of);
            assert_eq!(moved.as_of, plain.as_of + 365 * 86_400);
            let earlier = moved.transactions.up_to(first.end);
            // The acquired customers come after the first period's, so its codes are unchanged.
            assert_eq!(earlier.customer_codes(), plain.transactions.customer_codes());
            assert_eq!(earlier.timestamps(), plain.transactions.timestamps());
            assert_eq!(earlier.amounts(), plain.transactions.amounts());
            // Order numbers run on through the second period, but the lines of an order stay together.
            let pairs: std::collections::BTreeSet<(u32, u32)> = plain
                .transactions
                .order_codes()
                .unwrap()
                .iter()
                .copied()
                .zip(earlier.order_codes().unwrap().iter().copied())
                .collect();
            let orders = plain
                .transactions
                .order_codes()
                .unwrap()
                .iter()
                .collect::<std::collections::BTreeSet<_>>();
            assert_eq!(pairs.len(), orders.len(), "seed {seed}");
            assert_eq!(moved.archetypes.len(), 3300);
            assert_eq!(first.archetypes[3000..], [None; 300]);
            let plain_first: Vec<Option<Archetype>> = plain.archetypes.iter().copied().map(Some).collect();
            assert_eq!(first.archetypes[..3000], plain_first[..]);
        }
    }

    #[test]
    fn a_matrix_that_is_not_one_is_refused() {
        let mut params = SynthParams::new(100, 1);
        let mut matrix = STAY;
        matrix[2] = [0.5, 0.0, 0.6, 0.0];
        params.movement = Some(Movement::yearly(matrix));
        let err = generate(&params).unwrap_err().to_string();
        assert!(
            err.contains("movement.matrix") && err.contains("Budget-Conscious"),
            "{err}"
        );
        let mut matrix = STAY;
        matrix[0] = [0.5, 0.5, 0.0, 0.0];
        params.movement = Some(Movement::yearly(matrix));
        let err = generate(&params).unwrap_err().to_string();
        assert!(err.contains("0 for New & Potential"), "{err}");
    }
}
