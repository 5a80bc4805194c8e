"""Segmentations that live on: a fitted segmentation saved as ``model.json``,
later snapshots scored with it, and the migration of customers between its
segments. The core does the work; this module converts frames and results.
"""

from __future__ import annotations

import json
import os
from html import escape as html_escape
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _native
from ._frames import as_of_seconds, customers_table, line_columns, transaction_arrays

__all__ = ["SegmentationModel", "Migration", "load", "migration"]


class SegmentationModel:
    """A fitted segmentation: basis preparation, clustering, names and the
    fingerprint of its training data (``model.json``, as ``segmint run`` writes it).

    Get one from :meth:`segmint.Segmenter.model` or :func:`load`.
    """

    def __init__(self, model_json: str) -> None:
        _native.check_model(model_json)  # a file of another schema version is refused, both versions named
        self.json = model_json
        document = json.loads(model_json)
        self.names: list[str] = list(document["names"])
        self.training: dict[str, Any] = document["training"]

    def __repr__(self) -> str:
        return (
            f"SegmentationModel({len(self.names)} segments, trained on {self.training['customers']} customers "
            f"to {self.training['period_end'] or 'a table'})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SegmentationModel) and other.json == self.json

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as ``model.json`` at ``path``."""
        _native.write_text(path, self.json)

    def score(
        self,
        transactions: pd.DataFrame,
        *,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        as_of: Any = None,
        **columns: Any,
    ) -> pd.DataFrame:
        """Place the customers of ``transactions`` in the segments.

        Returns one row per customer placed (indexed by customer id):
        ``segment``, ``name``, ``distance`` to the segment's centre and
        ``next_distance`` to the nearest other one (and, for a Gaussian
        mixture, ``probability``, its membership). ``frame.attrs["drift"]``
        holds the drift since training (PSI of each basis column, the share
        of customers far from every segment, a verdict) and
        ``frame.attrs["unplaced"]`` the customers not placed with the basis
        column they lack. ``as_of`` is the end of observation (default: the
        latest transaction); the other keywords name optional columns as
        :func:`segmint.segment` does (``order_col``, ``quantity_col`` …).
        """
        args = _snapshot(transactions, customer_col, date_col, amount_col, **columns)
        out = _native.score(self.json, args, as_of=as_of_seconds(as_of))
        index = pd.Index(out["ids"], name=customer_col)
        segments = np.asarray(out["segments"])
        frame = pd.DataFrame(
            {
                "segment": segments,
                "name": [self.names[s] for s in segments],
                "distance": out["distance"],
                "next_distance": out["next_distance"],
            },
            index=index,
        )
        if out["probability"] is not None:
            frame["probability"] = out["probability"]
        frame.attrs["drift"] = json.loads(out["drift_json"])
        frame.attrs["unplaced"] = dict(out["unplaced"])
        return frame

    def predict(self, transactions: pd.DataFrame, **kwargs: Any) -> pd.Series:
        """The segment of each customer of ``transactions`` (see :meth:`score`)."""
        return self.score(transactions, **kwargs)["segment"]


def load(path: str | os.PathLike[str]) -> SegmentationModel:
    """The model saved at ``path`` (by :meth:`SegmentationModel.save` or ``segmint run``)."""
    return SegmentationModel(_native.read_model(path))


@dataclass
class Migration:
    """Customers moving between segments from one date to another.

    Attributes
    ----------
    flows : pandas.DataFrame
        One row per flow: ``from_segment`` and ``to_segment`` (a segment, or
        ``"new"`` for a customer not in the log at the first date and
        ``"unplaced"`` for one lacking a basis value), their names,
        ``customers``, ``revenue`` between the two dates and ``direction``
        (1 an upgrade, -1 a downgrade, 0 neither). Every customer of the log
        at the second date is in one flow.
    matrix : pandas.DataFrame
        Row-normalised transitions of the customers placed at both dates.
    projection : pandas.DataFrame
        Segment sizes at the second date (period 0), then one period ahead
        per row by the matrix, with no acquisition assumed.
    headlines : list of str
        The biggest movements in words.
    """

    flows: pd.DataFrame
    matrix: pd.DataFrame
    projection: pd.DataFrame
    headlines: list[str]
    markdown: str = field(repr=False)
    html: str = field(repr=False)

    def to_markdown(self) -> str:
        """The migration as Markdown: headlines, matrix, projection."""
        return self.markdown

    def to_html(self) -> str:
        """The migration dashboard: one self-contained HTML page (the biggest
        movements, a flow chart, the transition heat map, the projection and
        the playbooks of the segments customers moved into), as ``segmint
        migrate`` writes it to ``report.html``."""
        return self.html

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html_escape(line)}</li>" for line in self.headlines)
        return (
            f"<ul>{items}</ul><h4>Transition matrix</h4>{self.matrix.to_html(float_format='{:.1%}'.format)}"
            f"<h4>Projected sizes (no acquisition)</h4>{self.projection.to_html(float_format='{:.0f}'.format)}"
        )


def migration(
    model: SegmentationModel,
    transactions: pd.DataFrame,
    *,
    start: Any,
    end: Any,
    periods: int = 4,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    **columns: Any,
) -> Migration:
    """Score the customers of ``transactions`` at ``start`` and at ``end``
    with ``model`` and measure their movement between its segments; the
    sizes are projected ``periods`` periods of the same length ahead."""
    args = _snapshot(transactions, customer_col, date_col, amount_col, **columns)
    out = _native.migration(model.json, args, start=as_of_seconds(start), end=as_of_seconds(end), periods=periods)
    document = json.loads(out["json"])
    names = document["names"]

    def place(value: Any) -> tuple[Any, str | None]:
        # {"segment": 2}, or "new" / "unplaced" for a customer outside the segments.
        if isinstance(value, dict):
            return value["segment"], names[value["segment"]]
        return value, None

    rows = []
    for flow in document["flows"]:
        (a, a_name), (b, b_name) = place(flow["from"]), place(flow["to"])
        rows.append(
            {
                "from_segment": a,
                "from_name": a_name,
                "to_segment": b,
                "to_name": b_name,
                "customers": flow["customers"],
                "revenue": flow["revenue"],
                "direction": flow["direction"],
            }
        )
    matrix = pd.DataFrame(document["matrix"], index=pd.Index(names, name="from"), columns=pd.Index(names, name="to"))
    projection = pd.DataFrame(document["projection"], columns=names)
    projection.index.name = "period"
    return Migration(pd.DataFrame(rows), matrix, projection, list(out["headlines"]), out["markdown"], out["html"])


def _snapshot(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    *,
    order_col: str | None = None,
    quantity_col: str | None = None,
    product_col: str | None = None,
    category_col: str | None = None,
    channel_col: str | None = None,
    discount_col: str | None = None,
    customers: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The snapshot's columns and side tables as the native functions take them."""
    from .pipeline import _side_sources

    args = transaction_arrays(transactions, customer_col, date_col, amount_col, order_col)
    args.update(line_columns(transactions, quantity_col, product_col, category_col, channel_col, discount_col))
    args["customers"] = customers_table(customers)
    args.update(_side_sources(customer_col, interactions, products))
    return args
