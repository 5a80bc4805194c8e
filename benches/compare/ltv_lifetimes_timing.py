"""Time the Python package `lifetimes` on the work segmint's LTV code does.

    /tmp/ltvenv/bin/python benches/compare/ltv_lifetimes_timing.py \
        [--n-rows 1000000] [--csv /tmp/segmint_ltv_tx.csv] [--repeats 3] [--fit-repeats 5] \
        [--customers 1000000] [--summary-csv /tmp/segmint_clv_summary.csv] [--big-fit-repeats 1]

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
   computed in step 2 (days) -- median of --fit-repeats each; time
   ParetoNBDFitter(penalizer_coef=0.0).fit on the CDNOW summary the same way.
4. With --customers N > 0: draw a seeded summary (frequency, recency, T in whole
   days) of N customers straight from the BG/NBD process of GEN (`synthetic_summary`),
   write it to --summary-csv, and time BetaGeoFitter and ParetoNBDFitter on it
   (--big-fit-repeats runs each; lifetimes needs minutes there).

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
from lifetimes import BetaGeoFitter, ParetoNBDFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

from _timing import timed_runs  # noqa: E402  (beside this script)

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


def synthetic_summary(n: int, seed: int) -> pd.DataFrame:
    """n customers' (frequency, recency, T) in whole days, drawn from the BG/NBD process of GEN.

    T is uniform on 1..730 days; while alive a customer buys at rate lambda, so the
    purchases in (0, T] are Poisson(lambda T) at sorted uniform times, and the customer
    makes the first J ~ Geometric(p) of them; recency is the k-th of n sorted uniforms
    (a Beta(k, n - k + 1) draw) times T, rounded up to a whole day.
    """
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 731, n).astype(float)
    lam = rng.gamma(GEN["r"], 1.0 / GEN["alpha"], n)
    p = rng.beta(GEN["a"], GEN["b"], n)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(rng.geometric(p), arrivals)
    last = rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1))
    recency = np.where(x > 0, np.minimum(np.ceil(last * T), T), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": T})


def median_time(fn, repeats: int):
    times, out = timed_runs(fn, repeats)
    return statistics.median(times), times, out


def fit_bgf(frequency, recency, T):
    return BetaGeoFitter(penalizer_coef=0.0).fit(frequency, recency, T)


def fit_pareto(frequency, recency, T):
    np.random.seed(0)  # lifetimes draws its start from numpy's global generator
    return ParetoNBDFitter(penalizer_coef=0.0).fit(frequency, recency, T)


def timed_fit(fit, data: pd.DataFrame, columns, repeats: int, call: str) -> dict:
    """Median time and parameters of one lifetimes fit, or the error it raised."""
    try:
        median_s, runs_s, model = median_time(lambda: fit(*(data[c] for c in columns)), repeats)
    except Exception as e:  # e.g. lifetimes.utils.ConvergenceError
        return {"call": call, "n_customers": int(len(data)), "error": f"{type(e).__name__}: {e}".strip()}
    return {"call": call, "n_customers": int(len(data)), "median_s": median_s, "runs_s": runs_s,
            "params": {k: float(v) for k, v in model.params_.items()}}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-rows", type=int, default=1_000_000)
    p.add_argument("--csv", type=pathlib.Path, default=pathlib.Path("/tmp/segmint_ltv_tx.csv"))
    p.add_argument("--repeats", type=int, default=3, help="runs of the summary; the median is reported")
    p.add_argument("--fit-repeats", type=int, default=5, help="runs of each BG/NBD fit; the median is reported")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--customers", type=int, default=0, help="size of the drawn summary of step 4 (0: skip)")
    p.add_argument("--summary-csv", type=pathlib.Path, default=pathlib.Path("/tmp/segmint_clv_summary.csv"))
    p.add_argument("--big-fit-repeats", type=int, default=1, help="runs of each fit on the drawn summary")
    p.add_argument("--skip-log", action="store_true", help="skip steps 1-2 and the fit on the log's summary")
    p.add_argument("--skip-drawn-pareto", action="store_true",
                   help="skip the Pareto/NBD fit on the drawn summary (35 minutes for 10^6 customers)")
    a = p.parse_args()
    out = {
        "tool": "lifetimes",
        "versions": {"lifetimes": lifetimes.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                     "python": platform.python_version()},
    }
    if not a.skip_log:
        out.update(log_steps(a))
    cd = pd.read_csv(CDNOW_SUMMARY)
    cols = ("x", "t_x", "T")
    out["bgnbd_fit_cdnow"] = timed_fit(fit_bgf, cd, cols, a.fit_repeats,
                                       'BetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T), tests/fixtures/cdnow_summary.csv')
    out["pareto_fit_cdnow"] = timed_fit(fit_pareto, cd, cols, a.fit_repeats,
                                        'ParetoNBDFitter(penalizer_coef=0.0).fit(x, t_x, T), tests/fixtures/cdnow_summary.csv')
    if a.customers > 0:
        drawn = synthetic_summary(a.customers, a.seed)
        drawn.to_csv(a.summary_csv, index=False)
        cols = ("frequency", "recency", "T")
        out["summary_csv"] = str(a.summary_csv)
        out["bgnbd_fit_drawn_summary"] = timed_fit(fit_bgf, drawn, cols, a.big_fit_repeats,
                                                   f"BetaGeoFitter(penalizer_coef=0.0).fit on {a.summary_csv}")
        if not a.skip_drawn_pareto:
            out["pareto_fit_drawn_summary"] = timed_fit(fit_pareto, drawn, cols, a.big_fit_repeats,
                                                        f"ParetoNBDFitter(penalizer_coef=0.0).fit on {a.summary_csv}")
    print(json.dumps(out, indent=1))


def log_steps(a) -> dict:
    """Steps 1-2 and the BG/NBD fit on the log's daily summary."""
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
    return {
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
        "bgnbd_fit_synthetic_summary": timed_fit(
            fit_bgf, summary, ("frequency", "recency", "T"), a.fit_repeats,
            'BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"]) on the summary above'),
    }


if __name__ == "__main__":
    main()
