"""scikit-learn's own k-means test file, run against segmint's KMeans and MiniBatchKMeans.

The file ships inside scikit-learn (``sklearn/cluster/tests/test_k_means.py``). It is
imported with ``sklearn.cluster.KMeans`` and ``MiniBatchKMeans`` replaced by segmint's,
so every test and every parametrisation builds segmint's estimators. Its tests of
scikit-learn's private helpers are not collected (``PRIVATE_HELPERS``); each test that
does not apply to segmint is an expected failure with its reason (``NOT_APPLICABLE``,
strict: a test that starts to pass must leave the list). Skipped as a whole when
scikit-learn is not installed.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6")

import sklearn.cluster as sklearn_cluster  # noqa: E402

import segmint.cluster  # noqa: E402

PRIVATE_HELPERS = {
    "test_euclidean_distance": "scikit-learn's Cython distance helpers",
    "test_inertia": "scikit-learn's Cython inertia helpers",
    "test_is_same_clustering": "scikit-learn's private _is_same_clustering",
    "test_k_means_function": "scikit-learn's k_means function, which segmint does not offer",
    "test_kmeans_plusplus_dataorder": "scikit-learn's kmeans_plusplus function",
    "test_kmeans_plusplus_norms": "scikit-learn's kmeans_plusplus function",
    "test_kmeans_plusplus_output": "scikit-learn's kmeans_plusplus function",
    "test_kmeans_plusplus_wrong_params": "scikit-learn's kmeans_plusplus function",
    "test_minibatch_reassign": "scikit-learn's private _mini_batch_step",
    "test_minibatch_update_consistency": "scikit-learn's private _mini_batch_step and _labels_inertia",
    "test_relocate_empty_clusters": "scikit-learn's private Cython relocation helpers",
}

SPARSE = (
    "segmint takes dense arrays: a sparse matrix is refused with a ParameterError that says to "
    "pass X.toarray() (customer bases are dense and narrow)"
)
PRIVATE_ATTRIBUTE = "reads a private attribute of scikit-learn's estimator ({})"
WORDING = (
    "segmint raises the same ValueError (a ParameterError) for the wrong shape, in its own words: "
    "it names the parameter, its value and the expected size"
)

NOT_APPLICABLE = {
    r".*\[.*sparse.*\]": SPARSE,
    r".*\[csr_(matrix|array)\]": SPARSE,
    r"test_(predict_)?dense_sparse\[.*\]": SPARSE,
    r"test_kmeans_copyx": "no copy_x parameter: segmint never writes into X",
    r"test_(minibatch_)?kmeans_verbose.*": "no verbose parameter: progress is the CLI's progress bar",
    r"test_minibatch_declared_convergence\[.*\]": "no verbose parameter, whose printed messages the test reads",
    r"test_minibatch_with_many_reassignments": "no verbose parameter (the test passes verbose=True)",
    r"test_minibatch_kmeans_init_size": PRIVATE_ATTRIBUTE.format("_init_size"),
    r"test_sample_weight_(init|zero)\[.*\]": PRIVATE_ATTRIBUTE.format("_init_centroids"),
    r"test_n_init_auto\[.*\]": PRIVATE_ATTRIBUTE.format("_n_init"),
    r"test_kmeans_init_auto_with_initial_centroids\[.*\]": PRIVATE_ATTRIBUTE.format("_n_init"),
    r"test_minibatch_kmeans_warning_init_size": (
        "init_size below n_clusters is refused with a ParameterError instead of a warning and a silent change"
    ),
    r"test_wrong_params\[.*\]": WORDING,
}


def _suite():
    """scikit-learn's test module, imported with segmint's estimators in place of its own."""
    originals = sklearn_cluster.KMeans, sklearn_cluster.MiniBatchKMeans
    sklearn_cluster.KMeans, sklearn_cluster.MiniBatchKMeans = segmint.cluster.KMeans, segmint.cluster.MiniBatchKMeans
    sys.modules.pop("sklearn.cluster.tests.test_k_means", None)
    try:
        return importlib.import_module("sklearn.cluster.tests.test_k_means")
    finally:
        sklearn_cluster.KMeans, sklearn_cluster.MiniBatchKMeans = originals
        sys.modules.pop("sklearn.cluster.tests.test_k_means", None)


suite = _suite()
assert suite.KMeans is segmint.cluster.KMeans and suite.MiniBatchKMeans is segmint.cluster.MiniBatchKMeans

for _name in dir(suite):
    if _name.startswith("test_") and _name not in PRIVATE_HELPERS:
        globals()[_name] = getattr(suite, _name)


@pytest.fixture
def global_random_seed():
    """scikit-learn's default seed for its seeded tests."""
    return 42


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    """Both float widths, as scikit-learn's fixture of the same name."""
    return request.param


@pytest.fixture(autouse=True)
def _not_applicable(request):
    for pattern, reason in NOT_APPLICABLE.items():
        if re.fullmatch(pattern, request.node.name):
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))
            return


def test_the_suite_is_scikit_learns_own():
    """The file read is scikit-learn's, and every test it holds is run or named above."""
    assert suite.__file__.endswith(os.path.join("sklearn", "cluster", "tests", "test_k_means.py"))
    tests = {name for name in dir(suite) if name.startswith("test_")}
    assert set(PRIVATE_HELPERS) <= tests
    assert len(tests - set(PRIVATE_HELPERS)) > 40
