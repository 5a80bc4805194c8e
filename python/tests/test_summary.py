"""rfm_summary and customer_features against lifetimes' numbers and pandas.

The lifetimes values come from tests/fixtures/lifetimes_oracle.json (made by
tests/fixtures/make_lifetimes_oracle.py with lifetimes 0.11.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segmint
from conftest import FIXTURES
from segmint.exceptions import DataError, ParameterError


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "tiny_transactions.csv")


def test_rfm_summary_equals_lifetimes(tiny: pd.DataFrame, lifetimes_oracle: dict) -> None:
    for case in lifetimes_oracle["summary"]:
        call = case["call"]
        end = call.split('observation_period_end="')[1][:10] if "observation_period_end" in call else None
        ours = segmint.features.rfm_summary(
            tiny,
            customer_col="customer_id",
            date_col="date",
            amount_col="amount" if "monetary_value_col" in call else None,
            time_unit="W" if case["name"].startswith("W") else "D",
            observation_end=end,
        )
        theirs = pd.DataFrame.from_dict(case["rows"], orient="index")
        # The oracle's JSON keys are text; lifetimes' index has the column's dtype, and so has ours.
        theirs.index = theirs.index.astype(tiny["customer_id"].dtype)
        assert ours.index.dtype == tiny["customer_id"].dtype
        assert list(ours.columns) == list(theirs.columns), case["name"]
        pd.testing.assert_frame_equal(
            ours.sort_index(), theirs.loc[ours.index].sort_index(), check_names=False, rtol=1e-12
        )


def test_calibration_and_holdout_equal_lifetimes(tiny: pd.DataFrame, lifetimes_oracle: dict) -> None:
    case = lifetimes_oracle["calibration_holdout"]
    ours = segmint.features.calibration_and_holdout_data(
        tiny,
        customer_col="customer_id",
        date_col="date",
        amount_col="amount",
        calibration_end="2021-08-31",
        observation_end="2021-12-31",
    )
    theirs = pd.DataFrame.from_dict(case["rows"], orient="index")[case["columns"]]
    theirs.index = theirs.index.astype(tiny["customer_id"].dtype)
    assert len(ours) == case["n_customers"]
    pd.testing.assert_frame_equal(ours.sort_index(), theirs.loc[ours.index].sort_index(), check_names=False)


def test_integer_datetime_and_text_columns_give_the_same_summary_in_any_line_order(tiny: pd.DataFrame) -> None:
    def summary(df: pd.DataFrame) -> pd.DataFrame:
        return segmint.features.rfm_summary(df, customer_col="customer_id", date_col="date", amount_col="amount")

    base = summary(tiny)  # dates as text: parsed to seconds
    typed = tiny.assign(date=pd.to_datetime(tiny["date"]), customer_id=tiny["customer_id"].astype(np.int32))
    shuffled = typed.sample(frac=1.0, random_state=7)  # customers' lines out of time order
    fast = summary(shuffled)
    assert fast.index.dtype == np.int32
    pd.testing.assert_frame_equal(fast.sort_index(), base.sort_index(), check_index_type=False, rtol=1e-12)
    text_ids = shuffled.assign(customer_id=shuffled["customer_id"].astype(str))
    as_text = summary(text_ids)
    assert as_text.index.dtype == text_ids["customer_id"].dtype
    assert list(as_text.index) == [str(i) for i in fast.index]
    np.testing.assert_array_equal(as_text.to_numpy(), fast.to_numpy())


def test_missing_dates_and_amounts_name_their_row(tiny: pd.DataFrame) -> None:
    typed = tiny.assign(date=pd.to_datetime(tiny["date"]))
    no_date = typed.copy()
    no_date.loc[5, "date"] = pd.NaT
    with pytest.raises(DataError, match=r"row 5 \(index 5\), column 'date'"):
        segmint.features.rfm_summary(no_date, customer_col="customer_id", date_col="date", amount_col="amount")
    no_amount = typed.copy()
    no_amount.loc[3, "amount"] = np.inf
    with pytest.raises(DataError, match=r"row 3 \(index 3\), column 'amount'"):
        segmint.features.rfm_summary(no_amount, customer_col="customer_id", date_col="date", amount_col="amount")


def test_the_earliest_bad_row_is_named_whether_date_or_amount(tiny: pd.DataFrame) -> None:
    typed = tiny.assign(date=pd.to_datetime(tiny["date"]))
    both = typed.copy()
    both.loc[7, "date"] = pd.NaT
    both.loc[2, "amount"] = np.nan
    with pytest.raises(DataError, match=r"row 2 \(index 2\), column 'amount'"):
        segmint.features.rfm_summary(both, customer_col="customer_id", date_col="date", amount_col="amount")
    both.loc[1, "date"] = pd.NaT
    with pytest.raises(DataError, match=r"row 1 \(index 1\), column 'date'"):
        segmint.features.rfm_summary(both, customer_col="customer_id", date_col="date", amount_col="amount")


def test_calibration_and_holdout_split_at_sub_second_resolution() -> None:
    end = pd.Timestamp("2021-03-01 12:00:00")
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "date": [
                pd.Timestamp("2021-02-01"),
                end,  # at the calibration end: calibration
                end + pd.Timedelta(milliseconds=500),  # half a second later: holdout
                pd.Timestamp("2021-02-10"),
                end + pd.Timedelta(days=2),
            ],
            "amount": [10.0, 20.0, 40.0, 5.0, 7.0],
        }
    )
    for dates in (df["date"], df["date"].astype("datetime64[ms]"), df["date"].dt.strftime("%Y-%m-%d %H:%M:%S.%f")):
        out = segmint.features.calibration_and_holdout_data(
            df.assign(date=dates),
            customer_col="customer_id",
            date_col="date",
            amount_col="amount",
            calibration_end=end,
            observation_end="2021-03-31",
        )
        assert out.loc[1, "frequency_cal"] == 1.0, dates.dtype
        assert out.loc[1, "monetary_value_cal"] == 20.0
        assert out.loc[1, "frequency_holdout"] == 1.0
        assert out.loc[1, "monetary_value_holdout"] == 40.0
        assert out.loc[2, "frequency_holdout"] == 1.0


def test_unknown_time_unit_is_a_parameter_error(tiny: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="time_unit"):
        segmint.features.rfm_summary(tiny, customer_col="customer_id", date_col="date", time_unit="fortnight")


def test_customer_features_agree_with_pandas() -> None:
    tx = pd.DataFrame(
        {
            "cust": ["a", "a", "a", "b", "b"],
            "when": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-10", "2024-01-20"]),
            "amount": [10.0, 5.0, 20.0, 8.0, -2.0],
            "order": ["o1", "o1", "o2", "o3", "r1"],
            "category": ["books", "music", "books", "games", "games"],
            "promo": [True, False, False, False, False],
            "sku": ["p1", "p2", "p1", "p3", "p3"],
            "via": ["web", "web", "store", "app", "app"],
        }
    )
    interactions = pd.DataFrame(
        {"customer_id": ["a", "b", "zz"], "date": ["2024-01-31", "2024-01-02", "2024-01-05"], "kind": ["service"] * 3,
         "satisfaction": [5, np.nan, 1]}
    )
    f = segmint.features.customer_features(
        tx,
        customer_col="cust",
        date_col="when",
        amount_col="amount",
        order_col="order",
        category_col="category",
        discount_col="promo",
        product_col="sku",
        channel_col="via",
        interactions=interactions,
    )
    net = tx.groupby("cust", sort=False)["amount"].sum()
    np.testing.assert_allclose(f["monetary"], net.loc[f.index])
    assert f.loc["a", "frequency"] == 2 and f.loc["b", "frequency"] == 1
    assert f.loc["a", "category_breadth"] == 2
    # a buys 15 on the web and 20 in store; b's return is no purchase.
    purchases = tx[tx["amount"] > 0]
    by_channel = purchases.groupby(["cust", "via"])["amount"].sum()
    assert f.loc["a", "channel_breadth"] == by_channel.loc["a"].size == 2
    assert f.loc["a", "main_channel_share"] == pytest.approx(by_channel.loc["a"].max() / by_channel.loc["a"].sum())
    assert f.loc["b", "main_channel_share"] == 1.0
    assert f.loc["a", "discount_order_share"] == pytest.approx(0.5)
    assert f.loc["a", "discount_revenue_share"] == pytest.approx(10 / 35)
    assert f.loc["b", "return_rate"] == pytest.approx(2 / 8)
    assert f.loc["a", "service_contacts"] == 1 and f.loc["a", "mean_satisfaction"] == 5
    assert np.isnan(f.loc["b", "mean_satisfaction"])
    assert 0 < f.loc["a", "engagement_score"] <= 100
    assert f["monetary"].sum() == pytest.approx(tx["amount"].sum())
