"""The whole pipeline from Python: the same stages the Rust tests and the CLI run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

import segmint
from segmint.datasets import make_customers
from segmint.exceptions import DataError, ParameterError, SegmintIOError

COLUMNS = dict(customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id")


def test_make_customers_is_deterministic():
    a, ca = make_customers(500, seed=1)
    b, cb = make_customers(500, seed=1)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ca, cb)
    assert set(ca["archetype"]) == {
        "High-Value Loyalists",
        "New & Potential Customers",
        "Budget-Conscious Shoppers",
        "At-Risk & Churned",
    }


def test_segments_recover_the_true_archetypes():
    tx, customers = make_customers(10_000, seed=42)
    result = segmint.segment(tx, **COLUMNS, k=4, random_state=42, as_of=tx.attrs["as_of"])
    table = pd.crosstab(result.labels, customers.loc[result.labels.index, "archetype"])
    homes = table.idxmax(axis=0)
    assert homes.nunique() == 4, table
    assert table.max(axis=0).sum() > 0.9 * 10_000, table
    profiles = result.profiles
    assert profiles["size"].tolist() == sorted(profiles["size"], reverse=True)
    assert profiles["size"].sum() == 10_000
    loyal = homes["High-Value Loyalists"]
    assert profiles.loc[loyal, "revenue_share"] > 0.5


def test_csv_and_dataframe_give_the_same_segments(tmp_path):
    tx, _ = make_customers(2000, seed=3)
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    from_frame = segmint.segment(tx, **COLUMNS, random_state=1)
    from_file = segmint.segment_csv(path, **COLUMNS, random_state=1)
    pd.testing.assert_series_equal(from_frame.labels, from_file.labels)
    report = json.loads(from_file.to_json())
    assert report["data"]["audit"]["rows_read"] == len(tx)
    assert report["data"]["audit"]["rows_kept"] == len(tx)
    assert len(report["segments"]) == 4
    assert "| segment | customers |" in from_file.to_markdown()


def test_recent_days_sets_the_window_of_the_recent_features_on_every_face(tmp_path):
    tx, _ = make_customers(1500, seed=6)
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    window = segmint.features.customer_features(tx, **COLUMNS, recent_days=60)["recent_frequency"]
    assert not window.equals(segmint.features.customer_features(tx, **COLUMNS)["recent_frequency"])
    from_frame = segmint.segment(tx, **COLUMNS, k=3, recent_days=60)
    pd.testing.assert_series_equal(from_frame.features["recent_frequency"], window)
    from_file = segmint.segment_csv(path, **COLUMNS, k=3, recent_days=60)
    pd.testing.assert_series_equal(from_file.labels, from_frame.labels)
    fitted = segmint.Segmenter(k=3, recent_days=60).fit(tx)
    pd.testing.assert_series_equal(fitted.labels, from_frame.labels)
    with pytest.raises(ParameterError, match="recent_days"):
        segmint.segment(tx, **COLUMNS, k=3, recent_days=0)


LINE_COLUMNS = dict(product_col="product_id", category_col="category", channel_col="channel", discount_col="discounted")


def test_line_columns_give_the_same_features_from_csv_and_dataframe(tmp_path):
    tx, _ = make_customers(1500, seed=4)
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    read, audit = segmint.read_transactions(path, **COLUMNS, **LINE_COLUMNS)
    assert audit["rows_kept"] == len(tx)
    for column in ("product_id", "category", "channel", "discounted"):
        assert read[column].tolist() == tx[column].tolist(), column
    from_frame = segmint.segment(tx, **COLUMNS, **LINE_COLUMNS, k=4, random_state=1)
    from_file = segmint.segment_csv(path, **COLUMNS, **LINE_COLUMNS, k=4, random_state=1)
    pd.testing.assert_frame_equal(from_frame.features, from_file.features)
    plain = segmint.segment(tx, **COLUMNS, k=4, random_state=1).features
    added = set(from_frame.features.columns) - set(plain.columns)
    assert {"discount_order_share", "category_breadth"} <= added, added
    # Orders are distinct order ids among purchase lines (amount > 0), as docs/methodology.md defines them.
    purchases = tx[tx["amount"] > 0]
    orders = purchases.groupby(["customer_id", "order_id"])["discounted"].any().groupby("customer_id").mean()
    np.testing.assert_allclose(from_frame.features["discount_order_share"], orders.loc[from_frame.features.index])
    seg = segmint.Segmenter(k=4, random_state=1, **LINE_COLUMNS).fit(tx)
    assert list(seg.features.columns) == list(from_frame.features.columns)  # (its as_of is tx.attrs["as_of"])
    pd.testing.assert_series_equal(seg.features["discount_order_share"], from_frame.features["discount_order_share"])


def test_discount_columns_read_amounts_and_yes_no_flags():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01", "2024-02-02"]),
            "amount": [10.0, 20.0, 5.0, 7.0, 9.0],
            "promo": ["yes", "", "2.5", "0", "N"],
        }
    )
    result = segmint.segment(tx, customer_col="customer_id", date_col="date", amount_col="amount", discount_col="promo", k=2)
    np.testing.assert_allclose(result.features.loc[["a", "b", "c"], "discount_order_share"], [0.5, 0.5, 0.0])
    tx.loc[3, "promo"] = "maybe"
    with pytest.raises(DataError, match=r"row 3 .*'promo'.*'maybe'.*a discount amount or a yes/no flag"):
        segmint.segment(tx, customer_col="customer_id", date_col="date", amount_col="amount", discount_col="promo", k=2)


def test_ingest_audit_accounts_for_every_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "cust,date,amount\n"
        "a,2024-01-01,10\n"
        ",2024-01-02,5\n"
        "b,2024-13-01,5\n"
        "b,2024-01-03,abc\n"
        "b,2024-01-04,-2.5\n"
    )
    frame, audit = segmint.read_transactions(path, customer_col="cust", date_col="date", amount_col="amount")
    assert (audit["rows_read"], audit["rows_kept"], audit["return_rows"]) == (5, 2, 1)
    assert {k: v["count"] for k, v in audit["dropped"].items()} == {
        "missing_customer": 1,
        "unparsable_date": 1,
        "non_numeric_amount": 1,
    }
    assert audit["dropped"]["unparsable_date"]["examples"][0] == {"line": 4, "column": "date", "value": "2024-13-01"}
    table = segmint.pipeline.audit_frame(audit)
    assert table["rows"].sum() == table.attrs["rows_read"] == 5
    assert table.loc["kept", "rows"] == 2 and table["share"].sum() == pytest.approx(1.0)
    assert table.loc["unparsable_date", ["line", "column", "value"]].tolist() == [4, "date", "2024-13-01"]
    assert frame["amount"].tolist() == [10.0, -2.5]
    with pytest.raises(DataError, match=r"bad.csv line 3, column \"cust\": cannot parse \"\" as a customer id"):
        segmint.read_transactions(path, customer_col="cust", date_col="date", amount_col="amount", on_bad_row="fail")


def test_file_errors_are_os_errors_and_key_errors(tmp_path):
    with pytest.raises(OSError) as info:
        segmint.read_transactions(tmp_path / "nope.csv", customer_col="c", date_col="d", amount_col="a")
    assert isinstance(info.value, SegmintIOError)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        segmint.read_transactions(empty, customer_col="c", date_col="d", amount_col="a")
    header = tmp_path / "header.csv"
    header.write_text("c,d,a\nx,2024-01-01,1\n")
    with pytest.raises(KeyError, match='no column "amount"'):
        segmint.read_transactions(header, customer_col="c", date_col="d", amount_col="amount")
    with pytest.raises(ValueError, match="k=5: expected at most the number of customers \\(1\\)"):
        segmint.segment_csv(header, customer_col="c", date_col="d", amount_col="a", k=5)


def test_each_kind_of_failure_has_its_own_class(tmp_path):
    from segmint import exceptions

    with pytest.raises(FileNotFoundError) as info:
        segmint.read_transactions(tmp_path / "nope.csv", customer_col="c", date_col="d", amount_col="a")
    assert isinstance(info.value, exceptions.SegmintFileNotFoundError)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(exceptions.ParseError, match="empty"):
        segmint.read_transactions(empty, customer_col="c", date_col="d", amount_col="a")
    bad = tmp_path / "bad.csv"
    bad.write_text("c,d,a\nx,2024-01-01,ten\n")
    with pytest.raises(exceptions.ParseError):
        segmint.read_transactions(bad, customer_col="c", date_col="d", amount_col="a", on_bad_row="fail")
    for subclass in (exceptions.ParseError, exceptions.NumericalError, exceptions.InputTooLargeError):
        assert issubclass(subclass, exceptions.DataError)


def test_online_retail_end_to_end():
    path = shared_data("online_retail/online_retail.csv.gz")
    result = segmint.segment_csv(
        path,
        customer_col="CustomerID",
        date_col="InvoiceDate",
        quantity_col="Quantity",
        price_col="UnitPrice",
        order_col="InvoiceNo",
        random_state=0,
    )
    audit = result.report["data"]["audit"]
    assert audit["rows_read"] == 541_909
    assert audit["dropped"]["missing_customer"]["count"] == 135_080
    assert result.audit.loc["missing_customer", "rows"] == 135_080
    assert result.audit["rows"].sum() == 541_909
    assert len(result.labels) == 4_372
    assert np.isclose(result.profiles["share"].sum(), 1.0)


def test_k_auto_chooses_four_segments_for_four_archetypes_and_explains_why():
    tx, _ = make_customers(5000, seed=2)
    result = segmint.segment(tx, **COLUMNS, random_state=1, as_of=tx.attrs["as_of"])
    table = result.k_table
    assert list(table.index) == list(range(2, 9))
    assert table["recommended"].sum() == 1
    k = int(table.index[table["recommended"]][0])
    assert len(result.profiles) == k == 4
    assert result.report["k_selection"]["reason"].startswith("k = 4: ")
    assert "## Choosing k" in result.to_markdown()
    fixed = segmint.segment(tx, **COLUMNS, k=3, random_state=1)
    assert fixed.k_table is None and len(fixed.profiles) == 3
    with pytest.raises(ValueError, match="k='many'"):
        segmint.segment(tx, **COLUMNS, k="many")
