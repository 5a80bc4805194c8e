"""Time segmint's k-means against scikit-learn's on the same data, in the same run.

    python benches/compare/kmeans_vs_sklearn.py [--n 1000000] [--d 16] [--k 8] [--repeats 5]

Prints a Markdown table of medians and the ratio scikit-learn / segmint (above
1: segmint is faster), with each side's inertia so that a fast but wrong
result shows. Per-iteration times come from fits that start at the same
centres with tol=0 and a fixed max_iter, so both run the same iterations:
the mean (fit / n_iter, fixed costs included) and the marginal iteration
((fit of max_iter - fit of 1) / (max_iter - 1), fixed costs excluded).
The memory bound of one pass is X's size over the bandwidth of a numpy sum
measured in the same run. Each series of timings starts after a pause of
--settle seconds, so that threads the previous series left spinning (OpenMP
or OpenBLAS workers wait busily for a while before they sleep) do not take
a core from the next; --settle 0 times back to back.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans

from segmint.cluster import KMeans as SgKMeans

import _timing  # beside this script


SETTLE = 0.5


def median_time(fit, repeats):
    time.sleep(SETTLE)
    return _timing.median_time(fit, repeats)


def bandwidth(X, repeats):
    seconds, _ = median_time(lambda: X.sum(), repeats)
    return X.nbytes / seconds


def main():
    global SETTLE
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=16)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--settle", type=float, default=SETTLE, help="seconds of pause before each series of timings")
    a = p.parse_args()
    SETTLE = a.settle

    rng = np.random.default_rng(42)
    centres = rng.uniform(-10, 10, size=(a.k, a.d))
    X64 = centres[rng.integers(a.k, size=a.n)] + rng.normal(size=(a.n, a.d))
    init = X64[rng.choice(a.n, a.k, replace=False)].copy()

    rows = []
    for X in (X64, X64.astype(np.float32)):
        dtype = X.dtype.name
        gbps = bandwidth(X, a.repeats)
        lloyd = dict(n_clusters=a.k, init=init.astype(X.dtype), n_init=1, max_iter=a.iters, tol=0.0)
        t_sk, sk = median_time(lambda: SkKMeans(**lloyd, algorithm="lloyd").fit(X), a.repeats)
        t_sg, sg = median_time(lambda: SgKMeans(**lloyd).fit(X), a.repeats)
        bound = X.nbytes / gbps
        rows.append((f"Lloyd per iteration, {dtype} (bound {bound * 1e3:.1f} ms at {gbps / 1e9:.1f} GB/s)",
                     t_sk / sk.n_iter_, t_sg / sg.n_iter_, sk.inertia_, sg.inertia_))
        # The marginal iteration: what one more iteration adds, without the
        # fixed costs (checks, the final labelling) that the mean spreads.
        once = dict(lloyd, max_iter=1)
        t1_sk, _ = median_time(lambda: SkKMeans(**once, algorithm="lloyd").fit(X), a.repeats)
        t1_sg, _ = median_time(lambda: SgKMeans(**once).fit(X), a.repeats)
        rows.append((f"Lloyd marginal iteration, {dtype} ((fit of {a.iters} - fit of 1) / {a.iters - 1})",
                     (t_sk - t1_sk) / max(sk.n_iter_ - 1, 1), (t_sg - t1_sg) / max(sg.n_iter_ - 1, 1),
                     sk.inertia_, sg.inertia_))
        plus = dict(n_clusters=a.k, n_init=1, max_iter=1, random_state=0)
        t_sk, sk = median_time(lambda: SkKMeans(**plus).fit(X), a.repeats)
        t_sg, sg = median_time(lambda: SgKMeans(**plus).fit(X), a.repeats)
        rows.append((f"k-means++ and one iteration, {dtype}", t_sk, t_sg, sk.inertia_, sg.inertia_))
        full = dict(n_clusters=a.k, n_init=1, random_state=0)
        t_sk, sk = median_time(lambda: SkKMeans(**full).fit(X), a.repeats)
        t_sg, sg = median_time(lambda: SgKMeans(**full).fit(X), a.repeats)
        rows.append((f"full fit, k-means++, n_init=1, {dtype}", t_sk, t_sg, sk.inertia_, sg.inertia_))

    print(f"{a.n} x {a.d}, k = {a.k}, median of {a.repeats}, {a.settle} s pause before each series")
    print("| measure | scikit-learn | segmint | ratio | inertia scikit-learn | inertia segmint |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t_sk, t_sg, i_sk, i_sg in rows:
        print(f"| {name} | {t_sk * 1e3:.1f} ms | {t_sg * 1e3:.1f} ms | {t_sk / t_sg:.2f} | {i_sk:.6e} | {i_sg:.6e} |")


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    main()
