//! Mini-batch k-means (Sculley 2010): centres move towards small random
//! batches, each centre with its own learning rate (1 / weight seen so far).
//! For data too large to pass over many times, or that arrives in chunks
//! ([`MiniBatchKMeans::partial_fit`]).
//!
//! ```
//! use ndarray::array;
//! use segmint::cluster::MiniBatchKMeans;
//!
//! let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
//! let model = MiniBatchKMeans::params(2).batch_size(2).seed(3).fit(x.view())?;
//! assert_ne!(model.predict(x.view())?[0], model.predict(x.view())?[2]);
//! # Ok::<(), segmint::Error>(())
//! ```

mod algorithm;
mod params;

pub use algorithm::MiniBatchKMeans;
pub use params::MiniBatchKMeansParams;
