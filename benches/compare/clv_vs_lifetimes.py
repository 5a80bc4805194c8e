"""segmint's BG/NBD fit against lifetimes', same data, same run.

    /tmp/ltvenv/bin/python benches/compare/ltv_lifetimes_timing.py --n-rows 1000000 > /tmp/lifetimes.json
    .venv/bin/python benches/compare/clv_vs_lifetimes.py --lifetimes-json /tmp/lifetimes.json

Times ``segmint.clv.BetaGeo().fit`` on the CDNOW summary (2,357 customers,
weeks) and on the daily summary of the synthetic log the lifetimes script
wrote (median of --repeats each), next to lifetimes' ``BetaGeoFitter.fit``
times from its JSON, and prints the parameters of both so that a faster but
wrong fit shows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import pandas as pd

import segmint

REPO = Path(__file__).resolve().parents[2]


def median_fit(frequency, recency, T, repeats: int) -> tuple[float, segmint.clv.BetaGeo]:
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = segmint.clv.BetaGeo().fit(frequency, recency, T)
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lifetimes-json", required=True)
    parser.add_argument("--csv", default="/tmp/segmint_ltv_tx.csv")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    theirs = json.load(open(args.lifetimes_json))
    cd = pd.read_csv(REPO / "tests" / "fixtures" / "cdnow_summary.csv")
    ours_cd, bgf_cd = median_fit(cd["x"], cd["t_x"], cd["T"], args.repeats)
    tx = pd.read_csv(args.csv, parse_dates=["date"])
    summary = segmint.features.rfm_summary(tx, customer_col="customer_id", date_col="date", amount_col="amount")
    ours_syn, bgf_syn = median_fit(summary["frequency"], summary["recency"], summary["T"], args.repeats)
    rows = [
        ("CDNOW summary (weeks)", len(cd), theirs["bgnbd_fit_cdnow"], ours_cd, bgf_cd),
        ("synthetic, daily summary of 10^6 lines", len(summary), theirs["bgnbd_fit_synthetic_summary"], ours_syn, bgf_syn),
    ]
    print("| data | customers | lifetimes | segmint | ratio | lifetimes r, alpha, a, b | segmint r, alpha, a, b |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, n, lt, ours, model in rows:
        lt_params = ", ".join(f"{lt['params'][k]:.4f}" for k in ("r", "alpha", "a", "b")) if "params" in lt else "-"
        our_params = ", ".join(f"{v:.4f}" for v in model.params_)
        lt_s = lt.get("median_s")
        ratio = f"{lt_s / ours:.0f}x" if lt_s else "-"
        lt_text = f"{lt_s:.3f} s" if lt_s else lt.get("error", "-")
        print(f"| {name} | {n:,} | {lt_text} | {ours * 1000:.1f} ms | {ratio} | {lt_params} | {our_params} |")


if __name__ == "__main__":
    main()
