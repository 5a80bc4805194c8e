//! Is a block of survey items fit for factoring, how many factors, and how
//! reliable is a scale? KMO, Bartlett's test of sphericity, Horn's parallel
//! analysis, the Kaiser count and scree data, Cronbach's α.
//!
//! Every function takes respondents × items; rows with a missing answer
//! (NaN) are left out (complete cases) and the number left out is reported.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::factor::enough_rows;
use super::linalg::{
    correlation, pseudo_inverse_symmetric, spd_inverse, squared_multiple_correlations, symmetric_eigenvalues,
};
use super::{complete_rows, finite_or_missing};
use crate::error::{Error, Result};

/// The complete rows of `x` after the shared checks, and how many were left out.
fn complete_cases(x: ArrayView2<'_, f64>, min_items: usize) -> Result<(Array2<f64>, usize)> {
    crate::check::non_empty("X", x)?;
    if x.ncols() < min_items {
        return Err(Error::InsufficientData {
            what: format!("X has {} item(s); expected at least {min_items}", x.ncols()),
        });
    }
    finite_or_missing("X", x)?;
    let rows = complete_rows(x);
    Ok((x.select(Axis(0), &rows), x.nrows() - rows.len()))
}

/// The correlation matrix of the complete cases, which must outnumber the items.
fn complete_correlation(x: ArrayView2<'_, f64>) -> Result<(Array2<f64>, usize, usize)> {
    let (complete, dropped) = complete_cases(x, 2)?;
    enough_rows(complete.nrows(), x.ncols(), x.nrows())?;
    Ok((correlation(complete.view())?, complete.nrows(), dropped))
}

/// Kaiser's (1974) names for KMO values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KmoBand {
    /// ≥ .90
    Marvellous,
    /// .80–.90
    Meritorious,
    /// .70–.80
    Middling,
    /// .60–.70
    Mediocre,
    /// .50–.60
    Miserable,
    /// < .50
    Unacceptable,
}

impl KmoBand {
    /// The band of a KMO value.
    pub fn of(kmo: f64) -> KmoBand {
        match kmo {
            v if v >= 0.9 => KmoBand::Marvellous,
            v if v >= 0.8 => KmoBand::Meritorious,
            v if v >= 0.7 => KmoBand::Middling,
            v if v >= 0.6 => KmoBand::Mediocre,
            v if v >= 0.5 => KmoBand::Miserable,
            _ => KmoBand::Unacceptable,
        }
    }

    /// Kaiser's word, lower case.
    pub fn name(self) -> &'static str {
        match self {
            KmoBand::Marvellous => "marvellous",
            KmoBand::Meritorious => "meritorious",
            KmoBand::Middling => "middling",
            KmoBand::Mediocre => "mediocre",
            KmoBand::Miserable => "miserable",
            KmoBand::Unacceptable => "unacceptable",
        }
    }
}

/// Kaiser–Meyer–Olkin measure of sampling adequacy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kmo {
    /// Σr² / (Σr² + Σq²) over all off-diagonal pairs.
    pub overall: f64,
    /// The same per item (its row of the matrices).
    pub per_item: Array1<f64>,
    /// Kaiser's band of `overall`.
    pub band: KmoBand,
    /// Whether the correlation matrix was singular, so that the partial
    /// correlations came from its pseudo-inverse (as factor_analyzer does).
    pub singular: bool,
    /// Complete rows used.
    pub n_obs: usize,
    /// Rows left out for a missing answer.
    pub n_rows_dropped: usize,
}

/// KMO of the items (columns) of `x`: correlations r against the partial
/// (anti-image) correlations q_ij = −P_ij/√(P_ii P_jj), P = R⁻¹.
pub fn kmo(x: ArrayView2<'_, f64>) -> Result<Kmo> {
    let (r, n_obs, n_rows_dropped) = complete_correlation(x)?;
    let (inverse, singular) = match spd_inverse(r.view()) {
        Some(inverse) => (inverse, false),
        None => (pseudo_inverse_symmetric(r.view()), true),
    };
    let p = r.nrows();
    let (mut r2, mut q2) = (Array1::<f64>::zeros(p), Array1::<f64>::zeros(p));
    for i in 0..p {
        for j in (0..p).filter(|&j| j != i) {
            r2[i] += r[(i, j)].powi(2);
            q2[i] += inverse[(i, j)].powi(2) / (inverse[(i, i)] * inverse[(j, j)]);
        }
    }
    let overall = r2.sum() / (r2.sum() + q2.sum());
    Ok(Kmo {
        overall,
        per_item: &r2 / &(&r2 + &q2),
        band: KmoBand::of(overall),
        singular,
        n_obs,
        n_rows_dropped,
    })
}

/// An eigenvalue below this fraction of the largest makes a correlation
/// matrix singular for Bartlett's test.
const SINGULAR_RATIO: f64 = 1e-12;

/// Bartlett's (1951) test that the correlation matrix is the identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bartlett {
    /// χ² = −(n − 1 − (2p + 5)/6) · ln|R|.
    pub statistic: f64,
    /// p(p − 1)/2.
    pub df: f64,
    /// Upper tail of χ²(df) at the statistic.
    pub p_value: f64,
    /// Complete rows used (n).
    pub n_obs: usize,
    /// Rows left out for a missing answer.
    pub n_rows_dropped: usize,
}

/// Bartlett's test of sphericity on the items of `x`.
pub fn bartlett_sphericity(x: ArrayView2<'_, f64>) -> Result<Bartlett> {
    let (r, n_obs, n_rows_dropped) = complete_correlation(x)?;
    let eigenvalues = symmetric_eigenvalues(r.view())?;
    let largest = eigenvalues.first().copied().unwrap_or(0.0);
    if let Some(&smallest) = eigenvalues
        .iter()
        .last()
        .filter(|v| v.is_nan() || **v <= SINGULAR_RATIO * largest)
    {
        return Err(Error::NumericalFailure {
            what: format!(
                "Bartlett's test needs a non-singular correlation matrix; its smallest eigenvalue is {smallest:e} \
                 (an item is a linear combination of others)"
            ),
        });
    }
    let log_det: f64 = eigenvalues.iter().map(|v| v.ln()).sum();
    let p = r.nrows() as f64;
    let statistic = -(n_obs as f64 - 1.0 - (2.0 * p + 5.0) / 6.0) * log_det;
    let df = p * (p - 1.0) / 2.0;
    let p_value = ChiSquared::new(df).map_or(f64::NAN, |chi2| chi2.sf(statistic));
    Ok(Bartlett {
        statistic,
        df,
        p_value,
        n_obs,
        n_rows_dropped,
    })
}

/// Settings of Horn's parallel analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelAnalysisParams {
    /// Random data sets (default 100).
    pub n_sets: usize,
    /// Quantile of the random eigenvalues to beat (default 0.95).
    pub quantile: f64,
    /// Seed; the result does not depend on the number of threads.
    pub seed: u64,
}

impl Default for ParallelAnalysisParams {
    fn default() -> Self {
        ParallelAnalysisParams {
            n_sets: 100,
            quantile: 0.95,
            seed: 0,
        }
    }
}

impl ParallelAnalysisParams {
    /// Checks each rule.
    pub fn check(&self) -> Result<()> {
        if self.n_sets == 0 {
            return Err(Error::invalid_parameter("n_sets", 0, "at least 1"));
        }
        if !(self.quantile > 0.0 && self.quantile < 1.0) {
            return Err(Error::invalid_parameter(
                "quantile",
                self.quantile,
                "a number in (0, 1)",
            ));
        }
        Ok(())
    }
}

/// Horn's (1965) parallel analysis, for components and for common factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParallelAnalysis {
    /// Eigenvalues of the data's correlation matrix, largest first.
    pub observed_components: Array1<f64>,
    /// The same with squared multiple correlations on the diagonal.
    pub observed_factors: Array1<f64>,
    /// Per position, the chosen quantile of the random data's eigenvalues.
    pub random_components: Array1<f64>,
    /// The same for the reduced (SMC) matrices.
    pub random_factors: Array1<f64>,
    /// Leading components whose eigenvalue exceeds the random one.
    pub n_components: usize,
    /// Leading factors whose eigenvalue exceeds the random one.
    pub n_factors: usize,
    /// The settings used.
    pub params: ParallelAnalysisParams,
}

/// Horn's parallel analysis of the items of `x`: `n_sets` data sets of
/// standard normal values of the same shape (complete rows × items), the
/// eigenvalues of each correlation matrix (plain and with SMCs on the
/// diagonal, as psych's `fa.parallel`), and their `quantile` per position.
/// Set `b` draws from its own ChaCha8 stream `b`, so sets are generated in
/// parallel and the result is the same on any number of threads.
pub fn parallel_analysis(x: ArrayView2<'_, f64>, params: &ParallelAnalysisParams) -> Result<ParallelAnalysis> {
    params.check()?;
    let (r, n_obs, _) = complete_correlation(x)?;
    let p = r.nrows();
    let observed_components = symmetric_eigenvalues(r.view())?;
    let observed_factors = smc_eigenvalues(&r)?;
    let random: Vec<EigenvaluePair> = (0..params.n_sets)
        .into_par_iter()
        .map(|set| random_eigenvalues(n_obs, p, params.seed, set as u64))
        .collect::<Result<_>>()?;
    let quantiles = |pick: fn(&EigenvaluePair) -> &Array1<f64>| {
        Array1::from_shape_fn(p, |k| {
            let mut values: Vec<f64> = random.iter().map(|set| pick(set)[k]).collect();
            quantile(&mut values, params.quantile)
        })
    };
    let random_components = quantiles(|set| &set.0);
    let random_factors = quantiles(|set| &set.1);
    Ok(ParallelAnalysis {
        n_components: leading_above(&observed_components, &random_components),
        n_factors: leading_above(&observed_factors, &random_factors),
        observed_components,
        observed_factors,
        random_components,
        random_factors,
        params: params.clone(),
    })
}

fn smc_eigenvalues(r: &Array2<f64>) -> Result<Array1<f64>> {
    let mut reduced = r.clone();
    reduced.diag_mut().assign(&squared_multiple_correlations(r.view()));
    symmetric_eigenvalues(reduced.view())
}

/// Eigenvalues of a correlation matrix, plain and with SMCs on the diagonal.
type EigenvaluePair = (Array1<f64>, Array1<f64>);

fn random_eigenvalues(n: usize, p: usize, seed: u64, set: u64) -> Result<EigenvaluePair> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(set);
    let data = Array2::from_shape_simple_fn((n, p), || StandardNormal.sample(&mut rng));
    let r = correlation(data.view())?;
    Ok((symmetric_eigenvalues(r.view())?, smc_eigenvalues(&r)?))
}

/// Quantile with linear interpolation between order statistics (numpy's
/// default, R's type 7).
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let position = q * (values.len() - 1) as f64;
    let (below, fraction) = (position.floor() as usize, position.fract());
    let above = (below + 1).min(values.len() - 1);
    values[below] + fraction * (values[above] - values[below])
}

fn leading_above(observed: &Array1<f64>, random: &Array1<f64>) -> usize {
    observed.iter().zip(random).take_while(|(o, r)| o > r).count()
}

/// Number of eigenvalues above 1 (Kaiser's rule for a correlation matrix).
pub fn kaiser_count(eigenvalues: &[f64]) -> usize {
    eigenvalues.iter().filter(|&&v| v > 1.0).count()
}

/// Scree data: the correlation matrix's eigenvalues with their share of the
/// total variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scree {
    /// Eigenvalues, largest first.
    pub eigenvalues: Array1<f64>,
    /// Eigenvalue / number of items.
    pub proportion: Array1<f64>,
    /// Running sum of `proportion`.
    pub cumulative: Array1<f64>,
    /// Eigenvalues above 1.
    pub kaiser_count: usize,
}

/// Scree data of the items of `x` (complete cases).
pub fn scree(x: ArrayView2<'_, f64>) -> Result<Scree> {
    let (complete, _) = complete_cases(x, 2)?;
    if complete.nrows() < 2 {
        return Err(Error::InsufficientData {
            what: format!("{} complete rows; a correlation needs at least 2", complete.nrows()),
        });
    }
    let eigenvalues = symmetric_eigenvalues(correlation(complete.view())?.view())?;
    let proportion = &eigenvalues / eigenvalues.len() as f64;
    let mut running = 0.0;
    let cumulative = proportion.mapv(|v| {
        running += v;
        running
    });
    Ok(Scree {
        kaiser_count: kaiser_count(eigenvalues.as_slice().unwrap_or_default()),
        eigenvalues,
        proportion,
        cumulative,
    })
}

/// George & Mallery's names for values of Cronbach's α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CronbachBand {
    /// ≥ .8
    Good,
    /// .7–.8
    Acceptable,
    /// .6–.7
    Questionable,
    /// .5–.6
    Poor,
    /// < .5
    Unacceptable,
}

impl CronbachBand {
    /// The band of an α.
    pub fn of(alpha: f64) -> CronbachBand {
        match alpha {
            a if a >= 0.8 => CronbachBand::Good,
            a if a >= 0.7 => CronbachBand::Acceptable,
            a if a >= 0.6 => CronbachBand::Questionable,
            a if a >= 0.5 => CronbachBand::Poor,
            _ => CronbachBand::Unacceptable,
        }
    }

    /// The name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            CronbachBand::Good => "good",
            CronbachBand::Acceptable => "acceptable",
            CronbachBand::Questionable => "questionable",
            CronbachBand::Poor => "poor",
            CronbachBand::Unacceptable => "unacceptable",
        }
    }
}

/// Cronbach's α of one scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CronbachAlpha {
    /// α = k/(k − 1) · (1 − Σ var(item) / var(total)), sample variances.
    pub alpha: f64,
    /// α of the scale without each item (NaN for a two-item scale).
    pub alpha_if_deleted: Array1<f64>,
    /// Band of `alpha`.
    pub band: CronbachBand,
    /// Complete rows used.
    pub n_obs: usize,
    /// Rows left out for a missing answer.
    pub n_rows_dropped: usize,
}

/// Cronbach's α of the items (columns) of `x`, already keyed (reverse-scored
/// items reversed), on the complete rows.
pub fn cronbach_alpha(x: ArrayView2<'_, f64>) -> Result<CronbachAlpha> {
    let (complete, n_rows_dropped) = complete_cases(x, 2)?;
    if complete.nrows() < 2 {
        return Err(Error::InsufficientData {
            what: format!("{} complete rows; Cronbach's alpha needs at least 2", complete.nrows()),
        });
    }
    let covariance = super::linalg::covariance(complete.view()).0;
    let alpha = alpha_of(&covariance, None)?;
    let k = covariance.nrows();
    let alpha_if_deleted = Array1::from_shape_fn(k, |i| {
        if k > 2 {
            alpha_of(&covariance, Some(i)).unwrap_or(f64::NAN)
        } else {
            f64::NAN
        }
    });
    Ok(CronbachAlpha {
        alpha,
        alpha_if_deleted,
        band: CronbachBand::of(alpha),
        n_obs: complete.nrows(),
        n_rows_dropped,
    })
}

/// α from the item covariance matrix, optionally without one item.
fn alpha_of(covariance: &Array2<f64>, without: Option<usize>) -> Result<f64> {
    let keep: Vec<usize> = (0..covariance.nrows()).filter(|&i| Some(i) != without).collect();
    let k = keep.len() as f64;
    let item_variance: f64 = keep.iter().map(|&i| covariance[(i, i)]).sum();
    let total_variance: f64 = keep
        .iter()
        .flat_map(|&i| keep.iter().map(move |&j| covariance[(i, j)]))
        .sum();
    if total_variance.is_nan() || total_variance <= 0.0 {
        return Err(Error::InsufficientData {
            what: "the scale total has zero variance (every respondent has the same total); alpha is undefined".into(),
        });
    }
    Ok(k / (k - 1.0) * (1.0 - item_variance / total_variance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn kmo_bands_follow_kaiser() {
        let names: Vec<&str> = [0.95, 0.85, 0.75, 0.65, 0.55, 0.3]
            .iter()
            .map(|&v| KmoBand::of(v).name())
            .collect();
        assert_eq!(
            names,
            [
                "marvellous",
                "meritorious",
                "middling",
                "mediocre",
                "miserable",
                "unacceptable"
            ]
        );
    }

    #[test]
    fn cronbach_bands_follow_george_and_mallery() {
        let names: Vec<&str> = [0.85, 0.75, 0.65, 0.55, 0.45]
            .iter()
            .map(|&v| CronbachBand::of(v).name())
            .collect();
        assert_eq!(names, ["good", "acceptable", "questionable", "poor", "unacceptable"]);
    }

    #[test]
    fn alpha_of_parallel_items_matches_the_hand_formula() {
        let x = array![
            [1.0, 2.0, 2.0],
            [2.0, 2.0, 3.0],
            [3.0, 4.0, 3.0],
            [4.0, 5.0, 5.0],
            [5.0, 4.0, 5.0]
        ];
        let a = cronbach_alpha(x.view()).unwrap();
        // var(items) = 2.5, 1.8, 1.8; var(total) = 16.5 (hand computed).
        let expected = 1.5 * (1.0 - 6.1 / 16.5);
        assert!((a.alpha - expected).abs() < 1e-12, "{}", a.alpha);
        assert_eq!(a.band, CronbachBand::of(expected));
    }

    #[test]
    fn missing_answers_drop_the_row_and_are_counted() {
        let x = array![
            [1.0, 2.0, 2.0],
            [2.0, f64::NAN, 3.0],
            [3.0, 4.0, 3.0],
            [4.0, 5.0, 5.0],
            [5.0, 4.0, 5.0]
        ];
        let a = cronbach_alpha(x.view()).unwrap();
        assert_eq!((a.n_obs, a.n_rows_dropped), (4, 1));
    }

    #[test]
    fn constant_total_is_an_error() {
        let x = array![[1.0, 2.0], [2.0, 1.0], [0.0, 3.0]];
        assert!(
            cronbach_alpha(x.view())
                .unwrap_err()
                .to_string()
                .contains("zero variance")
        );
    }

    #[test]
    fn constant_item_is_named() {
        let x = array![
            [1.0, 2.0, 3.0],
            [1.0, 1.0, 5.0],
            [1.0, 3.0, 4.0],
            [1.0, 0.0, 1.0],
            [1.0, 2.0, 2.0]
        ];
        assert_eq!(
            kmo(x.view()).unwrap_err().to_string(),
            "column 0 of X is constant (zero variance): its correlations are undefined; drop it"
        );
    }

    #[test]
    fn parallel_analysis_params_are_checked() {
        let bad = ParallelAnalysisParams {
            n_sets: 0,
            ..Default::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("n_sets=0"));
        let bad = ParallelAnalysisParams {
            quantile: 1.0,
            ..Default::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("quantile=1"));
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let mut v = [4.0, 1.0, 3.0, 2.0];
        assert!((quantile(&mut v, 0.95) - 3.85).abs() < 1e-12);
    }

    #[test]
    fn bartlett_rejects_a_singular_matrix() {
        let x = array![
            [1.0, 2.0, 3.0],
            [2.0, 1.0, 3.0],
            [3.0, 5.0, 8.0],
            [4.0, 1.0, 5.0],
            [0.0, 2.0, 2.0]
        ];
        assert!(
            bartlett_sphericity(x.view())
                .unwrap_err()
                .to_string()
                .contains("non-singular")
        );
    }

    #[test]
    fn kaiser_count_counts_eigenvalues_above_one() {
        assert_eq!(kaiser_count(&[2.5, 1.2, 1.0, 0.3]), 2);
    }
}
