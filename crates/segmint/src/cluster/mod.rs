//! Clustering algorithms. Each algorithm has its own folder: `params.rs`
//! (the unchecked builder and its rules), `algorithm.rs` (fitting and the
//! fitted model). `contract` holds what the pipeline sees of any of them:
//! [`Clusterer`] (fit mixed-type rows), [`ClusterModel`] (labels, centres,
//! predict; serialisable) and [`Method`] (the user's choice).

mod contract;
pub mod gmm;
pub mod kmeans;
pub mod kprototypes;
pub mod minibatch;
pub mod ward;

pub use crate::element::Element;
pub use contract::{ClusterModel, Clusterer, Method, MethodSettings, MixedRows, Segments, WardCut};
pub use gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureInit, GaussianMixtureParams};
pub use kmeans::{
    FarRow, KMeans, KMeansAlgorithm, KMeansInit, KMeansParams, LloydPartial, farthest_rows, lloyd_step, lloyd_sums,
};
pub use kprototypes::{KPrototypes, KPrototypesInit, KPrototypesParams};
pub use minibatch::{MiniBatchKMeans, MiniBatchKMeansParams};
pub use ward::{Ward, WardParams};
