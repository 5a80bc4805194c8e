"""The GIL is released during native work, and Ctrl-C stops a long fit."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import segmint
from segmint.cluster import GaussianMixture, KMeans


def ticks_during(work):
    """Run ``work`` in a thread; return the ticks this thread counted while it ran."""
    span = {}

    def run():
        span["start"] = time.perf_counter()
        span["result"] = work()
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=run)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    inside = [t for t in ticks if span["start"] < t < span["end"]]
    return len(inside), span


def test_python_keeps_running_while_kmeans_fits():
    X = np.random.default_rng(0).random((200_000, 16))
    inside, span = ticks_during(lambda: KMeans(8, n_init=2, max_iter=50, tol=0.0, random_state=0).fit(X))
    # With the GIL held for the whole fit this thread could not tick at all inside it.
    assert span["result"].n_iter_ >= 1
    assert inside > 1000, f"only {inside} ticks in {span['end'] - span['start']:.3f} s"


def test_python_keeps_running_while_the_pipeline_segments():
    transactions, _ = segmint.datasets.make_customers(20_000, seed=0)
    inside, span = ticks_during(lambda: segmint.Segmenter(k=4).fit(transactions))
    assert inside > 1000, f"only {inside} ticks in {span['end'] - span['start']:.3f} s"


def test_two_threads_fitting_at_once_give_the_sequential_results():
    rng = np.random.default_rng(1)
    data = [rng.random((50_000, 8)), rng.random((50_000, 8))]
    sequential = [KMeans(5, random_state=3).fit(X).labels_ for X in data]
    results = [None, None]

    def fit(i):
        results[i] = KMeans(5, random_state=3).fit(data[i]).labels_

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, expected in zip(results, sequential):
        np.testing.assert_array_equal(got, expected)


LONG_FIT = """
import signal, sys, time
import numpy as np
# Python's own Ctrl-C handler, whatever disposition the test runner left to this child.
signal.signal(signal.SIGINT, signal.default_int_handler)
from segmint.cluster import GaussianMixture, KMeans, KPrototypes, MiniBatchKMeans
X = np.random.default_rng(0).random((20_000, 8))
X[:, 0] = np.floor(X[:, 0] * 5)  # a categorical column for KPrototypes
model = {model}
print("ready", flush=True)
start = time.perf_counter()
try:
    model.fit(X)
except KeyboardInterrupt:
    print(f"interrupted after {{time.perf_counter() - start:.2f}} s", flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
@pytest.mark.parametrize(
    "model",
    [
        "KMeans(50, init='random', n_init=100_000, max_iter=300, random_state=0)",
        "GaussianMixture(20, n_init=100_000, max_iter=1000, tol=0.0, random_state=0)",
        "MiniBatchKMeans(50, max_iter=100_000, max_no_improvement=None, random_state=0)",
        "KPrototypes(20, categorical=[0], n_init=100_000, max_iter=1000, random_state=0)",
    ],
)
def test_ctrl_c_interrupts_a_long_fit(model):
    script = textwrap.dedent(LONG_FIT.format(model=model))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the fit ignored Ctrl-C for 60 s")
    assert process.returncode == 3, (out, err)
    assert out.startswith("interrupted"), out
