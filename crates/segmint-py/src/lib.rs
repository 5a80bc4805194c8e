//! `segmint._native`: thin pyo3 wrappers over the segmint core. The Python
//! package (`python/segmint`) builds the user-facing API on top.

mod cluster;
mod clv;
mod data;
mod error;
mod features;
mod metrics;
mod mixtures;
mod model;
mod pipeline;
mod population;
mod reduce;
mod state;
mod validate;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", segmint::VERSION)?;
    // The core's limits, so that Python states none of its own.
    m.add("KPROTOTYPES_MAX_LEVELS", segmint::cluster::kprototypes::MAX_LEVELS)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_predict, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_transform, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_score, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_lloyd_step, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::kmeans_farthest_rows, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::minibatch_fit, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::gmm_fit, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::gmm_predict, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::gmm_predict_proba, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::gmm_score_samples, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::gmm_criteria, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::kprototypes_fit, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::kprototypes_predict, m)?)?;
    m.add_function(wrap_pyfunction!(mixtures::ward_fit, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::silhouette_score, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::silhouette_samples, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::calinski_harabasz, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::davies_bouldin, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::cluster_moments, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::merge_cluster_moments, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::cluster_distance_totals, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::indices_of_moments, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::adjusted_rand_index, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::pair_jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::gap_statistic, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::bootstrap_stability, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::prediction_strength, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::feature_effects, m)?)?;
    m.add_function(wrap_pyfunction!(validate::masda_scorecard, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_transactions, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::rfm, m)?)?;
    m.add_function(wrap_pyfunction!(features::rfm_summary, m)?)?;
    m.add_function(wrap_pyfunction!(clv::btyd_fit, m)?)?;
    m.add_function(wrap_pyfunction!(clv::btyd_predict, m)?)?;
    m.add_function(wrap_pyfunction!(clv::btyd_evaluate_holdout, m)?)?;
    m.add_function(wrap_pyfunction!(clv::btyd_expected, m)?)?;
    m.add_function(wrap_pyfunction!(clv::btyd_probability_of_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(clv::gamma_gamma_fit, m)?)?;
    m.add_function(wrap_pyfunction!(clv::gamma_gamma_expected_profit, m)?)?;
    m.add_function(wrap_pyfunction!(clv::customer_lifetime_value, m)?)?;
    m.add_function(wrap_pyfunction!(features::customer_features, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::segment, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::segment_table, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::segment_aggregated, m)?)?;
    m.add_function(wrap_pyfunction!(population::predictive_models, m)?)?;
    m.add_function(wrap_pyfunction!(population::profile_part, m)?)?;
    m.add_function(wrap_pyfunction!(population::profile_whole_base, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::report_html, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::make_customers, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::make_survey, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::segment_survey, m)?)?;
    m.add_function(wrap_pyfunction!(model::check_model, m)?)?;
    m.add_function(wrap_pyfunction!(model::read_model, m)?)?;
    m.add_function(wrap_pyfunction!(model::write_text, m)?)?;
    m.add_function(wrap_pyfunction!(model::score, m)?)?;
    m.add_function(wrap_pyfunction!(model::migration, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::pca_fit, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::pca_transform, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::pca_inverse_transform, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::factor_analysis_fit, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::factor_analysis_transform, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::kmo, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::bartlett_sphericity, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::parallel_analysis, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::cronbach_alpha, m)?)?;
    m.add_function(wrap_pyfunction!(reduce::scree, m)?)?;
    Ok(())
}
