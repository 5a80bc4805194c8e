//! Principal component analysis with scikit-learn's conventions: centred
//! data, components as rows, signs by `svd_flip(u_based_decision=False)`
//! (the largest |value| of each component positive), explained variance with
//! n − 1, optional whitening.

use faer::{Mat, MatRef};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reduce::linalg::{matmul, symmetric_eigen, to_ndarray, with_faer};

/// How the decomposition is computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SvdSolver {
    /// scikit-learn's rule: `CovarianceEigh` for tall data (n ≥ 10p,
    /// p ≤ 1,000), `Full` when the largest side is at most 500,
    /// `Randomized` when fewer than 80% of the components are asked for,
    /// `Full` otherwise.
    #[default]
    Auto,
    /// Thin SVD of the centred data.
    Full,
    /// Eigen-decomposition of XᵀX of the centred data (fast when n ≫ p;
    /// loses precision for the smallest components).
    CovarianceEigh,
    /// Randomized SVD (Halko, Martinsson & Tropp 2011): a seeded Gaussian
    /// sketch, power iterations re-orthonormalised by QR.
    Randomized,
}

/// Unchecked PCA settings; [`PcaParams::fit`] checks them against the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaParams {
    n_components: usize,
    /// Whether scores are whitened.
    pub whiten: bool,
    /// The decomposition asked for.
    pub svd_solver: SvdSolver,
    /// Seed.
    pub seed: u64,
    n_oversamples: usize,
    power_iterations: Option<usize>,
    #[serde(default)]
    variance_fraction: Option<f64>,
}

impl PcaParams {
    /// Defaults for `n_components` components.
    pub fn new(n_components: usize) -> Self {
        PcaParams {
            n_components,
            whiten: false,
            svd_solver: SvdSolver::Auto,
            seed: 0,
            n_oversamples: 10,
            power_iterations: None,
            variance_fraction: None,
        }
    }

    setters! {
        /// Keep the fewest components, up to `n_components`, whose cumulative
        /// explained-variance ratio reaches `fraction` (in (0, 1); scikit-learn's
        /// float `n_components`). The automatic solver is then the full SVD.
        variance_fraction: Some(f64);

        /// Scale the scores to unit variance.
        whiten: bool;

        /// The decomposition.
        svd_solver: SvdSolver;

        /// Seed of the randomized solver's sketch.
        seed: u64;

        /// Extra sketch columns of the randomized solver (default 10).
        n_oversamples: usize;

        /// Power iterations of the randomized solver (default: scikit-learn's
        /// "auto", 7 when fewer than 10% of the components are kept, else 4).
        power_iterations: Some(usize);
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// Checks every rule against data of `n_samples × n_features`.
    pub fn check(&self, n_samples: usize, n_features: usize) -> Result<()> {
        if n_samples < 2 {
            return Err(Error::InsufficientData {
                what: format!("X has n_samples = {n_samples} row(s); PCA needs at least 2"),
            });
        }
        if let Some(fraction) = self.variance_fraction
            && !(fraction > 0.0 && fraction < 1.0)
        {
            return Err(Error::invalid_parameter(
                "n_components",
                fraction,
                "an int >= 1 or a float in (0, 1), the share of the variance to explain",
            ));
        }
        if self.variance_fraction.is_some() && self.svd_solver == SvdSolver::Randomized {
            return Err(Error::invalid_parameter(
                "svd_solver",
                "randomized",
                "auto, full or covariance_eigh with a float n_components (the share of variance needs every component)",
            ));
        }
        if self.n_oversamples == 0 {
            return Err(Error::invalid_parameter("n_oversamples", 0, "an int >= 1"));
        }
        if self.power_iterations == Some(0) {
            return Err(Error::invalid_parameter("iterated_power", 0, "'auto' or an int >= 1"));
        }
        let most = n_samples.min(n_features);
        if self.n_components == 0 || self.n_components > most {
            return Err(Error::invalid_parameter(
                "n_components",
                self.n_components,
                format!("between 1 and min(n_samples, n_features) = {most}"),
            ));
        }
        Ok(())
    }

    /// The solver `Auto` resolves to for this shape.
    pub fn resolved_solver(&self, n_samples: usize, n_features: usize) -> SvdSolver {
        match self.svd_solver {
            SvdSolver::Auto if self.variance_fraction.is_some() => SvdSolver::Full,
            SvdSolver::Auto if n_features <= 1000 && n_samples >= 10 * n_features => SvdSolver::CovarianceEigh,
            SvdSolver::Auto if n_samples.max(n_features) <= 500 => SvdSolver::Full,
            SvdSolver::Auto if (self.n_components as f64) < 0.8 * n_samples.min(n_features) as f64 => {
                SvdSolver::Randomized
            }
            SvdSolver::Auto => SvdSolver::Full,
            solver => solver,
        }
    }

    /// Fits the components to the rows of `x`.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Pca> {
        crate::check::non_empty("X", x)?;
        self.check(x.nrows(), x.ncols())?;
        crate::check::finite("X", x)?;
        let (n, p) = x.dim();
        let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
        let centred = &x - &mean;
        let total_variance = centred.map_axis(Axis(0), |c| c.dot(&c)).sum() / (n as f64 - 1.0);
        let solver = self.resolved_solver(n, p);
        let (singular_values, mut components) = match solver {
            SvdSolver::CovarianceEigh => covariance_eigh(centred.view())?,
            SvdSolver::Randomized => self.randomized(centred.view())?,
            _ => full_svd(centred.view())?,
        };
        flip_signs(&mut components);
        let explained_variance = singular_values.mapv(|s| s * s / (n as f64 - 1.0));
        let k = match self.variance_fraction {
            Some(fraction) => components_explaining(&explained_variance, total_variance, fraction, self.n_components),
            None => self.n_components,
        };
        let kept: f64 = explained_variance.iter().take(k).sum();
        let rest = n.min(p) - k;
        let noise_variance = if rest > 0 {
            ((total_variance - kept) / rest as f64).max(0.0)
        } else {
            0.0
        };
        let explained_variance = explained_variance.slice(ndarray::s![..k]).to_owned();
        Ok(Pca {
            params: self.clone(),
            solver,
            explained_variance_ratio: &explained_variance / total_variance,
            explained_variance,
            singular_values: singular_values.slice(ndarray::s![..k]).to_owned(),
            components: components.slice(ndarray::s![..k, ..]).to_owned(),
            mean,
            noise_variance,
            n_samples: n,
        })
    }

    /// Halko et al.'s algorithms 4.4 (power iterations) and 5.1.
    fn randomized(&self, centred: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
        let (n, p) = centred.dim();
        let k = self.n_components;
        let width = (k + self.n_oversamples).min(n.min(p));
        let power = self
            .power_iterations
            .unwrap_or(if (k as f64) < 0.1 * n.min(p) as f64 { 7 } else { 4 });
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let omega = Array2::from_shape_simple_fn((p, width), || StandardNormal.sample(&mut rng));
        let mut q = orthonormal(matmul(centred, omega.view()));
        for _ in 0..power {
            let back = orthonormal(matmul(centred.t(), q.view()));
            q = orthonormal(matmul(centred, back.view()));
        }
        let b = matmul(q.t(), centred);
        full_svd(b.view())
    }
}

/// How many leading components explain `fraction` of `total_variance`: one
/// more than those whose cumulative ratio stays at or below it (scikit-learn's
/// rule), at most `most`.
fn components_explaining(explained_variance: &Array1<f64>, total_variance: f64, fraction: f64, most: usize) -> usize {
    let mut cumulative = 0.0;
    let below = explained_variance
        .iter()
        .take_while(|&&v| {
            cumulative += v / total_variance;
            cumulative <= fraction
        })
        .count();
    (below + 1).min(most).min(explained_variance.len())
}

/// Q of the thin QR decomposition.
fn orthonormal(a: Array2<f64>) -> Array2<f64> {
    let q: Mat<f64> = with_faer(a.view(), |m| m.qr().compute_thin_Q());
    to_ndarray(q.as_ref())
}

/// Singular values and right singular vectors (rows) of the centred data.
fn full_svd(centred: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let (n, p) = centred.dim();
    let svd = with_faer(centred, |m| m.thin_svd()).map_err(|e| Error::NumericalFailure {
        what: format!("the SVD of the centred {n}x{p} data did not converge ({e:?})"),
    })?;
    let s = svd.S().column_vector();
    let v: MatRef<'_, f64> = svd.V();
    let r = s.nrows();
    Ok((
        Array1::from_shape_fn(r, |i| s[i]),
        Array2::from_shape_fn((r, p), |(i, j)| v[(j, i)]),
    ))
}

/// Singular values and right singular vectors from the eigen-decomposition
/// of XᵀX.
fn covariance_eigh(centred: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let (n, p) = centred.dim();
    let gram = matmul(centred.t(), centred);
    let (values, vectors) = symmetric_eigen(gram.view())?;
    let r = n.min(p);
    Ok((
        Array1::from_shape_fn(r, |i| values[i].max(0.0).sqrt()),
        Array2::from_shape_fn((r, p), |(i, j)| vectors[(j, i)]),
    ))
}

/// scikit-learn's `svd_flip(u_based_decision=False)`: each component's
/// entry of largest absolute value made positive (the first on ties).
fn flip_signs(components: &mut Array2<f64>) {
    for mut row in components.rows_mut() {
        let mut largest = 0.0_f64;
        let mut sign = 1.0;
        for &v in row.iter() {
            if v.abs() > largest {
                largest = v.abs();
                sign = v.signum();
            }
        }
        row *= sign;
    }
}

/// A fitted PCA (build it with [`Pca::params`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    params: PcaParams,
    solver: SvdSolver,
    components: Array2<f64>,
    explained_variance: Array1<f64>,
    explained_variance_ratio: Array1<f64>,
    singular_values: Array1<f64>,
    mean: Array1<f64>,
    noise_variance: f64,
    n_samples: usize,
}

impl Pca {
    /// Settings for `n_components` components:
    /// `Pca::params(2).whiten(true).svd_solver(SvdSolver::Full).fit(x.view())`.
    pub fn params(n_components: usize) -> PcaParams {
        PcaParams::new(n_components)
    }

    /// The settings it was fitted with.
    pub fn settings(&self) -> &PcaParams {
        &self.params
    }

    /// The solver actually used (`Auto` resolved).
    pub fn solver(&self) -> SvdSolver {
        self.solver
    }

    /// Principal axes, components × features, by decreasing variance.
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Variance of each component (n − 1 in the denominator).
    pub fn explained_variance(&self) -> &Array1<f64> {
        &self.explained_variance
    }

    /// Share of the total variance of each component.
    pub fn explained_variance_ratio(&self) -> &Array1<f64> {
        &self.explained_variance_ratio
    }

    /// Singular values of the centred data.
    pub fn singular_values(&self) -> &Array1<f64> {
        &self.singular_values
    }

    /// Per-feature mean of the training data.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// Mean variance of the components left out (probabilistic PCA's σ²).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }

    /// Rows the model was fitted on.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Scores: (x − mean)·componentsᵀ, divided by √explained variance when whitened.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        crate::check::n_features("X", x, self.mean.len())?;
        crate::check::finite("X", x)?;
        let centred = &x - &self.mean;
        let mut scores = matmul(centred.view(), self.components.t());
        if self.params.whiten {
            scores /= &self.explained_variance.mapv(f64::sqrt);
        }
        Ok(scores)
    }

    /// Back to feature space: scores·components + mean (whitening undone).
    pub fn inverse_transform(&self, scores: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if scores.ncols() != self.components.nrows() {
            return Err(Error::ShapeMismatch {
                what: "number of columns of the scores".into(),
                expected: self.components.nrows().to_string(),
                found: scores.ncols().to_string(),
            });
        }
        crate::check::finite("scores", scores)?;
        let mut components = self.components.clone();
        if self.params.whiten {
            for (mut row, &v) in components.rows_mut().into_iter().zip(self.explained_variance.iter()) {
                row *= v.sqrt();
            }
        }
        Ok(matmul(scores, components.view()) + &self.mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_share_of_variance_keeps_the_fewest_components_that_reach_it() {
        // Ratios 0.5, 0.3, 0.2: cumulative 0.5, 0.8, 1.0 (scikit-learn's
        // searchsorted(side="right") + 1).
        let variance = ndarray::arr1(&[5.0, 3.0, 2.0]);
        assert_eq!(components_explaining(&variance, 10.0, 0.4, 3), 1);
        assert_eq!(components_explaining(&variance, 10.0, 0.5, 3), 2);
        assert_eq!(components_explaining(&variance, 10.0, 0.79, 3), 2);
        assert_eq!(components_explaining(&variance, 10.0, 0.95, 3), 3);
        assert_eq!(components_explaining(&variance, 10.0, 0.95, 2), 2);
        let fitted = PcaParams::new(3).variance_fraction(0.9).fit(data().view()).unwrap();
        let ratio = fitted.explained_variance_ratio();
        assert!(
            ratio.sum() >= 0.9 && ratio.slice(ndarray::s![..ratio.len() - 1]).sum() < 0.9,
            "{ratio}"
        );
        for (fraction, solver) in [(1.5, SvdSolver::Auto), (0.5, SvdSolver::Randomized)] {
            let err = PcaParams::new(3)
                .variance_fraction(fraction)
                .svd_solver(solver)
                .fit(data().view())
                .unwrap_err()
                .to_string();
            assert!(err.contains("n_components") || err.contains("svd_solver"), "{err}");
        }
    }

    fn data() -> Array2<f64> {
        array![
            [2.5, 2.4, 0.5],
            [0.5, 0.7, 1.5],
            [2.2, 2.9, 0.1],
            [1.9, 2.2, 0.8],
            [3.1, 3.0, 0.2],
            [2.3, 2.7, 0.9]
        ]
    }

    #[test]
    fn n_components_must_be_in_range() {
        let x = data();
        for bad in [0, 4] {
            assert_eq!(
                Pca::params(bad).fit(x.view()).unwrap_err().to_string(),
                format!("invalid parameter n_components={bad}: expected between 1 and min(n_samples, n_features) = 3")
            );
        }
    }

    #[test]
    fn one_row_is_not_enough() {
        let x = array![[1.0, 2.0]];
        assert!(
            Pca::params(1)
                .fit(x.view())
                .unwrap_err()
                .to_string()
                .contains("at least 2")
        );
    }

    #[test]
    fn solvers_agree_and_round_trip() {
        let x = data();
        let full = Pca::params(3).svd_solver(SvdSolver::Full).fit(x.view()).unwrap();
        for solver in [SvdSolver::CovarianceEigh, SvdSolver::Randomized] {
            let other = Pca::params(3).svd_solver(solver).fit(x.view()).unwrap();
            assert!(
                (other.components() - full.components()).iter().all(|v| v.abs() < 1e-8),
                "{solver:?}"
            );
        }
        let whitened = Pca::params(3).whiten(true).fit(x.view()).unwrap();
        let back = whitened
            .inverse_transform(whitened.transform(x.view()).unwrap().view())
            .unwrap();
        assert!((back - &x).iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn largest_entry_of_each_component_is_positive() {
        let pca = Pca::params(2).fit(data().view()).unwrap();
        for row in pca.components().rows() {
            let largest = row
                .iter()
                .copied()
                .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
            assert!(largest > 0.0);
        }
    }
}
