//! Gaussian mixtures fitted by expectation–maximisation, as scikit-learn's
//! `GaussianMixture`.
//!
//! ```
//! use ndarray::array;
//! use segmint::cluster::GaussianMixture;
//!
//! let x = array![[0.0, 0.1], [0.2, 0.0], [0.1, 0.3], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]];
//! let model = GaussianMixture::params(2).seed(3).fit(x.view())?;
//! let labels = model.predict(x.view())?;
//! assert_eq!(labels[0], labels[2]);
//! assert_ne!(labels[0], labels[3]);
//! let bic = model.bic(x.view())?; // for choosing the number of components
//! # let _ = bic;
//! # Ok::<(), segmint::Error>(())
//! ```
//!
//! The E step works in log space (log-sum-exp per row); precisions are kept
//! as Cholesky factors, so each density costs one triangular product. Rows
//! are processed in fixed blocks whose partial sums are added in block order,
//! so a seed gives bit-identical results on any number of threads; the
//! `n_init` runs run in parallel.

mod algorithm;
mod covariance;
mod linalg;
mod params;

pub use algorithm::GaussianMixture;
pub use covariance::{CovarianceType, Covariances, n_parameters};
pub use params::{GaussianMixtureInit, GaussianMixtureParams};

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Three Gaussian blobs with different spreads, interleaved.
    fn blobs(n: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let spread = [0.5, 1.0, 1.5];
        Array2::from_shape_fn((n, 2), |(i, f)| {
            let u: f64 = rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5;
            centres[i % 3][f] + spread[i % 3] * u * 2.0
        })
    }

    #[test]
    fn recovers_blobs_with_every_covariance_type() {
        let x = blobs(600);
        for kind in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            let m = GaussianMixture::params(3)
                .covariance_type(kind)
                .seed(1)
                .fit(x.view())
                .unwrap();
            assert!(m.converged(), "{kind:?}");
            let labels = m.predict(x.view()).unwrap();
            for i in 0..600 {
                assert_eq!(labels[i], labels[i % 3], "{kind:?} row {i}");
            }
            assert!((m.weights().sum() - 1.0).abs() < 1e-12);
            let proba = m.predict_proba(x.view()).unwrap();
            for row in proba.outer_iter() {
                assert!((row.sum() - 1.0).abs() < 1e-12);
            }
            let score = m.score(x.view()).unwrap();
            // The lower bound is the score before the last M step, which only raises it.
            assert!(score >= m.lower_bound() - 1e-9);
            assert!(
                (m.bic(x.view()).unwrap() - (-2.0 * score * 600.0 + m.n_parameters() as f64 * 600f64.ln())).abs()
                    < 1e-9
            );
        }
    }

    #[test]
    fn random_init_and_n_init_keep_the_best_lower_bound() {
        let x = blobs(300);
        let one = GaussianMixture::params(3)
            .init(GaussianMixtureInit::Random)
            .seed(2)
            .fit(x.view())
            .unwrap();
        let many = GaussianMixture::params(3)
            .init(GaussianMixtureInit::Random)
            .seed(2)
            .n_init(4)
            .fit(x.view())
            .unwrap();
        assert!(many.lower_bound() >= one.lower_bound());
    }

    #[test]
    fn given_means_start_the_fit() {
        let x = blobs(300);
        let m = GaussianMixture::params(3)
            .means_init(array![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
            .weights_init(array![0.2, 0.3, 0.5])
            .covariance_type(CovarianceType::Diag)
            .precisions_init(Covariances::Diag(Array2::ones((3, 2))))
            .fit(x.view())
            .unwrap();
        // Components keep the order of the given means.
        assert!((m.means()[[1, 0]] - 10.0).abs() < 0.3 && (m.means()[[2, 1]] - 10.0).abs() < 0.3);
    }

    #[test]
    fn identical_on_one_and_many_threads_and_serde_round_trip() {
        let x = blobs(3 * 1024 + 7);
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| GaussianMixture::params(3).seed(4).n_init(2).fit(x.view()).unwrap())
        };
        let one = fit_on(1);
        for threads in [2, 8] {
            let many = fit_on(threads);
            assert_eq!(one, many, "{threads} threads");
            assert_eq!(one.lower_bound().to_bits(), many.lower_bound().to_bits());
        }
        let back: GaussianMixture = serde_json::from_str(&serde_json::to_string(&one).unwrap()).unwrap();
        assert_eq!(back, one);
        assert_eq!(
            back.score_samples(x.view()).unwrap(),
            one.score_samples(x.view()).unwrap()
        );
    }

    #[test]
    fn scoring_checks_the_input() {
        let m = GaussianMixture::params(1).fit(blobs(30).view()).unwrap();
        let e = m.predict(array![[1.0]].view()).unwrap_err().to_string();
        assert!(e.contains("number of features"), "{e}");
        let e = m.score(array![[1.0, f64::NAN]].view()).unwrap_err().to_string();
        assert!(e.contains("non-finite"), "{e}");
    }

    #[test]
    fn duplicated_points_with_no_regularisation_fail_clearly() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [3.0, 2.0]];
        let e = GaussianMixture::params(2)
            .reg_covar(0.0)
            .fit(x.view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not positive definite"), "{e}");
    }
}
