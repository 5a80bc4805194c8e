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
//! `f32` data stays `f32` (`KMeans<f32>`): distances are computed in the
//! data's precision, sums are accumulated in `f64`.
//!
//! ## Distributed use
//! [`lloyd_step`] runs one assignment step on a chunk of rows and returns a
//! [`LloydPartial`]; partials of disjoint chunks [`LloydPartial::merge`] into
//! the partial of the whole, whose [`LloydPartial::centers`] are the next
//! centres — the same kernel `fit` uses. [`lloyd_sums`] is the step for the
//! later iterations, once `lloyd_step` has checked the chunk: it skips the
//! finiteness scan and the inertia (`segmint.dask.KMeans` runs on these two).
//!
//! ## Parallelisation
//! Rows are processed in fixed blocks of [`BLOCK_ROWS`] on the rayon pool and
//! the per-block sums are added in block order, so a given seed gives
//! bit-identical centres and labels on any number of threads. The `n_init`
//! runs also run in parallel, each with its own seed drawn from `seed`.

mod algorithm;
mod hamerly;
pub(crate) mod init;
pub(crate) mod kernel;
mod params;
mod simd;

pub use algorithm::{FarRow, KMeans, farthest_rows};
pub(crate) use algorithm::{mean_variance, weights_of};
pub use kernel::{BLOCK_ROWS, LloydPartial, lloyd_step, lloyd_sums};
pub use params::{KMeansAlgorithm, KMeansInit, KMeansParams};
