"""Clustering estimators with scikit-learn's interface."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _native
from ._base import BaseEstimator, as_matrix, check_is_fitted, seed_from
from .exceptions import ConvergenceWarning, ParameterError

__all__ = ["KMeans"]


class KMeans(BaseEstimator):
    """k-means clustering: greedy k-means++ seeding and Lloyd iterations.

    Same parameters and fitted attributes as :class:`sklearn.cluster.KMeans`.
    A fixed ``random_state`` gives the same result on any number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
        Initialisation.
    n_init : "auto" or int, default="auto"
        Independent runs, best inertia kept; "auto" is 1 for k-means++ and 10
        for random initialisation.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Tolerance on the squared centre shift, relative to the mean feature variance.
    random_state : None, int, RandomState or Generator
        Seed of the initialisation.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: Any = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        """Compute the clustering of ``X``; returns ``self``."""
        names = getattr(X, "columns", None)
        X = as_matrix(X)
        weights = _weights(sample_weight)
        init, centers = self._init_arguments()
        centers_, labels, inertia, n_iter, converged = _native.kmeans_fit(
            X,
            _count(self.n_clusters, "n_clusters"),
            init=init,
            init_centers=centers,
            n_init=self._n_init(),
            max_iter=_count(self.max_iter, "max_iter"),
            tol=float(self.tol),
            seed=seed_from(self.random_state),
            sample_weight=weights,
        )
        n_found = int(np.count_nonzero(np.bincount(labels, minlength=self.n_clusters)))
        if n_found < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_found}) found smaller than n_clusters ({self.n_clusters}); "
                "possibly due to duplicate points in X",
                ConvergenceWarning,
                stacklevel=2,
            )
        if not converged:
            warnings.warn(
                f"KMeans stopped after max_iter={self.max_iter} iterations without converging; "
                "raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers_
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the cluster of each row."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def predict(self, X: Any) -> np.ndarray:
        """The nearest centre of each row of ``X``."""
        check_is_fitted(self, "cluster_centers_")
        return _native.kmeans_predict(self._test_matrix(X), self.cluster_centers_)

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of each row to each centre."""
        check_is_fitted(self, "cluster_centers_")
        return _native.kmeans_transform(self._test_matrix(X), self.cluster_centers_)

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the distances of ``X`` to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of ``X`` against the centres."""
        check_is_fitted(self, "cluster_centers_")
        return float(_native.kmeans_score(self._test_matrix(X), self.cluster_centers_, _weights(sample_weight)))

    def _test_matrix(self, X: Any) -> np.ndarray:
        return as_matrix(X, dtype=self.cluster_centers_.dtype)

    def _init_arguments(self) -> tuple[str, np.ndarray | None]:
        if isinstance(self.init, str):
            if self.init not in ("k-means++", "random"):
                raise ParameterError(f"invalid parameter init={self.init!r}: expected 'k-means++', 'random' or an array")
            return self.init, None
        if callable(self.init):
            raise ParameterError("invalid parameter init=<callable>: expected 'k-means++', 'random' or an array")
        return "array", as_matrix(self.init, "init")

    def _n_init(self) -> int | None:
        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise ParameterError(f"invalid parameter n_init={self.n_init!r}: expected 'auto' or an int >= 1")
            return None
        return _count(self.n_init, "n_init")


def _weights(sample_weight: Any) -> np.ndarray | None:
    if sample_weight is None:
        return None
    return np.ascontiguousarray(sample_weight, dtype=np.float64).reshape(-1)


def _count(value: Any, name: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ParameterError(f"invalid parameter {name}={value!r}: expected a non-negative int")
