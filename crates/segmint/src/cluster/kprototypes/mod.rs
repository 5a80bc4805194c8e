//! k-prototypes (Huang 1998) for rows with numeric and categorical columns,
//! as the kmodes package implements it.
//!
//! ```
//! use ndarray::array;
//! use segmint::cluster::KPrototypes;
//!
//! let numeric = array![[0.1], [0.3], [5.0], [5.2]];
//! let categorical = array![[0u32, 1], [0, 1], [2, 0], [2, 0]]; // level codes
//! let model = KPrototypes::params(2).seed(1).fit(numeric.view(), categorical.view())?;
//! assert_eq!(model.labels()[0], model.labels()[1]);
//! assert_ne!(model.labels()[0], model.labels()[2]);
//! # Ok::<(), segmint::Error>(())
//! ```
//!
//! The cost of a row against a prototype is its squared Euclidean distance
//! on the numeric columns plus γ × the number of categorical mismatches.
//! Categorical columns hold level codes `0..L` (below [`MAX_LEVELS`]); the
//! caller keeps the level names. A column with a single level never
//! mismatches, so it is accepted and listed in
//! [`KPrototypes::constant_categorical`] (Python warns about it).

mod algorithm;
mod init;

pub use init::cao_modes;
mod params;

pub use algorithm::{KPrototypes, default_gamma};
pub use params::{KPrototypesInit, KPrototypesParams, MAX_LEVELS};
