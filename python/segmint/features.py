"""Behavioural features, one row per customer."""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import _native
from ._frames import table_frame, transaction_arrays

__all__ = ["rfm"]


def rfm(
    df: pd.DataFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    order_col: str | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Recency, frequency, monetary value, average order value and tenure.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per transaction line. Negative amounts are returns: they lower
        ``monetary`` and never count as orders.
    customer_col, date_col, amount_col : str
        Columns holding the customer id, the date and the line amount.
    order_col : str, optional
        Order (invoice) id; without it each distinct purchase time is one order.
    as_of : date-like, optional
        End of the observation window; defaults to the latest date in ``df``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (in order of first appearance), with columns
        ``recency_days``, ``frequency``, ``monetary``, ``aov`` and ``tenure_days``.
    """
    arrays = transaction_arrays(df, customer_col, date_col, amount_col, order_col)
    table = _native.rfm(**arrays, as_of=_as_of_seconds(as_of))
    return table_frame(table, index_name=str(customer_col))


def _as_of_seconds(as_of: Any) -> int | None:
    if as_of is None:
        return None
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.value // 1_000_000_000)
