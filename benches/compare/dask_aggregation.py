"""The RFM summary of a log larger than a pandas frame on this machine, on a Dask LocalCluster.

    .venv/bin/python benches/compare/dask_aggregation.py --lines 100000000 --files 50

Writes the log once as --files Parquet files under --dir (customer id, date,
amount; --customers customers, dates over two years in no order), then times
``segmint.dask.rfm_summary`` on ``dd.read_parquet`` of the directory on a
LocalCluster of 2 worker processes (--memory-limit each), writing the summary
to Parquet beside it. Prints the time, the customers summarised, and the peak
resident memory of the workers and of this process, with the CPU.

With --one-machine it times the one-machine path on the same files instead
(``pd.read_parquet`` of the directory, then ``segmint.features.rfm_summary``)
and its peak resident memory.

With --segment it times the whole segmentation instead of the summary
(``segmint.dask.segment``, or ``segmint.segment`` with --one-machine, k = --k)
and prints a digest of the report: the same digest is the same report. With
--max-customers below the log's customers, ``segmint.dask.segment`` fits on a
seeded sample and profiles every customer from partials.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import shutil
import time
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster

import segmint
import segmint.dask
import segmint.features

COLUMNS = dict(customer_col="customer_id", date_col="date", amount_col="amount")

START = np.datetime64("2022-01-01T00:00:00", "s")


def write_log(directory: Path, lines: int, files: int, customers: int) -> None:
    directory.mkdir(parents=True)
    per_file = lines // files
    for f in range(files):
        rng = np.random.default_rng(f)
        frame = pd.DataFrame(
            {
                "customer_id": rng.integers(1, customers + 1, size=per_file),
                "date": START + rng.integers(0, 2 * 365 * 86_400, size=per_file).astype("timedelta64[s]"),
                "amount": np.round(rng.lognormal(3.0, 1.0, size=per_file), 2),
            }
        )
        frame.to_parquet(directory / f"part-{f:04d}.parquet", index=False)


def peak_worker_rss(client: Client) -> float:
    """Peak resident memory of each worker process, in GiB (ru_maxrss is in KiB on Linux)."""
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    return max(peaks.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--customers", type=int, default=5_000_000)
    parser.add_argument("--memory-limit", default="8GiB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/segmint_dask_log"))
    parser.add_argument("--one-machine", action="store_true")
    parser.add_argument("--segment", action="store_true", help="time the whole segmentation, not the summary")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument(
        "--max-customers",
        type=int,
        default=None,
        help="with --segment: segmint.dask.segment's max_customers (fewer than the log's customers: fitted on a sample)",
    )
    args = parser.parse_args()
    log = args.dir / f"log-{args.lines}"
    if not log.exists():
        started = time.perf_counter()
        write_log(log, args.lines, args.files, args.customers)
        print(f"wrote {args.lines:,} lines in {args.files} files in {time.perf_counter() - started:.0f} s")
    if args.segment:
        time_segmentation(log, args)
        return
    if args.one_machine:
        started = time.perf_counter()
        frame = pd.read_parquet(log)
        read = time.perf_counter() - started
        summary = segmint.features.rfm_summary(frame, customer_col="customer_id", date_col="date", amount_col="amount")
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"one machine: {args.lines:,} lines, {len(summary):,} customers in {seconds:.0f} s ({read:.0f} s reading)")
        print(f"peak RSS: {peak:.2f} GiB; CPU: {platform.processor() or platform.machine()}")
        return
    out = args.dir / f"summary-{args.lines}"
    shutil.rmtree(out, ignore_errors=True)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        summary = segmint.dask.rfm_summary(
            dd.read_parquet(log), customer_col="customer_id", date_col="date", amount_col="amount"
        )
        summary.to_parquet(out)
        seconds = time.perf_counter() - started
        workers = peak_worker_rss(client)
    customers = len(dd.read_parquet(out))
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{args.lines:,} lines, {customers:,} customers summarised in {seconds:.0f} s")
    print(f"peak RSS: {workers:.2f} GiB per worker (limit {args.memory_limit}), {driver:.2f} GiB in the driver")
    print(f"CPU: {platform.processor() or platform.machine()}, 2 worker processes of 1 thread")


def time_segmentation(log: Path, args: argparse.Namespace) -> None:
    """``segment`` of the log on one machine or on the cluster, with the report's digest."""
    cpu = platform.processor() or platform.machine()
    if args.one_machine:
        started = time.perf_counter()
        result = segmint.segment(pd.read_parquet(log), **COLUMNS, k=args.k)
        seconds = time.perf_counter() - started
        workers = None
    else:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit, dashboard_address=None
        ) as cluster, Client(cluster) as client:
            started = time.perf_counter()
            limit = {} if args.max_customers is None else {"max_customers": args.max_customers}
            result = segmint.dask.segment(dd.read_parquet(log), **COLUMNS, k=args.k, **limit)
            seconds = time.perf_counter() - started
            workers = peak_worker_rss(client)
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    digest = hashlib.sha256(json.dumps(result.report, sort_keys=True).encode()).hexdigest()[:16]
    path = "one machine" if args.one_machine else "segmint.dask"
    customers, fitted = result.report["data"]["n_customers"], len(result.features)
    on = "" if fitted == customers else f", fitted on a sample of {fitted:,}"
    print(f"{path}: {args.lines:,} lines, {customers:,} customers segmented (k = {args.k}{on}) in {seconds:.0f} s")
    memory = f"{driver:.2f} GiB in this process" + ("" if workers is None else f", {workers:.2f} GiB per worker")
    print(f"peak RSS: {memory}; report digest {digest}; CPU: {cpu}")


if __name__ == "__main__":
    main()
