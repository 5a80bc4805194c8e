"""Where segmint.features.rfm_summary spends its time on the 10^6-line CSV: each step timed alone, medians.

    python benches/compare/summary_breakdown.py [repeats]
"""
import sys, json
import numpy as np, pandas as pd
import segmint
from segmint import _native, _frames, features
from _timing import median_time  # beside this script
tx = pd.read_csv("/tmp/segmint_ltv_tx.csv", parse_dates=["date"])
R = int(sys.argv[1]) if len(sys.argv) > 1 else 9
def med(f):
    return median_time(f, R)[0] * 1e3
keys, labels = _frames.customer_keys(tx, "customer_id")
times, tps = _frames.line_times(tx, "date")
amounts = _frames.line_amounts(tx, "amount")
nat = lambda: _native.rfm_summary(keys, times, amounts, ticks_per_second=tps, time_unit="D", freq_multiplier=1.0)
out = nat()
r = {
 "full": med(lambda: features.rfm_summary(tx, customer_col="customer_id", date_col="date", amount_col="amount")),
 "keys": med(lambda: _frames.customer_keys(tx, "customer_id")),
 "times": med(lambda: _frames.line_times(tx, "date")),
 "amounts": med(lambda: _frames.line_amounts(tx, "amount")),
 "native": med(nat),
 "labels": med(lambda: labels(out["index"])),
 "frame": med(lambda: pd.DataFrame({c: out[c] for c in ["frequency","recency","T","monetary_value"]}, index=pd.Index(out["index"], name="customer_id"))),
}
print(segmint.__file__, json.dumps({k: round(v, 2) for k, v in r.items()}))
