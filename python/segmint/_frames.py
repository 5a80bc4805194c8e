"""Turning a pandas DataFrame of transactions into the columns the core reads."""

from __future__ import annotations

import numbers

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ._base import count, count_or_auto, seed_from
from .exceptions import ColumnNotFoundError, DataError, EmptyPeriodError, ParameterError


def require_columns(df: pd.DataFrame, **columns: str | Sequence[str] | None) -> None:
    """Raise ColumnNotFoundError naming the parameter of the first absent column.

    Each parameter names one column, several (a list or a tuple) or none (None).
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    for parameter, named in columns.items():
        for column in named if isinstance(named, (list, tuple)) else [named]:
            if column is not None and column not in df.columns:
                available = ", ".join(map(str, df.columns))
                raise ColumnNotFoundError(
                    f"no column {column!r} (parameter {parameter}); the DataFrame has: {available}"
                )


def _refuse_rows(bad: np.ndarray, df: pd.DataFrame, column: str, expected: str, found: str | None = None) -> None:
    """Raise DataError naming the first of the ``bad`` rows of ``column`` and how many there are.

    ``found`` says what the bad values are when that is known ("a number, not a date").
    """
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    value = df[column].iloc[row]
    n = int(bad.sum())
    what = (
        f"cannot parse {value!r} as {expected} ({n} such rows)"
        if found is None
        else f"{value!r} is {found} ({n} such rows); expected {expected}"
    )
    raise DataError(f"row {row} (index {df.index[row]!r}), column {column!r}: {what}")


def _reject_numbers(dates: pd.Series, column: str, df: pd.DataFrame) -> None:
    """Numbers are not dates: pandas reads 1704067200 as nanoseconds after 1970, so every date would be 1970."""
    dtype = dates.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
        mask = np.ones(len(dates), dtype=bool)
    elif dtype == object and pd.api.types.infer_dtype(dates, skipna=True) not in ("string", "datetime", "date", "empty"):
        mask = dates.map(lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool) and not pd.isna(v))
        mask = mask.to_numpy(dtype=bool)
    else:
        return
    advice = f"dates: convert epoch numbers first, e.g. pd.to_datetime(df[{column!r}], unit='s')"
    _refuse_rows(mask, df, column, advice, found="a number, not a date")


def _parse_dates(dates: pd.Series, column: str, df: pd.DataFrame) -> np.ndarray:
    """A column of dates as datetime64[ns] (UTC wall-clock time); DataError naming the first unparsable one."""
    _reject_numbers(dates, column, df)
    parsed = pd.to_datetime(dates, errors="coerce")
    _refuse_rows(parsed.isna().to_numpy(), df, column, "a date")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


def to_seconds(dates: pd.Series, column: str, df: pd.DataFrame) -> np.ndarray:
    """Seconds since 1970-01-01 (wall-clock time) for a column of dates."""
    return _parse_dates(dates, column, df).astype("datetime64[s]").astype(np.int64)


# Ticks per second of the datetime64 units the native summary reads as they are.
_TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def customer_keys(df: pd.DataFrame, column: str) -> tuple[np.ndarray, Callable[[np.ndarray], pd.Index]]:
    """int64 keys for the customer column and the map from keys back to ids.

    Integer ids are their own keys (no copy for int64), so no factorisation is
    needed; other ids are factorised. Either way the ids keep their dtype. The
    map's index may share the keys it is given (int64 ids): give it arrays that
    nothing else holds, as the native results are.
    """
    series = df[column]
    dtype = series.dtype
    name = str(column)
    if isinstance(dtype, np.dtype) and (dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)):
        keys = np.ascontiguousarray(series.to_numpy(), dtype=np.int64)
        return keys, lambda k: pd.Index(k.astype(dtype, copy=False), name=name, copy=False)
    _refuse_rows(series.isna().to_numpy(), df, column, "a customer id")
    codes, uniques = pd.factorize(series, sort=False)
    return codes.astype(np.int64), lambda k: pd.Index(uniques.take(k), name=name)


def line_times(df: pd.DataFrame, column: str) -> tuple[np.ndarray, int]:
    """Times as int64 ticks since 1970 and the ticks per second.

    A datetime64 column is read as it is (NaT stays ``i64::MIN`` for the native
    check); any other column is parsed to nanoseconds, so fractions of a
    second count (a line half a second after ``calibration_end`` is holdout).
    """
    series = df[column]
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        unit, count = np.datetime_data(dtype)
        if count == 1 and unit in _TICKS_PER_SECOND:
            return np.ascontiguousarray(series.to_numpy()).view(np.int64), _TICKS_PER_SECOND[unit]
    return np.ascontiguousarray(_parse_dates(series, column, df)).view(np.int64), _TICKS_PER_SECOND["ns"]


def line_amounts(df: pd.DataFrame, column: str) -> np.ndarray:
    """Amounts as float64 (no copy for a float64 column); unparsable ones become NaN for the native check."""
    series = df[column]
    if series.dtype != np.float64:
        series = pd.to_numeric(series, errors="coerce")  # slow even on floats: only when needed
    return np.ascontiguousarray(series.to_numpy(dtype=np.float64))


def check_lines(df: pd.DataFrame, date_col: str, amount_col: str | None) -> None:
    """Raise DataError naming the earliest row with a missing date or a non-finite amount.

    On one row with both, the date is named.
    """
    bad_dates = pd.to_datetime(df[date_col], errors="coerce").isna().to_numpy()
    bad_amounts = np.zeros(len(df), dtype=bool) if amount_col is None else ~np.isfinite(line_amounts(df, amount_col))
    first_date = int(np.argmax(bad_dates)) if bad_dates.any() else len(df)
    first_amount = int(np.argmax(bad_amounts)) if bad_amounts.any() else len(df)
    if first_date <= first_amount:
        _refuse_rows(bad_dates, df, date_col, "a date")
    if amount_col is not None:
        _refuse_rows(bad_amounts, df, amount_col, "a finite number")


def transaction_arrays(
    df: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    order_col: str | None = None,
) -> dict[str, Any]:
    """Factorised customer and order ids, timestamps and amounts for ``_native``."""
    require_columns(df, customer_col=customer_col, date_col=date_col, amount_col=amount_col, order_col=order_col)
    _refuse_rows(df[customer_col].isna().to_numpy(), df, customer_col, "a customer id")
    codes, uniques = pd.factorize(df[customer_col], sort=False)
    amounts = pd.to_numeric(df[amount_col], errors="coerce").to_numpy(dtype=np.float64)
    _refuse_rows(~np.isfinite(amounts), df, amount_col, "a finite number")
    order_codes = None
    if order_col is not None:
        order_codes, _ = pd.factorize(df[order_col], sort=False)
        _refuse_rows(order_codes < 0, df, order_col, "an order id")
        order_codes = order_codes.astype(np.int64)
    return {
        "customer_ids": [str(u) for u in uniques],
        "customer_codes": codes.astype(np.int64),
        "timestamps": to_seconds(df[date_col], date_col, df),
        "amounts": amounts,
        "order_codes": order_codes,
    }


_YES = frozenset({"1", "true", "yes", "y"})
_NO = frozenset({"0", "false", "no", "n", ""})


def discount_flags(df: pd.DataFrame, column: str) -> np.ndarray:
    """Whether each line was discounted, as the CSV reader reads a discount
    column: an amount (> 0 means discounted) or a yes/no flag (empty: no)."""
    series = df[column]
    if pd.api.types.is_bool_dtype(series):
        return series.fillna(False).to_numpy(dtype=bool)
    amounts = pd.to_numeric(series, errors="coerce")
    flags = np.array(amounts > 0, dtype=bool)
    worded = amounts.isna().to_numpy()
    words = series[worded].fillna("").astype(str).str.strip().str.lower().to_numpy()
    yes, no = np.isin(words, list(_YES)), np.isin(words, list(_NO))
    bad = worded.copy()
    bad[worded] = ~(yes | no)
    _refuse_rows(bad, df, column, "a discount amount or a yes/no flag")
    flags[worded] = yes
    return flags


def _coded(df: pd.DataFrame, column: str) -> tuple[list[str], np.ndarray]:
    """An id column as (distinct values, codes); a missing value is the id ""."""
    codes, uniques = pd.factorize(df[column].fillna(""), sort=False)
    return [str(u) for u in uniques], codes.astype(np.int64)


def line_columns(
    df: pd.DataFrame,
    quantity_col: str | None = None,
    product_col: str | None = None,
    category_col: str | None = None,
    channel_col: str | None = None,
    discount_col: str | None = None,
) -> dict[str, Any]:
    """The optional line columns as the native pipeline takes them."""
    require_columns(
        df,
        quantity_col=quantity_col,
        product_col=product_col,
        category_col=category_col,
        channel_col=channel_col,
        discount_col=discount_col,
    )
    columns: dict[str, Any] = {}
    if quantity_col is not None:
        quantities = pd.to_numeric(df[quantity_col], errors="coerce").to_numpy(dtype=np.float64)
        _refuse_rows(~np.isfinite(quantities), df, quantity_col, "a finite number of items")
        columns["quantities"] = quantities
    for key, column in (("products", product_col), ("categories", category_col), ("sales_channels", channel_col)):
        if column is not None:
            columns[key] = _coded(df, column)
    if discount_col is not None:
        columns["discount_flags"] = discount_flags(df, discount_col)
    return columns


def interaction_columns(
    df: pd.DataFrame, customer_col: str, date_col: str, kind_col: str | None, satisfaction_col: str | None
) -> tuple[list[str], list[int], list[str], list[float]]:
    """Customer ids, times in seconds, kinds and satisfaction scores of an interactions table.

    ``kind_col`` and ``satisfaction_col`` may be absent: kinds are then empty and scores NaN.
    """
    kind_col = kind_col if kind_col in df.columns else None
    satisfaction_col = satisfaction_col if satisfaction_col in df.columns else None
    require_columns(df, interaction_customer_col=customer_col, interaction_date_col=date_col)
    n = len(df)
    kinds = df[kind_col].fillna("").astype(str).tolist() if kind_col else [""] * n
    scores = (
        pd.to_numeric(df[satisfaction_col], errors="coerce").astype(float).tolist()
        if satisfaction_col
        else [float("nan")] * n
    )
    times = to_seconds(df[date_col], date_col, df).tolist()
    return [str(c) for c in df[customer_col]], times, kinds, scores


def launch_dates(products: pd.DataFrame, product_id_col: str, launch_col: str) -> tuple[list[str], list[int]]:
    """Product ids and launch times in seconds of a products table, as the native functions take them."""
    require_columns(products, product_id_col=product_id_col, launch_col=launch_col)
    launch = to_seconds(products[launch_col], launch_col, products)
    return [str(p) for p in products[product_id_col]], launch.tolist()


def as_of_seconds(as_of: Any) -> int | None:
    """Seconds since 1970 of a date-like (an aware one converted to UTC); None stays None."""
    if as_of is None:
        return None
    return int(naive_utc(as_of).value // 1_000_000_000)


def naive_utc(moment: Any) -> pd.Timestamp:
    """A date-like as a timestamp without zone: an aware one converted to UTC, to the nanosecond."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def empty_calibration(calibration_end: Any) -> EmptyPeriodError:
    """The error of a calibration period that holds no purchase."""
    return EmptyPeriodError(
        f"no customer has a purchase at or before calibration_end={calibration_end!r}: the calibration "
        "period is empty; expected a calibration_end after the first transaction"
    )


def table_frame(table: dict[str, Any], index_name: str = "customer_id") -> pd.DataFrame:
    """A native customer table as a DataFrame indexed by customer id."""
    index = pd.Index(table["index"], name=index_name)
    return pd.DataFrame(table["values"], index=index, columns=table["columns"])


def answer_scale(scale: Any, name: str = "survey_scale") -> tuple[float, float] | None:
    """``(lowest, highest)`` answer as floats; the core checks their order."""
    if scale is None:
        return None
    if not isinstance(scale, str):  # text would unpack: "15" is not (1, 5)
        try:
            lowest, highest = scale
            return float(lowest), float(highest)
        except (TypeError, ValueError):
            pass
    raise ParameterError(
        f"invalid parameter {name}={scale!r}: expected the lowest and the highest answer, such as (1, 5)"
    )


def customers_table(customers: pd.DataFrame | None) -> tuple[Any, ...] | None:
    """(ids, numeric columns, text columns) as the native pipeline takes them."""
    if customers is None:
        return None
    numeric, text = [], []
    for name, column in customers.items():
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append((str(name), column.astype(np.float64).tolist()))
        else:
            text.append((str(name), column.fillna("").astype(str).tolist()))
    return [str(i) for i in customers.index], numeric, text


def segmentation_settings(
    *,
    k: int | str,
    min_share: float,
    random_state: Any,
    n_init: int | None,
    as_of: Any,
    title: str | None,
    customers: pd.DataFrame | None = None,
    channels: list[str] | None = None,
    survey: pd.DataFrame | None = None,
    survey_scale: Any = None,
    basis: list[str] | None = None,
    method: str = "auto",
    recent_days: int = 365,
) -> dict[str, Any]:
    """The settings of a segmentation of transactions, as the native entry points take them."""
    return dict(
        k=count_or_auto(k, "k"),
        min_share=float(min_share),
        seed=seed_from(random_state),
        n_init=n_init,
        as_of=as_of_seconds(as_of),
        title=title,
        customers=customers_table(customers),
        channels=channels,
        survey=customers_table(survey),
        survey_scale=answer_scale(survey_scale),
        basis=None if basis is None else [str(b) for b in basis],
        method=method,
        recent_days=count(recent_days, "recent_days"),
    )
