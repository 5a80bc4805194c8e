"""Time segmint's PCA against scikit-learn's (each exact solver and the
randomized one) and its factor analysis on factor_analyzer's test06 data.

    python benches/compare/reduce_vs_peers.py --n 200000 --p 30 --k 5 --repeats 3

Needs the package built from this checkout (pip install .) and scikit-learn.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np
from sklearn.decomposition import PCA as SklearnPCA

from segmint import stats
from segmint.decomposition import PCA, FactorAnalysis

from _timing import timed_runs  # beside this script

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"


def best_of(repeats, work):
    times, _ = timed_runs(work, repeats)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--p", type=int, default=30)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.p)) @ rng.normal(size=(args.p, args.p))
    print(f"PCA, {args.n:,} x {args.p}, k = {args.k} (best of {args.repeats})")
    print("| solver | scikit-learn | segmint | ratio |")
    print("|---|---:|---:|---:|")
    for solver in ["full", "covariance_eigh", "randomized"]:
        theirs = best_of(args.repeats, lambda: SklearnPCA(args.k, svd_solver=solver, random_state=0).fit(X))
        ours = best_of(args.repeats, lambda: PCA(args.k, svd_solver=solver, random_state=0).fit(X))
        print(f"| {solver} | {theirs * 1e3:.1f} ms | {ours * 1e3:.1f} ms | {theirs / ours:.2f} |")
    path = SHARED / "factor_analyzer_test06" / "test06.csv"
    if path.exists():
        items = np.loadtxt(path, delimiter=",", skiprows=1)
        print(f"\nFactor analysis, test06 ({items.shape[0]} x {items.shape[1]}), 3 factors, promax")
        for method in ["minres", "ml", "principal"]:
            t = best_of(args.repeats, lambda: FactorAnalysis(3, method=method, rotation="promax").fit(items))
            print(f"- {method}: {t * 1e3:.1f} ms")
        t = best_of(args.repeats, lambda: stats.parallel_analysis(items, n_sets=100))
        print(f"- parallel analysis, 100 sets: {t * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
