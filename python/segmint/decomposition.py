"""Dimension reduction with scikit-learn's interface: :class:`PCA` and an
exploratory :class:`FactorAnalysis` in the manner of R psych's ``fa`` and
factor_analyzer.

Both fit and transform in the Rust core (faer's decompositions, GIL
released); the fitted model travels as its ``state``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    TransformerMixin,
    as_matrix,
    check_is_fitted,
    check_n_features,
    count,
    count_or_auto,
    seed_from,
    set_features_in,
)
from .exceptions import ConvergenceWarning

__all__ = ["PCA", "FactorAnalysis"]


_check_features = check_n_features


class PCA(TransformerMixin, BaseEstimator):
    """Principal component analysis, as :class:`sklearn.decomposition.PCA`.

    Components are signed as scikit-learn signs them (the entry of largest
    absolute value of each component is positive), so both give the same
    numbers for the exact solvers.

    Parameters
    ----------
    n_components : int, float or None, default=None
        Components kept: an int; a float in (0, 1) keeps the fewest
        components whose explained variance ratio reaches it (exact SVD);
        None keeps min(n_samples, n_features).
    whiten : bool, default=False
        Scale the scores to unit variance.
    svd_solver : {"auto", "full", "covariance_eigh", "randomized"}, default="auto"
        scikit-learn's choices; "randomized" is Halko et al.'s seeded sketch.
    random_state : None, int, RandomState or Generator
        Seed of the randomized solver.
    n_oversamples : int, default=10
        Extra columns of the randomized sketch.
    iterated_power : "auto" or int, default="auto"
        Power iterations of the randomized solver.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    explained_variance_ : ndarray of shape (n_components,)
    explained_variance_ratio_ : ndarray of shape (n_components,)
    singular_values_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)
    noise_variance_ : float
    n_components_ : int
    n_samples_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has column names
    """

    def __init__(
        self,
        n_components: Any = None,
        *,
        whiten: bool = False,
        svd_solver: str = "auto",
        random_state: Any = None,
        n_oversamples: int = 10,
        iterated_power: Any = "auto",
    ) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.random_state = random_state
        self.n_oversamples = n_oversamples
        self.iterated_power = iterated_power

    def fit(self, X: Any, y: Any = None) -> "PCA":
        """Fit the components to ``X``; returns ``self``."""
        names = getattr(X, "columns", None)
        X = as_matrix(X, dtype=np.float64)
        fitted = _native.pca_fit(
            X,
            self._n_components(),
            whiten=bool(self.whiten),
            svd_solver=self.svd_solver,
            seed=seed_from(self.random_state),
            n_oversamples=count(self.n_oversamples, "n_oversamples"),
            power_iterations=count_or_auto(self.iterated_power, "iterated_power"),
        )
        self._state = fitted["state"]
        self.components_ = fitted["components"]
        self.explained_variance_ = fitted["explained_variance"]
        self.explained_variance_ratio_ = fitted["explained_variance_ratio"]
        self.singular_values_ = fitted["singular_values"]
        self.mean_ = fitted["mean"]
        self.noise_variance_ = float(fitted["noise_variance"])
        self.n_components_ = int(self.components_.shape[0])
        self.n_samples_ = X.shape[0]
        set_features_in(self, X, names)
        return self

    def _n_components(self) -> int | float | None:
        """``n_components`` as the core takes it: None, a count, or the share of variance to explain."""
        value = self.n_components
        if isinstance(value, (float, np.floating)):
            return float(value)
        return None if value is None else count(value, "n_components", expected="None, an int or a float in (0, 1)")

    def transform(self, X: Any) -> np.ndarray:
        """Scores of ``X`` on the components."""
        check_is_fitted(self, "components_")
        X = as_matrix(X, dtype=np.float64)
        _check_features(self, X)
        return _native.pca_transform(self._state, X)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return the scores of ``X``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Back from scores to the feature space."""
        check_is_fitted(self, "components_")
        return _native.pca_inverse_transform(self._state, as_matrix(X, dtype=np.float64))


class FactorAnalysis(TransformerMixin, BaseEstimator):
    """Exploratory factor analysis, as R psych's ``fa`` and factor_analyzer.

    Checked against psych on factor_analyzer's test06 data (minres and ML,
    none/varimax/promax, 2 and 3 factors): loadings, uniquenesses,
    communalities and eigenvalues agree within 1e-5.

    Rows with a missing answer (NaN) are left out of the correlation matrix
    (complete cases; ``n_rows_dropped_`` counts them).

    Parameters
    ----------
    n_factors : int or None, default=None
        None: Kaiser's rule — as many factors as the correlation matrix has
        eigenvalues above 1 — at least 1 and fewer than the items, so the
        default fits data of any width (``n_factors_`` holds the number used).
    method : {"minres", "ml", "principal"}, default="minres"
        Minimum residuals (psych's default), maximum likelihood, or iterated
        principal axes (psych ``fm="pa"``; factor_analyzer's "principal" is a
        non-iterated principal-components solution instead).
    rotation : {"varimax", "promax"} or None, default="varimax"
        With Kaiser normalisation; promax of power ``promax_power``.
    promax_power : int, default=4
    max_iter : int, default=1000
        Optimiser (or principal-axes) iteration limit.
    tol : float, default=1e-9
        Gradient-norm tolerance of the optimiser (principal axes: change in
        the sum of communalities).

    Attributes
    ----------
    loadings_ : ndarray of shape (n_features, n_factors)
    unrotated_loadings_, rotation_matrix_ : ndarrays
    phi_ : ndarray of shape (n_factors, n_factors) or None
        Factor correlations of a promax solution.
    communalities_, uniquenesses_ : ndarrays of shape (n_features,)
    eigenvalues_ : ndarray of shape (n_features,)
        Of the correlation matrix.
    common_factor_eigenvalues_ : ndarray of shape (n_features,)
        Of the correlation matrix with the communalities on its diagonal.
    corr_ : ndarray of shape (n_features, n_features)
    mean_, std_ : ndarrays of shape (n_features,)
        Of the complete cases (std with n - 1), used by ``transform``.
    heywood_items_ : list of int
        Items whose uniqueness reached its lower bound 0.005.
    n_factors_ : int
        The number of factors extracted.
    n_iter_ : int
    n_obs_, n_rows_dropped_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has column names
    """

    def __init__(
        self,
        n_factors: int | None = None,
        *,
        method: str = "minres",
        rotation: str | None = "varimax",
        promax_power: int = 4,
        max_iter: int = 1000,
        tol: float = 1e-9,
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.promax_power = promax_power
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any = None) -> "FactorAnalysis":
        """Fit the factor model to respondents x items; returns ``self``."""
        names = getattr(X, "columns", None)
        X = as_matrix(X, dtype=np.float64)
        self.n_factors_ = self._n_factors(X)
        fitted = _native.factor_analysis_fit(
            X,
            self.n_factors_,
            method=str(self.method),
            rotation="none" if self.rotation is None else str(self.rotation),
            promax_power=count(self.promax_power, "promax_power"),
            max_iter=count(self.max_iter, "max_iter"),
            tol=float(self.tol),
        )
        self.loadings_ = fitted["loadings"]
        self.unrotated_loadings_ = fitted["unrotated_loadings"]
        self.rotation_matrix_ = fitted["rotation_matrix"]
        self.phi_ = fitted["phi"]
        self.communalities_ = fitted["communalities"]
        self.uniquenesses_ = fitted["uniquenesses"]
        self.eigenvalues_ = fitted["eigenvalues"]
        self.common_factor_eigenvalues_ = fitted["common_factor_eigenvalues"]
        self.corr_ = fitted["correlation"]
        self.mean_ = fitted["mean"]
        self.std_ = fitted["std"]
        self.heywood_items_ = list(fitted["heywood_items"])
        self.n_iter_ = int(fitted["n_iter"])
        self.n_obs_ = int(fitted["n_obs"])
        self.n_rows_dropped_ = int(fitted["n_rows_dropped"])
        self._variance = (fitted["ss_loadings"], fitted["proportion"], fitted["cumulative"])
        self._state = fitted["state"]
        set_features_in(self, X, names)
        self._warn(fitted)
        return self

    def _n_factors(self, X: np.ndarray) -> int:
        if self.n_factors is not None:
            return count(self.n_factors, "n_factors")
        if X.shape[1] < 2:
            return 1  # the fit then says why one item cannot be factored
        kaiser = int(_native.scree(X)["kaiser_count"])
        return max(1, min(kaiser, X.shape[1] - 1))

    def _warn(self, fitted: dict[str, Any]) -> None:
        if not fitted["converged"]:
            warnings.warn(
                f"FactorAnalysis stopped after max_iter={self.max_iter} iterations without converging; "
                "raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.heywood_items_:
            items = self.heywood_items_
            if hasattr(self, "feature_names_in_"):
                items = [str(self.feature_names_in_[i]) for i in items]
            warnings.warn(
                f"Heywood case: the uniqueness of item(s) {items} reached its lower bound 0.005 "
                "(communality clamped to 0.995); consider fewer factors or dropping the item",
                UserWarning,
                stacklevel=3,
            )

    def get_factor_variance(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SS loadings, proportion and cumulative proportion of variance per factor."""
        check_is_fitted(self, "loadings_")
        return self._variance

    def get_eigenvalues(self) -> tuple[np.ndarray, np.ndarray]:
        """(eigenvalues of the correlation matrix, common-factor eigenvalues), as factor_analyzer."""
        check_is_fitted(self, "loadings_")
        return self.eigenvalues_, self.common_factor_eigenvalues_

    def transform(self, X: Any) -> np.ndarray:
        """Factor scores by the regression method: z-scores times R^-1 (L Phi)."""
        check_is_fitted(self, "loadings_")
        X = as_matrix(X, dtype=np.float64)
        _check_features(self, X)
        return _native.factor_analysis_transform(self._state, X)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return the factor scores of ``X`` (complete rows required)."""
        return self.fit(X).transform(X)
