"""segmint.cluster.KMeans against scikit-learn and the estimator contract."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import segmint
from segmint.cluster import KMeans
from segmint.exceptions import ConvergenceWarning, DataError, NotFittedError, ParameterError


def blobs(n=600, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0], [5, 5, 0], [0, 5, 5], [5, 0, 5]], dtype=float)
    X = np.vstack([m + rng.normal(size=(n // 4, 3)) for m in means])
    rng.shuffle(X)
    return X


@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_equals_scikit_learn_from_the_same_centres(weighted):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = blobs(seed=1)
    init = X[:4].copy()
    w = np.random.default_rng(2).uniform(0.5, 2, len(X)) if weighted else None
    ours = KMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
    ref = sklearn_cluster.KMeans(4, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-12)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    assert ours.n_iter_ == ref.n_iter_


@pytest.mark.parametrize(
    "name, n, seed, n_init, slack",
    [("KMeans", 2000, 3, 10, 1.001), ("MiniBatchKMeans", 20_000, 10, 3, 1.02)],
)
def test_inertia_is_as_good_as_scikit_learn(name, n, seed, n_init, slack):
    """k-means++ (and mini-batch k-means, which may lose a little more) against scikit-learn's own."""
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = blobs(n, seed=seed)
    ours = getattr(segmint.cluster, name)(4, n_init=n_init, random_state=0).fit(X)
    ref = getattr(sklearn_cluster, name)(4, n_init=n_init, random_state=0).fit(X)
    assert ours.inertia_ <= ref.inertia_ * slack


def test_fixed_seed_gives_identical_results_and_predict_matches_labels():
    X = blobs(seed=4)
    a = KMeans(5, random_state=7).fit(X)
    b = KMeans(5, random_state=7).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.predict(X), a.labels_)
    distances = a.transform(X)
    np.testing.assert_array_equal(distances.argmin(axis=1), a.labels_)
    assert a.score(X) == pytest.approx(-a.inertia_, rel=1e-12)
    np.testing.assert_array_equal(KMeans(5, random_state=7).fit_predict(X), a.labels_)


def test_errors_are_python_exceptions_that_name_the_problem():
    X = blobs()
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 3, column 1") as info:
        KMeans(2).fit(X_nan)
    assert isinstance(info.value, DataError)
    with pytest.raises(ParameterError, match=r"n_clusters=9: expected at most n_samples=4"):
        KMeans(9).fit(X[:4])
    with pytest.raises(ParameterError, match="2-D"):
        KMeans(2).fit(X[:, 0])
    with pytest.raises(ParameterError, match="init="):
        KMeans(2, init="nope").fit(X)
    with pytest.raises(ParameterError, match="n_init="):
        KMeans(2, n_init="many").fit(X)
    with pytest.raises(NotFittedError):
        KMeans(2).predict(X)
    with pytest.raises(ValueError, match="number of features"):
        KMeans(2, random_state=0).fit(X).predict(X[:, :2])


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning):
        KMeans(6, max_iter=1, random_state=0).fit(blobs())


def test_pickles_and_keeps_predicting():
    X = blobs()
    model = KMeans(4, random_state=0).fit(X)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(X), model.labels_)


def test_works_in_scikit_learn_pipelines_and_grid_search():
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = blobs()
    cloned = clone(KMeans(3, random_state=1))
    assert cloned.get_params()["n_clusters"] == 3
    pipe = make_pipeline(StandardScaler(), KMeans(4, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (len(X),)
    search = GridSearchCV(KMeans(random_state=0), {"n_clusters": [2, 4]}, cv=3).fit(X)
    assert search.best_params_ == {"n_clusters": 4}


def test_version_is_exposed():
    assert segmint.__version__.count(".") == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KMeans(2, random_state=0).fit(blobs())


def test_float32_stays_float32_and_matches_scikit_learn():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = blobs(seed=6).astype(np.float32)
    init = X[:4].copy()
    ours = KMeans(4, init=init, n_init=1).fit(X)
    ref = sklearn_cluster.KMeans(4, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert ours.cluster_centers_.dtype == np.float32
    assert ours.transform(X).dtype == np.float32
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k", [1, 12])
def test_k_of_one_and_k_equal_to_n_match_scikit_learn(k):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = blobs(12, seed=7)
    init = X[:k].copy()
    ours = KMeans(k, init=init, n_init=1).fit(X)
    ref = sklearn_cluster.KMeans(k, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-6, abs=1e-12)


def test_duplicate_points_warn_and_still_give_a_result():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        model = KMeans(3, random_state=0).fit(X)
    assert model.inertia_ == 0.0


def test_zero_weights_are_ignored_and_negative_weights_rejected():
    X = np.array([[0.0], [1.0], [100.0]])
    model = KMeans(1, n_init=1).fit(X, sample_weight=[1.0, 3.0, 0.0])
    assert model.cluster_centers_[0, 0] == pytest.approx(0.75)
    with pytest.raises(ParameterError, match="sample_weight"):
        KMeans(1).fit(X, sample_weight=[1.0, -1.0, 1.0])


def test_minibatch_is_close_to_full_kmeans_and_deterministic():
    from segmint.cluster import MiniBatchKMeans

    X = blobs(6000, seed=8)
    a = MiniBatchKMeans(4, batch_size=256, random_state=0).fit(X)
    b = MiniBatchKMeans(4, batch_size=256, random_state=0).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    full = KMeans(4, random_state=0).fit(X)
    assert a.inertia_ < 1.05 * full.inertia_
    assert a.n_steps_ > 0 and a.n_iter_ >= 1
    np.testing.assert_array_equal(a.predict(X), a.labels_)


def test_minibatch_partial_fit_streams_and_pickles():
    from segmint.cluster import MiniBatchKMeans

    X = blobs(4000, seed=9)
    model = MiniBatchKMeans(4, random_state=3)
    for chunk in np.array_split(X, 8)[:4]:
        model.partial_fit(chunk)
    copy = pickle.loads(pickle.dumps(model))
    for chunk in np.array_split(X, 8)[4:]:
        model.partial_fit(chunk)
        copy.partial_fit(chunk)
    np.testing.assert_array_equal(model.cluster_centers_, copy.cluster_centers_)
    assert model.n_steps_ == 8
    assert model.score(X) > KMeans(4, random_state=0).fit(X).score(X) * 1.05


def test_elkan_gives_the_same_clustering_as_lloyd_and_scikit_learn():
    X = blobs(seed=11)
    init = X[:4].copy()
    lloyd = KMeans(4, init=init, n_init=1).fit(X)
    elkan = KMeans(4, init=init, n_init=1, algorithm="elkan").fit(X)
    np.testing.assert_array_equal(lloyd.labels_, elkan.labels_)
    np.testing.assert_allclose(lloyd.cluster_centers_, elkan.cluster_centers_, rtol=1e-12)
    with pytest.raises(ParameterError, match="algorithm="):
        KMeans(2, algorithm="full").fit(X)


def test_elkan_is_passed_to_the_core(monkeypatch):
    from segmint import _native

    seen = {}
    fit = _native.kmeans_fit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return fit(*args, **kwargs)

    monkeypatch.setattr(_native, "kmeans_fit", spy)
    KMeans(3, n_init=1, algorithm="elkan", random_state=0).fit(blobs(seed=12))
    assert seen["algorithm"] == "elkan"


def test_unit_sample_weights_are_the_unweighted_fit():
    from segmint.cluster import MiniBatchKMeans

    X = blobs(seed=13)
    ones = np.ones(len(X))
    for make in (lambda: KMeans(4, random_state=0), lambda: MiniBatchKMeans(4, batch_size=100, random_state=0)):
        plain, weighted = make().fit(X), make().fit(X, sample_weight=ones)
        np.testing.assert_array_equal(plain.cluster_centers_, weighted.cluster_centers_)
        assert plain.inertia_ == weighted.inertia_


def test_minibatch_counts_passes_and_steps_as_scikit_learn():
    from sklearn import cluster as sklearn_cluster

    from segmint.cluster import MiniBatchKMeans

    X = blobs(n=100, seed=14)
    settings = dict(max_iter=10, batch_size=30, tol=0.0, max_no_improvement=None, n_init=1, random_state=0)
    ours = MiniBatchKMeans(3, **settings).fit(X)
    ref = sklearn_cluster.MiniBatchKMeans(3, **settings).fit(X)
    assert (ours.n_iter_, ours.n_steps_) == (ref.n_iter_, ref.n_steps_) == (10, 33)


def test_distances_that_overflow_are_an_error():
    X = blobs(seed=15) * 1e200
    with pytest.raises(DataError, match="overflow to infinity"):
        KMeans(4, random_state=0).fit(X)
