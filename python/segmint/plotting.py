"""Plots of a segmentation (matplotlib, an optional dependency).

Every function draws on ``ax`` (a new figure's axes when not given) and returns
the matplotlib Axes, so plots compose into the user's own figures.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._base import one_of, per_row
from ._frames import require_columns
from .exceptions import ParameterError

__all__ = [
    "plot_k_selection",
    "snake_plot",
    "snake_table",
    "plot_segment_sizes",
    "plot_kpis",
    "kpi_table",
    "plot_loadings",
]

_K_CRITERIA = {
    "elbow": ("inertia", "within-segment sum of squares"),
    "silhouette": ("silhouette", "mean silhouette"),
    "gap": ("gap", "gap statistic"),
}


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("segmint.plotting needs matplotlib: pip install matplotlib (or segmint[plot])") from None
    return plt.subplots()[1]


def _table(source: Any, attribute: str, or_else: str = "") -> pd.DataFrame:
    """A result's table (``k_table``, ``profiles``) or the DataFrame itself;
    ``or_else`` names, for the message, what else the caller accepts."""
    table = getattr(source, attribute, source)
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(
            f"expected a DataFrame or an object with .{attribute}{or_else}, got {type(source).__name__}"
        )
    return table


def plot_k_selection(source: Any, criterion: str = "elbow", *, ax: Any = None) -> Any:
    """One k-selection criterion against k, the recommended k marked.

    Parameters
    ----------
    source : Segmenter, SegmentationResult or pandas.DataFrame
        The k table (``result.k_table``), indexed by k.
    criterion : {"elbow", "silhouette", "gap"}
        Inertia (look for the elbow), mean silhouette (higher is better) or
        the gap statistic with its ±s error bars.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = _table(source, "k_table")
    column, label = _K_CRITERIA[one_of(criterion, "criterion", _K_CRITERIA)]
    require_columns(table, criterion=column)
    ax = _axes(ax)
    ks = table.index.to_numpy()
    values = table[column].to_numpy(dtype=float)
    if criterion == "gap" and "gap_s" in table.columns:
        ax.errorbar(ks, values, yerr=table["gap_s"].to_numpy(dtype=float), marker="o", capsize=3, label=label)
    else:
        ax.plot(ks, values, marker="o", label=label)
    if "recommended" in table.columns and table["recommended"].any():
        best = table.index[table["recommended"].to_numpy(dtype=bool)][0]
        ax.axvline(best, color="grey", linestyle="--", label=f"recommended k = {best}")
    ax.set_xlabel("number of segments k")
    ax.set_ylabel(label)
    ax.set_xticks(ks)
    ax.legend()
    return ax


def snake_plot(
    features: pd.DataFrame, labels: Any, *, columns: Sequence[str] | None = None, ax: Any = None
) -> Any:
    """Snake plot: the mean standardised value of each feature, one line per segment.

    Parameters
    ----------
    features : pandas.DataFrame
        Features per customer (``result.features``).
    labels : array-like or pandas.Series
        Segment of each customer, aligned with ``features``.
    columns : list of str, optional
        Features to show (default: recency_days, frequency, monetary, aov,
        tenure_days when present, else every numeric column).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    means = snake_table(features, labels, columns)
    ax = _axes(ax)
    positions = np.arange(means.shape[1])
    for segment, row in means.iterrows():
        ax.plot(positions, row.to_numpy(), marker="o", label=f"segment {segment}")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xticks(positions)
    ax.set_xticklabels(means.columns, rotation=30, ha="right")
    ax.set_ylabel("mean z-score")
    ax.legend()
    return ax


def snake_table(features: pd.DataFrame, labels: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean z-score of each feature per segment (what :func:`snake_plot` draws)."""
    if columns is None:
        rfm = ["recency_days", "frequency", "monetary", "aov", "tenure_days"]
        columns = [c for c in rfm if c in features.columns] or list(features.select_dtypes("number").columns)
    require_columns(features, columns=list(columns))
    values = features[list(columns)].astype(float)
    labels = per_row(labels, len(values), "labels", rows_of="features")
    spread = values.std(ddof=0).replace(0.0, 1.0)
    z = (values - values.mean()) / spread
    return z.groupby(labels).mean()


def plot_segment_sizes(source: Any, *, ax: Any = None) -> Any:
    """Customers per segment as bars, each labelled with its share.

    Parameters
    ----------
    source : Segmenter, SegmentationResult, profiles DataFrame or labels
        Sizes are read from the profiles' ``size`` column, or counted from labels.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    sizes = _sizes(source)
    ax = _axes(ax)
    bars = ax.bar([str(s) for s in sizes.index], sizes.to_numpy())
    shares = sizes / sizes.sum()
    ax.bar_label(bars, labels=[f"{s:.0%}" for s in shares])
    ax.set_xlabel("segment")
    ax.set_ylabel("customers")
    return ax


def _sizes(source: Any) -> pd.Series:
    profiles = getattr(source, "profiles", source)
    if isinstance(profiles, pd.DataFrame):
        require_columns(profiles, source="size")
        return profiles["size"]
    return pd.Series(np.asarray(profiles)).value_counts().sort_index()


def plot_kpis(source: Any, kpis: Sequence[str] | None = None, *, relative: bool = True, ax: Any = None) -> Any:
    """KPI comparison: grouped bars of each KPI's mean per segment.

    Parameters
    ----------
    source : Segmenter, SegmentationResult or profiles DataFrame
    kpis : list of str, optional
        Profile columns to compare (default: monetary, frequency, recency_days, aov).
    relative : bool, default=True
        Show each segment's mean as an index (100 = the size-weighted mean of
        all customers), so KPIs of different units share one axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    profiles = _table(source, "profiles")
    kpis = list(kpis) if kpis is not None else ["monetary", "frequency", "recency_days", "aov"]
    values = kpi_table(profiles, kpis, relative)
    ax = _axes(ax)
    width = 0.8 / len(values.index)
    positions = np.arange(len(kpis))
    for i, (segment, row) in enumerate(values.iterrows()):
        ax.bar(positions + i * width, row.to_numpy(), width, label=f"segment {segment}")
    ax.set_xticks(positions + width * (len(values.index) - 1) / 2)
    ax.set_xticklabels(kpis)
    if relative:
        ax.axhline(100.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_ylabel("index (all customers = 100)" if relative else "mean")
    ax.legend()
    return ax


def kpi_table(profiles: pd.DataFrame, kpis: Sequence[str], relative: bool = True) -> pd.DataFrame:
    """The values :func:`plot_kpis` draws: per segment, each KPI's mean or its index."""
    require_columns(profiles, kpis=list(kpis), profiles="size" if relative else None)
    values = profiles[list(kpis)].astype(float)
    if not relative:
        return values
    overall = (values.mul(profiles["size"], axis=0)).sum() / profiles["size"].sum()
    return 100.0 * values / overall.replace(0.0, np.nan)


def plot_loadings(source: Any, *, ax: Any = None, annotate: bool = True) -> Any:
    """Heat map of factor loadings, items × factors, on a diverging scale from -1 to 1.

    Parameters
    ----------
    source : pandas.DataFrame, SurveySegmentation or fitted FactorAnalysis/PCA
        Loadings with items as rows (``survey.loadings``), a FactorAnalysis
        (``loadings_``) or a PCA (``components_`` transposed).
    ax : matplotlib Axes, optional
    annotate : bool, default=True
        Write each loading in its cell.

    Returns
    -------
    matplotlib.axes.Axes
    """
    loadings = _loadings(source)
    ax = _axes(ax)
    image = ax.imshow(loadings.to_numpy(), cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="loading")
    ax.set_xticks(np.arange(loadings.shape[1]))
    ax.set_xticklabels([str(c) for c in loadings.columns], rotation=30, ha="right")
    ax.set_yticks(np.arange(loadings.shape[0]))
    ax.set_yticklabels([str(i) for i in loadings.index])
    if annotate:
        for (row, column), value in np.ndenumerate(loadings.to_numpy()):
            ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
    return ax


def _loadings(source: Any) -> pd.DataFrame:
    matrix = getattr(source, "loadings_", None)
    if matrix is None and getattr(source, "components_", None) is not None:
        matrix = source.components_.T
    if matrix is None:
        return _table(source, "loadings", ", or a fitted FactorAnalysis or PCA")
    names = getattr(source, "feature_names_in_", None)
    index = list(names) if names is not None else [f"item {i + 1}" for i in range(matrix.shape[0])]
    return pd.DataFrame(matrix, index=index, columns=[f"factor {j + 1}" for j in range(matrix.shape[1])])
