"""segmint's lifetimes-style summary against lifetimes' own, same data, same run.

    # 1. lifetimes (its own virtualenv, see ltv_lifetimes_timing.py): writes the CSV and its timings
    /tmp/ltvenv/bin/python benches/compare/ltv_lifetimes_timing.py --n-rows 1000000 > /tmp/lifetimes.json
    # 2. segmint on the same CSV, then the ratio table
    .venv/bin/python benches/compare/summary_vs_lifetimes.py --lifetimes-json /tmp/lifetimes.json

Times ``segmint.features.rfm_summary(df, ..., time_unit="D")`` on the CSV the
lifetimes script wrote (median of --repeats after --warmup untimed calls, the
CSV read excluded, as on the lifetimes side) and checks that both summaries
have the same customers. The first call of a process starts the thread pool
and touches its buffers' pages for the first time: 10-20 ms more on our machine.
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

import segmint

from _timing import median_time  # beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lifetimes-json", required=True)
    parser.add_argument("--csv", default="/tmp/segmint_ltv_tx.csv")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls first, as on the lifetimes side")
    args = parser.parse_args()
    theirs = json.load(open(args.lifetimes_json))
    tx = pd.read_csv(args.csv, parse_dates=["date"])

    def summarise() -> pd.DataFrame:
        return segmint.features.rfm_summary(
            tx, customer_col="customer_id", date_col="date", amount_col="amount", time_unit="D"
        )

    ours, summary = median_time(summarise, args.repeats, warmup=args.warmup)
    lifetimes_s = theirs["summary_data_from_transaction_data"]["median_s"]
    print(json.dumps({"rows": len(tx), "customers": len(summary), "segmint_s": ours, "lifetimes_s": lifetimes_s}))
    print("\n| rows | customers | lifetimes | segmint | ratio |\n|---:|---:|---:|---:|---:|")
    print(f"| {len(tx):,} | {len(summary):,} | {lifetimes_s:.3f} s | {ours * 1000:.1f} ms | {lifetimes_s / ours:.0f}x |")


if __name__ == "__main__":
    main()
