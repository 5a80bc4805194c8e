"""Data sets: the synthetic customer base with known archetypes, and its psychographic survey."""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import _native
from .pipeline import _transactions_frame

__all__ = ["make_customers", "make_survey"]


def make_customers(n_customers: int = 10_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A realistic synthetic customer base over two years (2024-01-01 to 2025-12-31).

    Customers are drawn from four behavioural archetypes — High-Value
    Loyalists, New & Potential Customers, Budget-Conscious Shoppers and
    At-Risk & Churned — and the true archetype of each is returned, so a
    segmentation can be checked against the truth. The same seed gives the
    same data.

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id``, ``order_id``, ``date``, ``amount`` (negative amounts
        are returns). ``transactions.attrs["as_of"]`` is the end of the window.
    customers : pandas.DataFrame
        Indexed by ``customer_id``: ``archetype``, ``age``, ``gender``,
        ``region``, ``email_opt_in``.
    """
    native = _native.make_customers(n_customers, seed)
    transactions = _transactions_frame(native["transactions"])
    as_of = pd.Timestamp(native["as_of"], unit="s")
    transactions.attrs["as_of"] = as_of
    customers = pd.DataFrame(
        {
            "archetype": native["archetype"],
            "age": native["age"],
            "gender": native["gender"],
            "region": native["region"],
            "email_opt_in": native["email_opt_in"],
        },
        index=pd.Index(native["transactions"]["customer_ids"], name="customer_id"),
    )
    return transactions, customers


def make_survey(ids: Any, seed: int = 0) -> pd.DataFrame:
    """A psychographic survey of the customers ``ids``: 16 Likert items (1–5).

    Four latent attitudes — price consciousness (``price_*``), quality
    orientation (``quality_*``), innovativeness (``innovation_*``) and
    practicality (``practical_*``), four items each — drive four attitudinal
    archetypes: Value Seekers, Quality Enthusiasts, Innovators and Practical
    Pragmatists. Returns the answers indexed by customer id, with the true
    archetype in the column ``attitude``. The same seed gives the same answers.
    """
    ids = [str(i) for i in ids]
    native = _native.make_survey(ids, seed)
    frame = pd.DataFrame(native["answers"], columns=native["items"], index=pd.Index(ids, name="customer_id"))
    frame["attitude"] = native["attitude"]
    return frame
