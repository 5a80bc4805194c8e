"""Exceptions raised by segmint.

Each one also subclasses the built-in exception a Python user would catch
(``ValueError``, ``KeyError``, ``OSError``), so ``except ValueError`` works.
"""

from __future__ import annotations

try:  # with scikit-learn, its own checks (and ``except NotFittedError``, warning filters) recognise ours
    from sklearn.exceptions import ConvergenceWarning as _ConvergenceBase
    from sklearn.exceptions import NotFittedError as _NotFittedBase
except ImportError:  # pragma: no cover - exercised only without scikit-learn

    class _NotFittedBase(ValueError, AttributeError):  # type: ignore[no-redef]
        """Stand-in for scikit-learn's NotFittedError."""

    class _ConvergenceBase(UserWarning):  # type: ignore[no-redef]
        """Stand-in for scikit-learn's ConvergenceWarning."""

__all__ = [
    "SegmintError",
    "ParameterError",
    "DataError",
    "ColumnNotFoundError",
    "SegmintIOError",
    "NotFittedError",
    "InputTypeError",
    "ParseError",
    "NumericalError",
    "InputTooLargeError",
    "CancelledError",
    "EmptyPeriodError",
    "SegmintFileNotFoundError",
    "SegmintPermissionError",
    "InternalError",
    "ConvergenceWarning",
]


class SegmintError(Exception):
    """Base class of every segmint error."""


class ParameterError(SegmintError, ValueError):
    """A parameter is outside its valid range."""


class DataError(SegmintError, ValueError):
    """The data cannot be used: wrong shape, NaN, unparsable field, too few rows."""


class ColumnNotFoundError(SegmintError, KeyError):
    """A named column is not in the file or DataFrame."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SegmintIOError(SegmintError, OSError):
    """A file could not be read or written."""


class NotFittedError(SegmintError, _NotFittedBase):
    """An estimator was used before ``fit`` (also scikit-learn's NotFittedError when it is installed)."""


class InputTypeError(DataError, TypeError):
    """An input holds values of a type that cannot become numbers (also a TypeError)."""


class ParseError(DataError):
    """A file cannot be read as what it should hold: a malformed CSV, an unparsable field, no rows."""


class NumericalError(DataError):
    """A decomposition failed or a matrix is too close to singular to use."""


class InputTooLargeError(DataError):
    """An input holds more rows or ids than segmint's 32-bit codes can index."""


class EmptyPeriodError(DataError):
    """A calibration period holds no purchase of any customer."""


class CancelledError(DataError):
    """The work was cancelled before it finished."""


class SegmintFileNotFoundError(SegmintIOError, FileNotFoundError):
    """A file or directory does not exist (also a FileNotFoundError)."""


class SegmintPermissionError(SegmintIOError, PermissionError):
    """A file or directory may not be read or written (also a PermissionError)."""


class InternalError(SegmintError, RuntimeError):
    """A bug in segmint; please report it with the message."""


class ConvergenceWarning(_ConvergenceBase):
    """An iterative fit stopped before meeting its tolerance, or found fewer clusters than asked
    (also scikit-learn's ConvergenceWarning when it is installed)."""
