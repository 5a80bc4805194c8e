"""Time segmint's validity indices against scikit-learn's on the same data, in the same run.

    python benches/compare/metrics_vs_sklearn.py [--n 1000000] [--d 16] [--k 8] [--repeats 5] [--settle 0.5]

Calinski–Harabasz and Davies–Bouldin on all rows; silhouette on 10,000 rows
(scikit-learn's sample_size draws them itself, so both are timed on the same
explicit subset). Prints medians, the ratio scikit-learn / segmint and both values.

Each series of timings starts after a pause of --settle seconds: after a
BLAS call, OpenBLAS's idle worker threads spin for ~0.1-0.2 s before they
sleep, and on a 2-core machine that takes one core from whatever is timed
next (segmint's Davies-Bouldin measured 17.7 ms right after scikit-learn and
9.9 ms with OPENBLAS_NUM_THREADS=1, scikit-learn's own time unchanged).
--settle 0 gives the earlier, back-to-back figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn import metrics as sk

from segmint import metrics as sg

from _timing import median_time  # beside this script


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=16)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--silhouette-rows", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--settle", type=float, default=0.5, help="seconds of pause before each series of timings")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, a.k, size=a.n)
    X = rng.uniform(-10, 10, size=(a.k, a.d))[labels] + rng.normal(size=(a.n, a.d))
    subset = rng.choice(a.n, a.silhouette_rows, replace=False)
    cases = [
        ("Calinski–Harabasz", sk.calinski_harabasz_score, sg.calinski_harabasz_score, X, labels),
        ("Davies–Bouldin", sk.davies_bouldin_score, sg.davies_bouldin_score, X, labels),
        (f"silhouette, {a.silhouette_rows} rows", sk.silhouette_score, sg.silhouette_score, X[subset], labels[subset]),
    ]
    print(f"{a.n} x {a.d}, k = {a.k}, median of {a.repeats}, {a.settle} s pause before each series")
    print("| index | scikit-learn | segmint | ratio | value scikit-learn | value segmint |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, theirs, ours, x, y in cases:
        time.sleep(a.settle)
        t_sk, v_sk = median_time(lambda: theirs(x, y), a.repeats)
        time.sleep(a.settle)
        t_sg, v_sg = median_time(lambda: ours(x, y), a.repeats)
        print(f"| {name} | {t_sk * 1e3:.1f} ms | {t_sg * 1e3:.1f} ms | {t_sk / t_sg:.2f} | {v_sk:.10g} | {v_sg:.10g} |")


if __name__ == "__main__":
    main()
