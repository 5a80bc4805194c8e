"""Arrow tables in (polars, pyarrow, DuckDB: anything with ``__arrow_c_stream__``).

The core reads their columns through the Arrow C stream interface, without a
copy, with the checks and the audit of its CSV reader; the feature functions
then run on the coded columns it returns. A polars frame in gives a polars
frame out.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from . import _native


class ArrowTable(Protocol):
    """A table that exports its columns through the Arrow PyCapsule stream interface."""

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...


def is_arrow_table(data: Any) -> bool:
    """True for a table to read through Arrow rather than as a pandas DataFrame."""
    return not isinstance(data, pd.DataFrame) and hasattr(data, "__arrow_c_stream__")


def read_lines(data: Any, **columns: str | None) -> dict[str, Any]:
    """The coded transaction columns of an Arrow table (``_native.read_transactions``).

    A row that cannot be read (a null id or date, an amount that is no number)
    is an error naming its row and column, as in the pandas path.
    """
    native = _native.read_transactions(data, on_bad_row="fail", **columns)
    native.pop("audit_json")
    return native


def feature_inputs(native: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``_native.customer_features`` from ``read_lines``' columns."""
    return {
        "customer_ids": native["customer_ids"],
        "customer_codes": native["customer_codes"],
        "timestamps": native["timestamps"],
        "amounts": native["amounts"],
        "order_codes": native["order_codes"],
        "quantities": native["quantities"],
        "products": native["products"],
        "categories": native["categories"],
        "channels": native["sales_channels"],
        "discounted": native["discount_flags"],
    }


def is_polars(data: Any) -> bool:
    return type(data).__module__.split(".")[0] == "polars"


def as_polars(frame: pd.DataFrame) -> Any:
    """A polars frame of ``frame``, its index as the first column (built from numpy: no pyarrow needed)."""
    import polars as pl

    columns: dict[str, Any] = {str(frame.index.name): np.asarray(frame.index.to_numpy())}
    columns.update({str(c): frame[c].to_numpy() for c in frame.columns})
    return pl.DataFrame(columns)
