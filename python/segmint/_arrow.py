"""Arrow tables in (polars, pyarrow, DuckDB: anything with ``__arrow_c_stream__``).

A polars frame or pyarrow table without nulls, with integer or text ids,
timestamps and numbers, goes to numpy and the pandas path (``plain_frame``).
Anything else the core reads through the Arrow C stream interface, without a
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


def plain_frame(data: Any, **columns: str | None) -> pd.DataFrame | None:
    """The named columns of a polars frame or a pyarrow table as a pandas frame, or None.

    When no column holds a null, the ids are integers or text, the dates
    timestamps or dates and the other columns numbers, the columns go to numpy
    (without a copy where Arrow's layout allows) and the pandas path reads them,
    as fast as a pandas frame (its customer ids then become text with
    :func:`text_index`, as the reader gives them).
    Anything else (nulls, text dates, decimals, other libraries' tables) is
    left to the core's reader, which names the row and column at fault.
    """
    names = [name for name in columns.values() if name is not None]
    if is_polars(data):
        if not set(names) <= set(data.columns):
            return None
        series = {name: data.get_column(name) for name in names}
        if any(s.null_count() for s in series.values()):
            return None
        arrays = {name: s.to_numpy() for name, s in series.items()}
    elif type(data).__module__.split(".")[0] == "pyarrow" and hasattr(data, "column_names"):
        if not set(names) <= set(data.column_names):
            return None
        chunked = {name: data.column(name) for name in names}
        if any(c.null_count for c in chunked.values()):
            return None
        arrays = {name: c.to_numpy() for name, c in chunked.items()}
    else:
        return None
    ids = {columns.get("customer_col"), columns.get("order_col")}
    for name, values in arrays.items():
        kind = values.dtype.kind
        if name == columns.get("date_col"):
            plain = kind == "M"
        elif name in ids:
            plain = kind in "iu" or (kind in "OU" and all(isinstance(v, str) for v in values[:1000]))
        else:
            plain = kind in "iuf"
        if not plain:
            return None
    return pd.DataFrame(arrays, copy=False)


def text_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its customer ids as text, as the core's reader gives them."""
    frame.index = pd.Index(frame.index.astype(str).to_numpy(dtype=object), name=frame.index.name)
    return frame


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
