"""Cluster validity indices and partition comparisons, with scikit-learn's names.

Labels may be any hashable values (ints, strings); they are coded 0..k first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._base import as_matrix, seed_from
from .exceptions import ParameterError

__all__ = [
    "silhouette_score",
    "silhouette_samples",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "adjusted_rand_score",
    "pair_jaccard_score",
]


def _codes(labels: Any, n: int | None = None, name: str = "labels") -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or (n is not None and len(labels) != n):
        expected = "a 1-D array" if n is None else f"a 1-D array of {n} labels (one per row of X)"
        raise ParameterError(f"invalid parameter {name}: expected {expected}, got shape {labels.shape}")
    if labels.dtype.kind in "iu" and labels.size and labels.min() >= 0 and labels.max() < 2 * labels.size:
        # Small non-negative ints: renumber the used values 0..k in O(n), no sort.
        used = np.bincount(labels) > 0
        return (np.cumsum(used) - 1)[labels].astype(np.int64)
    return np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _prepared(X: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    X = as_matrix(X, dtype=np.float64)
    return X, _codes(labels, X.shape[0])


def silhouette_score(X: Any, labels: Any, *, sample_size: int | None = None, random_state: Any = None) -> float:
    """Mean silhouette coefficient (exact; memory O(n)); ``sample_size`` rows drawn at random if given."""
    X, codes = _prepared(X, labels)
    return float(_native.silhouette_score(X, codes, sample_size, seed_from(random_state)))


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
    return float(_native.adjusted_rand_index(_codes(labels_true, name="labels_true"), _codes(labels_pred, name="labels_pred")))


def pair_jaccard_score(labels_a: Any, labels_b: Any) -> float:
    """Jaccard index over pairs of rows: together in both / together in either."""
    return float(_native.pair_jaccard(_codes(labels_a, name="labels_a"), _codes(labels_b, name="labels_b")))
