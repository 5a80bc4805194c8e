"""GaussianMixture (re-exported by ``segmint.cluster``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    DensityMixin,
    as_matrix,
    check_is_fitted,
    check_n_features,
    count,
    per_row,
    require_2d,
    seed_from,
    set_features_in,
)
from .exceptions import ConvergenceWarning, ParameterError

__all__ = ["GaussianMixture"]


def _optional_array(value: Any, name: str, ndim: int | None = None) -> np.ndarray | None:
    """``value`` as a float64 array of ``ndim`` dimensions (any when None), or None."""
    if value is None:
        return None
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"invalid parameter {name}: cannot convert to a float array ({exc})") from None
    if ndim == 1:
        return per_row(array, None, name)
    return require_2d(array, name, row="component") if ndim == 2 else array


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by expectation–maximisation.

    Same parameters, attributes and methods as
    :class:`sklearn.mixture.GaussianMixture` (without ``warm_start`` and
    ``verbose``); from the same initial parameters it reproduces
    scikit-learn's fit. A fixed ``random_state`` gives the same result on any
    number of threads.

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        Stop when the mean per-sample log-likelihood changes by less than this.
    reg_covar : float, default=1e-6
        Added to the covariance diagonals.
    max_iter : int, default=100
    n_init : int, default=1
        Independent runs (in parallel); the best lower bound is kept.
    init_params : {"kmeans", "random"}, default="kmeans"
    weights_init, means_init, precisions_init : array-like, optional
        Replace the initial parameters, as in scikit-learn.
    random_state : None, int, RandomState or Generator

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_,
    converged_, n_iter_, lower_bound_, n_features_in_
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "GaussianMixture":
        """Estimate the mixture from ``X``; returns ``self``."""
        names = getattr(X, "columns", None)
        X = as_matrix(X, dtype=np.float64)
        state, weights, means, covariances, precisions_cholesky, converged, n_iter, lower_bound = _native.gmm_fit(
            X,
            count(self.n_components, "n_components"),
            covariance_type=str(self.covariance_type),
            tol=float(self.tol),
            reg_covar=float(self.reg_covar),
            max_iter=count(self.max_iter, "max_iter"),
            n_init=count(self.n_init, "n_init"),
            init_params=str(self.init_params),
            seed=seed_from(self.random_state),
            weights_init=_optional_array(self.weights_init, "weights_init", 1),
            means_init=_optional_array(self.means_init, "means_init", 2),
            precisions_init=_optional_array(self.precisions_init, "precisions_init"),
        )
        if not converged:
            warnings.warn(
                f"GaussianMixture did not converge in max_iter={self.max_iter} iterations; "
                "raise max_iter or tol, or check for degenerate data",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._state = state
        self.weights_ = weights
        self.means_ = means
        self.covariances_ = covariances
        self.precisions_cholesky_ = precisions_cholesky
        self.precisions_ = _precisions(self.covariance_type, precisions_cholesky)
        self.converged_ = bool(converged)
        self.n_iter_ = int(n_iter)
        self.lower_bound_ = float(lower_bound)
        set_features_in(self, X, names)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return the most likely component of each row."""
        return self.fit(X).predict(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most likely component of each row."""
        return _native.gmm_predict(self._fitted_state(), self._test_matrix(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of each component, ``(n_samples, n_components)``."""
        return _native.gmm_predict_proba(self._fitted_state(), self._test_matrix(X))

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-likelihood of each row."""
        return _native.gmm_score_samples(self._fitted_state(), self._test_matrix(X))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood of the rows of ``X``."""
        return self._criteria(X)[0]

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        return self._criteria(X)[1]

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        return self._criteria(X)[2]

    def _criteria(self, X: Any) -> tuple[float, float, float]:
        return _native.gmm_criteria(self._fitted_state(), self._test_matrix(X))

    def _fitted_state(self) -> str:
        check_is_fitted(self, "_state")
        return self._state

    def _test_matrix(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "_state")
        X = as_matrix(X, dtype=np.float64)
        check_n_features(self, X)
        return X


def _precisions(covariance_type: str, cholesky: np.ndarray) -> np.ndarray:
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", cholesky, cholesky)
    if covariance_type == "tied":
        return cholesky @ cholesky.T
    return cholesky**2
