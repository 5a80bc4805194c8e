"""Cluster validity indices and partition comparisons, with scikit-learn's names.

Labels may be any hashable values (ints, strings); they are coded 0..k first.
"""

from __future__ import annotations

from typing import Any

import json

import numpy as np
import pandas as pd

from . import _native
from ._base import as_matrix, count, per_row, seed_from

__all__ = [
    "silhouette_score",
    "silhouette_samples",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "adjusted_rand_score",
    "pair_jaccard_score",
    "gap_statistic",
    "bootstrap_stability",
    "prediction_strength",
    "feature_effects",
]


def _by_value(labels: np.ndarray) -> np.ndarray:
    return np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _labels(labels: Any, n: int | None = None, name: str = "labels") -> np.ndarray:
    """Labels for the native indices: integers go as they are (uncopied when
    int64 and contiguous) and are numbered there; other values are coded here."""
    labels = per_row(labels, n, name)
    beyond_int64 = labels.dtype == np.uint64 and labels.size and labels.max() > np.iinfo(np.int64).max
    if labels.dtype.kind in "iu" and not beyond_int64:
        return np.ascontiguousarray(labels, dtype=np.int64)
    return _by_value(labels)


def _prepared(X: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    X = as_matrix(X, dtype=np.float64)
    return X, _labels(labels, X.shape[0])


def silhouette_score(X: Any, labels: Any, *, sample_size: int | None = None, random_state: Any = None) -> float:
    """Mean silhouette coefficient (exact; memory O(n)); ``sample_size`` rows drawn at random if given."""
    X, labels = _prepared(X, labels)
    return float(_native.silhouette_score(X, labels, sample_size, seed_from(random_state)))


def silhouette_samples(X: Any, labels: Any) -> np.ndarray:
    """Silhouette coefficient of every row."""
    return _native.silhouette_samples(*_prepared(X, labels))


def calinski_harabasz_score(X: Any, labels: Any) -> float:
    """Calinski–Harabasz index (higher is better)."""
    return float(_native.calinski_harabasz(*_prepared(X, labels)))


def davies_bouldin_score(X: Any, labels: Any) -> float:
    """Davies–Bouldin index (lower is better)."""
    return float(_native.davies_bouldin(*_prepared(X, labels)))


def adjusted_rand_score(labels_true: Any, labels_pred: Any) -> float:
    """Adjusted Rand index of two labellings of the same rows."""
    return float(_native.adjusted_rand_index(_labels(labels_true, name="labels_true"), _labels(labels_pred, name="labels_pred")))


def pair_jaccard_score(labels_a: Any, labels_b: Any) -> float:
    """Jaccard index over pairs of rows: together in both / together in either."""
    return float(_native.pair_jaccard(_labels(labels_a, name="labels_a"), _labels(labels_b, name="labels_b")))


def gap_statistic(
    X: Any, *, k_range: range = range(1, 9), n_refs: int = 20, n_init: int = 1, random_state: Any = 0
) -> pd.DataFrame:
    """Gap statistic of k-means (Tibshirani, Walther & Hastie 2001).

    Reference sets are drawn uniformly in the box aligned with the principal
    components of ``X``. Returns a DataFrame indexed by k with ``log_w``,
    ``expected_log_w``, ``gap``, ``s`` (the standard error sd·√(1 + 1/B)) and
    ``chosen``: True for the smallest k with Gap(k) ≥ Gap(k+1) − s(k+1).
    """
    ks = [count(k, "k_range") for k in k_range]
    result = json.loads(_native.gap_statistic(as_matrix(X, dtype=np.float64), ks, n_refs, n_init, seed_from(random_state)))
    frame = pd.DataFrame(
        {key: result[key] for key in ("log_w", "expected_log_w", "gap", "s")}, index=pd.Index(result["k"], name="k")
    )
    frame["chosen"] = frame.index == result["chosen"]
    return frame


def bootstrap_stability(
    X: Any, labels: Any, *, n_boot: int = 100, n_init: int = 1, random_state: Any = 0
) -> pd.DataFrame:
    """Per-cluster bootstrap stability (Hennig's clusterboot), refitting k-means.

    Returns one row per cluster (in code order of ``labels``) with the mean
    best Jaccard match over ``n_boot`` resamples and the number of resamples
    in which the cluster dissolved (Jaccard ≤ 0.5).
    """
    X, labels = _prepared(X, labels)
    result = json.loads(_native.bootstrap_stability(X, labels, n_boot, n_init, seed_from(random_state)))
    return pd.DataFrame(
        {"mean_jaccard": result["mean_jaccard"], "dissolved": result["dissolved"]},
        index=pd.Index(range(len(result["dissolved"])), name="cluster"),
    )


def prediction_strength(
    X: Any, n_clusters: int, *, n_splits: int = 50, n_init: int = 1, random_state: Any = 0
) -> tuple[float, float]:
    """Prediction strength of k-means with ``n_clusters`` (Tibshirani & Walther 2005).

    Returns the mean and the standard deviation over ``n_splits`` random
    halvings; a k is supported when the mean is above 0.8.
    """
    result = json.loads(
        _native.prediction_strength(as_matrix(X, dtype=np.float64), n_clusters, n_splits, n_init, seed_from(random_state))
    )
    return float(result["mean"]), float(result["sd"])


def feature_effects(X: Any, labels: Any) -> pd.DataFrame:
    """η² and the Kruskal–Wallis test (H, p, η²_H) of every column across the groups."""
    columns = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    X, labels = _prepared(X, labels)
    rows = []
    for effect in json.loads(_native.feature_effects(X, labels)):
        test = effect["kruskal_wallis"] or {}
        rows.append(
            {
                "eta_squared": effect["eta_squared"],
                "kruskal_h": test.get("h", np.nan),
                "kruskal_p": test.get("p_value", np.nan),
                "eta_squared_h": test.get("eta_squared_h", np.nan),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(columns or range(X.shape[1]), name="feature"))
