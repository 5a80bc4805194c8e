//! Exact Ward hierarchical clustering for small bases, with scipy's
//! linkage output.
//!
//! ```
//! use ndarray::array;
//! use segmint::cluster::Ward;
//!
//! let x = array![[0.0, 0.0], [0.0, 1.0], [8.0, 8.0], [8.0, 9.0], [9.0, 8.0]];
//! let tree = Ward::params().fit(x.view())?;
//! assert_eq!(tree.linkage().nrows(), 4); // a, b, distance, size per merge
//! assert_eq!(tree.labels_for(2)?.to_vec(), vec![0, 0, 1, 1, 1]);
//! # Ok::<(), segmint::Error>(())
//! ```
//!
//! The nearest-neighbour chain (Murtagh 1983, as scipy's `nn_chain`) finds
//! the same merges as the greedy algorithm because Ward's distance is
//! reducible. Distances come from cluster centroids and sizes on the fly
//! (`d(A, B)² = 2·|A|·|B|/(|A|+|B|)·‖c_A − c_B‖²`), so memory stays O(n·d);
//! time is O(n²·d), hence the row limit ([`DEFAULT_MAX_SAMPLES`]).
//! Nearest-neighbour searches over many clusters run in parallel and
//! combine their chunks in index order: results are identical on any
//! number of threads.

mod algorithm;
mod params;

pub use algorithm::Ward;
pub use params::{DEFAULT_MAX_SAMPLES, WardParams};
