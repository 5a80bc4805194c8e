"""The whole pipeline in one call: transactions in, segments and a report out."""

from __future__ import annotations

import json
from html import escape as html_escape
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _native
from ._arrow import ArrowTable, is_arrow_table
from ._base import count_or_auto, seed_from
from ._frames import (
    answer_scale,
    customers_table,
    interaction_columns,
    launch_dates,
    line_columns,
    require_columns,
    segmentation_settings,
    table_frame,
    transaction_arrays,
)
from .exceptions import ParameterError
from .validate import Scorecard

if TYPE_CHECKING:
    from .scoring import SegmentationModel

__all__ = [
    "SegmentationResult",
    "SurveySegmentation",
    "audit_frame",
    "read_transactions",
    "segment",
    "segment_csv",
    "segment_survey",
    "segment_table",
]


def audit_frame(audit: dict[str, Any]) -> pd.DataFrame:
    """The ingest audit as a table: one row for the kept rows and one per drop reason.

    Parameters
    ----------
    audit : dict
        The audit as ``read_transactions`` returns it (or ``report["data"]["audit"]``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``outcome`` (``kept``, then each reason), with ``rows``,
        ``share`` of the rows read and the first example's ``line``,
        ``column`` and ``value``. ``rows`` sums to ``attrs["rows_read"]``.
    """
    read = audit["rows_read"]
    outcomes = {"kept": {"rows": audit["rows_kept"]}}
    for reason, dropped in audit["dropped"].items():
        example = dropped["examples"][0] if dropped["examples"] else {}
        outcomes[reason] = {"rows": dropped["count"], **example}
    frame = pd.DataFrame.from_dict(outcomes, orient="index").reindex(columns=["rows", "line", "column", "value"])
    frame.insert(1, "share", frame["rows"] / read if read else np.nan)
    frame.index.name = "outcome"
    frame.attrs.update(source=audit.get("source"), rows_read=read, return_rows=audit.get("return_rows"))
    return frame


@dataclass
class SegmentationResult:
    """What a segmentation produced.

    Attributes
    ----------
    features : pandas.DataFrame
        RFM, AOV and tenure per customer (indexed by customer id).
    labels : pandas.Series
        Segment of each customer; segment 0 is the largest.
    centers : numpy.ndarray
        k-means centres in the standardised feature space, in segment order.
    report : dict
        The segment report (the same document as ``report.json``).
    markdown : str
        The report as Markdown.
    model_json : str
        The fitted segmentation as ``model.json`` (see :attr:`model`).
    """

    features: pd.DataFrame
    labels: pd.Series
    centers: np.ndarray
    report: dict[str, Any]
    markdown: str = field(repr=False)
    model_json: str = field(default="", repr=False)

    @classmethod
    def of_native(cls, out: dict[str, Any], index_name: str) -> "SegmentationResult":
        """The result of a native segmentation (of transactions, tables or an aggregated log)."""
        features = table_frame(out["features"], index_name=index_name)
        labels = pd.Series(out["labels"], index=features.index, name="segment")
        return cls(
            features, labels, out["centers"], json.loads(out["report_json"]), out["markdown"], out["model_json"]
        )

    @property
    def model(self) -> "SegmentationModel":
        """The fitted segmentation, to save and to score later snapshots with."""
        from .scoring import SegmentationModel

        return SegmentationModel(self.model_json)

    @property
    def audit(self) -> pd.DataFrame | None:
        """The ingest audit as a table (see :func:`audit_frame`), when the data came from a file."""
        document = self.report.get("data", {}).get("audit")
        return None if document is None else audit_frame(document)

    @property
    def k_table(self) -> pd.DataFrame | None:
        """The validity indices of every k tried (when ``k="auto"``), indexed by k."""
        return _k_table(self.report.get("k_selection"))

    @property
    def masda(self) -> pd.DataFrame | None:
        """MASDA verdict of each criterion for the whole segmentation (``"all"``) and each segment."""
        card = self.scorecard
        return None if card is None else card.summary

    @property
    def scorecard(self) -> Scorecard | None:
        """The MASDA scorecard (every check with value, threshold, verdict and reason)."""
        document = self.report.get("scorecard")
        return None if document is None else Scorecard(document)

    @property
    def profiles(self) -> pd.DataFrame:
        """One row per segment: size, share, revenue share and the mean of each KPI."""
        rows = []
        for s in self.report["segments"]:
            row = {"size": s["size"], "share": s["share"], "revenue_share": s["revenue_share"]}
            row.update({k["name"]: k["mean"] for k in s["kpis"]})
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index([s["segment"] for s in self.report["segments"]], name="segment"))

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.report, indent=2)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The self-contained HTML dashboard (inline CSS and SVG, no scripts, nothing fetched).

        Parameters
        ----------
        path : str or path-like, optional
            Where to write the dashboard as UTF-8 HTML.

        Returns
        -------
        str
            The HTML document.
        """
        html = _native.report_html(json.dumps(self.report))
        if path is not None:
            _native.write_text(path, html)
        return html

    def _repr_html_(self) -> str:
        """The dashboard in a scrollable frame, isolated from the notebook's styles."""
        document = html_escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{document}" title="segmint dashboard" '
            'style="width:100%;height:640px;border:1px solid #ddd;border-radius:4px"></iframe>'
        )

    def to_markdown(self) -> str:
        """The report as Markdown."""
        return self.markdown

    def _repr_markdown_(self) -> str:
        return self.markdown


def _k_table(selection: dict[str, Any] | None) -> pd.DataFrame | None:
    """The k-selection table indexed by k, with the recommended k flagged."""
    if selection is None:
        return None
    table = pd.DataFrame(selection["table"]).set_index("k")
    table["recommended"] = table.index == selection["recommended"]
    return table


def segment(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    order_col: str | None = None,
    k: int | str = "auto",
    min_share: float = 0.0,
    random_state: Any = 0,
    n_init: int | None = None,
    as_of: Any = None,
    title: str | None = None,
    customers: pd.DataFrame | None = None,
    channels: list[str] | None = None,
    interactions: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    product_col: str | None = None,
    quantity_col: str | None = None,
    category_col: str | None = None,
    channel_col: str | None = None,
    discount_col: str | None = None,
    survey: pd.DataFrame | None = None,
    survey_scale: tuple[float, float] | None = None,
    basis: list[str] | None = None,
    method: str = "auto",
    recent_days: int = 365,
) -> SegmentationResult:
    """Segment the customers of a transaction DataFrame.

    Runs features (RFM, AOV, tenure) → log transform and standardisation →
    k-means → profiles → report, exactly as ``segmint run`` does. With
    ``k="auto"`` the number of segments is chosen by the vote of the internal
    indices (silhouette, Calinski–Harabasz and Davies–Bouldin as one voice),
    the elbow and the gap statistic over k = 2..8 (``result.k_table``),
    keeping only k whose smallest segment holds at least ``min_share`` of the
    customers. ``customers`` (indexed by customer id) adds demographics and
    contact opt-ins: a customer is reachable when any of ``channels`` (default:
    the columns named like ``*opt_in*`` or ``*consent*``) is true, which the
    MASDA scorecard's Accessible check uses. ``interactions`` (customer id,
    ``date``, optional ``kind`` and ``satisfaction``) add service and
    engagement KPIs to the profiles; ``products`` (``product_id``,
    ``launch_date``) with ``product_col`` naming the product of each
    transaction line add the new-product share. The optional line columns
    add their KPIs as the CSV reader's do: ``quantity_col`` (items per line:
    items per order), ``product_col`` and ``category_col`` (category breadth),
    ``channel_col`` (the sales channel of the line) and ``discount_col`` (a
    discount amount, > 0 meaning discounted, or a yes/no flag: discount share
    of orders and of revenue). ``basis`` names the columns that form the
    segments (default: the RFM features, the group word ``"behaviour"``;
    columns of ``customers`` and ``survey`` (indexed by customer id) and the
    group words ``"customers"`` and ``"survey"`` may join them) and
    ``method`` the clustering method, as in :func:`segment_table`;
    ``survey_scale`` declares the survey's answer scale, as there.
    ``recent_days`` is the trailing window of the ``recent_`` features, as in
    :func:`segmint.features.customer_features` (the default basis counts
    frequency and basket there).
    """
    arrays = transaction_arrays(transactions, customer_col, date_col, amount_col, order_col)
    arrays.update(line_columns(transactions, quantity_col, product_col, category_col, channel_col, discount_col))
    settings = segmentation_settings(
        k=k,
        min_share=min_share,
        random_state=random_state,
        n_init=n_init,
        as_of=as_of,
        title=title,
        customers=customers,
        channels=channels,
        survey=survey,
        survey_scale=survey_scale,
        basis=basis,
        method=method,
        recent_days=recent_days,
    )
    out = _native.segment(**arrays, **settings, **_side_sources(customer_col, interactions, products))
    return SegmentationResult.of_native(out, str(customer_col))


def segment_table(
    customers: pd.DataFrame | None = None,
    *,
    id_col: str | None = None,
    survey: pd.DataFrame | None = None,
    basis: list[str] | None = None,
    method: str = "auto",
    k: int | str = "auto",
    min_share: float = 0.0,
    random_state: Any = 0,
    n_init: int | None = None,
    missing: str = "impute",
    log: bool = True,
    channels: list[str] | None = None,
    title: str | None = None,
    survey_scale: tuple[float, float] | None = None,
) -> SegmentationResult:
    """Segment customers from a table (one row per customer), a survey, or both.

    No transaction log is needed. ``id_col`` names the customer id column
    (default: the frame's index); a survey is joined on the same id.
    ``basis`` lists the columns that form the segments (or the group words
    ``"customers"`` and ``"survey"``); every other column describes them:
    numeric ones as KPIs with levels, categorical ones as each segment's
    make-up. The default basis is the survey when one is given, else every
    column of the customer table. ``method`` is ``"auto"`` (k-means, or
    k-prototypes when the basis has categorical columns), ``"kmeans"``,
    ``"minibatch"``, ``"kprototypes"``, ``"gmm"`` or ``"ward"``. Missing basis
    values are imputed (median, most frequent level) or, with
    ``missing="drop"``, the customer is left out and counted in the report;
    right-skewed non-negative columns are log-transformed unless ``log=False``.
    ``survey_scale`` declares the survey's lowest and highest answer, such as
    ``(1, 5)``: an answer outside it is a ``DataError`` naming the respondent
    and the item.
    """
    if customers is None and survey is None:
        raise ParameterError("invalid parameter customers=None: expected a customer table, a survey or both")
    tables = [_keyed(frame, id_col) for frame in (customers, survey)]
    out = _native.segment_table(
        customers_table(tables[0]),
        customers_table(tables[1]),
        basis=None if basis is None else [str(b) for b in basis],
        method=method,
        k=count_or_auto(k, "k"),
        min_share=float(min_share),
        seed=seed_from(random_state),
        n_init=n_init,
        title=title,
        missing=missing,
        log=bool(log),
        channels=channels,
        survey_scale=answer_scale(survey_scale),
    )
    index_name = id_col or next((str(t.index.name) for t in tables if t is not None and t.index.name), "customer_id")
    return SegmentationResult.of_native(out, index_name)


def _keyed(frame: pd.DataFrame | None, id_col: str | None) -> pd.DataFrame | None:
    """The frame indexed by its customer id column (``id_col``, else its index)."""
    if frame is None or id_col is None:
        return frame
    require_columns(frame, id_col=id_col)
    return frame.set_index(id_col)


def _side_sources(
    customer_col: str,
    interactions: pd.DataFrame | None,
    products: pd.DataFrame | None,
) -> dict[str, Any]:
    """Interactions and launch dates as the native pipeline takes them."""
    sources: dict[str, Any] = {}
    if interactions is not None:
        sources["interactions"] = interaction_columns(interactions, customer_col, "date", "kind", "satisfaction")
    if products is not None:
        sources["launches"] = launch_dates(products, "product_id", "launch_date")
    return sources


def read_transactions(
    path: str | os.PathLike[str] | ArrowTable,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    quantity_col: str | None = None,
    price_col: str | None = None,
    order_col: str | None = None,
    product_col: str | None = None,
    category_col: str | None = None,
    channel_col: str | None = None,
    discount_col: str | None = None,
    date_format: str | None = None,
    delimiter: str = ",",
    on_bad_row: str = "drop",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a transaction CSV (``.gz`` too), a Parquet file or directory of
    them, or an Arrow table (polars, pyarrow, DuckDB …), with segmint's
    reader; Parquet and Arrow column types are taken from the data.

    Returns the kept lines as a DataFrame (``customer_id``, ``order_id``,
    ``date``, ``amount``, and ``quantity``, ``product_id``, ``category``,
    ``channel``, ``discounted`` for the optional columns named) and the ingest
    audit: rows read, kept and dropped by reason, with example lines. The
    amount is ``amount_col`` (with ``quantity_col`` as the items per line when
    given) or ``quantity_col`` × ``price_col``; ``discount_col`` holds a
    discount amount (> 0 means discounted) or a yes/no flag. A row that
    cannot be read is dropped and counted (``on_bad_row="drop"``) or stops
    the reading with an error naming its line and column (``"fail"``).
    """
    options = dict(
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        quantity_col=quantity_col,
        price_col=price_col,
        order_col=order_col,
        product_col=product_col,
        category_col=category_col,
        channel_col=channel_col,
        discount_col=discount_col,
        date_format=date_format,
        delimiter=delimiter,
        on_bad_row=on_bad_row,
    )
    native = _read_native(path, options)
    return _transactions_frame(native), json.loads(native["audit_json"])


def segment_csv(
    path: str | os.PathLike[str],
    *,
    k: int | str = "auto",
    min_share: float = 0.0,
    random_state: Any = 0,
    n_init: int | None = None,
    as_of: Any = None,
    recent_days: int = 365,
    **read_options: Any,
) -> SegmentationResult:
    """Read a transaction CSV or Parquet file and segment its customers.

    ``read_options`` are those of :func:`read_transactions` (``customer_col``,
    ``date_col``, ``amount_col`` or ``quantity_col`` and ``price_col``, …).
    The report includes the ingest audit.
    """
    native = _read_native(path, read_options)
    title = f"Customer segmentation of {Path(path).name}"
    settings = segmentation_settings(
        k=k,
        min_share=min_share,
        random_state=random_state,
        n_init=n_init,
        as_of=as_of,
        title=title,
        recent_days=recent_days,
    )
    return SegmentationResult.of_native(_native.segment(**native, **settings), "customer_id")


def _read_native(path: str | os.PathLike[str] | ArrowTable, options: dict[str, Any]) -> dict[str, Any]:
    return _native.read_transactions(path if is_arrow_table(path) else os.fspath(path), **options)


def _transactions_frame(native: dict[str, Any]) -> pd.DataFrame:
    ids = np.asarray(native["customer_ids"], dtype=object)
    frame = pd.DataFrame(
        {
            "customer_id": ids[native["customer_codes"]],
            "date": native["timestamps"].astype("datetime64[s]"),
            "amount": native["amounts"],
        }
    )
    if native["order_codes"] is not None:
        frame.insert(1, "order_id", native["order_codes"])
    if native["quantities"] is not None:
        frame["quantity"] = native["quantities"]
    for key, column in (("products", "product_id"), ("categories", "category"), ("sales_channels", "channel")):
        if native[key] is not None:
            ids, codes = native[key]
            frame[column] = np.asarray(ids, dtype=object)[codes]
    if native["discount_flags"] is not None:
        frame["discounted"] = native["discount_flags"]
    return frame


@dataclass
class SurveySegmentation:
    """What the attitudinal path produced.

    Attributes
    ----------
    labels : pandas.Series
        Segment of each respondent; segment 0 is the largest.
    scores : pandas.DataFrame
        Factor scores (regression method), one column per factor (named after its scale).
    loadings : pandas.DataFrame
        Rotated loadings, items × factors.
    scales : pandas.DataFrame
        One row per scale: its factor, items and Cronbach's alpha.
    profiles : pandas.DataFrame
        Mean factor score of each segment.
    kmo, bartlett_p : float
        Sampling adequacy and Bartlett's p-value.
    answers_imputed : int
        Missing answers replaced by their item's mean.
    k_table : pandas.DataFrame or None
        The validity indices of every k tried (``k="auto"``).
    scorecard : Scorecard or None
        The MASDA scorecard (with each scale's alpha under Measurable).
    """

    labels: pd.Series
    scores: pd.DataFrame
    loadings: pd.DataFrame
    scales: pd.DataFrame
    profiles: pd.DataFrame
    kmo: float
    bartlett_p: float
    answers_imputed: int
    k_table: pd.DataFrame | None
    scorecard: Scorecard | None = field(repr=False)

    @property
    def masda(self) -> pd.DataFrame | None:
        """MASDA verdict of each criterion for the whole segmentation and each segment."""
        return None if self.scorecard is None else self.scorecard.summary


def segment_survey(
    survey: pd.DataFrame,
    *,
    k: int | str = 4,
    basis: str = "items",
    n_factors: int | None = None,
    n_boot: int = 100,
    random_state: Any = 0,
    scale: tuple[float, float] | None = None,
) -> SurveySegmentation:
    """Segment respondents on their attitudes.

    Every numeric column of ``survey`` (indexed by respondent) is an item.
    KMO and Bartlett's test check the items; Horn's parallel analysis chooses
    the number of factors unless ``n_factors`` is given; minres with varimax
    extracts them; each item joins its strongest factor to form a scale (with
    Cronbach's alpha); k-means then clusters the standardised raw items
    (``basis="items"``, the default — clustering only on factor scores can
    hide small groups) or the factor scores (``basis="factors"``). With
    ``k="auto"`` the number of segments is chosen as in :func:`segment`.
    ``scale`` declares the lowest and highest answer, such as ``(1, 5)``: an
    answer outside it is a ``DataError`` naming the respondent and the item.
    """
    items = survey.select_dtypes("number")
    answers = np.ascontiguousarray(items.to_numpy(dtype=np.float64))
    out = _native.segment_survey(
        [str(i) for i in survey.index],
        [str(c) for c in items.columns],
        answers,
        k=count_or_auto(k, "k"),
        basis=basis,
        n_factors=n_factors,
        seed=seed_from(random_state),
        bootstrap=n_boot,
        scale=answer_scale(scale, "scale"),
    )
    scales = pd.DataFrame(json.loads(out["scales_json"]))
    names = [
        scales.loc[scales["factor"] == f, "name"].iloc[0] if (scales["factor"] == f).any() else f"factor {f + 1}"
        for f in range(out["loadings"].shape[1])
    ]
    segments = pd.Index(range(out["segment_factor_means"].shape[0]), name="segment")
    k_table = _k_table(json.loads(out["k_selection_json"]) if out["k_selection_json"] else None)
    return SurveySegmentation(
        labels=pd.Series(out["labels"], index=survey.index, name="segment"),
        scores=pd.DataFrame(out["scores"], index=survey.index, columns=names),
        loadings=pd.DataFrame(out["loadings"], index=items.columns, columns=names),
        scales=scales.set_index("name"),
        profiles=pd.DataFrame(out["segment_factor_means"], index=segments, columns=names),
        kmo=float(out["kmo"]),
        bartlett_p=float(out["bartlett_p"]),
        answers_imputed=int(out["answers_imputed"]),
        k_table=k_table,
        scorecard=Scorecard(json.loads(out["scorecard_json"])) if out["scorecard_json"] else None,
    )
