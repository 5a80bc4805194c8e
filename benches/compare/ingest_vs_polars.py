"""Ingest: a transaction log to one row per customer, segmint against polars and DuckDB.

    cargo build --release -p segmint-cli
    .venv/bin/python -m pip install polars duckdb pyarrow
    .venv/bin/python benches/compare/ingest_vs_polars.py --lines 10000000 --repeats 3

The log has --customers customers with a retail-like skew: one customer holds
--heavy-share of the lines (a marketplace account, a loyalty card shared at
the till), the others a geometric number each; dates are seconds over two
years, not in time order. It is written once (CSV and Parquet) under --dir
and reused; --regenerate writes it again.

1. In memory, the lifetimes-style summary (``frequency``, ``recency``, ``T``,
   ``monetary_value`` per customer): ``segmint.features.rfm_summary`` on a
   pandas frame, once on the log in time order and once shuffled, against
   polars' two-level ``group_by`` (customer and day, then customer) on a
   polars frame of the same lines.
2. From the file: ``segmint features`` (CSV and Parquet in, the feature CSV
   out) against polars and DuckDB reading the same file and writing the
   recency, frequency, monetary, AOV and tenure of each customer.

Prints Markdown tables (medians of --repeats) with the CPU they ran on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

import segmint

from _timing import median_time  # beside this script

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
SEGMINT = Path(os.environ.get("SEGMINT_BIN") or TARGET / "release" / "segmint")
START = np.datetime64("2022-01-01T00:00:00", "s")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # given to polars: its inference of datetimes is several times slower


def make_log(lines: int, customers: int, heavy_share: float, seed: int) -> pl.DataFrame:
    """The skewed log, in random line order."""
    rng = np.random.default_rng(seed)
    heavy = int(lines * heavy_share)
    # Customer 1 is the heavy one; the rest share the other lines, each at least one.
    rest = rng.integers(2, customers + 1, size=lines - heavy - (customers - 1))
    ids = np.concatenate([np.ones(heavy, dtype=np.int64), np.arange(2, customers + 1), rest])
    seconds = rng.integers(0, 2 * 365 * 86_400, size=lines)
    amounts = np.round(rng.lognormal(3.0, 1.0, size=lines), 2)
    amounts[rng.random(lines) < 0.03] *= -1  # returns
    order = rng.permutation(lines)
    return pl.DataFrame(
        {
            "customer_id": ids[order],
            "date": (START + seconds.astype("timedelta64[s]")).astype("datetime64[ms]"),
            "amount": amounts[order],
        }
    )


def cpu_name() -> str:
    info = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "?")
    flags = next((ln for ln in info.splitlines() if ln.startswith("flags")), "")
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{model}, {os.cpu_count()} cores, {simd}"


def polars_summary(log: pl.DataFrame) -> pl.DataFrame:
    """lifetimes' summary in polars: purchases summed per customer and day, then per customer."""
    end_day = log["date"].max().date()
    days = (
        log.filter(pl.col("amount") >= 0)
        .group_by("customer_id", pl.col("date").dt.date().alias("day"))
        .agg(pl.col("amount").sum())
    )
    per_customer = days.group_by("customer_id").agg(
        pl.len().alias("periods"),
        pl.col("day").min().alias("first"),
        pl.col("day").max().alias("last"),
        pl.col("amount").sum().alias("spend"),
        pl.col("amount").sort_by("day").first().alias("first_spend"),
    )
    repeats = pl.col("periods") - 1
    return per_customer.select(
        "customer_id",
        repeats.alias("frequency"),
        (pl.col("last") - pl.col("first")).dt.total_days().alias("recency"),
        (pl.lit(end_day) - pl.col("first")).dt.total_days().alias("T"),
        pl.when(repeats > 0)
        .then((pl.col("spend") - pl.col("first_spend")) / repeats)
        .otherwise(0.0)
        .alias("monetary_value"),
    )


def polars_rfm(scan: pl.LazyFrame) -> pl.DataFrame:
    """The per-customer recency, frequency (distinct purchase times), monetary, AOV and tenure."""
    as_of = pl.col("date").max()
    buys = pl.col("amount") >= 0
    days = pl.duration(days=1)
    return (
        scan.with_columns(as_of.alias("as_of"))
        .group_by("customer_id")
        .agg(
            ((pl.col("as_of").first() - pl.col("date").filter(buys).max()) / days).alias("recency_days"),
            pl.col("date").filter(buys).n_unique().alias("frequency"),
            pl.col("amount").sum().alias("monetary"),
            (pl.col("amount").filter(buys).sum() / pl.col("date").filter(buys).n_unique()).alias("aov"),
            ((pl.col("as_of").first() - pl.col("date").filter(buys).min()) / days).alias("tenure_days"),
        )
        .collect()
    )


DUCKDB_RFM = """
COPY (
  WITH t AS (SELECT * FROM {source}), e AS (SELECT max(date) AS as_of FROM t)
  SELECT customer_id,
         epoch(any_value(e.as_of) - max(date) FILTER (WHERE amount >= 0)) / 86400 AS recency_days,
         count(DISTINCT date) FILTER (WHERE amount >= 0) AS frequency,
         sum(amount) AS monetary,
         sum(amount) FILTER (WHERE amount >= 0) / count(DISTINCT date) FILTER (WHERE amount >= 0) AS aov,
         epoch(any_value(e.as_of) - min(date) FILTER (WHERE amount >= 0)) / 86400 AS tenure_days
  FROM t, e GROUP BY customer_id
) TO '{out}' (HEADER)
"""


def run_cli(source: Path, out: Path) -> None:
    subprocess.run(
        [SEGMINT, "features", "--transactions", source, "--customer-col", "customer_id", "--date-col", "date",
         "--amount-col", "amount", "--out", out],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--heavy-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/segmint_ingest"))
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip", choices=["memory", "file"], action="append", default=[])
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    csv, parquet = args.dir / f"log_{args.lines}.csv", args.dir / f"log_{args.lines}.parquet"
    if args.regenerate or not csv.exists() or not parquet.exists():
        log = make_log(args.lines, args.customers, args.heavy_share, args.seed)
        log.write_csv(csv, datetime_format=DATE_FORMAT)
        log.write_parquet(parquet)
    print(f"{args.lines:,} lines, {args.customers:,} customers, one holding {args.heavy_share:.0%}; {cpu_name()}\n")

    if "memory" not in args.skip:
        log = pl.read_parquet(parquet)
        shuffled = log.to_pandas()
        ordered = shuffled.sort_values("date", kind="stable", ignore_index=True)
        by_time = log.sort("date", maintain_order=True)

        def summary(df: pd.DataFrame):
            return lambda: segmint.features.rfm_summary(
                df, customer_col="customer_id", date_col="date", amount_col="amount"
            )

        rows = [
            ("segmint, log in time order", *median_time(summary(ordered), args.repeats, warmup=1)),
            ("segmint, shuffled", *median_time(summary(shuffled), args.repeats, warmup=1)),
            ("polars, time order", *median_time(lambda: polars_summary(by_time), args.repeats, warmup=1)),
            ("polars, shuffled", *median_time(lambda: polars_summary(log), args.repeats, warmup=1)),
        ]
        ours, theirs = rows[1][2], rows[3][2]
        assert len(ours) == len(theirs), (len(ours), len(theirs))
        print("In memory, rfm_summary\n\n| run | median |\n|---|---:|")
        for name, seconds, _ in rows:
            print(f"| {name} | {seconds:.3f} s |")

        def features(df: Any):
            return lambda: segmint.features.customer_features(
                df, customer_col="customer_id", date_col="date", amount_col="amount"
            )

        rows = [
            ("segmint customer_features (16 columns), time order", *median_time(features(ordered), args.repeats)),
            ("segmint customer_features (16 columns), shuffled", *median_time(features(shuffled), args.repeats)),
            ("segmint customer_features, the polars frame, shuffled", *median_time(features(log), args.repeats)),
            ("polars RFM (5 columns), time order", *median_time(lambda: polars_rfm(log.sort("date").lazy()), args.repeats)),
            ("polars RFM (5 columns), shuffled", *median_time(lambda: polars_rfm(log.lazy()), args.repeats)),
        ]
        print("\nIn memory, the feature table\n\n| run | median |\n|---|---:|")
        for name, seconds, _ in rows:
            print(f"| {name} | {seconds:.3f} s |")
        print()

    if "file" not in args.skip:
        import duckdb

        out = args.dir / "features.csv"
        parse_dates = pl.col("date").str.to_datetime(DATE_FORMAT)
        timings = []
        for name, fn in [
            ("segmint features, CSV", lambda: run_cli(csv, out)),
            ("segmint features, Parquet", lambda: run_cli(parquet, out)),
            ("polars, CSV", lambda: polars_rfm(pl.scan_csv(csv).with_columns(parse_dates)).write_csv(out)),
            ("polars, Parquet", lambda: polars_rfm(pl.scan_parquet(parquet)).write_csv(out)),
            ("DuckDB, CSV", lambda: duckdb.sql(DUCKDB_RFM.format(source=f"read_csv('{csv}')", out=out))),
            ("DuckDB, Parquet", lambda: duckdb.sql(DUCKDB_RFM.format(source=f"'{parquet}'", out=out))),
        ]:
            try:
                seconds, _ = median_time(fn, args.repeats)
            except subprocess.CalledProcessError as e:
                print(f"{name}: failed ({e})")
                continue
            timings.append((name, seconds))
        print("File to feature table\n\n| run | median |\n|---|---:|")
        for name, seconds in timings:
            print(f"| {name} | {seconds:.2f} s |")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
