"""segmint.dask.KMeans against dask-ml's KMeans on the same LocalCluster, chunks and initial centres.

Times a Lloyd iteration: each fit runs ``ITERATIONS`` iterations (tol=0) from the
same initial centres on a persisted 2·10^6 × 16 float64 array in 8 chunks, on a
LocalCluster of 2 single-threaded worker processes; the figure is the median
fit time over ``REPEATS`` fits divided by the iterations run. The one-machine
segmint.cluster.KMeans on the same array is timed for scale.

    python benches/compare/kmeans_vs_daskml.py [rows]
"""

from __future__ import annotations

import platform
import sys

import dask.array as da
import numpy as np
from _timing import median_time
from dask_ml.cluster import KMeans as DaskMLKMeans
from distributed import Client, LocalCluster

import segmint
import segmint.dask

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
FEATURES, CHUNKS, K, ITERATIONS, REPEATS = 16, 8, 8, 10, 3


def main() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4.0, size=(K, FEATURES))
    X = centres[rng.integers(0, K, size=ROWS)] + rng.normal(size=(ROWS, FEATURES))
    start = X[rng.choice(ROWS, K, replace=False)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(
        cluster
    ):
        blocks = da.from_array(X, chunks=(ROWS // CHUNKS, FEATURES)).persist()
        ours = segmint.dask.KMeans(K, init=start, max_iter=ITERATIONS, tol=0.0)
        seconds, fitted = median_time(lambda: ours.fit(blocks), REPEATS, warmup=1)
        per_ours = seconds / fitted.n_iter_
        peer = DaskMLKMeans(n_clusters=K, init=start, max_iter=ITERATIONS, tol=0.0)
        seconds, fitted_peer = median_time(lambda: peer.fit(blocks), REPEATS, warmup=1)
        per_peer = seconds / fitted_peer.n_iter_
    one = segmint.cluster.KMeans(K, init=start, n_init=1, max_iter=ITERATIONS, tol=0.0)
    seconds, fitted_one = median_time(lambda: one.fit(X), REPEATS, warmup=1)
    per_one = seconds / fitted_one.n_iter_
    print(f"{ROWS:,} x {FEATURES} float64, {CHUNKS} chunks, k={K}, 2 worker processes; {platform.processor() or platform.machine()}")
    print(f"segmint.dask.KMeans   {per_ours * 1e3:8.1f} ms per iteration ({fitted.n_iter_} iterations)")
    print(f"dask_ml KMeans        {per_peer * 1e3:8.1f} ms per iteration ({fitted_peer.n_iter_} iterations)")
    print(f"segmint one machine   {per_one * 1e3:8.1f} ms per iteration")
    print(f"ratio dask-ml / segmint.dask: {per_peer / per_ours:.1f}x")
    gap = np.abs(fitted.cluster_centers_ - fitted_peer.cluster_centers_).max()
    print(f"largest centre difference from dask-ml after {ITERATIONS} iterations: {gap:.2e}")


if __name__ == "__main__":
    main()
