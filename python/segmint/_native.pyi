"""Type stubs of the compiled core (segmint._native)."""

import os
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "__version__",
    "KPROTOTYPES_MAX_LEVELS",
    "btyd_evaluate_holdout",
    "btyd_expected",
    "btyd_fit",
    "btyd_predict",
    "btyd_probability_of_purchases",
    "customer_lifetime_value",
    "gamma_gamma_expected_profit",
    "gamma_gamma_fit",
    "customer_features",
    "rfm_summary",
    "kmeans_fit",
    "kmeans_predict",
    "kmeans_transform",
    "kmeans_score",
    "kmeans_lloyd_step",
    "kmeans_farthest_rows",
    "minibatch_fit",
    "gmm_fit",
    "gmm_predict",
    "gmm_predict_proba",
    "gmm_score_samples",
    "gmm_criteria",
    "kprototypes_fit",
    "kprototypes_predict",
    "ward_fit",
    "silhouette_score",
    "silhouette_samples",
    "calinski_harabasz",
    "davies_bouldin",
    "cluster_moments",
    "merge_cluster_moments",
    "cluster_distance_totals",
    "indices_of_moments",
    "adjusted_rand_index",
    "pair_jaccard",
    "gap_statistic",
    "bootstrap_stability",
    "prediction_strength",
    "feature_effects",
    "masda_scorecard",
    "read_transactions",
    "rfm",
    "segment",
    "check_model",
    "score",
    "migration",
    "report_html",
    "make_customers",
    "make_survey",
    "segment_survey",
    "segment_table",
    "segment_aggregated",
    "predictive_models",
    "profile_part",
    "profile_whole_base",
    "read_model",
    "write_text",
    "pca_fit",
    "pca_transform",
    "pca_inverse_transform",
    "factor_analysis_fit",
    "factor_analysis_transform",
    "kmo",
    "bartlett_sphericity",
    "parallel_analysis",
    "cronbach_alpha",
    "scree",
]

__version__: str
KPROTOTYPES_MAX_LEVELS: int

_Matrix: TypeAlias = npt.NDArray[np.float64] | npt.NDArray[np.float32]

def kmeans_fit(
    x: _Matrix,
    n_clusters: int,
    *,
    init: str,
    init_centers: npt.NDArray[np.float64] | None = None,
    n_init: int | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
    seed: int = 0,
    sample_weight: npt.NDArray[np.float64] | None = None,
    algorithm: str = "lloyd",
) -> tuple[_Matrix, npt.NDArray[np.int64], float, int, bool]: ...
def kmeans_predict(x: _Matrix, centers: _Matrix) -> npt.NDArray[np.int64]: ...
def kmeans_transform(x: _Matrix, centers: _Matrix) -> _Matrix: ...
def kmeans_score(
    x: _Matrix,
    centers: _Matrix,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def kmeans_lloyd_step(
    x: _Matrix,
    centers: _Matrix,
    sample_weight: npt.NDArray[np.float64] | None = None,
    *,
    first: bool = True,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def kmeans_farthest_rows(
    x: _Matrix, centers: _Matrix, m: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def minibatch_fit(
    x: _Matrix,
    n_clusters: int,
    *,
    init: str,
    init_centers: npt.NDArray[np.float64] | None = None,
    batch_size: int = 1024,
    max_iter: int = 100,
    tol: float = 0.0,
    max_no_improvement: int | None = None,
    init_size: int | None = None,
    n_init: int | None = None,
    reassignment_ratio: float = 0.01,
    seed: int = 0,
    sample_weight: npt.NDArray[np.float64] | None = None,
    partial: bool = False,
    state: str | None = None,
) -> tuple[str, _Matrix, npt.NDArray[np.int64], float, int, int, npt.NDArray[np.float64], bool]: ...
def gmm_fit(
    x: npt.NDArray[np.float64],
    n_components: int,
    *,
    covariance_type: str = "full",
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    max_iter: int = 100,
    n_init: int = 1,
    init_params: str = "kmeans",
    seed: int = 0,
    weights_init: npt.NDArray[np.float64] | None = None,
    means_init: npt.NDArray[np.float64] | None = None,
    precisions_init: npt.NDArray[np.float64] | None = None,
) -> tuple[
    str,
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    bool,
    int,
    float,
]: ...
def gmm_predict(state: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]: ...
def gmm_predict_proba(state: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def gmm_score_samples(state: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def gmm_criteria(state: str, x: npt.NDArray[np.float64]) -> tuple[float, float, float]: ...
def kprototypes_fit(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.uint32],
    n_clusters: int,
    *,
    gamma: float | None = None,
    init: str = "Cao",
    init_numeric: npt.NDArray[np.float64] | None = None,
    init_categorical: npt.NDArray[np.uint32] | None = None,
    n_init: int = 10,
    max_iter: int = 100,
    seed: int = 0,
) -> tuple[
    str,
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    float,
    int,
    float,
    bool,
    list[int],
]: ...
def kprototypes_predict(
    state: str, numeric: npt.NDArray[np.float64], categorical: npt.NDArray[np.uint32]
) -> npt.NDArray[np.int64]: ...
def ward_fit(
    x: npt.NDArray[np.float64], n_clusters: int, *, max_samples: int = 20000
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def silhouette_score(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], sample_size: int | None = None, seed: int = 0
) -> float: ...
def silhouette_samples(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]: ...
def calinski_harabasz(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def davies_bouldin(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float: ...
def cluster_moments(x: npt.NDArray[np.float64], codes: npt.NDArray[np.int64], n_clusters: int) -> str: ...
def merge_cluster_moments(parts: list[str]) -> tuple[str, npt.NDArray[np.float64]]: ...
def cluster_distance_totals(
    x: npt.NDArray[np.float64], codes: npt.NDArray[np.int64], centroids: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def indices_of_moments(
    moments: str, distance_totals: npt.NDArray[np.float64] | None = None
) -> tuple[float, float | None]: ...
def adjusted_rand_index(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> float: ...
def pair_jaccard(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> float: ...
def gap_statistic(
    x: npt.NDArray[np.float64], ks: list[int], references: int = 20, n_init: int = 1, seed: int = 0
) -> str: ...
def bootstrap_stability(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], replicates: int = 100, n_init: int = 1, seed: int = 0
) -> str: ...
def prediction_strength(x: npt.NDArray[np.float64], k: int, splits: int = 50, n_init: int = 1, seed: int = 0) -> str: ...
def feature_effects(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> str: ...
def masda_scorecard(
    x: npt.NDArray[np.float64],
    feature_names: list[str],
    labels: npt.NDArray[np.int64],
    *,
    revenue: npt.NDArray[np.float64] | None = None,
    value: npt.NDArray[np.float64] | None = None,
    reachable: list[bool] | None = None,
    scales_json: str | None = None,
    strategies: list[str] | None = None,
    options_json: str | None = None,
) -> str: ...
def read_transactions(
    source: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    quantity_col: str | None = None,
    price_col: str | None = None,
    order_col: str | None = None,
    product_col: str | None = None,
    category_col: str | None = None,
    channel_col: str | None = None,
    discount_col: str | None = None,
    date_format: str | None = None,
    delimiter: str = ",",
    on_bad_row: str = "drop",
) -> dict[str, Any]: ...
def rfm(
    customer_ids: list[str],
    customer_codes: npt.NDArray[np.int64],
    timestamps: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    order_codes: npt.NDArray[np.int64] | None = None,
    as_of: int | None = None,
) -> dict[str, Any]: ...
def rfm_summary(
    keys: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    *,
    ticks_per_second: int = 1,
    time_unit: str = "D",
    freq_multiplier: float = 1.0,
    observation_end: int | None = None,
    calibration_end: int | None = None,
) -> dict[str, Any]: ...
def customer_features(
    customer_ids: list[str],
    customer_codes: npt.NDArray[np.int64],
    timestamps: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    order_codes: npt.NDArray[np.int64] | None = None,
    *,
    quantities: npt.NDArray[np.float64] | None = None,
    products: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    categories: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    channels: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    discounted: npt.NDArray[np.bool_] | None = None,
    launches: tuple[list[str], list[int]] | None = None,
    interactions: tuple[list[str], list[int], list[str], list[float]] | None = None,
    as_of: int | None = None,
    margin: float = 1.0,
    new_product_days: int = 90,
    recent_days: int = 365,
) -> dict[str, Any]: ...
def segment(
    customer_ids: list[str],
    customer_codes: npt.NDArray[np.int64],
    timestamps: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    order_codes: npt.NDArray[np.int64] | None = None,
    *,
    k: int | None = None,
    min_share: float = 0.0,
    seed: int = 0,
    n_init: int | None = None,
    as_of: int | None = None,
    title: str | None = None,
    audit_json: str | None = None,
    customers: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    channels: list[str] | None = None,
    launches: tuple[list[str], list[int]] | None = None,
    interactions: tuple[list[str], list[int], list[str], list[float]] | None = None,
    quantities: npt.NDArray[np.float64] | None = None,
    products: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    categories: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    sales_channels: tuple[list[str], npt.NDArray[np.int64]] | None = None,
    discount_flags: npt.NDArray[np.bool_] | None = None,
    survey: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    survey_scale: tuple[float, float] | None = None,
    basis: list[str] | None = None,
    method: str = "auto",
    recent_days: int = 365,
) -> dict[str, Any]: ...
def read_model(path: str | os.PathLike[str]) -> str: ...
def write_text(path: str | os.PathLike[str], text: str) -> None: ...
def check_model(model_json: str) -> None: ...
def score(
    model_json: str,
    snapshot: dict[str, Any],
    *,
    as_of: int | None = None,
) -> dict[str, Any]: ...
def migration(
    model_json: str,
    snapshot: dict[str, Any],
    *,
    start: int,
    end: int,
    periods: int = 4,
) -> dict[str, Any]: ...
def segment_table(
    customers: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    survey: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    *,
    basis: list[str] | None = None,
    method: str = "auto",
    k: int | None = None,
    min_share: float = 0.0,
    seed: int = 0,
    n_init: int | None = None,
    title: str | None = None,
    missing: str = "impute",
    log: bool = True,
    channels: list[str] | None = None,
    survey_scale: tuple[float, float] | None = None,
) -> dict[str, Any]: ...
def segment_aggregated(
    features: tuple[list[str], list[str], npt.NDArray[np.float64]],
    daily_summary: tuple[list[str], npt.NDArray[np.float64]],
    span: tuple[int, int],
    n_transactions: int,
    *,
    predictive_models: str | None = None,
    k: int | None = None,
    min_share: float = 0.0,
    seed: int = 0,
    n_init: int | None = None,
    as_of: int | None = None,
    title: str | None = None,
    customers: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    channels: list[str] | None = None,
    survey: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    survey_scale: tuple[float, float] | None = None,
    basis: list[str] | None = None,
    method: str = "auto",
    recent_days: int = 365,
) -> dict[str, Any]: ...
def predictive_models(daily_summary: tuple[list[str], npt.NDArray[np.float64]]) -> str: ...
def profile_part(
    model_json: str,
    features: tuple[list[str], list[str], npt.NDArray[np.float64]],
    daily_summary: tuple[list[str], npt.NDArray[np.float64]],
    span: tuple[int, int],
    n_transactions: int,
    *,
    predictive_models: str | None = None,
    customers: tuple[list[str], list[tuple[str, list[float]]], list[tuple[str, list[str]]]] | None = None,
    as_of: int | None = None,
) -> dict[str, Any]: ...
def profile_whole_base(report_json: str, partials: list[str], unplaced: int) -> dict[str, Any]: ...
def report_html(report_json: str) -> str: ...
def make_customers(n_customers: int, seed: int = 0) -> dict[str, Any]: ...
def btyd_fit(
    model: str,
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
    n_starts: int = 3,
    max_iterations: int = 2000,
    initial_params: list[float] | None = None,
    every_start: bool = False,
) -> tuple[list[float], str]: ...
def btyd_evaluate_holdout(
    model: str,
    params: list[float],
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
    holdout_purchases: npt.NDArray[np.float64],
    duration: float,
) -> str: ...
def btyd_predict(
    model: str,
    params: list[float],
    quantity: str,
    t: float,
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def btyd_expected(model: str, params: list[float], t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def btyd_probability_of_purchases(model: str, params: list[float], n: int, t: float) -> float: ...
def gamma_gamma_fit(
    frequency: npt.NDArray[np.float64],
    monetary: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
    n_starts: int = 3,
    max_iterations: int = 2000,
    every_start: bool = False,
) -> tuple[list[float], str]: ...
def gamma_gamma_expected_profit(
    params: list[float], frequency: npt.NDArray[np.float64], monetary: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]: ...
def customer_lifetime_value(
    model: str,
    params: list[float],
    gamma_gamma_params: list[float],
    frequency: npt.NDArray[np.float64],
    recency: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
    monetary: npt.NDArray[np.float64],
    months: int = 12,
    discount_rate: float = 0.01,
    periods_per_month: float = 30.0,
) -> npt.NDArray[np.float64]: ...
def pca_fit(
    x: npt.NDArray[np.float64],
    n_components: int | float | None = None,
    *,
    whiten: bool = False,
    svd_solver: str = "auto",
    seed: int = 0,
    n_oversamples: int = 10,
    power_iterations: int | None = None,
) -> dict[str, Any]: ...
def pca_transform(state: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def pca_inverse_transform(state: str, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def factor_analysis_fit(
    x: npt.NDArray[np.float64],
    n_factors: int,
    *,
    method: str = "minres",
    rotation: str = "varimax",
    promax_power: int = 4,
    max_iter: int = 1000,
    tol: float = 1e-9,
) -> dict[str, Any]: ...
def factor_analysis_transform(state: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def kmo(x: npt.NDArray[np.float64]) -> dict[str, Any]: ...
def bartlett_sphericity(x: npt.NDArray[np.float64]) -> dict[str, Any]: ...
def parallel_analysis(
    x: npt.NDArray[np.float64], *, n_sets: int = 100, quantile: float = 0.95, seed: int = 0
) -> dict[str, Any]: ...
def cronbach_alpha(x: npt.NDArray[np.float64]) -> dict[str, Any]: ...
def scree(x: npt.NDArray[np.float64]) -> dict[str, Any]: ...
def make_survey(ids: list[str], seed: int = 0) -> dict[str, Any]: ...
def segment_survey(
    ids: list[str],
    items: list[str],
    answers: npt.NDArray[np.float64],
    *,
    k: int | None = None,
    basis: str = "items",
    n_factors: int | None = None,
    seed: int = 0,
    bootstrap: int = 100,
    scale: tuple[float, float] | None = None,
) -> dict[str, Any]: ...
