"""segmint.metrics against scikit-learn.metrics on the same input (1e-9 relative)."""

from __future__ import annotations

import numpy as np
import pytest

from segmint import metrics
from segmint.exceptions import ParameterError

sk = pytest.importorskip("sklearn.metrics")


def data(n=900, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 1], [2, 0, 4, 3]], dtype=float)
    truth = rng.integers(0, 4, size=n)
    X = means[truth] + rng.normal(size=(n, 4))
    noisy = truth.copy()
    flip = rng.choice(n, n // 5, replace=False)
    noisy[flip] = rng.integers(0, 5, size=len(flip))
    return X, truth, noisy


@pytest.mark.parametrize("which", ["truth", "noisy"])
def test_internal_indices_equal_scikit_learn(which):
    X, truth, noisy = data()
    labels = truth if which == "truth" else noisy
    assert metrics.silhouette_score(X, labels) == pytest.approx(sk.silhouette_score(X, labels), rel=1e-9)
    np.testing.assert_allclose(metrics.silhouette_samples(X, labels), sk.silhouette_samples(X, labels), rtol=1e-9, atol=1e-12)
    assert metrics.calinski_harabasz_score(X, labels) == pytest.approx(sk.calinski_harabasz_score(X, labels), rel=1e-9)
    assert metrics.davies_bouldin_score(X, labels) == pytest.approx(sk.davies_bouldin_score(X, labels), rel=1e-9)


def test_partition_comparisons_equal_scikit_learn_and_accept_any_labels():
    _, truth, noisy = data()
    assert metrics.adjusted_rand_score(truth, noisy) == pytest.approx(sk.adjusted_rand_score(truth, noisy), rel=1e-9)
    names = np.array(["a", "b", "c", "d"])[truth]
    assert metrics.adjusted_rand_score(names, truth) == 1.0
    assert metrics.pair_jaccard_score(truth, truth) == 1.0


@pytest.mark.parametrize(
    "relabel",
    [
        lambda t: t * 3,  # gaps between the values
        lambda t: t - 1,  # a negative label (noise, as DBSCAN writes it)
        lambda t: t * 10**12,  # far apart
        lambda t: t.astype(np.int32),  # another integer type
        lambda t: np.repeat(t, 2)[::2],  # not contiguous
        lambda t: np.array(["v", "w", "x", "y", "z"])[t],  # strings
        lambda t: t.astype(np.uint64) + np.uint64(2**63),  # beyond int64
    ],
    ids=["gaps", "negative", "far-apart", "int32", "strided", "strings", "huge-uint64"],
)
def test_any_labels_give_scikit_learns_values(relabel):
    X, truth, noisy = data()
    labels = relabel(noisy)
    for ours, theirs in [
        (metrics.calinski_harabasz_score, sk.calinski_harabasz_score),
        (metrics.davies_bouldin_score, sk.davies_bouldin_score),
        (metrics.silhouette_score, sk.silhouette_score),
    ]:
        assert ours(X, labels) == pytest.approx(theirs(X, labels), rel=1e-9)
    assert metrics.adjusted_rand_score(truth, labels) == pytest.approx(sk.adjusted_rand_score(truth, labels), rel=1e-9)
    assert metrics.feature_effects(X, labels).equals(metrics.feature_effects(X, noisy))


def test_sampled_silhouette_is_seeded_and_close_to_the_exact_value():
    X, truth, _ = data(3000)
    a = metrics.silhouette_score(X, truth, sample_size=1000, random_state=1)
    b = metrics.silhouette_score(X, truth, sample_size=1000, random_state=1)
    assert a == b
    assert a == pytest.approx(metrics.silhouette_score(X, truth), abs=0.03)


def test_bad_input_is_a_clear_error():
    X, truth, _ = data(50)
    with pytest.raises(ValueError, match="between 2 and n_samples - 1 clusters"):
        metrics.silhouette_score(X, np.zeros(50))
    with pytest.raises(ParameterError, match="one per row of X"):
        metrics.calinski_harabasz_score(X, truth[:10])
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="row 3, column 2"):
        metrics.davies_bouldin_score(X, truth)
