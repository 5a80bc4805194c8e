"""A fitted segmentation saved, loaded, scoring later snapshots, measuring migration."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import segmint
from segmint.datasets import make_customers
from segmint.exceptions import ParameterError, SegmintFileNotFoundError


@pytest.fixture(scope="module")
def log():
    transactions, _ = make_customers(1500, seed=8)
    return transactions


@pytest.fixture(scope="module")
def halves(log):
    dates = pd.to_datetime(log["date"])
    middle = dates.min() + (dates.max() - dates.min()) / 2
    return log[dates <= middle], middle, dates.max()


@pytest.fixture(scope="module")
def fitted(log):
    return segmint.Segmenter(k=4, random_state=2).fit(log)


def test_the_training_snapshot_scores_to_the_training_labels_after_save_and_load(log, fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.json"
    fitted.save(path)
    model = segmint.load(path)
    assert model == fitted.model
    scored = model.score(log, as_of=log.attrs["as_of"], order_col="order_id")
    pd.testing.assert_series_equal(scored["segment"], fitted.labels, check_names=False, check_dtype=False)
    assert list(scored.columns) == ["segment", "name", "distance", "next_distance"]
    assert (scored["distance"] <= scored["next_distance"]).all()
    assert scored.attrs["drift"]["verdict"] == "stable"
    assert scored.attrs["unplaced"] == {}
    assert set(scored["name"]) == set(fitted.model.names)


def test_a_pickled_segmenter_predicts_as_the_original(log, fitted):
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_series_equal(again.predict(log), fitted.labels, check_names=False, check_dtype=False)


def test_migration_accounts_for_every_customer_of_the_second_date(halves, log):
    first, middle, end = halves
    fitted = segmint.Segmenter(k=4, random_state=2, as_of=middle).fit(first)
    moved = segmint.migration(fitted.model, log, start=middle, end=end, periods=3, order_col="order_id")
    flows = moved.flows
    assert flows["customers"].sum() == log["customer_id"].nunique()
    new = flows.loc[flows["from_segment"] == "new", "customers"].sum()
    assert new == log["customer_id"].nunique() - first["customer_id"].nunique()
    later = pd.to_datetime(log["date"]) > middle
    assert np.isclose(flows["revenue"].sum(), log.loc[later, "amount"].sum())
    np.testing.assert_allclose(moved.matrix.sum(axis=1)[moved.matrix.sum(axis=1) > 0], 1.0)
    assert moved.projection.shape == (4, 4)
    assert "Transition matrix" in moved._repr_html_()
    page = moved.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<script" not in page
    for name in moved.matrix.index:
        assert name.replace("&", "&#38;") in page


def test_a_model_of_another_version_and_a_date_before_training_are_refused(log, fitted, tmp_path):
    text = fitted.model.json.replace('"schema_version": 1', '"schema_version": 7', 1)
    path = tmp_path / "old.json"
    path.write_text(text)
    with pytest.raises(ParameterError, match="schema version 7.*schema version 1"):
        segmint.load(path)
    with pytest.raises(ParameterError, match="as_of"):
        fitted.score(log, as_of=pd.Timestamp(log.attrs["as_of"]) - pd.Timedelta(days=30))


def test_a_model_is_written_whole_where_the_path_allows(fitted, tmp_path):
    """Saving goes through the core's staged write: no file, or the whole model; a missing folder is named."""
    path = tmp_path / "model.json"
    fitted.save(path)
    fitted.save(path)  # over an existing model
    assert segmint.load(path) == fitted.model
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    with pytest.raises(SegmintFileNotFoundError, match="no_such_folder"):
        fitted.save(tmp_path / "no_such_folder" / "model.json")
    with pytest.raises(SegmintFileNotFoundError, match="absent.json"):
        segmint.load(tmp_path / "absent.json")
