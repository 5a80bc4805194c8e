"""Arrow tables in: polars and pyarrow frames give the pandas frame's features and summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segmint
from conftest import FIXTURES, shared_data
from segmint.exceptions import ParseError

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    df = pd.read_csv(FIXTURES / "tiny_transactions.csv", parse_dates=["date"])
    return df.assign(customer_id=df["customer_id"].astype(str))


def bits(frame: pd.DataFrame) -> np.ndarray:
    return frame.to_numpy(dtype=np.float64).view(np.uint64)


def test_polars_and_pyarrow_tables_give_the_pandas_feature_table(tiny: pd.DataFrame) -> None:
    options = dict(customer_col="customer_id", date_col="date", amount_col="amount")
    ours = segmint.features.customer_features(tiny, **options)
    from_polars = segmint.features.customer_features(pl.from_pandas(tiny), **options)
    assert isinstance(from_polars, pl.DataFrame)
    assert from_polars["customer_id"].to_list() == list(ours.index)
    np.testing.assert_array_equal(bits(from_polars.drop("customer_id").to_pandas()), bits(ours))
    from_arrow = segmint.features.customer_features(pa.Table.from_pandas(tiny), **options)
    assert isinstance(from_arrow, pd.DataFrame)
    np.testing.assert_array_equal(bits(from_arrow), bits(ours))


def test_a_polars_frame_gives_the_pandas_summary(tiny: pd.DataFrame) -> None:
    options = dict(customer_col="customer_id", date_col="date", amount_col="amount")
    ours = segmint.features.rfm_summary(tiny, **options)
    theirs = segmint.features.rfm_summary(pl.from_pandas(tiny).sample(fraction=1.0, shuffle=True, seed=3), **options)
    theirs = theirs.to_pandas().set_index("customer_id").loc[ours.index]
    pd.testing.assert_frame_equal(theirs, ours, rtol=1e-12)
    split = segmint.features.calibration_and_holdout_data(
        pa.Table.from_pandas(tiny), calibration_end="2021-08-31", observation_end="2021-12-31", **options
    )
    expected = segmint.features.calibration_and_holdout_data(
        tiny, calibration_end="2021-08-31", observation_end="2021-12-31", **options
    )
    pd.testing.assert_frame_equal(split, expected)


def test_nulls_are_errors_naming_row_and_column_or_counted_drops() -> None:
    table = pl.DataFrame(
        {
            "customer_id": ["a", None, "b"],
            "date": pl.Series([1_600_000_000_000, 1_600_086_400_000, None]).cast(pl.Datetime("ms")),
            "amount": [10.0, 5.0, 2.5],
        }
    )
    options = dict(customer_col="customer_id", date_col="date", amount_col="amount")
    with pytest.raises(ParseError, match=r"line 2, column \"customer_id\""):
        segmint.features.customer_features(table, **options)
    lines, audit = segmint.read_transactions(table, **options)
    assert (audit["rows_read"], audit["rows_kept"]) == (3, 1)
    assert audit["dropped"]["missing_customer"]["examples"][0]["line"] == 2
    assert audit["dropped"]["missing_date"]["count"] == 1
    assert len(lines) == 1
    with pytest.raises(ParseError, match="holds Boolean; expected numbers"):
        segmint.read_transactions(table.with_columns(pl.lit(True).alias("amount")), **options)


def test_online_retail_from_parquet_through_polars_equals_the_csv() -> None:
    path = shared_data("online_retail/online_retail.csv.gz")
    options = dict(
        customer_col="CustomerID", date_col="InvoiceDate", quantity_col="Quantity", price_col="UnitPrice",
        order_col="InvoiceNo",
    )
    from_csv, csv_audit = segmint.read_transactions(path, **options)
    frame = pl.read_csv(path, schema_overrides={"InvoiceNo": pl.String, "CustomerID": pl.Int64}, try_parse_dates=True)
    from_table, audit = segmint.read_transactions(frame, **options)
    assert audit["rows_read"] == csv_audit["rows_read"] == 541_909
    # Row numbers differ (a CSV counts its header line), the reasons and their counts do not.
    counts = {reason: drop["count"] for reason, drop in audit["dropped"].items()}
    assert counts == {reason: drop["count"] for reason, drop in csv_audit["dropped"].items()}
    assert counts["missing_customer"] > 0
    pd.testing.assert_frame_equal(from_table, from_csv)


def test_the_numpy_shortcut_and_the_reader_agree() -> None:
    """Integer ids and timestamps without nulls go through numpy; text dates through the core's reader."""
    rng = np.random.default_rng(4)
    n = 5_000
    dates = (np.datetime64("2024-01-01T00:00:00") + rng.integers(0, 400 * 86_400, size=n).astype("timedelta64[s]")).astype("datetime64[us]")
    table = pl.DataFrame(
        {"customer_id": rng.integers(1, 300, size=n), "date": dates, "amount": np.round(rng.lognormal(3, 1, n), 2)}
    )
    as_text = table.with_columns(pl.col("date").dt.strftime("%Y-%m-%d %H:%M:%S"))
    options = dict(customer_col="customer_id", date_col="date", amount_col="amount")
    shortcut = segmint.features.customer_features(table, **options)
    reader = segmint.features.customer_features(as_text, **options)
    assert shortcut["customer_id"].dtype == pl.String
    assert shortcut.equals(reader)
    summary = segmint.features.rfm_summary(table.to_arrow(), **options)
    pd.testing.assert_frame_equal(summary, segmint.features.rfm_summary(as_text.to_arrow(), **options))


def test_a_parquet_file_or_directory_reads_as_the_csv(tmp_path) -> None:
    """The wheel reads Parquet with the core's reader: the CSV's lines and audit, types taken from the file."""
    options = dict(customer_col="customer_id", date_col="date", amount_col="amount")
    csv = FIXTURES / "tiny_transactions.csv"
    from_csv, csv_audit = segmint.read_transactions(csv, **options)
    frame = pd.read_csv(csv, parse_dates=["date"])
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    from_file, audit = segmint.read_transactions(tmp_path / "log.parquet", **options)
    pd.testing.assert_frame_equal(from_file, from_csv)
    assert audit["rows_read"] == csv_audit["rows_read"] == len(frame)
    parts = tmp_path / "parts"
    parts.mkdir()
    half = len(frame) // 2
    frame.iloc[:half].to_parquet(parts / "part-0.parquet", index=False)
    frame.iloc[half:].to_parquet(parts / "part-1.parquet", index=False)
    from_directory, _ = segmint.read_transactions(parts, **options)
    pd.testing.assert_frame_equal(from_directory, from_csv)
    segmented = segmint.segment_csv(tmp_path / "log.parquet", k=2, **options)
    csv_segmented = segmint.segment_csv(csv, k=2, **options)
    # The title and the sources name the file read; all else is the CSV's.
    source = str(tmp_path / "log.parquet")
    expected = csv_segmented.report | {"title": "Customer segmentation of log.parquet"}
    expected["data"] = expected["data"] | {"source": source}
    expected["data"]["audit"] = expected["data"]["audit"] | {"source": source}
    assert segmented.report == expected
    pd.testing.assert_series_equal(segmented.labels, csv_segmented.labels)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not a Parquet file PAR1")
    with pytest.raises(ParseError, match="broken.parquet"):
        segmint.read_transactions(tmp_path / "broken.parquet", **options)
