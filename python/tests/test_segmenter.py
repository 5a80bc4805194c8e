"""segmint.Segmenter: the one-call pipeline object and its result."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest

import segmint
from segmint.datasets import make_customers, make_survey
from segmint.exceptions import NotFittedError, ParameterError, SegmintIOError


@pytest.fixture(scope="module")
def base():
    return make_customers(3000, seed=5)


@pytest.fixture(scope="module")
def fitted(base):
    transactions, customers = base
    return segmint.Segmenter(k="auto", random_state=3).fit(transactions, customers=customers)


def test_fit_returns_the_segmentation_of_the_pipeline(base, fitted):
    transactions, customers = base
    direct = segmint.segment(
        transactions,
        customer_col="customer_id",
        date_col="date",
        amount_col="amount",
        order_col="order_id",
        random_state=3,
        as_of=transactions.attrs["as_of"],
        customers=customers,
    )
    pd.testing.assert_series_equal(fitted.labels, direct.labels)
    pd.testing.assert_frame_equal(fitted.features, direct.features)
    assert set(fitted.labels.index) == set(customers.index)


def test_result_tables(fitted):
    profiles = fitted.profiles
    assert profiles["size"].sum() == len(fitted.labels)
    assert profiles["size"].tolist() == fitted.labels.value_counts().sort_index().tolist()
    k_table = fitted.k_table
    assert list(k_table.index) == list(range(2, 9))
    assert k_table["recommended"].sum() == 1
    assert k_table.index[k_table["recommended"]][0] == len(profiles)
    masda = fitted.masda
    assert isinstance(masda, pd.DataFrame) and "all" in masda.index.astype(str)


def test_dashboard_html_json_and_notebook_view(fitted, tmp_path):
    path = tmp_path / "dashboard.html"
    page = fitted.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.lstrip().lower().startswith("<!doctype html")
    for segment in fitted.result.report["segments"]:
        assert html.escape(segment["name"], quote=False).replace("&amp;", "&#38;") in page or segment["name"] in page
    assert json.loads(fitted.to_json()) == fitted.result.report
    frame = fitted._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    srcdoc = frame.split('srcdoc="', 1)[1].split('" title=', 1)[0]
    assert html.unescape(srcdoc) == page
    bundle = fitted._repr_mimebundle_()
    assert bundle["text/html"] == frame and bundle["text/plain"].startswith("Segmenter(")
    with pytest.raises(SegmintIOError):
        fitted.to_html(tmp_path / "no" / "such" / "dir" / "dashboard.html")


def test_same_seed_same_segments_and_fixed_k(base):
    transactions, _ = base
    a = segmint.Segmenter(k=3, random_state=1).fit(transactions)
    b = segmint.Segmenter(k=3, random_state=1).fit(transactions)
    pd.testing.assert_series_equal(a.labels, b.labels)
    assert a.labels.nunique() == 3
    assert a.k_table is None
    np.testing.assert_array_equal(a.fit_predict(transactions).to_numpy(), a.labels.to_numpy())


def test_interactions_and_survey(base):
    transactions, customers = base
    ids = customers.index[:1500]
    rng = np.random.default_rng(0)
    interactions = pd.DataFrame(
        {
            "customer_id": np.repeat(ids, 2),
            "date": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 180, 2 * len(ids)), unit="D"),
            "kind": np.tile(["service", "email_open"], len(ids)),
            "satisfaction": rng.integers(1, 6, 2 * len(ids)).astype(float),
        }
    )
    survey = make_survey(customers.index, seed=2).drop(columns="attitude")
    seg = segmint.Segmenter(k=4, random_state=0).fit(transactions, interactions=interactions, survey=survey)
    assert "service_contacts" in seg.features.columns
    assert seg.features.loc[ids, "service_contacts"].eq(1).all()
    assert seg.survey.labels.index.equals(survey.index)
    assert seg.survey.labels.nunique() == 4


def test_errors_are_clear(base):
    transactions, _ = base
    with pytest.raises(NotFittedError):
        segmint.Segmenter().labels
    with pytest.raises(ParameterError, match="k="):
        segmint.Segmenter(k="many").fit(transactions)
    with pytest.raises(KeyError, match="spend"):
        segmint.Segmenter(amount_col="spend").fit(transactions)
    assert segmint.Segmenter()._repr_html_() is None


def test_clone_and_params():
    sklearn_base = pytest.importorskip("sklearn.base")
    seg = segmint.Segmenter(k=5, min_share=0.05)
    copy = sklearn_base.clone(seg)
    assert copy.get_params() == seg.get_params()
    assert copy.set_params(k=3).k == 3
