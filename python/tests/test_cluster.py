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


def test_kmeans_plus_plus_is_as_good_as_scikit_learn():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X = blobs(2000, seed=3)
    ours = KMeans(4, n_init=10, random_state=0).fit(X)
    ref = sklearn_cluster.KMeans(4, n_init=10, random_state=0).fit(X)
    assert ours.inertia_ <= ref.inertia_ * 1.001


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
