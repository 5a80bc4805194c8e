"""The one-call segmentation object: raw tables in, segments, scorecard and dashboard out."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ._base import BaseEstimator, check_is_fitted
from .pipeline import SegmentationResult, SurveySegmentation, segment, segment_survey, segment_table
from .scoring import SegmentationModel

__all__ = ["Segmenter"]


class Segmenter(BaseEstimator):
    """Segment customers from their transactions in one call, scikit-learn style.

    ``fit`` runs the whole pipeline of :func:`segmint.segment` — behavioural
    features, log transform and standardisation, k-means with the number of
    segments chosen from the validity indices (``k="auto"``), profiles, the
    MASDA scorecard and the report — and returns the fitted Segmenter, which
    reads like its result: ``.features``, ``.labels``, ``.profiles``,
    ``.k_table``, ``.masda``, ``.to_html(path)``, ``.to_json()``; in Jupyter
    it shows the dashboard.

    Parameters
    ----------
    k : int or "auto", default="auto"
        Number of segments; "auto" tries k = 2..8.
    min_share : float, default=0.0
        With ``k="auto"``, keep only k whose smallest segment holds at least this share.
    random_state : int, default=0
        Seed: the same seed gives the same segments.
    n_init : int, optional
        k-means restarts (default: the pipeline's).
    as_of : date-like, optional
        End of observation (default: the latest transaction).
    customer_col, date_col, amount_col : str
        Columns of the transactions (also the customer column of ``interactions``).
    order_col : str or None, default="order_id"
        Order id column; None counts each line as an order. Ignored when absent.
    product_col : str, optional
        Product of each transaction line (needed with ``products``).
    quantity_col, category_col, channel_col, discount_col : str, optional
        Further line columns and their KPIs: items per order, category
        breadth, sales channels, discount shares (see :func:`segmint.segment`).
    channels : list of str, optional
        Opt-in columns of ``customers`` that make a customer reachable.
    survey_k : int or "auto", default=4
        Segments of the attitudinal survey, when one is given to ``fit``
        beside transactions and no ``basis`` names it.
    basis : list of str, optional
        The columns that form the segments: names and the group words
        ``"behaviour"``, ``"customers"`` and ``"survey"``; every other column
        describes them. Default: the behaviour with transactions, else the
        survey, else the customer table.
    method : str, default="auto"
        ``"auto"`` (k-means, or k-prototypes for a basis with categorical
        columns), ``"kmeans"``, ``"minibatch"``, ``"kprototypes"``, ``"gmm"`` or ``"ward"``.
    survey_scale : (float, float), optional
        The survey's lowest and highest answer, such as ``(1, 5)``: an answer
        outside it is an error naming the respondent and the item.
    title : str, optional
        Title of the report.
    recent_days : int
        The trailing window, in days up to ``as_of``, of the ``recent_``
        features (the default basis counts frequency and basket there).

    Attributes
    ----------
    result_ : SegmentationResult
        The behavioural segmentation.
    survey_ : SurveySegmentation or None
        The attitudinal segmentation of the survey given to ``fit``.

    Examples
    --------
    >>> import segmint
    >>> transactions, customers = segmint.datasets.make_customers(2_000, seed=0)
    >>> seg = segmint.Segmenter(k="auto").fit(transactions, customers=customers)
    >>> seg.profiles.index.name
    'segment'
    """

    def __init__(
        self,
        k: int | str = "auto",
        *,
        min_share: float = 0.0,
        random_state: Any = 0,
        n_init: int | None = None,
        as_of: Any = None,
        customer_col: str = "customer_id",
        date_col: str = "date",
        amount_col: str = "amount",
        order_col: str | None = "order_id",
        product_col: str | None = None,
        quantity_col: str | None = None,
        category_col: str | None = None,
        channel_col: str | None = None,
        discount_col: str | None = None,
        channels: list[str] | None = None,
        survey_k: int | str = 4,
        title: str | None = None,
        basis: list[str] | None = None,
        method: str = "auto",
        survey_scale: tuple[float, float] | None = None,
        recent_days: int = 365,
    ) -> None:
        self.k = k
        self.min_share = min_share
        self.random_state = random_state
        self.n_init = n_init
        self.as_of = as_of
        self.customer_col = customer_col
        self.date_col = date_col
        self.amount_col = amount_col
        self.order_col = order_col
        self.product_col = product_col
        self.quantity_col = quantity_col
        self.category_col = category_col
        self.channel_col = channel_col
        self.discount_col = discount_col
        self.channels = channels
        self.survey_k = survey_k
        self.title = title
        self.basis = basis
        self.method = method
        self.survey_scale = survey_scale
        self.recent_days = recent_days

    def fit(
        self,
        transactions: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None,
        survey: pd.DataFrame | None = None,
        interactions: pd.DataFrame | None = None,
        products: pd.DataFrame | None = None,
    ) -> "Segmenter":
        """Segment the customers of the data given; returns ``self``.

        Any non-empty mix of ``transactions``, ``customers`` and ``survey``
        is segmented, joined on the customer id.

        Parameters
        ----------
        transactions : pandas.DataFrame, optional
            One row per transaction line (negative amounts are returns).
        customers : pandas.DataFrame, optional
            Indexed by customer id: demographics and contact opt-ins.
        survey : pandas.DataFrame, optional
            Likert answers indexed by respondent: segmented on attitudes as well (``survey_``).
        interactions : pandas.DataFrame, optional
            Customer id, ``date``, optional ``kind`` and ``satisfaction``.
        products : pandas.DataFrame, optional
            ``product_id`` and ``launch_date`` (with ``product_col``).

        Returns
        -------
        Segmenter
            The fitted object.
        """
        if transactions is None:
            self.result_ = segment_table(
                customers,
                survey=survey,
                basis=self.basis,
                method=self.method,
                k=self.k,
                min_share=self.min_share,
                random_state=self.random_state,
                n_init=self.n_init,
                channels=self.channels,
                title=self.title,
                survey_scale=self.survey_scale,
            )
            self.survey_ = None
            return self
        joint = self.basis is not None
        self.result_ = segment(
            transactions,
            **self._columns(transactions),
            k=self.k,
            min_share=self.min_share,
            random_state=self.random_state,
            n_init=self.n_init,
            as_of=self._as_of(transactions),
            title=self.title,
            customers=customers,
            channels=self.channels,
            interactions=interactions,
            products=products,
            survey=survey if joint else None,
            survey_scale=self.survey_scale if joint else None,
            basis=self.basis,
            method=self.method,
            recent_days=self.recent_days,
        )
        separate = survey is not None and not joint
        self.survey_ = (
            segment_survey(survey, k=self.survey_k, random_state=self.random_state, scale=self.survey_scale)
            if separate
            else None
        )
        return self

    def fit_predict(self, transactions: pd.DataFrame | None = None, **sources: Any) -> pd.Series:
        """Fit and return the segment of each customer."""
        return self.fit(transactions, **sources).labels

    def _as_of(self, transactions: pd.DataFrame) -> Any:
        return self.as_of if self.as_of is not None else transactions.attrs.get("as_of")

    @property
    def result(self) -> SegmentationResult:
        """The behavioural segmentation (raises NotFittedError before ``fit``)."""
        check_is_fitted(self, "result_")
        return self.result_

    @property
    def survey(self) -> SurveySegmentation | None:
        """The attitudinal segmentation of the survey, if one was given."""
        check_is_fitted(self, "result_")
        return self.survey_

    @property
    def features(self) -> pd.DataFrame:
        """The behavioural features per customer."""
        return self.result.features

    @property
    def labels(self) -> pd.Series:
        """The segment of each customer; segment 0 is the largest."""
        return self.result.labels

    @property
    def profiles(self) -> pd.DataFrame:
        """One row per segment: size, shares and the mean of each KPI."""
        return self.result.profiles

    @property
    def k_table(self) -> pd.DataFrame | None:
        """The validity indices of every k tried (``k="auto"``), indexed by k."""
        return self.result.k_table

    @property
    def masda(self) -> pd.DataFrame | None:
        """The MASDA verdicts, for the whole segmentation and each segment."""
        return self.result.masda

    @property
    def model(self) -> SegmentationModel:
        """The fitted segmentation (``model.json``), to save and to score later snapshots with."""
        return self.result.model

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted segmentation as ``model.json`` at ``path`` (read it back with :func:`segmint.load`)."""
        self.model.save(path)

    def score(self, transactions: pd.DataFrame, as_of: Any = None, **sources: Any) -> pd.DataFrame:
        """Place the customers of a later snapshot in the fitted segments, with
        this segmenter's column names; see :meth:`SegmentationModel.score`."""
        as_of = as_of if as_of is not None else transactions.attrs.get("as_of")
        return self.model.score(transactions, as_of=as_of, **self._columns(transactions), **sources)

    def predict(self, transactions: pd.DataFrame, as_of: Any = None, **sources: Any) -> pd.Series:
        """The segment of each customer of a later snapshot."""
        return self.score(transactions, as_of=as_of, **sources)["segment"]

    def _columns(self, transactions: pd.DataFrame) -> dict[str, Any]:
        """The column names of ``transactions`` as ``segment`` and ``score`` take them (order_col only when present)."""
        order_col = self.order_col if self.order_col in transactions.columns else None
        return dict(
            customer_col=self.customer_col,
            date_col=self.date_col,
            amount_col=self.amount_col,
            order_col=order_col,
            product_col=self.product_col,
            quantity_col=self.quantity_col,
            category_col=self.category_col,
            channel_col=self.channel_col,
            discount_col=self.discount_col,
        )

    def to_json(self) -> str:
        """The report as JSON text."""
        return self.result.to_json()

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The HTML dashboard, written to ``path`` when given."""
        return self.result.to_html(path)

    def _repr_html_(self) -> str | None:
        """The dashboard once fitted (Jupyter shows it); nothing before."""
        if not hasattr(self, "result_"):
            return None
        return self.result_._repr_html_()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """Jupyter's display: the dashboard once fitted, scikit-learn's estimator view before."""
        if hasattr(self, "result_"):
            return {"text/plain": repr(self), "text/html": self.result_._repr_html_()}
        parent = getattr(super(), "_repr_mimebundle_", None)
        return parent(**kwargs) if parent is not None else {"text/plain": repr(self)}
