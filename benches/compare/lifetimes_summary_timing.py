"""lifetimes' summary_data_from_transaction_data alone, on an existing CSV, for a side-by-side run.

    /tmp/ltvenv/bin/python benches/compare/lifetimes_summary_timing.py --csv /tmp/segmint_ltv_tx.csv

Prints the median of --repeats calls (after --warmup untimed ones) as JSON
and writes nothing, so it can run right before ``summary_vs_lifetimes.py``
under the same load (the full ``ltv_lifetimes_timing.py`` also generates the
CSV and times the model fits).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", default="/tmp/segmint_ltv_tx.csv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first, as on the segmint side")
    args = parser.parse_args()
    tx = pd.read_csv(args.csv, parse_dates=["date"])

    def summarise() -> pd.DataFrame:
        return summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount", freq="D")

    for _ in range(args.warmup):
        summarise()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = summarise()
        times.append(time.perf_counter() - start)
    print(json.dumps({"lifetimes_median_s": statistics.median(times), "runs_s": times, "customers": len(out)}))


if __name__ == "__main__":
    main()
