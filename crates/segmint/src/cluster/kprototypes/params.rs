//! The k-prototypes builder and the rules it is checked against.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::algorithm::{KPrototypes, fit};
use crate::CancelToken;
use crate::check;
use crate::error::{Error, Result};

/// Categorical codes must be below this (kmodes stores modes as 16-bit codes).
pub const MAX_LEVELS: u32 = 65_536;

/// How the first prototypes are chosen. For Huang and Cao the numeric part
/// is drawn as column mean + N(0, 1) × column standard deviation, as kmodes does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum KPrototypesInit {
    /// Cao et al. (2009): density-based, deterministic categorical modes.
    #[default]
    Cao,
    /// Huang (1997): modes drawn from the attribute frequencies, then moved
    /// to their nearest distinct data row.
    Huang,
    /// These exact prototypes: numeric `n_clusters × n_numeric` and
    /// categorical `n_clusters × n_categorical`.
    Centroids {
        /// Numeric centres.
        numeric: Array2<f64>,
        /// Categorical modes (level codes).
        categorical: Array2<u32>,
    },
}

/// Unchecked k-prototypes settings; [`KPrototypesParams::fit`] checks them
/// against the data. Names and defaults follow the kmodes package: Cao
/// initialisation, `n_init = 10`, `max_iter = 100`, `gamma` = half the mean
/// standard deviation of the numeric columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KPrototypesParams {
    n_clusters: usize,
    /// gamma
    pub gamma: Option<f64>,
    /// init
    pub init: KPrototypesInit,
    n_init: usize,
    /// max_iter
    pub max_iter: usize,
    /// seed
    pub seed: u64,
    /// The cancellation token checked between iterations.
    #[serde(skip)]
    pub cancel: CancelToken,
}

impl KPrototypesParams {
    /// Defaults for `n_clusters` clusters.
    pub fn new(n_clusters: usize) -> Self {
        KPrototypesParams {
            n_clusters,
            gamma: None,
            init: KPrototypesInit::Cao,
            n_init: 10,
            max_iter: 100,
            seed: 0,
            cancel: CancelToken::default(),
        }
    }

    setters! {
        /// Stops the fit with [`crate::Error::Cancelled`] once the token is cancelled
        /// (checked before each iteration of each run).
        cancel: CancelToken;

        /// Weight of one categorical mismatch against squared Euclidean distance.
        gamma: Some(f64);

        /// Initialisation method.
        init: KPrototypesInit;

        /// Independent runs (in parallel); the lowest cost is kept. Given
        /// centroids make one run.
        n_init: usize;

        /// Maximum passes over the data per run.
        max_iter: usize;

        /// Random seed: the same seed gives the same result on any thread count.
        seed: u64;
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// Runs actually made: `n_init`, or one for given centroids.
    pub fn effective_n_init(&self) -> usize {
        match self.init {
            KPrototypesInit::Centroids { .. } => 1,
            _ => self.n_init,
        }
    }

    /// Checks every rule against `n_samples` rows of `n_numeric` numeric and
    /// `n_categorical` categorical columns.
    pub fn check(&self, n_samples: usize, n_numeric: usize, n_categorical: usize) -> Result<()> {
        let k = self.n_clusters;
        if k == 0 {
            return Err(Error::invalid_parameter("n_clusters", k, "at least 1"));
        }
        if k > n_samples {
            return Err(Error::invalid_parameter(
                "n_clusters",
                k,
                format!("at most n_samples={n_samples}"),
            ));
        }
        if n_categorical == 0 {
            return Err(Error::invalid_parameter(
                "categorical",
                "no columns",
                "at least one categorical column (without any, use KMeans)",
            ));
        }
        if n_numeric == 0 {
            return Err(Error::invalid_parameter(
                "numeric",
                "no columns",
                "at least one numeric column (k-prototypes mixes both kinds)",
            ));
        }
        if let Some(g) = self.gamma
            && !(g.is_finite() && g >= 0.0)
        {
            return Err(Error::invalid_parameter("gamma", g, "a finite number >= 0"));
        }
        if self.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_parameter("max_iter", 0, "at least 1"));
        }
        if let KPrototypesInit::Centroids { numeric, categorical } = &self.init {
            for (what, dim, columns) in [
                ("init numeric centroids", numeric.dim(), n_numeric),
                ("init categorical modes", categorical.dim(), n_categorical),
            ] {
                if dim != (k, columns) {
                    return Err(Error::ShapeMismatch {
                        what: what.into(),
                        expected: format!("{k} x {columns} (n_clusters x columns)"),
                        found: format!("{} x {}", dim.0, dim.1),
                    });
                }
            }
            check::finite("init numeric centroids", numeric.view())?;
            check_codes("init categorical modes", categorical.view())?;
        }
        Ok(())
    }

    /// Fits k-prototypes to rows made of `numeric` and `categorical` columns
    /// (level codes `0..L`; the caller keeps the level names).
    pub fn fit(&self, numeric: ArrayView2<'_, f64>, categorical: ArrayView2<'_, u32>) -> Result<KPrototypes> {
        check_rows(numeric, categorical)?;
        self.check(numeric.nrows(), numeric.ncols(), categorical.ncols())?;
        check::finite("numeric", numeric)?;
        check_codes("categorical", categorical)?;
        fit(self, numeric, categorical)
    }
}

pub(super) fn check_rows(numeric: ArrayView2<'_, f64>, categorical: ArrayView2<'_, u32>) -> Result<()> {
    if numeric.nrows() == 0 {
        return Err(Error::InsufficientData {
            what: "numeric has no rows; expected at least one".into(),
        });
    }
    if numeric.nrows() != categorical.nrows() {
        return Err(Error::ShapeMismatch {
            what: "rows of categorical (one per row of numeric)".into(),
            expected: numeric.nrows().to_string(),
            found: categorical.nrows().to_string(),
        });
    }
    Ok(())
}

pub(super) fn check_codes(what: &str, codes: ArrayView2<'_, u32>) -> Result<()> {
    if let Some(((row, column), v)) = codes.indexed_iter().find(|(_, v)| **v >= MAX_LEVELS) {
        return Err(Error::InvalidParameter {
            name: "categorical",
            value: format!("{what}: code {v} at row {row}, column {column}"),
            expected: format!("level codes below {MAX_LEVELS}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn err(p: KPrototypesParams) -> String {
        let numeric = array![[0.0], [1.0], [2.0]];
        let categorical = array![[0u32], [1], [1]];
        p.fit(numeric.view(), categorical.view()).unwrap_err().to_string()
    }

    #[test]
    fn n_clusters_must_be_between_one_and_n_samples() {
        assert_eq!(
            err(KPrototypesParams::new(0)),
            "invalid parameter n_clusters=0: expected at least 1"
        );
        assert!(err(KPrototypesParams::new(4)).contains("at most n_samples=3"));
    }

    #[test]
    fn gamma_must_be_finite_and_non_negative() {
        assert_eq!(
            err(KPrototypesParams::new(2).gamma(-0.5)),
            "invalid parameter gamma=-0.5: expected a finite number >= 0"
        );
        assert!(err(KPrototypesParams::new(2).gamma(f64::INFINITY)).contains("gamma=inf"));
    }

    #[test]
    fn n_init_and_max_iter_must_be_positive() {
        assert!(err(KPrototypesParams::new(2).n_init(0)).contains("n_init=0"));
        assert!(err(KPrototypesParams::new(2).max_iter(0)).contains("max_iter=0"));
    }

    #[test]
    fn both_kinds_of_columns_are_required() {
        let numeric = array![[0.0], [1.0]];
        let none = Array2::<u32>::zeros((2, 0));
        let e = KPrototypesParams::new(1).fit(numeric.view(), none.view()).unwrap_err();
        assert!(e.to_string().contains("at least one categorical column"), "{e}");
        let e = KPrototypesParams::new(1)
            .fit(Array2::zeros((2, 0)).view(), array![[0u32], [1]].view())
            .unwrap_err();
        assert!(e.to_string().contains("at least one numeric column"), "{e}");
    }

    #[test]
    fn rows_must_agree_and_values_be_valid() {
        let e = KPrototypesParams::new(1)
            .fit(array![[0.0], [1.0]].view(), array![[0u32]].view())
            .unwrap_err();
        assert!(e.to_string().contains("expected 2, found 1"), "{e}");
        let e = KPrototypesParams::new(1)
            .fit(array![[0.0], [f64::NAN]].view(), array![[0u32], [1]].view())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "numeric contains a non-finite value (NaN) at row 1, column 0"
        );
        let e = KPrototypesParams::new(1)
            .fit(array![[0.0], [1.0]].view(), array![[0u32], [70_000]].view())
            .unwrap_err();
        assert!(e.to_string().contains("code 70000 at row 1, column 0"), "{e}");
    }

    #[test]
    fn given_centroids_must_match_the_shapes() {
        let p = KPrototypesParams::new(2).init(KPrototypesInit::Centroids {
            numeric: array![[0.0], [1.0]],
            categorical: array![[0u32, 1], [1, 1]],
        });
        assert!(err(p).contains("init categorical modes: expected 2 x 1"));
        let p = KPrototypesParams::new(2).init(KPrototypesInit::Centroids {
            numeric: array![[0.0], [f64::NAN]],
            categorical: array![[0u32], [1]],
        });
        assert!(err(p).contains("init numeric centroids contains a non-finite value"));
    }
}
