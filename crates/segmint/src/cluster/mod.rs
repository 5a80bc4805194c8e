//! Clustering algorithms. Each algorithm has its own folder: `params.rs`
//! (the unchecked builder and its rules), `algorithm.rs` (fitting and the
//! fitted model).

pub mod kmeans;

pub use kmeans::{KMeans, KMeansInit, KMeansParams};
