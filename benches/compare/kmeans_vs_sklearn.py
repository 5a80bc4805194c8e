"""Time segmint's k-means against scikit-learn's on the same data, in the same run.

    python benches/compare/kmeans_vs_sklearn.py [--n 1000000] [--d 16] [--k 8] [--repeats 5]

Reports medians over the repeats and the ratio scikit-learn / segmint (above 1
means segmint is faster). Per-iteration times come from fits that start at the
same centres with tol=0 and a fixed max_iter, so both run the same number of
Lloyd iterations. The inertia of each is printed so a fast but wrong result is
visible.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans

from segmint.cluster import KMeans as SgKMeans


def timed(fit, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=16)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()

    rng = np.random.default_rng(42)
    centres = rng.uniform(-10, 10, size=(a.k, a.d))
    X = centres[rng.integers(a.k, size=a.n)] + rng.normal(size=(a.n, a.d))
    init = X[rng.choice(a.n, a.k, replace=False)].copy()

    rows = []
    lloyd = dict(n_clusters=a.k, init=init, n_init=1, max_iter=a.iters, tol=0.0)
    t_sk, sk = timed(lambda: SkKMeans(**lloyd, algorithm="lloyd").fit(X), a.repeats)
    t_sg, sg = timed(lambda: SgKMeans(**lloyd).fit(X), a.repeats)
    rows.append(("Lloyd, per iteration", t_sk / sk.n_iter_, t_sg / sg.n_iter_, sk.inertia_, sg.inertia_))
    full = dict(n_clusters=a.k, n_init=1, random_state=0)
    t_sk, sk = timed(lambda: SkKMeans(**full).fit(X), a.repeats)
    t_sg, sg = timed(lambda: SgKMeans(**full).fit(X), a.repeats)
    rows.append(("full fit, k-means++, n_init=1", t_sk, t_sg, sk.inertia_, sg.inertia_))

    print(f"{a.n} x {a.d}, k = {a.k}, float64, median of {a.repeats}")
    print("| measure | scikit-learn | segmint | ratio | inertia sklearn | inertia segmint |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t_sk, t_sg, i_sk, i_sg in rows:
        print(f"| {name} | {t_sk * 1e3:.1f} ms | {t_sg * 1e3:.1f} ms | {t_sk / t_sg:.2f} | {i_sk:.6e} | {i_sg:.6e} |")


if __name__ == "__main__":
    main()
