"""segmint.features.rfm against the same quantities computed with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

from segmint.datasets import make_customers
from segmint.exceptions import ColumnNotFoundError, DataError
from segmint.features import rfm

DAY = pd.Timedelta(days=1)


def pandas_rfm(df, customer, date, amount, order, as_of):
    """The documented definitions, written independently with pandas."""
    df = df.assign(**{date: pd.to_datetime(df[date])})
    buys = df[df[amount] > 0]
    g = buys.groupby(customer, sort=False)
    out = pd.DataFrame(
        {
            "last": g[date].max(),
            "first": g[date].min(),
            "frequency": g[order].nunique() if order else g[date].nunique(),
        }
    )
    everyone = df.groupby(customer, sort=False)
    out = out.reindex(everyone.size().index)
    out["first"] = out["first"].fillna(everyone[date].min())
    out["last"] = out["last"].fillna(everyone[date].max())
    out["frequency"] = out["frequency"].fillna(0)
    monetary = everyone[amount].sum()
    return pd.DataFrame(
        {
            "recency_days": (as_of - out["last"]) / DAY,
            "frequency": out["frequency"].astype(float),
            "monetary": monetary,
            "aov": np.where(out["frequency"] > 0, monetary / out["frequency"].where(out["frequency"] > 0, 1), 0.0),
            "tenure_days": (as_of - out["first"]) / DAY,
        }
    )


def test_rfm_equals_pandas_on_synthetic_customers():
    tx, _ = make_customers(3000, seed=5)
    as_of = tx.attrs["as_of"]
    ours = rfm(tx, customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id", as_of=as_of)
    ref = pandas_rfm(tx, "customer_id", "date", "amount", "order_id", as_of)
    assert list(ours.index) == list(ref.index)
    pd.testing.assert_frame_equal(ours, ref.set_axis(ours.index), check_exact=False, rtol=1e-9, check_names=False)


def test_rfm_without_orders_counts_distinct_purchase_times():
    df = pd.DataFrame(
        {
            "c": ["a", "a", "a", "b", "b"],
            "d": ["2024-01-01", "2024-01-01", "2024-01-05", "2024-01-02", "2024-01-03"],
            "v": [10.0, 5.0, 20.0, 8.0, -8.0],
        }
    )
    out = rfm(df, customer_col="c", date_col="d", amount_col="v")
    assert out.loc["a"].tolist() == [0.0, 2.0, 35.0, 17.5, 4.0]
    assert out.loc["b"].tolist() == [3.0, 1.0, 0.0, 0.0, 3.0]
    assert out.index.name == "c"


def test_bad_input_names_column_row_and_value():
    df = pd.DataFrame({"c": ["a", "b"], "d": ["2024-01-01", "2024-13-01"], "v": [1.0, 2.0]})
    with pytest.raises(KeyError, match="no column 'customer' \\(parameter customer_col\\)") as info:
        rfm(df, customer_col="customer", date_col="d", amount_col="v")
    assert isinstance(info.value, ColumnNotFoundError)
    with pytest.raises(ValueError, match="row 1 .* column 'd': cannot parse '2024-13-01' as a date"):
        rfm(df, customer_col="c", date_col="d", amount_col="v")
    df["d"] = ["2024-01-01", "2024-01-02"]
    df["v"] = ["1.0", "ten"]
    with pytest.raises(DataError, match="column 'v': cannot parse 'ten' as a finite number"):
        rfm(df, customer_col="c", date_col="d", amount_col="v")
    df["v"] = [1.0, 2.0]
    with pytest.raises(ValueError, match="as_of"):
        rfm(df, customer_col="c", date_col="d", amount_col="v", as_of="2023-01-01")


def test_rfm_equals_pandas_on_online_retail():
    path = shared_data("online_retail/online_retail.csv.gz")
    df = pd.read_csv(path, dtype={"CustomerID": "string", "InvoiceNo": "string"})
    df = df.dropna(subset=["CustomerID"])
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    ours = rfm(df, customer_col="CustomerID", date_col="InvoiceDate", amount_col="amount", order_col="InvoiceNo")
    as_of = pd.to_datetime(df["InvoiceDate"]).max()
    ref = pandas_rfm(df, "CustomerID", "InvoiceDate", "amount", "InvoiceNo", as_of)
    assert len(ours) == 4372
    pd.testing.assert_frame_equal(
        ours, ref.set_axis(ours.index), check_exact=False, rtol=1e-9, atol=1e-6, check_names=False
    )


def _lines(dates) -> pd.DataFrame:
    return pd.DataFrame({"customer": ["a", "a", "b", "b"], "date": dates, "amount": [1.0, 2.0, 3.0, 4.0]})


def test_epoch_numbers_are_not_read_as_nanoseconds():
    from segmint.features import rfm_summary

    seconds = _lines([1_704_067_200, 1_706_745_600, 1_704_067_200, 1_709_251_200])
    with pytest.raises(DataError, match=r"is a number, not a date.*unit='s'"):
        rfm_summary(seconds, customer_col="customer", date_col="date")
    mixed = _lines(["2024-01-01", "2024-02-01", 1_704_067_200, "2024-03-01"]).astype({"date": object})
    with pytest.raises(DataError, match=r"row 2 .*1704067200 is a number"):
        rfm_summary(mixed, customer_col="customer", date_col="date")


def test_summary_sums_that_overflow_name_the_customer():
    from segmint.features import rfm_summary

    frame = _lines(["2024-01-01", "2024-02-01", "2024-01-01", "2024-03-01"])
    frame.loc[2:3, "amount"] = 1e308
    frame.loc[4] = ["b", "2024-04-01", 1e308]
    with pytest.raises(DataError, match="customer 'b': monetary_value is inf"):
        rfm_summary(frame, customer_col="customer", date_col="date", amount_col="amount")


def test_a_calibration_period_before_the_data_is_an_error():
    from segmint.features import calibration_and_holdout_data

    frame = _lines(["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01"])
    with pytest.raises(DataError, match="calibration period is empty"):
        calibration_and_holdout_data(
            frame,
            customer_col="customer",
            date_col="date",
            calibration_end="2023-01-01",
            observation_end="2023-06-01",
        )


def test_recent_columns_count_the_trailing_window_only():
    from segmint.exceptions import ParameterError
    from segmint.features import customer_features

    lines = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "date": pd.to_datetime(
                [
                    "2024-01-01 12:00:00",
                    "2024-02-20 12:00:00",
                    "2024-04-05 12:00:00",
                    "2024-04-06 12:00:00",
                    "2024-01-10 12:00:00",
                    "2024-01-20 12:00:00",
                    "2024-03-11 00:00:00",
                    "2024-03-11 00:00:01",
                ]
            ),
            "amount": [10.0, 20.0, 30.0, -5.0, 40.0, 20.0, 7.0, 9.0],
            "order_id": ["o1", "o2", "o3", "r3", "o4", "o5", "o6", "o7"],
        }
    )
    kwargs = dict(customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id")
    table = customer_features(lines, **kwargs, as_of="2024-04-10", recent_days=30)
    # a: one order (o3) and its return inside the 30 days; b: nothing recent, so its
    # average basket (40 + 20) / 2 stands; c: an order exactly 30 days before as_of is out, one a second later in.
    assert table.loc["a", "recent_frequency"] == 1
    assert table.loc["a", "recent_monetary"] == 25.0
    assert table.loc["a", "recent_aov"] == 25.0
    assert table.loc["b", "recent_frequency"] == 0
    assert table.loc["b", "recent_monetary"] == 0.0
    assert table.loc["b", "recent_aov"] == 30.0
    assert table.loc["c", "recent_frequency"] == 1
    assert table.loc["c", "recent_monetary"] == 9.0
    wide = customer_features(lines, **kwargs, as_of="2024-04-10")
    assert wide.loc["a", "recent_frequency"] == 3
    with pytest.raises(ParameterError, match="recent_days"):
        customer_features(lines, **kwargs, recent_days=0)
