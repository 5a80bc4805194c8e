"""KPrototypes for numeric and categorical columns (re-exported by ``segmint.cluster``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _native
from ._base import (
    BaseEstimator,
    ClusterMixin,
    as_matrix,
    check_is_fitted,
    check_n_features,
    count,
    dense,
    float_array,
    require_2d,
    seed_from,
)
from .exceptions import DataError, ParameterError

__all__ = ["KPrototypes"]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and np.isnan(value))


class KPrototypes(ClusterMixin, BaseEstimator):
    """k-prototypes clustering of mixed numeric and categorical data (Huang 1998).

    The interface of the kmodes package's ``KPrototypes``: the cost of a row
    against a prototype is its squared Euclidean distance on the numeric
    columns plus ``gamma`` times the number of categorical mismatches. From
    the same initial prototypes it reproduces kmodes' labels and cost. The
    ``n_init`` runs run in parallel; a fixed ``random_state`` gives the same
    result on any number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
    categorical : list of int or str
        Categorical columns: positions, or names when X is a DataFrame. May
        also be given to ``fit``.
    gamma : float, optional
        Weight of a mismatch; default half the mean standard deviation of the
        numeric columns (kmodes' rule).
    init : {"Cao", "Huang"} or [numeric, categorical] arrays, default="Cao"
    n_init : int, default=10
    max_iter : int, default=100
    random_state : None, int, RandomState or Generator

    Attributes
    ----------
    cluster_centroids_ : ndarray (numeric columns, then categorical modes, as kmodes)
    numeric_centroids_, categorical_modes_, categories_ (levels per categorical column),
    labels_, cost_, n_iter_, gamma_, converged_, n_features_in_

    A categorical column with a single level never mismatches and does not
    change the clustering: it is accepted with a ``UserWarning``.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        categorical: Any = None,
        gamma: float | None = None,
        init: Any = "Cao",
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.gamma = gamma
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, categorical: Any = None) -> "KPrototypes":
        """Cluster the rows of ``X``; returns ``self``."""
        columns = self._categorical_positions(X, categorical)
        numeric, raw = _split(X, columns)
        self.categories_ = [_levels(raw[:, a], a) for a in range(raw.shape[1])]
        codes = self._encode(raw, strict=True)
        init, init_numeric, init_categorical = self._init_arguments()
        gamma = None if self.gamma is None else float(self.gamma)
        state, centroids, modes, labels, cost, n_iter, gamma_, converged, constant = _native.kprototypes_fit(
            numeric,
            codes,
            count(self.n_clusters, "n_clusters"),
            gamma=gamma,
            init=init,
            init_numeric=init_numeric,
            init_categorical=init_categorical,
            n_init=count(self.n_init, "n_init"),
            max_iter=count(self.max_iter, "max_iter"),
            seed=seed_from(self.random_state),
        )
        for a in constant:
            warnings.warn(
                f"categorical column {columns[a]!r} has a single level; it never mismatches "
                "and does not affect the clustering",
                UserWarning,
                stacklevel=2,
            )
        self._state = state
        self._columns = columns
        self.numeric_centroids_ = centroids
        self.categorical_modes_ = self._decode(modes)
        dtype = np.float64 if self.categorical_modes_.dtype.kind in "if" else object
        self.cluster_centroids_ = np.hstack([centroids.astype(dtype), self.categorical_modes_.astype(dtype)])
        self.labels_ = labels
        self.cost_ = float(cost)
        self.n_iter_ = int(n_iter)
        self.gamma_ = float(gamma_)
        self.converged_ = bool(converged)
        self.n_features_in_ = numeric.shape[1] + codes.shape[1]
        return self

    def fit_predict(self, X: Any, y: Any = None, categorical: Any = None) -> np.ndarray:
        """Fit and return the cluster of each row."""
        return self.fit(X, categorical=categorical).labels_

    def predict(self, X: Any, categorical: Any = None) -> np.ndarray:
        """The nearest prototype of each row; unseen levels mismatch every mode."""
        check_is_fitted(self, "_state")
        columns = self._columns if categorical is None else self._categorical_positions(X, categorical)
        numeric, raw = _split(X, columns)
        check_n_features(self, np.empty((0, numeric.shape[1] + raw.shape[1])))
        # The native predict checks this too, but the numeric count first, which
        # would blame the numeric columns for a wrong ``categorical``.
        if raw.shape[1] != len(self.categories_):
            raise DataError(
                f"X has {raw.shape[1]} categorical columns; the model was fitted on {len(self.categories_)}"
            )
        return _native.kprototypes_predict(self._state, numeric, self._encode(raw, strict=False))

    def _categorical_positions(self, X: Any, categorical: Any) -> list[int]:
        chosen = self.categorical if categorical is None else categorical
        if chosen is None:
            return []  # the native fit refuses a fit without categorical columns and points to KMeans
        if isinstance(chosen, (str, int, np.integer)):
            chosen = [chosen]
        names = list(getattr(X, "columns", []))
        n_columns = len(names) if names else _object_matrix(X).shape[1]
        positions = []
        for c in chosen:
            # An int is a position, even when the columns have int names; anything else is a name.
            is_position = isinstance(c, (int, np.integer)) and not isinstance(c, bool)
            if is_position and 0 <= c < n_columns:
                positions.append(int(c))
            elif not is_position and c in names:
                positions.append(names.index(c))
            else:
                or_name = f" or one of the columns {names}" if names else ""
                raise ParameterError(
                    f"invalid parameter categorical={c!r}: expected a column position below {n_columns}{or_name}"
                )
        return positions

    def _encode(self, raw: np.ndarray, strict: bool, name: str = "X") -> np.ndarray:
        """The level code of each value of ``raw``; an unseen level gets ``len(levels)``."""
        codes = np.empty(raw.shape, dtype=np.uint32)
        for a, levels in enumerate(self.categories_):
            column = raw[:, a]
            _check_missing(column, a)
            if levels.dtype.kind in "iuf":
                levels = levels.astype(np.float64)
                column = float_array(column, f"{name} (categorical column {a}, whose levels are numbers)")
            position = np.searchsorted(levels, column)
            position = np.minimum(position, len(levels) - 1)
            seen = levels[position] == column
            if strict and not seen.all():
                raise DataError(f"categorical column {a}: value {column[~seen][0]!r} is not a level")
            codes[:, a] = np.where(seen, position, len(levels))
        return codes

    def _decode(self, modes: np.ndarray) -> np.ndarray:
        decoded = [levels[modes[:, a]] for a, levels in enumerate(self.categories_)]
        kinds = {d.dtype.kind for d in decoded}
        dtype = decoded[0].dtype if len({d.dtype for d in decoded}) == 1 and kinds <= {"i", "f"} else object
        return np.column_stack([d.astype(dtype) for d in decoded])

    def _init_arguments(self) -> tuple[str, np.ndarray | None, np.ndarray | None]:
        init = self.init
        if isinstance(init, str):
            return init, None, None  # the native fit names the valid methods
        # The modes are encoded here, so their shape is checked here; the numeric
        # centroids' shape and values are the native fit's to check.
        try:
            numeric, categorical = init
            categorical = np.asarray(categorical, dtype=object)
        except (TypeError, ValueError):
            categorical = None
        n_categorical = len(self.categories_)
        if categorical is None or categorical.ndim != 2 or categorical.shape[1] != n_categorical:
            got = "" if categorical is None else f", got categorical modes of shape {categorical.shape}"
            raise ParameterError(
                "invalid parameter init: expected 'Cao', 'Huang' or a pair [numeric, categorical] of arrays, "
                f"the categorical modes of shape (n_clusters, {n_categorical}){got}"
            )
        numeric = as_matrix(numeric, "init numeric", dtype=np.float64)
        return "array", numeric, self._encode(categorical, strict=True, name="init")


def _split(X: Any, categorical: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Numeric columns as float64 and categorical columns as an object array."""
    values = _object_matrix(X)
    numeric_columns = [c for c in range(values.shape[1]) if c not in categorical]
    numeric = float_array(values[:, numeric_columns], f"X[:, {numeric_columns}] (the numeric columns)", np.float64)
    return numeric, values[:, categorical]


def _object_matrix(X: Any) -> np.ndarray:
    """X as a 2-D object array; sparse input is refused."""
    X = dense(X)
    return require_2d(X.to_numpy(dtype=object) if hasattr(X, "to_numpy") else np.asarray(X, dtype=object))


def _check_missing(column: np.ndarray, a: int) -> None:
    missing = [i for i, v in enumerate(column) if _is_missing(v)]
    if missing:
        raise DataError(
            f"categorical column {a} has a missing value (None or NaN) at row {missing[0]}; encode it as a level first"
        )


def _levels(column: np.ndarray, a: int) -> np.ndarray:
    _check_missing(column, a)
    try:
        levels = np.unique(column)
    except TypeError:
        raise DataError(f"categorical column {a} mixes values that cannot be ordered (e.g. numbers and text)") from None
    if len(levels) >= _native.KPROTOTYPES_MAX_LEVELS:
        raise DataError(
            f"categorical column {a} has {len(levels)} levels; expected fewer than {_native.KPROTOTYPES_MAX_LEVELS}"
        )
    kinds = {type(v) for v in levels}
    if kinds <= {int, np.int64, np.int32}:
        return levels.astype(np.int64)
    if kinds <= {int, float, np.int64, np.int32, np.float64}:
        return levels.astype(np.float64)
    return levels
