"""The estimator base: scikit-learn's when it is installed, a small stand-in otherwise."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .exceptions import NotFittedError, ParameterError

try:  # scikit-learn is optional: with it, estimators work in Pipeline, GridSearchCV and clone.
    from sklearn.base import BaseEstimator
except ImportError:  # pragma: no cover - exercised only without scikit-learn

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
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ParameterError(f"invalid parameter random_state={random_state}: expected an int >= 0")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    raise ParameterError(
        f"invalid parameter random_state={random_state!r}: expected None, an int, "
        "a numpy RandomState or a numpy Generator"
    )


def as_matrix(X: Any, name: str = "X", dtype: Any = None) -> np.ndarray:
    """X as a C-contiguous 2-D float array: float32 stays float32, anything
    else becomes float64 (or ``dtype`` when given). No copy when X already fits."""
    try:
        array = np.asarray(X)
        if dtype is None:
            dtype = np.float32 if array.dtype == np.float32 else np.float64
        array = np.ascontiguousarray(array, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"invalid parameter {name}: cannot convert to a float array ({exc})") from None
    if array.ndim != 2:
        raise ParameterError(
            f"invalid parameter {name}: expected a 2-D array (n_samples, n_features), got {array.ndim}-D;"
            " reshape 1-D data with X.reshape(-1, 1)"
        )
    return array
