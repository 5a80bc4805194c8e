"""segmint.datasets: the shipped CDNOW sample and the Online Retail file."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

import segmint
from segmint import datasets
from segmint.exceptions import ParameterError, SegmintIOError


def test_cdnow_transactions_are_the_papers_sample():
    tx = datasets.load_cdnow()
    assert len(tx) == 6919
    assert tx["customer_id"].nunique() == 2357
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() <= pd.Timestamp("1998-06-30")
    assert list(tx.columns) == ["customer_id", "date", "quantity", "amount"]
    assert tx.attrs["as_of"] == pd.Timestamp("1998-06-30")


def test_cdnow_summary_is_what_segmint_computes_from_the_log():
    tx = datasets.load_cdnow()
    published = datasets.load_cdnow("summary")
    calibration = tx[tx["date"] <= "1997-09-30"]
    ours = segmint.features.rfm_summary(
        calibration, customer_col="customer_id", date_col="date", time_unit="D", freq_multiplier=7,
        observation_end="1997-09-30",
    )
    ours.index = ours.index.astype(int)
    ours = ours.loc[published.index]
    assert (published["frequency"] > 0).sum() == 946
    np.testing.assert_array_equal(ours["frequency"], published["frequency"])
    np.testing.assert_allclose(ours["recency"], published["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(ours["T"], published["T"], atol=0.005 + 1e-9)


def test_cdnow_kind_is_checked():
    with pytest.raises(ParameterError, match="kind="):
        datasets.load_cdnow("everything")


def online_retail_copy():
    return shared_data("online_retail/online_retail.csv.gz")


def test_online_retail_from_a_path():
    frame = datasets.fetch_online_retail(path=online_retail_copy())
    assert len(frame) == 541_909
    assert frame["InvoiceNo"].nunique() == 25_900
    assert frame["CustomerID"].isna().sum() == 135_080
    assert frame["CustomerID"].nunique() == 4_372
    assert frame["InvoiceDate"].min() == pd.Timestamp("2010-12-01 08:26:00")
    assert frame["InvoiceNo"].str.startswith("C").sum() == 9_288


def test_online_retail_from_segmint_data_and_data_home(tmp_path, monkeypatch):
    source = online_retail_copy()
    folder = tmp_path / "online_retail"
    folder.mkdir()
    shutil.copy(source, folder / "online_retail.csv.gz")
    monkeypatch.setenv("SEGMINT_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "_download_online_retail", _no_network)
    from_env = datasets.fetch_online_retail()
    from_home = datasets.fetch_online_retail(data_home=folder)
    assert len(from_env) == len(from_home) == 541_909


def _no_network(*args, **kwargs):
    raise AssertionError("the cached copy must be used, not the network")


def test_online_retail_offline_without_a_copy_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SEGMINT_DATA", raising=False)
    with pytest.raises(SegmintIOError, match="download=False"):
        datasets.fetch_online_retail(data_home=tmp_path, download=False)
    with pytest.raises(OSError, match="no such file"):
        datasets.fetch_online_retail(path=tmp_path / "missing.csv.gz")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(SegmintIOError, match="not the Online Retail CSV"):
        datasets.fetch_online_retail(path=bad)


def test_online_retail_download_failure_names_the_fallbacks(tmp_path):
    pytest.importorskip("openpyxl")
    with pytest.raises(SegmintIOError, match="SEGMINT_DATA"):
        datasets._download_online_retail(tmp_path, url=(tmp_path / "nowhere.zip").as_uri())
