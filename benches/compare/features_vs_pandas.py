"""The feature table from a transaction CSV: segmint against pandas, same file, same run.

    cargo build --release -p segmint-cli
    .venv/bin/python benches/compare/features_vs_pandas.py --customers 360000 --repeats 3

The binary is $SEGMINT_BIN, else $CARGO_TARGET_DIR/release/segmint (else
target/release/segmint); the file is written once and reused (--regenerate
writes it again, e.g. after a change to --customers or to the generator).

1. ``segmint synth`` writes the transactions (about 28 lines per customer, so
   360,000 customers give about 10^7 lines) with order, product, category and
   discount columns.
2. End to end (CSV in, feature CSV out): ``segmint features`` as a user runs
   it, against pandas ``read_csv`` + ``groupby`` + ``to_csv`` computing the
   same per-customer features (recency, orders, net and gross revenue, AOV,
   tenure, return rate, discount shares, category breadth). Wall time, median
   of --repeats; peak memory of the segmint process.
3. In memory: the aggregation alone, segmint's native call on its columnar
   input against the pandas groupby on the loaded DataFrame; and the whole
   ``segmint.features.customer_features`` call (which factorises the id
   columns with pandas first).
Prints a Markdown table with the ratios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

import segmint

from _timing import median_time  # beside this script

REPO = Path(__file__).resolve().parents[2]
# The binary of $SEGMINT_BIN, else of $CARGO_TARGET_DIR (else target/) of this checkout.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
SEGMINT = Path(os.environ.get("SEGMINT_BIN") or TARGET / "release" / "segmint")


def pandas_features(tx: pd.DataFrame) -> pd.DataFrame:
    """The features segmint computes, written with pandas the usual way."""
    as_of = tx["date"].max()
    buy = tx[tx["amount"] > 0]
    g = buy.groupby("customer_id")
    orders = g["order_id"].nunique()
    net = tx.groupby("customer_id")["amount"].sum()
    gross = g["amount"].sum()
    returned = -tx[tx["amount"] < 0].groupby("customer_id")["amount"].sum()
    promo_orders = buy[buy["discounted"] == 1].groupby("customer_id")["order_id"].nunique()
    promo_revenue = buy[buy["discounted"] == 1].groupby("customer_id")["amount"].sum()
    out = pd.DataFrame(
        {
            "recency_days": (as_of - g["date"].max()).dt.total_seconds() / 86400,
            "frequency": orders,
            "monetary": net,
            "aov": net / orders,
            "tenure_days": (as_of - g["date"].min()).dt.total_seconds() / 86400,
            "return_rate": returned.reindex(gross.index, fill_value=0) / gross,
            "discount_order_share": promo_orders.reindex(orders.index, fill_value=0) / orders,
            "discount_revenue_share": promo_revenue.reindex(gross.index, fill_value=0) / gross,
            "category_breadth": g["category"].nunique(),
        }
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=360_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/segmint-features-bench")
    parser.add_argument("--regenerate", action="store_true", help="write the transactions even when the file exists")
    args = parser.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    csv = work / "transactions.csv"
    if args.regenerate or not csv.exists():
        subprocess.run([SEGMINT, "synth", "--customers", str(args.customers), "--out", csv], check=True, capture_output=True)
    rows = sum(1 for _ in open(csv)) - 1
    columns = ["--customer-col", "customer_id", "--date-col", "date", "--amount-col", "amount", "--order-col",
               "order_id", "--product-col", "product_id", "--category-col", "category", "--discount-col", "discounted"]
    command = ["/usr/bin/time", "-f", "%M", SEGMINT, "features", "--transactions", csv, *columns,
               "--out", work / "segmint_features.csv"]
    peaks = []

    def ours() -> None:
        run = subprocess.run(command, check=True, capture_output=True, text=True)
        peaks.append(int(run.stderr.strip().splitlines()[-1]) / 1024)  # GNU time: max RSS in KB

    ours_e2e, _ = median_time(ours, args.repeats)
    peak_mb = max(peaks)

    def pandas_e2e() -> pd.DataFrame:
        tx = pd.read_csv(csv, parse_dates=["date"], date_format="%Y-%m-%d %H:%M:%S")
        features = pandas_features(tx)
        features.to_csv(work / "pandas_features.csv")
        return tx

    theirs_e2e, _ = median_time(pandas_e2e, args.repeats)
    tx = pd.read_csv(csv, parse_dates=["date"], date_format="%Y-%m-%d %H:%M:%S")
    theirs_mem, _ = median_time(lambda: pandas_features(tx), args.repeats)
    kwargs = dict(customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id",
                  product_col="product_id", category_col="category", discount_col="discounted")
    ours_with_conversion, _ = median_time(lambda: segmint.features.customer_features(tx, **kwargs), args.repeats)
    # The aggregation alone, on segmint's own in-memory columns (as pandas' groupby runs on its DataFrame).
    inputs = segmint.features._feature_inputs(
        tx, "customer_id", "date", "amount", "order_id", None,
        {"product_col": "product_id", "category_col": "category", "channel_col": None}, "discounted"
    )
    ours_mem, _ = median_time(lambda: segmint._native.customer_features(**inputs), args.repeats)

    # Same numbers on both sides (a faster but wrong change would show here).
    ours = segmint.features.customer_features(tx, **kwargs)
    theirs = pandas_features(tx)
    for column in ["recency_days", "frequency", "monetary", "tenure_days", "discount_order_share", "category_breadth"]:
        np.testing.assert_allclose(ours[column].to_numpy(), theirs.loc[ours.index, column].to_numpy(), rtol=1e-9)
    # Columnar size of the kept data: 4 (customer) + 8 (time) + 8 (amount) + 4 x 3 (order, product, category) + 1.
    columnar_mb = rows * 33 / 2**20
    print(f"{rows:,} rows, {len(ours):,} customers; columnar size {columnar_mb:.0f} MB, segmint peak {peak_mb:.0f} MB")
    print("\n| step | pandas | segmint | ratio |\n|---|---:|---:|---:|")
    print(f"| CSV -> feature CSV (end to end) | {theirs_e2e:.2f} s | {ours_e2e:.2f} s | {theirs_e2e / ours_e2e:.1f}x |")
    print(f"| aggregation, data in memory | {theirs_mem:.2f} s | {ours_mem:.3f} s | {theirs_mem / ours_mem:.1f}x |")
    print(
        f"| DataFrame -> feature DataFrame (factorising the id columns included) | {theirs_mem:.2f} s "
        f"| {ours_with_conversion:.2f} s | {theirs_mem / ours_with_conversion:.1f}x |"
    )


if __name__ == "__main__":
    main()
