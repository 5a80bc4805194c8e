"""Clustering estimators with scikit-learn's interface."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    ClusterMixin,
    TransformerMixin,
    as_matrix,
    check_is_fitted,
    check_n_features,
    count,
    count_or_auto,
    seed_from,
    set_features_in,
)
from ._gmm import GaussianMixture
from ._kprototypes import KPrototypes
from ._ward import AgglomerativeWard
from .exceptions import ConvergenceWarning

__all__ = ["KMeans", "MiniBatchKMeans", "GaussianMixture", "KPrototypes", "AgglomerativeWard"]


class _Centers:
    """predict, transform and score from ``cluster_centers_``."""

    cluster_centers_: np.ndarray
    labels_: np.ndarray

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the cluster of each row."""
        return self.fit(X, sample_weight=sample_weight).labels_  # type: ignore[attr-defined]

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
        return self.fit(X, sample_weight=sample_weight).transform(X)  # type: ignore[attr-defined]

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of ``X`` against the centres."""
        check_is_fitted(self, "cluster_centers_")
        return float(_native.kmeans_score(self._test_matrix(X), self.cluster_centers_, _weights(sample_weight)))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the ``transform`` columns: the class name and the centre index."""
        check_is_fitted(self, "cluster_centers_")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.cluster_centers_.shape[0])], dtype=object)

    def _test_matrix(self, X: Any) -> np.ndarray:
        X = as_matrix(X, dtype=self.cluster_centers_.dtype)
        check_n_features(self, X)
        return X


    def _init_arguments(self, X: np.ndarray, seed: int | None) -> tuple[str, np.ndarray | None]:
        init = self.init  # type: ignore[attr-defined]
        if isinstance(init, str):
            return init, None  # the native fit names the valid methods
        if callable(init):
            # scikit-learn's contract: init(X, n_clusters, random_state) returns the centres.
            init = init(X, self.n_clusters, np.random.RandomState(seed))  # type: ignore[attr-defined]
        if self.n_init not in ("auto", 1):  # type: ignore[attr-defined]
            warnings.warn(
                "Explicit initial center position passed: performing only one init "
                f"instead of n_init={self.n_init}",  # type: ignore[attr-defined]
                RuntimeWarning,
                stacklevel=4,
            )
        return "array", as_matrix(init, "init", dtype=np.float64)

    def _n_init(self) -> int | None:
        return count_or_auto(self.n_init, "n_init")  # type: ignore[attr-defined]

    def _warn_if_fewer_clusters(self, labels: np.ndarray) -> None:
        k = self.n_clusters  # type: ignore[attr-defined]
        found = int(np.count_nonzero(np.bincount(labels, minlength=k)))
        if found < k:
            warnings.warn(
                f"Number of distinct clusters ({found}) found smaller than n_clusters ({k}). "
                "Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=3,
            )


class KMeans(_Centers, ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means clustering: greedy k-means++ seeding and Lloyd iterations.

    Same parameters and fitted attributes as :class:`sklearn.cluster.KMeans`.
    A fixed ``random_state`` gives the same result on any number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, array of shape (n_clusters, n_features) or callable
        Initialisation; a callable is called as ``init(X, n_clusters, random_state)``
        and returns the centres, which are then the one start.
    n_init : "auto" or int, default="auto"
        Independent runs, best inertia kept; "auto" is 1 for k-means++ and 10
        for random initialisation.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Tolerance on the squared centre shift, relative to the mean feature variance.
    random_state : None, int, RandomState or Generator
        Seed of the initialisation.
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        "lloyd" runs the vectorised Lloyd kernel; "elkan" runs a bound-based
        variant (Hamerly's bounds, the single-lower-bound relative of Elkan's)
        that gives the same clustering and skips distance work on
        well-separated data.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        float32 when X is float32, float64 otherwise.
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
        algorithm: str = "lloyd",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.algorithm = algorithm

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        """Compute the clustering of ``X``; returns ``self``."""
        algorithm = self.algorithm  # the native fit refuses any but "lloyd" and "elkan"
        if algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster: there are no bounds to keep. "
                "Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=2,
            )
            algorithm = "lloyd"
        names = getattr(X, "columns", None)
        X = as_matrix(X)
        weights = _weights(sample_weight)
        seed = seed_from(self.random_state)
        init, centers = self._init_arguments(X, seed)
        centers_, labels, inertia, n_iter, converged = _native.kmeans_fit(
            X,
            count(self.n_clusters, "n_clusters"),
            init=init,
            init_centers=centers,
            n_init=self._n_init(),
            max_iter=count(self.max_iter, "max_iter"),
            tol=float(self.tol),
            seed=seed,
            sample_weight=weights,
            algorithm=algorithm,
        )
        self._warn_if_fewer_clusters(labels)
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
        set_features_in(self, X, names)
        return self


def _weights(sample_weight: Any) -> np.ndarray | None:
    if sample_weight is None:
        return None
    return np.ascontiguousarray(sample_weight, dtype=np.float64).reshape(-1)


class MiniBatchKMeans(_Centers, ClusterMixin, TransformerMixin, BaseEstimator):
    """Mini-batch k-means: centres follow small random batches (Sculley 2010).

    Same parameters and fitted attributes as
    :class:`sklearn.cluster.MiniBatchKMeans`; ``partial_fit`` learns from data
    that arrives in chunks. A fixed ``random_state`` gives the same result on
    any number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, array of shape (n_clusters, n_features) or callable
        As for :class:`KMeans`.
    max_iter : int, default=100
        Maximum passes over the data.
    batch_size : int, default=1024
    tol : float, default=0.0
        Stop when a batch moves the centres by less than this (relative to the
        mean feature variance); 0 disables it.
    max_no_improvement : int or None, default=10
        Stop after this many batches without improvement of the smoothed batch inertia.
    init_size : int, optional
        Rows sampled for the initialisation (default 3 × batch_size).
    n_init : "auto" or int, default="auto"
        1 for k-means++, 3 for random; the best on a validation batch is kept.
    reassignment_ratio : float, default=0.01
        Centres with less than this share of the largest weight move to random rows.
    random_state : None, int, RandomState or Generator

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_steps_, n_features_in_
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: Any = "auto",
        reassignment_ratio: float = 0.01,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """Fit on all rows of ``X``, sampling batches; returns ``self``."""
        return self._run(X, sample_weight, partial=False)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """Update the centres with one batch ``X``; returns ``self``."""
        return self._run(X, sample_weight, partial=True)

    def _run(self, X: Any, sample_weight: Any, partial: bool) -> "MiniBatchKMeans":
        names = getattr(X, "columns", None)
        state = getattr(self, "_state", None) if partial else None
        if state is not None:
            X = as_matrix(X, dtype=self.cluster_centers_.dtype)
            check_n_features(self, X)
        else:
            X = as_matrix(X)
            self._seed = seed_from(self.random_state)
        # once centres exist, partial_fit continues from them and init is not consulted
        init, centers = self._init_arguments(X, self._seed) if state is None else ("k-means++", None)
        max_no_improvement = self.max_no_improvement
        out = _native.minibatch_fit(
            X,
            count(self.n_clusters, "n_clusters"),
            init=init,
            init_centers=centers,
            batch_size=count(self.batch_size, "batch_size"),
            max_iter=count(self.max_iter, "max_iter"),
            tol=float(self.tol),
            max_no_improvement=None if max_no_improvement is None else count(max_no_improvement, "max_no_improvement"),
            init_size=None if self.init_size is None else count(self.init_size, "init_size"),
            n_init=self._n_init(),
            reassignment_ratio=float(self.reassignment_ratio),
            seed=self._seed,
            sample_weight=_weights(sample_weight),
            partial=partial,
            state=state,
        )
        self._state, self.cluster_centers_, self.labels_, inertia, n_iter, n_steps, self._counts, _ = out
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_steps_ = int(n_steps)
        set_features_in(self, X, names)
        if not partial:
            self._warn_if_fewer_clusters(self.labels_)
        return self
