"""segmint on Dask: the aggregation of a transaction log and k-means beyond one machine.

Install with ``pip install segmint[dask]``; nothing else in segmint imports Dask.

The summaries partition the log by customer (a hash shuffle on the customer
column), run the one-machine native aggregation on every partition with the
GIL released, and return a Dask DataFrame with the one-machine columns and
numbers. What depends on the whole log (the end of observation, the default
``as_of``) is computed once, globally, before the partitions run.

:class:`KMeans` runs Lloyd's algorithm with one task per worker and iteration:
each returns the partial sums, weights and inertia of every block the worker
holds (``_native.kmeans_lloyd_step``), and the driver merges them in block
order, so a fit gives the same centres bit for bit on any number of workers.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

try:
    import dask
    import dask.array as da
    import dask.dataframe as dd
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError("segmint.dask needs Dask: pip install 'segmint[dask]'") from missing
try:
    import distributed
except ImportError:  # pragma: no cover - Dask on its local schedulers
    distributed = None

from . import _native, features, metrics
from ._base import (
    BaseEstimator,
    ClusterMixin,
    TransformerMixin,
    check_is_fitted,
    check_n_features,
    count,
    one_of,
    require_2d,
    seed_from,
)
from ._frames import (
    as_of_seconds,
    customers_table,
    empty_calibration,
    line_amounts,
    line_times,
    naive_utc,
    require_columns,
    segmentation_settings,
)
from .cluster import KMeans as _OneMachineKMeans
from .cluster import MiniBatchKMeans as _OneMachineMiniBatchKMeans
from .exceptions import (
    ConvergenceWarning,
    DataError,
    EmptyPeriodError,
    InternalError,
    ParameterError,
)
from .pipeline import SegmentationResult

__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "calibration_and_holdout_data",
    "calinski_harabasz_score",
    "customer_features",
    "date_range",
    "davies_bouldin_score",
    "rfm_summary",
    "segment",
    "silhouette_score",
]

#: Rows of the seeded sample the silhouette is computed on (it is quadratic in the rows).
SILHOUETTE_SAMPLE_ROWS = 10_000

#: The most customers :func:`segment` collects onto one machine by default:
#: the segmentation of 5·10^6 customers peaked at 8.8 GiB in the driver
#: (docs/scaling.md), about 1.8 KB per customer.
MAX_COLLECTED_CUSTOMERS = 5_000_000

#: Rows of the seeded sample that k-means++ (then Lloyd) runs on to choose the initial centres.
INIT_SAMPLE_ROWS = 100_000

_NAT = np.iinfo(np.int64).min

# Internal columns of :func:`segment`'s aggregation.
_LINE = "__segmint_line"
_ROW_BITS = 40  # a line's place: its partition's number above 2^40, its row in the partition below
_FIRST_LINE = "__segmint_first_line"
_DAILY = ("__segmint_frequency", "__segmint_recency", "__segmint_T", "__segmint_monetary_value")


def date_range(ddf: dd.DataFrame, date_col: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The earliest and latest dates of ``date_col`` over every partition, parsed as the one-machine functions parse them."""
    extents = _extents(ddf, date_col)
    return extents["first"].min(), extents["last"].max()


def _extents(ddf: dd.DataFrame, date_col: str, amount_col: str | None = None) -> pd.DataFrame:
    """Per partition, in order: its lines, its earliest and latest dates and
    its earliest purchase (a line with ``amount_col`` >= 0, as the summaries
    count purchases), in one pass over the log."""
    _require(ddf, date_col=date_col, amount_col=amount_col)

    def extent(part: pd.DataFrame) -> pd.DataFrame:
        times, ticks = line_times(part, date_col)
        dated = times != _NAT  # a missing date is the one-machine functions' to name
        bought = dated if amount_col is None else dated & (line_amounts(part, amount_col) >= 0)
        valid = times[dated]
        ends = _timestamps(np.array([valid.min(), valid.max()]), ticks) if len(valid) else [pd.NaT] * 2
        purchase = _timestamps(times[bought].min(keepdims=True), ticks) if bought.any() else [pd.NaT]
        return pd.DataFrame({"lines": [len(part)], "first": ends[:1], "last": ends[1:], "first_purchase": purchase})

    dates = {"first": "datetime64[ns]", "last": "datetime64[ns]", "first_purchase": "datetime64[ns]"}
    meta = pd.DataFrame({"lines": pd.Series(dtype=np.int64), **{c: [] for c in dates}}).astype(dates)
    dates_and_amounts = ddf[[c for c in (date_col, amount_col) if c is not None]]  # only these columns are read
    extents = dates_and_amounts.map_partitions(extent, meta=meta).compute().reset_index(drop=True)
    if extents["last"].isna().all():
        raise DataError(f"column {date_col!r} holds no date: the log is empty; expected at least one transaction")
    return extents


def _timestamps(times: np.ndarray, ticks_per_second: int) -> pd.DatetimeIndex:
    """``line_times``' ticks as timestamps."""
    return pd.to_datetime(times * (1_000_000_000 // ticks_per_second))


def rfm_summary(
    ddf: dd.DataFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    time_unit: str = "D",
    observation_end: Any = None,
    freq_multiplier: float = 1.0,
) -> dd.DataFrame:
    """:func:`segmint.features.rfm_summary` of a Dask DataFrame, one partition of customers per task."""
    _require(ddf, customer_col=customer_col, date_col=date_col, amount_col=amount_col)
    end = date_range(ddf, date_col)[1] if observation_end is None else observation_end
    options = dict(
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        time_unit=time_unit,
        observation_end=end,
        freq_multiplier=freq_multiplier,
    )
    return _per_customer(ddf, customer_col, features.rfm_summary, options)


def calibration_and_holdout_data(
    ddf: dd.DataFrame,
    *,
    customer_col: str,
    date_col: str,
    calibration_end: Any,
    observation_end: Any,
    amount_col: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1.0,
) -> dd.DataFrame:
    """:func:`segmint.features.calibration_and_holdout_data` of a Dask DataFrame.

    A partition without a calibration purchase gives no rows; the calibration
    period is an error only when it is empty for the whole log.
    """
    _require(ddf, customer_col=customer_col, date_col=date_col, amount_col=amount_col)
    first_purchase = _extents(ddf, date_col, amount_col)["first_purchase"].min()
    if not first_purchase <= naive_utc(calibration_end):  # NaT: no purchase at all
        raise empty_calibration(calibration_end)
    options = dict(
        customer_col=customer_col,
        date_col=date_col,
        calibration_end=calibration_end,
        observation_end=observation_end,
        amount_col=amount_col,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
    )

    def calibrate(part: pd.DataFrame, **options: Any) -> pd.DataFrame | None:
        try:
            return features.calibration_and_holdout_data(part, **options)
        except EmptyPeriodError:
            return None  # a partition of customers who all came later has no calibration period of its own

    # The columns do not depend on the dates: any period the sample fills gives them.
    sample = _sample(ddf)
    times, ticks = line_times(sample, date_col)
    last = _timestamps(times[times != _NAT].max(keepdims=True), ticks)[0]
    period = {"calibration_end": last, "observation_end": last + pd.Timedelta(days=1)}
    meta = features.calibration_and_holdout_data(sample, **{**options, **period})
    return _per_customer(ddf, customer_col, calibrate, options, meta.iloc[:0])


def customer_features(
    ddf: dd.DataFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    as_of: Any = None,
    products: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    interaction_customer_col: str = "customer_id",
    **options: Any,
) -> dd.DataFrame:
    """:func:`segmint.features.customer_features` of a Dask DataFrame, one partition of customers per task.

    ``as_of`` defaults to the latest date of the whole log. With ``product_col``,
    new products are judged by the launch dates of ``products``: a product's
    first sale is global knowledge that no partition of customers holds, so
    the table is required. ``interactions`` (a pandas frame) is sent to every
    partition, which keeps the rows of its own customers.
    """
    _require(ddf, customer_col=customer_col, date_col=date_col, amount_col=amount_col)
    _require_launches(options.get("product_col"), products)
    end = date_range(ddf, date_col)[1] if as_of is None else as_of
    settings = dict(
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=end,
        products=products,
        interaction_customer_col=interaction_customer_col,
        **options,
    )
    if interactions is None:
        return _per_customer(ddf, customer_col, features.customer_features, settings)

    def with_interactions(part: pd.DataFrame, **settings: Any) -> pd.DataFrame:
        own = _own_interactions(part, customer_col, interactions, interaction_customer_col)
        return features.customer_features(part, interactions=own, **settings)

    return _per_customer(ddf, customer_col, with_interactions, settings)


def _require_launches(product_col: str | None, products: pd.DataFrame | None) -> None:
    if product_col is not None and products is None:
        raise ParameterError(
            "products: with product_col, the Dask path needs the products table with launch dates "
            "(a product's first sale spans every partition); expected a pandas DataFrame"
        )


def _own_interactions(
    part: pd.DataFrame, customer_col: str, interactions: pd.DataFrame | None, interaction_customer_col: str
) -> pd.DataFrame | None:
    """The interactions of the partition's customers; ids match as text, as the native join matches them."""
    if interactions is None:
        return None
    ids = part[customer_col].astype(str).unique()
    return interactions[interactions[interaction_customer_col].astype(str).isin(ids)]


def segment(
    ddf: dd.DataFrame,
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
    max_customers: int = MAX_COLLECTED_CUSTOMERS,
) -> SegmentationResult:
    """:func:`segmint.segment` of a Dask DataFrame: up to ``max_customers`` customers, the one-machine result.

    The log is aggregated on the cluster: each partition of customers gives
    its feature table (:func:`customer_features`), its daily repeat-purchase
    summary (for predictive CLV) and each customer's first line. The table of
    one row per customer is then collected and segmented on this machine, in
    the log's order of first appearance, as one machine orders it: up to
    ``max_customers`` customers, the result is the one-machine result.

    Above ``max_customers`` customers (default
    :data:`MAX_COLLECTED_CUSTOMERS`), the table is not collected: the
    segmentation is fitted on a seeded sample of about ``max_customers`` of
    them, every customer is placed with the fitted model on the cluster, and
    the profiles' sizes, shares, means, indices and Cohen's d are those of
    every customer, merged from per-segment sums; the report's notes say what
    comes from the sample. ``labels`` is then a Dask Series of every
    customer's segment and ``features`` the sample's table.

    ``customers``, ``survey``, ``interactions`` and ``products`` are pandas
    frames, as :func:`segmint.segment` takes them.
    """
    _require(ddf, customer_col=customer_col, date_col=date_col, amount_col=amount_col)
    _require_launches(product_col, products)
    count(max_customers, "max_customers", minimum=1)
    extents = _extents(ddf, date_col)
    span = (as_of_seconds(extents["first"].min()), as_of_seconds(extents["last"].max()))
    end = extents["last"].max() if as_of is None else as_of
    line_options = dict(
        order_col=order_col,
        quantity_col=quantity_col,
        product_col=product_col,
        category_col=category_col,
        channel_col=channel_col,
        discount_col=discount_col,
    )
    table = _aggregate(
        _numbered(ddf),
        dict(
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            as_of=end,
            recent_days=recent_days,
            **line_options,
        ),
        products,
        interactions,
    ).persist()
    n_customers = len(table)
    fits = n_customers <= max_customers  # the customer table is collected onto this machine
    settings = segmentation_settings(
        k=k,
        min_share=min_share,
        random_state=random_state,
        n_init=n_init,
        as_of=as_of,
        title=title,
        customers=customers if fits else None,  # above max_customers, each part takes its own rows
        channels=channels,
        survey=survey,
        survey_scale=survey_scale,
        basis=basis,
        method=method,
        recent_days=recent_days,
    )
    log = (span, int(extents["lines"].sum()))
    if not fits:
        return _segment_by_sample(table, max_customers / n_customers, log, settings, customers, str(customer_col))
    collected = _in_log_order(table.compute())
    del table  # the workers need not hold it while this machine segments
    out = _native.segment_aggregated(*_native_tables(collected), *log, **settings)
    return SegmentationResult.of_native(out, str(customer_col))


def _segment_by_sample(
    table: dd.DataFrame,
    fraction: float,
    log: tuple[tuple[int, int], int],
    settings: dict[str, Any],
    customers: pd.DataFrame | None,
    customer_col: str,
) -> SegmentationResult:
    """The segmentation of a base too large to collect: fitted on a seeded
    sample of ``fraction`` of the customers (picked by a hash of their id, so
    the same on any partitioning), then every customer placed with the fitted
    model on the cluster, the profiles' sizes, shares, means, indices and
    Cohen's d taken over all of them from per-segment partial sums.

    The predictive models (BG/NBD, Gamma-Gamma) are fitted once, on the
    sample, and value every customer. ``labels`` is a Dask Series of every
    customer's segment; ``features`` is the sample's table.
    """
    if settings["survey"] is not None:
        raise ParameterError(
            "survey: a base above max_customers is placed with the fitted model, which cannot score survey "
            "answers yet; expected survey=None, or max_customers at least the number of customers"
        )
    threshold = np.uint64(fraction * float(np.iinfo(np.uint64).max))
    key = f"{settings['seed'] % 16**16:016x}"  # pandas' hash key: 16 characters

    def sampled(part: pd.DataFrame) -> pd.DataFrame:
        hashes = pd.util.hash_pandas_object(part.index.astype(str), index=False, hash_key=key).to_numpy()
        return part[hashes < threshold]

    sample = _in_log_order(table.map_partitions(sampled, meta=table._meta).compute())
    features, daily = _native_tables(sample)
    models = _native.predictive_models(daily)
    if customers is not None:  # ids match as text, as the native join matches them
        customers = customers.set_axis(customers.index.astype(str))
    sample_settings = dict(settings, customers=customers_table(_own_customers(customers, sample.index)))
    out = _native.segment_aggregated(features, daily, *log, predictive_models=models, **sample_settings)
    model_json, as_of = out["model_json"], settings["as_of"]
    meta = pd.Series([], dtype=np.int64, name="segment", index=pd.Index([], dtype=object, name=customer_col))

    def place(part: pd.DataFrame, customers: pd.DataFrame | None) -> tuple[pd.Series, str | None, int]:
        if part.empty:  # the shuffle may leave a partition without customers
            return meta, None, 0
        part = _in_log_order(part)
        placed = _native.profile_part(
            model_json,
            *_native_tables(part),
            *log,
            predictive_models=models,
            customers=customers_table(_own_customers(customers, part.index)),
            as_of=as_of,
        )
        labels = pd.Series(placed["segments"], index=pd.Index(placed["ids"], name=customer_col), name="segment")
        return labels, placed["partials_json"], placed["unplaced"]

    shared = dask.delayed(customers)  # one copy in the graph, not one per task
    parts = dask.persist(*[dask.delayed(place)(part, shared) for part in table.to_delayed()])
    partials, unplaced = dask.compute([p[1] for p in parts], [p[2] for p in parts])
    whole = _native.profile_whole_base(out["report_json"], [p for p in partials if p is not None], int(sum(unplaced)))
    result = SegmentationResult.of_native(dict(out, **whole), customer_col)
    result.labels = dd.from_delayed([p[0] for p in parts], meta=meta, verify_meta=False)
    return result


def _in_log_order(table: pd.DataFrame) -> pd.DataFrame:
    """Aggregated customers in the log's order of first appearance, as one machine orders them."""
    return table.sort_values(_FIRST_LINE, kind="stable").drop(columns=_FIRST_LINE)


def _native_tables(table: pd.DataFrame) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The feature table and the daily summary of aggregated customers, as the native pipeline takes them."""
    ids = [str(i) for i in table.index]
    bought = table[_DAILY[0]].notna().to_numpy()
    feature_columns = [c for c in table.columns if c not in _DAILY]
    return (
        (ids, feature_columns, table[feature_columns].to_numpy(dtype=np.float64)),
        ([i for i, b in zip(ids, bought) if b], table.loc[bought, list(_DAILY)].to_numpy(dtype=np.float64)),
    )


def _own_customers(customers: pd.DataFrame | None, ids: pd.Index) -> pd.DataFrame | None:
    """The rows of the customer table (indexed by text ids) that describe the customers ``ids``."""
    if customers is None:
        return None
    return customers[customers.index.isin(ids.astype(str))]


def _numbered(ddf: dd.DataFrame) -> dd.DataFrame:
    """The log with each line's place in it: its partition's number in the
    high bits, its row in the partition in the low ones. The place orders
    lines as the log does without counting any partition first, so it holds
    however Dask cuts the files into partitions."""

    def number(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
        if partition_info is None:
            raise InternalError("Dask gave no partition number: the lines of the log cannot be numbered")
        start = partition_info["number"] << _ROW_BITS
        return part.assign(**{_LINE: np.arange(start, start + len(part), dtype=np.int64)})

    return ddf.map_partitions(number, meta=ddf._meta.assign(**{_LINE: np.int64(0)}))


def _aggregate(
    numbered: dd.DataFrame,
    settings: dict[str, Any],
    products: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
) -> dd.DataFrame:
    """Per customer: the feature table of :func:`segmint.segment`, the daily
    summary its predictive CLV is fitted on (absent without a purchase), and
    the first line, from which the one-machine order is restored."""
    customer_col = settings["customer_col"]
    summary_options = {c: settings[c] for c in ("customer_col", "date_col", "amount_col")}

    def per_partition(part: pd.DataFrame) -> pd.DataFrame:
        part = part.sort_values(_LINE, kind="stable")  # each customer's lines in the log's order, as on one machine
        lines = part.drop(columns=_LINE)
        own = _own_interactions(lines, customer_col, interactions, customer_col)
        table = features.customer_features(
            lines, products=products, interactions=own, interaction_customer_col=customer_col, **settings
        )
        daily = features.rfm_summary(lines, time_unit="D", observation_end=settings["as_of"], **summary_options)
        daily = daily.set_axis(daily.index.astype(str)).set_axis(list(_DAILY), axis=1)
        first = part.groupby(customer_col, sort=False)[_LINE].min()
        table[_FIRST_LINE] = first.set_axis(first.index.astype(str)).reindex(table.index).to_numpy()
        return table.join(daily)

    return _per_customer(numbered, customer_col, per_partition, {})


def _per_customer(
    ddf: dd.DataFrame, customer_col: str, summarise: Any, options: dict[str, Any], meta: pd.DataFrame | None = None
) -> dd.DataFrame:
    """``summarise`` on every partition of the log shuffled by customer: each customer's lines in one partition.

    ``meta`` (the output's columns) defaults to ``summarise`` of a few real lines.
    """
    if meta is None:
        meta = summarise(_sample(ddf), **options).iloc[:0]

    def per_partition(part: pd.DataFrame, **options: Any) -> pd.DataFrame:
        out = summarise(part, **options) if len(part) else None
        return meta if out is None else out

    return ddf.shuffle(on=customer_col).map_partitions(per_partition, meta=meta, **options)


def _sample(ddf: dd.DataFrame) -> pd.DataFrame:
    """A few real lines, from which the one-machine function gives the output's columns and dtypes."""
    head = ddf.head(64, npartitions=1)
    return head if len(head) else ddf.head(64, npartitions=-1)


def _require(ddf: Any, **columns: str | None) -> None:
    if not isinstance(ddf, dd.DataFrame):
        raise ParameterError(f"ddf: expected a dask.dataframe.DataFrame, got {type(ddf).__name__}")
    require_columns(ddf._meta, **columns)


class KMeans(TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means (Lloyd) on a Dask array or DataFrame, with scikit-learn's interface.

    Each iteration runs the native assignment kernel on every block with the
    current centres (sent once per iteration) and merges the blocks' partial
    sums in block order: the same chunks give the same centres bit for bit on
    any number of workers, and the one-machine :class:`segmint.cluster.KMeans`
    Lloyd centres from the same initial centres to within rounding.

    Parameters
    ----------
    n_clusters : int, default=8
    init : "k-means++" or array of shape (n_clusters, n_features), default="k-means++"
        "k-means++": the one-machine k-means (k-means++ seeding, then Lloyd) on a
        seeded sample of ``init_sample`` rows gives the initial centres.
    max_iter : int, default=300
    tol : float, default=1e-4
        Stop when the sum of squared centre shifts is at most ``tol`` times the
        mean per-feature variance of X (scikit-learn's rule).
    init_sample : int, default=100_000
    random_state : None, int, RandomState or Generator

    Attributes
    ----------
    cluster_centers_, labels_ (a Dask array), inertia_, n_iter_, n_features_in_
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 300,
        tol: float = 1e-4,
        init_sample: int = INIT_SAMPLE_ROWS,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.init_sample = init_sample
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "KMeans":
        """Cluster the rows of ``X``; returns ``self``.

        ``X`` is persisted in the cluster's memory while the fit runs; ``labels_``
        is computed from ``X`` again when it is asked for.
        """
        source = _dask_matrix(X)
        X = source.persist()
        k = count(self.n_clusters, "n_clusters", minimum=1)
        max_iter = count(self.max_iter, "max_iter", minimum=1)
        centers = self._initial_centers(X, k)
        tol = float(self.tol) * _mean_variance(X) if self.tol else 0.0
        blocks = _Blocks(X)
        n_iter, shift = 0, np.inf
        while n_iter < max_iter and shift > tol:
            new, _, _ = blocks.lloyd(centers, first=n_iter == 0)
            shift = float(((new - centers) ** 2).sum())
            centers, n_iter = new, n_iter + 1
        _, inertia, weights = blocks.lloyd(centers, first=True)
        del blocks, X
        found = int(np.count_nonzero(weights))
        if found < k:
            warnings.warn(
                f"Number of distinct clusters ({found}) found smaller than n_clusters ({k}). "
                "Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.n_features_in_ = source.shape[1]
        self.labels_ = self.predict(source)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> Any:
        """Fit and return the cluster of each row (a Dask array)."""
        return self.fit(X).labels_

    def predict(self, X: Any) -> Any:
        """The nearest centre of each row: a Dask array for Dask input, else a numpy array."""
        check_is_fitted(self, "cluster_centers_")
        if not _is_dask(X):
            return _native.kmeans_predict(np.ascontiguousarray(X, dtype=np.float64), self.cluster_centers_)
        return _labels_of(self, X)

    def transform(self, X: Any) -> Any:
        """Euclidean distance of each row to each centre, block by block."""
        check_is_fitted(self, "cluster_centers_")
        if not _is_dask(X):
            return _native.kmeans_transform(np.ascontiguousarray(X, dtype=np.float64), self.cluster_centers_)
        return _distances_to(self, X)

    def score(self, X: Any, y: Any = None) -> float:
        """Opposite of the inertia of ``X`` against the centres."""
        check_is_fitted(self, "cluster_centers_")
        return _score(self, X)

    def _initial_centers(self, X: da.Array, k: int) -> np.ndarray:
        if not isinstance(self.init, str):
            centers = np.array(self.init, dtype=np.float64, order="C")
            if centers.shape != (k, X.shape[1]):
                raise ParameterError(
                    f"init: expected an array of shape ({k}, {X.shape[1]}) (n_clusters, n_features), "
                    f"got {centers.shape}"
                )
            return centers
        one_of(self.init, "init", ["k-means++"])  # or an array of centres, above
        seed = seed_from(self.random_state)
        n = X.shape[0]
        m = min(n, max(count(self.init_sample, "init_sample", minimum=1), k))  # fewer than k rows: the fit says so
        rows = np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
        sample = X[rows].compute()
        return _OneMachineKMeans(k, n_init=1, random_state=seed).fit(sample).cluster_centers_


def calinski_harabasz_score(X: Any, labels: Any) -> float:
    """Calinski–Harabasz index of a Dask array or DataFrame: one pass over the blocks, their cluster moments merged."""
    return _indices(X, labels, davies=False)[0]


def davies_bouldin_score(X: Any, labels: Any) -> float:
    """Davies–Bouldin index of a Dask array or DataFrame: the blocks' cluster moments, then their distances to the centroids."""
    davies_bouldin = _indices(X, labels, davies=True)[1]
    assert davies_bouldin is not None
    return davies_bouldin


def silhouette_score(X: Any, labels: Any, *, sample_size: int = SILHOUETTE_SAMPLE_ROWS, random_state: Any = None) -> float:
    """Mean silhouette of a seeded sample of ``sample_size`` rows (all rows when there are fewer)."""
    X, labels = _aligned(X, labels)
    n = X.shape[0]
    m = min(n, count(sample_size, "sample_size", minimum=2))
    rows = np.sort(np.random.default_rng(seed_from(random_state)).choice(n, size=m, replace=False))
    sample, sample_labels = dask.compute(X[rows], labels[rows])
    return metrics.silhouette_score(sample, sample_labels)


def _indices(X: Any, labels: Any, *, davies: bool) -> tuple[float, float | None]:
    """Calinski–Harabasz, and Davies–Bouldin when asked, from the blocks' partials merged in block order."""
    X, labels = dask.persist(*_aligned(X, labels))  # read two or three times
    clusters = np.unique(da.unique(labels).compute())
    pairs = list(zip(X.to_delayed().ravel(), labels.to_delayed().ravel()))
    parts = dask.compute(*[dask.delayed(_moments)(x, codes, clusters) for x, codes in pairs])
    moments, centroids = _native.merge_cluster_moments(list(parts))
    if not davies:
        return _native.indices_of_moments(moments)
    shared = dask.delayed(centroids)
    totals = np.zeros(len(clusters))
    for part in dask.compute(*[dask.delayed(_distances)(x, codes, clusters, shared) for x, codes in pairs]):
        totals += part
    return _native.indices_of_moments(moments, totals)


def _moments(x: np.ndarray, labels: np.ndarray, clusters: np.ndarray) -> str:
    return _native.cluster_moments(x, np.searchsorted(clusters, labels).astype(np.int64), len(clusters))


def _distances(x: np.ndarray, labels: np.ndarray, clusters: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return _native.cluster_distance_totals(x, np.searchsorted(clusters, labels).astype(np.int64), centroids)


def _aligned(X: Any, labels: Any) -> tuple[da.Array, da.Array]:
    """``X`` as a Dask matrix and ``labels`` as a Dask vector chunked as its rows."""
    X = _dask_matrix(X)
    if isinstance(labels, (dd.Series, dd.DataFrame)):
        labels = labels.to_dask_array(lengths=True)
    labels = labels if isinstance(labels, da.Array) else da.from_array(np.asarray(labels))
    if any(np.isnan(c) for c in labels.chunks[0]):
        labels = labels.compute_chunk_sizes()
    if labels.shape != (X.shape[0],):
        raise DataError(f"labels: expected one per row of X ({X.shape[0]}), got shape {labels.shape}")
    return X, labels.rechunk((X.chunks[0],))


class MiniBatchKMeans(_OneMachineMiniBatchKMeans):
    """Mini-batch k-means fed from the blocks of a Dask array or DataFrame, one block at a time.

    The parameters are :class:`segmint.cluster.MiniBatchKMeans`'. ``partial_fit``
    of Dask input takes each block in order as one ``partial_fit`` batch (a block
    is brought to this process, the rest stay where they are); ``fit`` makes
    ``max_iter`` such passes over the blocks. ``predict`` and ``transform`` of
    Dask input run block by block where the blocks live.
    """

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """``max_iter`` passes of :meth:`partial_fit` over the blocks of Dask input; as one machine otherwise."""
        if not _is_dask(X):
            return super().fit(X, y, sample_weight)
        _no_weights(sample_weight)
        for attribute in ("_state", "cluster_centers_"):
            self.__dict__.pop(attribute, None)
        source = _dask_matrix(X)
        persisted = source.persist()  # every pass reads every block
        for _ in range(count(self.max_iter, "max_iter", minimum=1)):
            self.partial_fit(persisted)
        self.labels_ = self.predict(source)
        return self

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of ``X`` against the centres; block by block for Dask input."""
        if not _is_dask(X):
            return super().score(X, y, sample_weight)
        _no_weights(sample_weight)
        check_is_fitted(self, "cluster_centers_")
        return _score(self, X)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """One batch per block of Dask input, in block order; one batch otherwise."""
        if not _is_dask(X):
            return super().partial_fit(X, y, sample_weight)
        _no_weights(sample_weight)
        X = _dask_matrix(X)
        for block, rows in zip(X.to_delayed().ravel(), X.chunks[0]):
            if rows:
                super().partial_fit(block.compute())
        return self

    def predict(self, X: Any) -> Any:
        """The nearest centre of each row: block by block for Dask input."""
        if not _is_dask(X):
            return super().predict(X)
        check_is_fitted(self, "cluster_centers_")
        return _labels_of(self, X)

    def transform(self, X: Any) -> Any:
        """Distances to the centres: block by block for Dask input."""
        if not _is_dask(X):
            return super().transform(X)
        check_is_fitted(self, "cluster_centers_")
        return _distances_to(self, X)


def _labels_of(model: Any, X: Any) -> da.Array:
    """The nearest centre of each row of Dask input, block by block."""
    centers = model.cluster_centers_
    return _checked(model, X).map_blocks(_native.kmeans_predict, centers, drop_axis=1, dtype=np.int64)


def _distances_to(model: Any, X: Any) -> da.Array:
    """The distance of each row of Dask input to each centre, block by block."""
    centers = model.cluster_centers_
    blocks = _checked(model, X)
    chunks = (blocks.chunks[0], (centers.shape[0],))
    return blocks.map_blocks(_native.kmeans_transform, centers, chunks=chunks, dtype=np.float64)


def _score(model: Any, X: Any) -> float:
    """Opposite of the inertia of Dask input against the model's centres, from the blocks' partials."""
    return -_Blocks(_checked(model, X).persist()).lloyd(model.cluster_centers_, first=True)[1]


def _no_weights(sample_weight: Any) -> None:
    if sample_weight is not None:
        raise ParameterError("sample_weight: not supported with Dask input; expected None")


def _is_dask(X: Any) -> bool:
    return isinstance(X, (da.Array, dd.DataFrame))


def _checked(model: Any, X: Any) -> da.Array:
    """``X`` as a Dask matrix with as many features as ``model`` was fitted on."""
    X = _dask_matrix(X).astype(model.cluster_centers_.dtype)
    check_n_features(model, X)
    return X


def _dask_matrix(X: Any) -> da.Array:
    """``X`` as a float64 Dask array with known row chunks and one chunk of columns."""
    if isinstance(X, dd.DataFrame):
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        X = da.from_array(np.asarray(X))
    require_2d(X)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X.astype(np.float64).rechunk({1: -1})


class _Blocks:
    """The blocks of a persisted array, where they live, and one Lloyd pass over them.

    With a distributed client the blocks stay futures on the workers, and a pass
    is one task per worker over the blocks it holds, the centres sent with it (a
    task costs the scheduler milliseconds, about as much as a block's step);
    without one, the pass is a delayed graph run by the current scheduler. Either way the partials come back one per block and are
    merged in block order.
    """

    def __init__(self, X: da.Array) -> None:
        self.X = X
        self.client = _client()
        blocks = list(X.to_delayed().ravel())
        self.starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
        if self.client is None:
            self.blocks = blocks
            return
        self.blocks = self.client.compute(blocks)
        distributed.wait(self.blocks)
        holders = self.client.who_has(self.blocks)
        self.by_worker: dict[str | None, list[int]] = {}
        for i, block in enumerate(self.blocks):
            held_by = sorted(holders.get(block.key) or [None])[0]  # None: wherever the scheduler likes
            self.by_worker.setdefault(held_by, []).append(i)

    def lloyd(self, centers: np.ndarray, *, first: bool) -> tuple[np.ndarray, float, np.ndarray]:
        """The next centres (the blocks' partials merged in block order, empty clusters
        relocated), the inertia at ``centers`` and the weight of the rows nearest each.

        ``first`` checks the blocks for NaN and infinity and sums the inertia; the later
        iterations skip both (the inertia is then 0).
        """
        if self.client is not None:
            # The centres (k × d) travel inside the two tasks: cheaper than a scatter's round trip.
            tasks = {
                worker: self.client.submit(
                    _steps, centers, first, [self.starts[i] for i in held], *[self.blocks[i] for i in held],
                    workers=None if worker is None else [worker], allow_other_workers=True, pure=False,
                )
                for worker, held in self.by_worker.items()
            }
            partials: list[Any] = [None] * len(self.blocks)
            for worker, steps in zip(tasks, self.client.gather(list(tasks.values()))):
                for i, partial in zip(self.by_worker[worker], steps):
                    partials[i] = partial
        else:
            shared = dask.delayed(centers)
            steps = [dask.delayed(_steps)(shared, first, [start], block)[0] for start, block in zip(self.starts, self.blocks)]
            partials = list(dask.compute(*steps))
        sums, weights, inertia = partials[0][0].copy(), partials[0][1].copy(), float(partials[0][2])
        for block_sums, block_weights, block_inertia in partials[1:]:
            sums += block_sums
            weights += block_weights
            inertia += block_inertia
        assigned = weights.copy()
        if not weights.all():
            self._relocate(centers, sums, weights)
        filled = weights > 0
        new = centers.copy()
        new[filled] = sums[filled] / weights[filled, None]
        return new, inertia, assigned

    def _relocate(self, centers: np.ndarray, sums: np.ndarray, weights: np.ndarray) -> None:
        """Moves the rows farthest from their centres into the empty clusters, as one machine does.

        Each block gives its own farthest rows; the farthest overall (ties to the
        earlier row) go to the empty clusters in order, leaving their old ones.
        """
        empty = np.flatnonzero(weights == 0)
        blocks = self.X.to_delayed().ravel()
        found = dask.compute(*[dask.delayed(_native.kmeans_farthest_rows)(b, centers, len(empty)) for b in blocks])
        rows = np.concatenate([start + part[0] for start, part in zip(self.starts, found)])
        distances = np.concatenate([part[1] for part in found])
        labels = np.concatenate([part[2] for part in found])
        far = np.lexsort((rows, -distances))[: len(empty)]
        if distances[far[0]] == 0.0:
            return  # every row sits on its centre
        values = self.X[rows[far]].compute()
        for cluster, pick, row in zip(empty, far, values):
            sums[labels[pick]] -= row
            weights[labels[pick]] -= 1.0
            sums[cluster] = row
            weights[cluster] = 1.0


def _steps(
    centers: np.ndarray, first: bool, starts: list[int], *blocks: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The Lloyd partial of each block, in order; ``starts`` are their first rows in X, for errors."""
    partials = []
    for start, block in zip(starts, blocks):
        try:
            partials.append(_native.kmeans_lloyd_step(block, centers, first=first))
        except DataError as error:
            raise type(error)(f"in the block of X that starts at row {start}: {error} (counted in the block)") from None
    return partials


def _client() -> Any:
    """The distributed client the current scheduler is, if any."""
    if distributed is None:  # pragma: no cover - Dask without distributed
        return None
    if dask.config.get("scheduler", None) not in (None, "dask.distributed", "distributed"):
        return None  # an explicit scheduler (such as "synchronous") wins over the client
    try:
        return distributed.default_client()
    except ValueError:
        return None


def _mean_variance(X: da.Array) -> float:
    """Mean per-feature variance of X, the scale of ``tol``."""
    return float(X.var(axis=0).mean().compute())
