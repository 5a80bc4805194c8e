"""The estimator base (scikit-learn's when it is installed, a small stand-in
otherwise) and the conversions of parameters and arrays into what ``_native`` takes."""

from __future__ import annotations

import inspect
from typing import Any, Iterable

import numpy as np

from .exceptions import DataError, InputTypeError, NotFittedError, ParameterError

try:  # scikit-learn is optional: with it, estimators work in Pipeline, GridSearchCV and clone.
    from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin, TransformerMixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn

    class ClusterMixin:  # type: ignore[no-redef]
        """Marks a clusterer (scikit-learn's tag); nothing to add without scikit-learn."""

    class DensityMixin:  # type: ignore[no-redef]
        """Marks a density estimator (scikit-learn's tag); nothing to add without scikit-learn."""

    class TransformerMixin:  # type: ignore[no-redef]
        """Marks a transformer (scikit-learn's tag); nothing to add without scikit-learn."""

    class BaseEstimator:  # type: ignore[no-redef]
        """get_params / set_params over the keyword arguments of ``__init__``."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            signature = inspect.signature(cls.__init__)
            return sorted(p.name for p in signature.parameters.values() if p.name != "self")

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> "BaseEstimator":
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ParameterError(f"invalid parameter {name!r} for {type(self).__name__}: expected one of {valid}")
                setattr(self, name, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise NotFittedError when ``fit`` has not set ``attribute``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments first."
        )


def seed_from(random_state: Any) -> int:
    """A non-negative 63-bit seed from scikit-learn's ``random_state`` conventions."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    return count(
        random_state, "random_state", expected="None, a non-negative int, a numpy RandomState or a numpy Generator"
    )


def count(value: Any, name: str, *, minimum: int = 0, expected: str | None = None) -> int:
    """``value`` as an int for a native unsigned parameter (a count, a size, a seed).

    Only what pyo3 cannot say well is checked here: a float, a bool, a string
    or a negative number would fail its conversion with a TypeError or an
    OverflowError naming no parameter. The range of each parameter
    (``n_clusters >= 1`` ...) is the core's rule; ``minimum`` serves only the
    few parameters whose lower bound the core does not check yet.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    at_least = "a non-negative int" if minimum == 0 else f"an int >= {minimum}"
    raise ParameterError(f"invalid parameter {name}={value!r}: expected {expected or at_least}")


def count_or_auto(value: Any, name: str) -> int | None:
    """None for ``"auto"`` (the core then chooses), else ``value`` as a :func:`count`."""
    if isinstance(value, str) and value == "auto":
        return None
    return count(value, name, expected="'auto' or a non-negative int")


def one_of(value: Any, name: str, choices: Iterable[str]) -> str:
    """``value`` itself, refused unless it is one of the ``choices`` a Python-side option offers."""
    choices = list(choices)
    if value not in choices:
        raise ParameterError(f"invalid parameter {name}={value!r}: expected one of {', '.join(map(repr, choices))}")
    return value


def per_row(values: Any, n: int | None, name: str, rows_of: str = "X") -> np.ndarray:
    """``values`` as a 1-D array, of one value per row of ``rows_of`` when ``n`` is given."""
    array = np.asarray(values)
    if array.ndim != 1 or (n is not None and len(array) != n):
        expected = "a 1-D array" if n is None else f"a 1-D array of {n} values (one per row of {rows_of})"
        raise ParameterError(f"invalid parameter {name}: expected {expected}, got shape {array.shape}")
    return array


def as_matrix(X: Any, name: str = "X", dtype: Any = None) -> np.ndarray:
    """X as a C-contiguous 2-D float array: float32 stays float32, anything
    else becomes float64 (or ``dtype`` when given). No copy when X already fits.

    Sparse and complex input, text and objects that are not numbers, and
    arrays without rows or columns are refused with a message naming the problem.
    """
    array = require_2d(float_array(dense(X, name), name, dtype), name)
    for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
        if array.shape[axis] == 0:
            raise DataError(
                f"invalid parameter {name}: found an array with 0 {what} (shape={array.shape}) "
                "while a minimum of 1 is required."
            )
    return array


def dense(X: Any, name: str = "X") -> Any:
    """``X`` itself, refused when it is a scipy sparse matrix (segmint takes dense arrays)."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise ParameterError(f"invalid parameter {name}: sparse input is not supported; pass {name}.toarray()")
    return X


def require_2d(array: np.ndarray, name: str = "X", row: str = "sample") -> np.ndarray:
    """``array`` itself, refused unless it is 2-D (one ``row`` per row, one feature per column)."""
    if array.ndim != 2:
        raise ParameterError(
            f"invalid parameter {name}: expected a 2-D array (n_{row}s, n_features), got {array.ndim}-D."
            f" Reshape your data with {name}.reshape(-1, 1) for a single feature"
            f" or {name}.reshape(1, -1) for a single {row}"
        )
    return array


def float_array(X: Any, name: str, dtype: Any = None) -> np.ndarray:
    """``X`` converted to a contiguous float array, refusing complex numbers."""
    array = np.asarray(X)
    if np.iscomplexobj(array):
        raise DataError(f"invalid parameter {name}: Complex data not supported")
    if dtype is None:
        dtype = np.float32 if array.dtype == np.float32 else np.float64
    try:
        return np.ascontiguousarray(array, dtype=dtype)
    except (TypeError, ValueError) as exc:
        # A TypeError means values of a type that cannot be a number (None, objects).
        error = InputTypeError if isinstance(exc, TypeError) else DataError
        raise error(f"invalid parameter {name}: cannot convert to a float array ({exc})") from None


def set_features_in(estimator: Any, X: np.ndarray, names: Any) -> None:
    """Set scikit-learn's ``n_features_in_`` from the fitted matrix and, when the
    input had column names (``names``, read before it became ``X``), ``feature_names_in_``."""
    estimator.n_features_in_ = X.shape[1]
    if names is not None:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)


def check_n_features(estimator: Any, X: np.ndarray) -> None:
    """Refuse ``X`` whose number of columns differs from the one seen in ``fit``."""
    expected = estimator.n_features_in_
    if X.shape[1] != expected:
        raise DataError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting {expected} features as input (the number of features seen in fit)"
        )
