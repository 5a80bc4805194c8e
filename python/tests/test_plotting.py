"""segmint.plotting: each plot draws what its table says (Agg backend)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import segmint  # noqa: E402
from segmint import plotting  # noqa: E402
from segmint.datasets import make_customers, make_survey  # noqa: E402
from segmint.exceptions import ColumnNotFoundError, ParameterError  # noqa: E402


@pytest.fixture(scope="module")
def seg():
    transactions, _ = make_customers(2000, seed=0)
    return segmint.Segmenter(random_state=0).fit(transactions)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("criterion,column", [("elbow", "inertia"), ("silhouette", "silhouette")])
def test_k_selection_line_is_the_k_table(seg, criterion, column):
    ax = plotting.plot_k_selection(seg, criterion)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), seg.k_table.index.to_numpy())
    np.testing.assert_allclose(line.get_ydata(), seg.k_table[column].to_numpy())
    marker = ax.get_lines()[1]
    assert marker.get_xdata()[0] == seg.k_table.index[seg.k_table["recommended"]][0]


def test_gap_has_error_bars_and_draws_on_the_given_axes(seg):
    fig, given = plt.subplots()
    ax = plotting.plot_k_selection(seg.k_table, "gap", ax=given)
    assert ax is given
    bars = ax.containers[0]
    np.testing.assert_allclose(bars.lines[0].get_ydata(), seg.k_table["gap"].to_numpy())
    with pytest.raises(ParameterError, match="criterion="):
        plotting.plot_k_selection(seg, "bic-ish")


def test_snake_plot_lines_are_standardised_segment_means(seg):
    ax = plotting.snake_plot(seg.features, seg.labels)
    columns = ["recency_days", "frequency", "monetary", "aov", "tenure_days"]
    z = (seg.features[columns] - seg.features[columns].mean()) / seg.features[columns].std(ddof=0)
    expected = z.groupby(seg.labels.to_numpy()).mean()
    lines = ax.get_lines()[: len(expected)]
    for line, (_, row) in zip(lines, expected.iterrows()):
        np.testing.assert_allclose(line.get_ydata(), row.to_numpy(), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == columns
    with pytest.raises(ParameterError, match="labels"):
        plotting.snake_plot(seg.features, seg.labels[:10])


def test_segment_sizes_bars_and_share_labels(seg):
    ax = plotting.plot_segment_sizes(seg)
    heights = [p.get_height() for p in ax.patches]
    assert heights == seg.profiles["size"].tolist()
    from_labels = plotting.plot_segment_sizes(seg.labels.to_numpy())
    assert [p.get_height() for p in from_labels.patches] == heights
    shares = [t.get_text() for t in ax.texts]
    assert shares == [f"{s:.0%}" for s in seg.profiles["share"]]


def test_kpi_bars_are_indices_against_all_customers(seg):
    ax = plotting.plot_kpis(seg, ["monetary", "frequency"])
    profiles = seg.profiles
    overall = seg.features[["monetary", "frequency"]].mean()
    expected = 100 * profiles[["monetary", "frequency"]] / overall
    heights = np.array([p.get_height() for p in ax.patches]).reshape(len(profiles), 2)
    np.testing.assert_allclose(heights, expected.to_numpy(), rtol=1e-9)
    raw = plotting.plot_kpis(seg.profiles, ["aov"], relative=False)
    np.testing.assert_allclose([p.get_height() for p in raw.patches], profiles["aov"].to_numpy())
    with pytest.raises(ColumnNotFoundError, match="nope"):
        plotting.plot_kpis(seg, ["nope"])


def test_loadings_heat_map_shows_the_loadings():
    ids = [f"c{i}" for i in range(600)]
    survey = make_survey(ids, seed=1)
    result = segmint.segment_survey(survey, k=4, n_boot=0)
    ax = plotting.plot_loadings(result)
    np.testing.assert_allclose(ax.images[0].get_array(), result.loadings.to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == list(result.loadings.index)
    fa = segmint.decomposition.FactorAnalysis(n_factors=4).fit(survey.drop(columns="attitude"))
    ax = plotting.plot_loadings(fa, annotate=False)
    np.testing.assert_allclose(ax.images[0].get_array(), fa.loadings_)
    assert not ax.texts
    with pytest.raises(ParameterError):
        plotting.plot_loadings(np.eye(2))
