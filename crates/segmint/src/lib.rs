//! # segmint — customer segmentation, from raw data to actionable segments
//!
//! The crate is the pipeline, one module per stage:
//!
//! 1. [`data`] reads transactions, customer tables and surveys (CSV/TSV,
//!    gzip) into columns and audits every row;
//! 2. [`features`] turns transactions into one row per customer (RFM, AOV,
//!    tenure, CLV …);
//! 3. [`preprocess`] prepares the basis — the columns chosen to form the
//!    segments: missing values, the log of skewed columns, z-scores, level codes;
//! 4. [`reduce`] condenses correlated columns (PCA, factor analysis with its
//!    adequacy tests, parallel analysis and Cronbach's α);
//! 5. [`cluster`] groups customers by any method behind one contract
//!    (k-means, mini-batch, k-prototypes, Gaussian mixture, Ward);
//! 6. [`select`] chooses the number of segments, with [`metrics`] (validity
//!    indices, gap statistic, stability, prediction strength, effect sizes);
//! 7. [`validate`] checks the segments against the MASDA criteria
//!    (Measurable, Accessible, Substantial, Differentiable, Actionable);
//! 8. [`profile`] describes each segment against the whole base (levels, key
//!    drivers, composition) and names it after the archetype it matches;
//! 9. [`report`] renders the result as JSON, Markdown and an HTML dashboard;
//!
//! and [`pipeline::Segmentation`] strings the stages together, joining the
//! sources on the customer id. [`synth`] generates a realistic customer base
//! (transactions, demographics, a survey) with known archetypes for demos,
//! tests and benchmarks; [`CancelToken`] stops long work from another thread.
//!
//! ```
//! use segmint::pipeline::Segmentation;
//! use segmint::synth::{generate, SynthParams};
//!
//! let base = generate(&SynthParams::new(1_000, 42))?;
//! let result = Segmentation::new().k(4).seed(42).as_of(base.as_of).fit(&base.transactions, None)?;
//! assert_eq!(result.report.segments.len(), 4);
//! println!("{}", result.report.to_markdown());
//! # Ok::<(), segmint::Error>(())
//! ```
//!
//! Every fallible function returns [`Result`]; errors name the parameter,
//! file, line, column and value at fault. Results for a fixed seed do not
//! depend on the number of threads.

#[macro_use]
mod setters;

pub mod cancel;
mod check;
pub mod cluster;
pub mod data;
mod element;
mod error;
pub mod features;
pub mod metrics;
pub mod pipeline;
pub mod preprocess;
pub mod profile;
pub mod reduce;
pub mod report;
pub mod select;
pub mod synth;
pub mod validate;

pub use cancel::CancelToken;
pub use element::Element;
pub use error::{Error, ErrorKind, Result};

/// The crate version, recorded in reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
