//! Shared benchmark inputs: seeded data, identical in every run.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n × d` points around `k` centres drawn in `[-10, 10]^d`, unit noise
/// (a sum of uniforms, close to Gaussian). Deterministic for a seed.
pub fn gaussian_blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = Array2::from_shape_fn((k, d), |_| rng.random_range(-10.0..10.0));
    Array2::from_shape_fn((n, d), |(i, f)| {
        let noise: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
        centres[[i % k, f]] + noise * 3f64.sqrt()
    })
}

/// The blob of each row of [`gaussian_blobs`] (row `i` is drawn around centre `i % k`).
pub fn blob_labels(n: usize, k: usize) -> Vec<usize> {
    (0..n).map(|i| i % k).collect()
}
