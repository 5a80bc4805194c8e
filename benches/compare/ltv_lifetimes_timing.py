"""Time the Python package `lifetimes` on the work segmint's LTV code does.

    /tmp/ltvenv/bin/python benches/compare/ltv_lifetimes_timing.py \
        [--n-rows 1000000] [--csv /tmp/segmint_ltv_tx.csv] [--repeats 3] [--fit-repeats 5]

Needs lifetimes 0.11.3 in a virtualenv of its own (it does not work with
pandas 3 / numpy 2); see tests/fixtures/make_lifetimes_oracle.py for the
versions used.

Steps:

1. Generate a seeded synthetic transaction log of --n-rows rows
   (customer_id int, date = a timestamp to the second over 2020-01-01..2021-12-31,
   amount > 0 with 2 decimals): customers join at uniform random times and then
   buy and drop out as in a BG/NBD model (GEN below, days), so the fit in step 3
   converges; the last customer's latest purchases are cut to make exactly
   --n-rows rows. Write it to --csv
   (customer_id,date,amount; date as YYYY-MM-DD HH:MM:SS), chronological.
2. Read the CSV back with pandas, dates parsed (read time reported, not in the
   medians), and time
   summary_data_from_transaction_data(tx, "customer_id", "date",
   monetary_value_col="amount", freq="D") -- median of --repeats.
3. Time BetaGeoFitter(penalizer_coef=0.0).fit(frequency, recency, T) on
   tests/fixtures/cdnow_summary.csv (2,357 customers, weeks) and on the summary
   computed in step 2 (days) -- median of --fit-repeats each.

Prints one JSON object with the timings (seconds), sizes, versions and fitted
parameters.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import statistics
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")  # lifetimes/pandas FutureWarning noise

import lifetimes  # noqa: E402
from lifetimes import BetaGeoFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
CDNOW_SUMMARY = REPO / "tests" / "fixtures" / "cdnow_summary.csv"
START = np.datetime64("2020-01-01T00:00:00", "s")
SPAN_S = 731 * 86400  # 2020 (leap) + 2021, in seconds
GEN = {"r": 0.5, "alpha": 20.0, "a": 0.6, "b": 4.0}  # BG/NBD parameters of the synthetic log, time in days


def _customers(rng, n):
    """n customers drawn from a BG/NBD process (days): customer index and purchase time (s from START)."""
    join = rng.uniform(0, SPAN_S * 0.95, n)
    window = SPAN_S - join
    lam = rng.gamma(GEN["r"], 1.0 / GEN["alpha"], n) / 86400.0  # purchases per second while alive
    p = rng.beta(GEN["a"], GEN["b"], n)
    # Poisson arrivals in the window are sorted uniforms; the customer makes the first J of them,
    # J ~ Geometric(p) on 1, 2, ... (BG/NBD: dropout can follow any REPEAT purchase, not the first).
    arrivals = rng.poisson(lam * window)
    repeats = np.minimum(rng.geometric(p), arrivals)
    owner = np.repeat(np.arange(n), arrivals)
    u = rng.uniform(0.0, 1.0, len(owner))
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[owner]
    cust = np.concatenate([np.arange(n), owner[keep]])
    secs = np.concatenate([join, join[owner[keep]] + u[keep] * window[owner[keep]]])
    order = np.lexsort((secs, cust))
    return cust[order], np.minimum(secs[order], SPAN_S - 1)


def generate(n_rows: int, seed: int) -> pd.DataFrame:
    """A seeded synthetic log of exactly n_rows transactions, simulated from a BG/NBD process."""
    rng = np.random.default_rng(seed)
    cust_parts, sec_parts, have, next_id = [], [], 0, 0
    while have < n_rows:
        batch = max(1000, (n_rows - have) // 3)
        cust, secs = _customers(rng, batch)
        cust_parts.append(cust + next_id)
        sec_parts.append(secs)
        have += len(cust)
        next_id += batch
    cust = np.concatenate(cust_parts)[:n_rows]  # customer-major: trimming drops only the last ones' latest buys
    secs = np.concatenate(sec_parts)[:n_rows].astype(np.int64)
    spend = rng.lognormal(3.0, 0.5, next_id)  # each customer's typical amount
    amounts = np.maximum(0.01, np.round(spend[cust] * rng.lognormal(0.0, 0.4, n_rows), 2))
    dates = START + secs.astype("timedelta64[s]")
    df = pd.DataFrame({"customer_id": cust.astype(np.int64) + 1, "date": dates, "amount": amounts})
    return df.sort_values(["date", "customer_id"], kind="mergesort").reset_index(drop=True)


def write_csv(df: pd.DataFrame, path: pathlib.Path) -> None:
    df.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.2f")


def median_time(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, out


def fit_bgf(frequency, recency, T):
    return BetaGeoFitter(penalizer_coef=0.0).fit(frequency, recency, T)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-rows", type=int, default=1_000_000)
    p.add_argument("--csv", type=pathlib.Path, default=pathlib.Path("/tmp/segmint_ltv_tx.csv"))
    p.add_argument("--repeats", type=int, default=3, help="runs of the summary; the median is reported")
    p.add_argument("--fit-repeats", type=int, default=5, help="runs of each BG/NBD fit; the median is reported")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()

    t0 = time.perf_counter()
    write_csv(generate(a.n_rows, a.seed), a.csv)
    t_generate = time.perf_counter() - t0

    t0 = time.perf_counter()
    tx = pd.read_csv(a.csv, parse_dates=["date"], date_format="%Y-%m-%d %H:%M:%S")
    t_read = time.perf_counter() - t0

    t_summary, summary_runs, summary = median_time(
        lambda: summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount", freq="D"),
        a.repeats,
    )

    cd = pd.read_csv(CDNOW_SUMMARY)
    t_fit_cd, fit_cd_runs, bgf_cd = median_time(lambda: fit_bgf(cd["x"], cd["t_x"], cd["T"]), a.fit_repeats)

    try:
        t_fit_syn, fit_syn_runs, bgf_syn = median_time(
            lambda: fit_bgf(summary["frequency"], summary["recency"], summary["T"]), a.fit_repeats
        )
        syn = {"median_s": t_fit_syn, "runs_s": fit_syn_runs,
               "params": {k: float(v) for k, v in bgf_syn.params_.items()}}
    except Exception as e:  # e.g. lifetimes.utils.ConvergenceError
        syn = {"error": f"{type(e).__name__}: {e}".strip()}

    print(json.dumps({
        "tool": "lifetimes",
        "versions": {"lifetimes": lifetimes.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                     "python": platform.python_version()},
        "csv": str(a.csv),
        "n_rows": int(len(tx)),
        "n_customers": int(len(summary)),
        "generate_and_write_s": t_generate,
        "read_csv_s": t_read,
        "summary_data_from_transaction_data": {
            "call": 'summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount", '
                    'freq="D"), tx read with dates parsed',
            "median_s": t_summary, "runs_s": summary_runs,
        },
        "bgnbd_fit_cdnow": {
            "call": 'BetaGeoFitter(penalizer_coef=0.0).fit(cd["x"], cd["t_x"], cd["T"]), tests/fixtures/cdnow_summary.csv',
            "n_customers": int(len(cd)), "median_s": t_fit_cd, "runs_s": fit_cd_runs,
            "params": {k: float(v) for k, v in bgf_cd.params_.items()},
        },
        "bgnbd_fit_synthetic_summary": {
            "call": 'BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"]) on the summary above',
            "n_customers": int(len(summary)), **syn,
        },
    }, indent=1))


if __name__ == "__main__":
    main()
