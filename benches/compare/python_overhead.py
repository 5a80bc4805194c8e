"""Cost of calling k-means from Python over the Rust call itself.

Writes a seeded n × d float64 matrix, times the Rust fit on it with the
``kmeans_fit_time`` binary (benches/src/bin), then ``segmint.cluster.KMeans``
on the same C-contiguous array with the same settings, and prints both medians
and the overhead. The two runs alternate so machine load hits both alike.

    python benches/compare/python_overhead.py --n 1000000 --d 16 --k 8 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np

from segmint._base import as_matrix
from segmint.cluster import KMeans

from _timing import median_time  # beside this script

ROOT = Path(__file__).resolve().parents[2]


def rust_median(path: Path, n: int, d: int, k: int, repeats: int, mode: str) -> float:
    command = ["cargo", "run", "-q", "--release", "-p", "segmint-benches", "--bin", "kmeans_fit_time", "--"]
    out = subprocess.run(command + [str(path), str(n), str(d), str(k), str(repeats), mode], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["median_ms"]


def python_median(X: np.ndarray, k: int, repeats: int, mode: str) -> float:
    if mode == "lloyd20":
        model = KMeans(k, init=X[: k * 10 : 10].copy(), n_init=1, max_iter=20, tol=0.0)
    else:
        model = KMeans(k, n_init=1, random_state=0)
    seconds, _ = median_time(lambda: model.fit(X), repeats)
    return seconds * 1e3


def main() -> None:
    warnings.simplefilter("ignore")  # 20 Lloyd iterations stop before convergence on purpose
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    X = np.random.default_rng(42).standard_normal((args.n, args.d))
    X[:, 0] += np.repeat(np.arange(args.k), -(-args.n // args.k))[: args.n] * 3.0
    assert as_matrix(X) is X, "C-contiguous float64 input must reach the native call without a copy"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "x.f64"
        X.astype("<f8").tofile(path)
        for mode in ("lloyd20", "full"):
            rust, python = [], []
            for _ in range(args.rounds):
                rust.append(rust_median(path, args.n, args.d, args.k, args.repeats, mode))
                python.append(python_median(X, args.k, args.repeats, mode))
            r, p = statistics.median(rust), statistics.median(python)
            print(f"{mode}: Rust {r:.1f} ms, Python {p:.1f} ms, overhead {100 * (p / r - 1):+.1f}% "
                  f"(medians of {args.rounds} rounds × {args.repeats} fits; rounds Rust {rust}, Python {python})")


if __name__ == "__main__":
    main()
