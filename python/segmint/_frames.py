"""Turning a pandas DataFrame of transactions into the columns the core reads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .exceptions import ColumnNotFoundError, DataError


def require_columns(df: pd.DataFrame, **columns: str | None) -> None:
    """Raise ColumnNotFoundError naming the parameter for each absent column."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of transactions, got {type(df).__name__}")
    for parameter, column in columns.items():
        if column is not None and column not in df.columns:
            available = ", ".join(map(str, df.columns))
            raise ColumnNotFoundError(f"no column {column!r} (parameter {parameter}); the DataFrame has: {available}")


def _first_bad(mask: np.ndarray, df: pd.DataFrame, column: str, expected: str) -> DataError:
    row = int(np.flatnonzero(mask)[0])
    value = df[column].iloc[row]
    return DataError(
        f"row {row} (index {df.index[row]!r}), column {column!r}: cannot parse {value!r} as {expected}"
        f" ({int(mask.sum())} such rows)"
    )


def to_seconds(dates: pd.Series, column: str, df: pd.DataFrame) -> np.ndarray:
    """Seconds since 1970-01-01 (wall-clock time) for a column of dates."""
    parsed = pd.to_datetime(dates, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise _first_bad(bad, df, column, "a date")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[s]").astype(np.int64)


def transaction_arrays(
    df: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    order_col: str | None = None,
) -> dict[str, Any]:
    """Factorised customer and order ids, timestamps and amounts for ``_native``."""
    require_columns(df, customer_col=customer_col, date_col=date_col, amount_col=amount_col, order_col=order_col)
    missing = df[customer_col].isna().to_numpy()
    if missing.any():
        raise _first_bad(missing, df, customer_col, "a customer id")
    codes, uniques = pd.factorize(df[customer_col], sort=False)
    amounts = pd.to_numeric(df[amount_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(amounts)
    if bad.any():
        raise _first_bad(bad, df, amount_col, "a finite number")
    order_codes = None
    if order_col is not None:
        order_codes, _ = pd.factorize(df[order_col], sort=False)
        if (order_codes < 0).any():
            raise _first_bad(order_codes < 0, df, order_col, "an order id")
        order_codes = order_codes.astype(np.int64)
    return {
        "customer_ids": [str(u) for u in uniques],
        "customer_codes": codes.astype(np.int64),
        "timestamps": to_seconds(df[date_col], date_col, df),
        "amounts": amounts,
        "order_codes": order_codes,
    }


def table_frame(table: dict[str, Any], index_name: str = "customer_id") -> pd.DataFrame:
    """A native customer table as a DataFrame indexed by customer id."""
    index = pd.Index(table["index"], name=index_name)
    return pd.DataFrame(table["values"], index=index, columns=table["columns"])
