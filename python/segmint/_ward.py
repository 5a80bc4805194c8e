"""AgglomerativeWard (re-exported by ``segmint.cluster``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    ClusterMixin,
    as_matrix,
    count,
)

__all__ = ["AgglomerativeWard"]


class AgglomerativeWard(ClusterMixin, BaseEstimator):
    """Exact Ward hierarchical clustering, for bases of up to ``max_samples`` rows.

    scikit-learn's ``AgglomerativeClustering(linkage="ward")`` with scipy's
    linkage matrix as well: ``linkage_`` is what
    ``scipy.cluster.hierarchy.linkage(X, "ward")`` returns, ready for
    ``scipy.cluster.hierarchy.dendrogram``. Only Ward linkage is offered,
    hence the name. The work grows as n², so larger bases are refused.

    Attributes
    ----------
    labels_, linkage_ (n−1 × 4: a, b, distance, size), children_, distances_,
    n_clusters_, n_leaves_, n_features_in_
    """

    def __init__(self, n_clusters: int = 2, *, max_samples: int = 20000) -> None:
        self.n_clusters = n_clusters
        self.max_samples = max_samples

    def fit(self, X: Any, y: Any = None) -> "AgglomerativeWard":
        """Build the merge tree of ``X`` and cut it into ``n_clusters``; returns ``self``."""
        X = as_matrix(X, dtype=np.float64)
        linkage, labels = _native.ward_fit(
            X, count(self.n_clusters, "n_clusters"), max_samples=count(self.max_samples, "max_samples")
        )
        self.linkage_ = linkage
        self.labels_ = labels
        self.children_ = linkage[:, :2].astype(np.int64)
        self.distances_ = linkage[:, 2].copy()
        self.n_clusters_ = int(self.n_clusters)
        self.n_leaves_ = X.shape[0]
        self.n_features_in_ = X.shape[1]
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return the cluster of each row."""
        return self.fit(X).labels_
