"""segmint's BG/NBD and Pareto/NBD fits against lifetimes', same data, same run.

    /tmp/ltvenv/bin/python benches/compare/ltv_lifetimes_timing.py --n-rows 1000000 \\
        --customers 1000000 > /tmp/lifetimes.json
    .venv/bin/python benches/compare/clv_vs_lifetimes.py --lifetimes-json /tmp/lifetimes.json

Times ``segmint.clv.BetaGeo().fit`` and ``ParetoNBD().fit`` on the CDNOW
summary (2,357 customers, weeks), BG/NBD on the daily summary of the synthetic
log the lifetimes script wrote, and both on its drawn summary of 10^6
customers (median of --repeats each; --big-repeats on the 10^6 summary), next
to lifetimes' times from its JSON, and prints the parameters of both so that a
faster but wrong fit shows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

import segmint

from _timing import median_time  # beside this script

REPO = Path(__file__).resolve().parents[2]


def median_fit(model_class, frequency, recency, T, repeats: int):
    return median_time(lambda: model_class().fit(frequency, recency, T), repeats)


def row(name: str, n: int, theirs: dict, ours: float, model) -> str:
    names = list(model.params_.index)
    lt_params = ", ".join(f"{theirs['params'][k]:.4f}" for k in names) if "params" in theirs else "-"
    our_params = ", ".join(f"{v:.4f}" for v in model.params_)
    lt_s = theirs.get("median_s")
    ratio = f"{lt_s / ours:.1f}x" if lt_s else "-"
    lt_text = f"{lt_s:.3f} s" if lt_s else theirs.get("error", "-")
    report = model.fit_report_
    return (f"| {name} | {n:,} | {lt_text} | {ours * 1000:.1f} ms | {ratio} | {lt_params} | {our_params} | "
            f"{report['n_starts']}, {report['iterations']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lifetimes-json", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big-repeats", type=int, default=3)
    args = parser.parse_args()
    theirs = json.load(open(args.lifetimes_json))
    cd = pd.read_csv(REPO / "tests" / "fixtures" / "cdnow_summary.csv")
    cases = [("BG/NBD, CDNOW summary (weeks)", segmint.clv.BetaGeo, cd, ("x", "t_x", "T"), "bgnbd_fit_cdnow",
              args.repeats),
             ("Pareto/NBD, CDNOW summary (weeks)", segmint.clv.ParetoNBD, cd, ("x", "t_x", "T"), "pareto_fit_cdnow",
              args.repeats)]
    if "csv" in theirs:
        tx = pd.read_csv(theirs["csv"], parse_dates=["date"])
        summary = segmint.features.rfm_summary(tx, customer_col="customer_id", date_col="date", amount_col="amount")
        cases.append(("BG/NBD, daily summary of the 10^6-line log", segmint.clv.BetaGeo, summary,
                      ("frequency", "recency", "T"), "bgnbd_fit_synthetic_summary", args.repeats))
    if "summary_csv" in theirs:
        drawn = pd.read_csv(theirs["summary_csv"])
        cols = ("frequency", "recency", "T")
        cases.append(("BG/NBD, drawn summary (days)", segmint.clv.BetaGeo, drawn, cols, "bgnbd_fit_drawn_summary",
                      args.big_repeats))
        cases.append(("Pareto/NBD, drawn summary (days)", segmint.clv.ParetoNBD, drawn, cols,
                      "pareto_fit_drawn_summary", args.big_repeats))
    print("| data | customers | lifetimes | segmint | ratio | lifetimes params | segmint params | "
          "segmint starts, iterations |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    for name, model_class, data, cols, key, repeats in cases:
        ours, model = median_fit(model_class, *(data[c] for c in cols), repeats)
        print(row(name, len(data), theirs.get(key, {}), ours, model), flush=True)


if __name__ == "__main__":
    main()
