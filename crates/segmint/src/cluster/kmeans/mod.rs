//! k-means clustering with k-means++ seeding and Lloyd iterations.
//!
//! ```
//! use ndarray::array;
//! use segmint::cluster::KMeans;
//!
//! let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
//! let model = KMeans::params(2).seed(7).fit(x.view())?;
//! assert_eq!(model.labels()[0], model.labels()[1]);
//! assert_ne!(model.labels()[0], model.labels()[2]);
//! assert_eq!(model.predict(array![[4.9, 5.2]].view())?[0], model.labels()[2]);
//! # Ok::<(), segmint::Error>(())
//! ```
//!
//! ## Parallelisation
//! Rows are processed in fixed blocks of [`BLOCK_ROWS`] on the rayon pool and
//! the per-block sums are added in block order, so a given seed gives
//! bit-identical centres and labels on any number of threads. The `n_init`
//! runs also run in parallel, each with its own seed drawn from `seed`.

mod algorithm;
mod params;

pub use algorithm::{BLOCK_ROWS, KMeans};
pub use params::{KMeansInit, KMeansParams};
