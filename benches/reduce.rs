//! Criterion benchmarks of the `reduce` module: PCA by each solver
//! (`reduce/pca_{solver}`, ids `{n}x{p}x{k}`) and factor analysis by each
//! extraction on a 2,000 × 40 survey-like matrix (`reduce/factor_analysis`).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use segmint::reduce::{FactorAnalysis, FactorMethod, Pca, Rotation, SvdSolver};

/// `n` rows of `p` features driven by `k` latent factors plus noise.
fn latent_data(n: usize, p: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let loadings = Array2::from_shape_simple_fn((k, p), &mut normal);
    let factors = Array2::from_shape_simple_fn((n, k), &mut normal);
    factors.dot(&loadings) + Array2::from_shape_simple_fn((n, p), &mut normal)
}

fn pca(c: &mut Criterion) {
    let (n, p, k) = (100_000, 30, 5);
    let x = latent_data(n, p, k, 1);
    for (name, solver) in [
        ("reduce/pca_full", SvdSolver::Full),
        ("reduce/pca_covariance_eigh", SvdSolver::CovarianceEigh),
        ("reduce/pca_randomized", SvdSolver::Randomized),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        let params = Pca::params(k).svd_solver(solver).seed(0);
        group.bench_with_input(BenchmarkId::from_parameter(format!("{n}x{p}x{k}")), &x, |b, x| {
            b.iter(|| params.fit(x.view()).expect("fit"))
        });
        group.finish();
    }
}

fn factor_analysis(c: &mut Criterion) {
    let x = latent_data(2_000, 40, 4, 2);
    let mut group = c.benchmark_group("reduce/factor_analysis");
    group.sample_size(10);
    for (id, method) in [
        ("minres", FactorMethod::MinRes),
        ("ml", FactorMethod::MaximumLikelihood),
        ("principal", FactorMethod::PrincipalAxes),
    ] {
        let params = FactorAnalysis::params(4).method(method).rotation(Rotation::PROMAX);
        group.bench_with_input(BenchmarkId::from_parameter(id), &x, |b, x| {
            b.iter(|| params.fit(x.view()).expect("fit"))
        });
    }
    group.finish();
}

criterion_group!(benches, pca, factor_analysis);
criterion_main!(benches);
