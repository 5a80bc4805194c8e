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

import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data

from _timing import timed_runs  # beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", default="/tmp/segmint_ltv_tx.csv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first, as on the segmint side")
    args = parser.parse_args()
    tx = pd.read_csv(args.csv, parse_dates=["date"])

    def summarise() -> pd.DataFrame:
        return summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount", freq="D")

    times, out = timed_runs(summarise, args.repeats, warmup=args.warmup)
    print(json.dumps({"lifetimes_median_s": statistics.median(times), "runs_s": times, "customers": len(out)}))


if __name__ == "__main__":
    main()
