"""Statistics of survey scales: is a block of items fit for factoring
(:func:`kmo`, :func:`bartlett_sphericity`), how many factors
(:func:`parallel_analysis`, :func:`kaiser_count`), how reliable is a scale
(:func:`cronbach_alpha`).

Rows with a missing answer (NaN) are left out (complete cases); each result
says how many rows it used and how many it left out. KMO and Bartlett's test
agree with factor_analyzer 0.5.1 to 1e-6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _native
from ._base import as_matrix, count, seed_from
from .exceptions import ParameterError

__all__ = [
    "KMOResult",
    "BartlettResult",
    "ParallelAnalysisResult",
    "CronbachAlphaResult",
    "kmo",
    "bartlett_sphericity",
    "parallel_analysis",
    "kaiser_count",
    "ScreeResult",
    "scree",
    "cronbach_alpha",
]


def _items(X: Any) -> tuple[np.ndarray, list[str] | None]:
    names = getattr(X, "columns", None)
    return as_matrix(X, dtype=np.float64), None if names is None else [str(n) for n in names]


def _per_item(values: np.ndarray, names: list[str] | None) -> Any:
    if names is None:
        return values
    import pandas as pd

    return pd.Series(values, index=names)


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy."""

    overall: float
    per_item: Any
    """ndarray, or a Series indexed by item when X was a DataFrame."""
    band: str
    """Kaiser's name: marvellous, meritorious, middling, mediocre, miserable, unacceptable."""
    singular: bool
    """The correlation matrix was singular (partial correlations from its pseudo-inverse)."""
    n_obs: int
    n_rows_dropped: int


def kmo(X: Any) -> KMOResult:
    """KMO overall and per item, with Kaiser's (1974) band of the overall value."""
    x, names = _items(X)
    out = _native.kmo(x)
    return KMOResult(
        overall=float(out["overall"]),
        per_item=_per_item(out["per_item"], names),
        band=str(out["band"]),
        singular=bool(out["singular"]),
        n_obs=int(out["n_obs"]),
        n_rows_dropped=int(out["n_rows_dropped"]),
    )


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test that the correlation matrix is the identity."""

    statistic: float
    df: float
    p_value: float
    n_obs: int
    n_rows_dropped: int


def bartlett_sphericity(X: Any) -> BartlettResult:
    """chi2 = -(n - 1 - (2p + 5)/6) ln|R| on p(p - 1)/2 degrees of freedom."""
    x, _ = _items(X)
    out = _native.bartlett_sphericity(x)
    return BartlettResult(
        statistic=float(out["statistic"]),
        df=float(out["df"]),
        p_value=float(out["p_value"]),
        n_obs=int(out["n_obs"]),
        n_rows_dropped=int(out["n_rows_dropped"]),
    )


@dataclass(frozen=True)
class ParallelAnalysisResult:
    """Horn's parallel analysis: observed against random-data eigenvalues."""

    observed_components: np.ndarray
    observed_factors: np.ndarray
    """Eigenvalues with squared multiple correlations on the diagonal."""
    random_components: np.ndarray
    random_factors: np.ndarray
    n_components: int
    """Leading components above the random quantile."""
    n_factors: int
    """Leading factors above the random quantile."""


def parallel_analysis(
    X: Any, *, n_sets: int = 100, quantile: float = 0.95, random_state: Any = 0
) -> ParallelAnalysisResult:
    """Horn (1965): ``n_sets`` standard-normal data sets of X's shape; an
    eigenvalue counts when it beats the ``quantile`` of the random ones at
    its position. Deterministic for a given ``random_state`` on any number
    of threads."""
    x, _ = _items(X)
    out = _native.parallel_analysis(
        x, n_sets=count(n_sets, "n_sets"), quantile=float(quantile), seed=seed_from(random_state)
    )
    return ParallelAnalysisResult(
        observed_components=out["observed_components"],
        observed_factors=out["observed_factors"],
        random_components=out["random_components"],
        random_factors=out["random_factors"],
        n_components=int(out["n_components"]),
        n_factors=int(out["n_factors"]),
    )


def kaiser_count(eigenvalues: Any) -> int:
    """Number of eigenvalues above 1 (Kaiser's rule for a correlation matrix)."""
    return int(np.count_nonzero(np.asarray(eigenvalues, dtype=np.float64) > 1.0))


@dataclass(frozen=True)
class ScreeResult:
    """Eigenvalues of the correlation matrix with their share of the variance."""

    eigenvalues: np.ndarray
    proportion: np.ndarray
    cumulative: np.ndarray
    kaiser_count: int


def scree(X: Any) -> ScreeResult:
    """Scree-plot data of the items of ``X`` (complete rows)."""
    x, _ = _items(X)
    out = _native.scree(x)
    return ScreeResult(
        eigenvalues=out["eigenvalues"],
        proportion=out["proportion"],
        cumulative=out["cumulative"],
        kaiser_count=int(out["kaiser_count"]),
    )


@dataclass(frozen=True)
class CronbachAlphaResult:
    """Cronbach's alpha of one scale."""

    alpha: float
    alpha_if_deleted: Any
    """alpha without each item (ndarray, or a Series by item); NaN for a two-item scale."""
    band: str
    """George & Mallery's name: good, acceptable, questionable, poor, unacceptable."""
    n_obs: int
    n_rows_dropped: int


def cronbach_alpha(X: Any, scales: Mapping[str, Sequence[Any]] | None = None) -> Any:
    """Cronbach's alpha of the items of ``X`` (already keyed: reverse-scored
    items reversed). With ``scales`` (name -> columns of the DataFrame X), a
    dict of results, one per scale, each on its own complete rows."""
    if scales is None:
        return _alpha(X)
    if not hasattr(X, "loc"):
        raise ParameterError("invalid parameter scales: expected X to be a pandas DataFrame when scales are given")
    return {name: _alpha(X.loc[:, list(columns)]) for name, columns in scales.items()}


def _alpha(X: Any) -> CronbachAlphaResult:
    x, names = _items(X)
    out = _native.cronbach_alpha(x)
    return CronbachAlphaResult(
        alpha=float(out["alpha"]),
        alpha_if_deleted=_per_item(out["alpha_if_deleted"], names),
        band=str(out["band"]),
        n_obs=int(out["n_obs"]),
        n_rows_dropped=int(out["n_rows_dropped"]),
    )
