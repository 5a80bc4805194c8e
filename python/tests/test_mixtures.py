"""GaussianMixture, KPrototypes and AgglomerativeWard against scikit-learn, kmodes and scipy."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from segmint.cluster import AgglomerativeWard, GaussianMixture, KPrototypes
from segmint.exceptions import ConvergenceWarning, DataError, NotFittedError, ParameterError


def blobs(n=450, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0], [4, 3, 0], [1, 5, 3]], dtype=float)
    X = np.vstack([m + rng.normal(size=(n // 3, 3)) @ (np.eye(3) + 0.3 * rng.normal(size=(3, 3))) for m in means])
    rng.shuffle(X)
    return X


def initial_precisions(kind, k, d, rng):
    if kind == "full":
        return np.array([np.eye(d) * rng.uniform(0.5, 1.5) for _ in range(k)])
    if kind == "tied":
        return np.eye(d) * 0.9
    if kind == "diag":
        return rng.uniform(0.5, 1.5, size=(k, d))
    return rng.uniform(0.5, 1.5, size=k)


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_gaussian_mixture_equals_scikit_learn_from_the_same_start(kind):
    mixture = pytest.importorskip("sklearn.mixture")
    X = blobs(seed=1)
    rng = np.random.default_rng(2)
    start = dict(
        weights_init=np.array([0.3, 0.3, 0.4]),
        means_init=X[:3] + 0.2,
        precisions_init=initial_precisions(kind, 3, 3, rng),
    )
    ours = GaussianMixture(3, covariance_type=kind, **start).fit(X)
    ref = mixture.GaussianMixture(3, covariance_type=kind, random_state=0, **start).fit(X)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    for name in ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]:
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-9, atol=1e-12, err_msg=name)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-12)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-10)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-12)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-12)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-12)


def test_gaussian_mixture_with_kmeans_init_finds_scikit_learns_optimum():
    mixture = pytest.importorskip("sklearn.mixture")
    X = blobs(900, seed=3)
    ours = GaussianMixture(3, n_init=3, random_state=0).fit(X)
    ref = mixture.GaussianMixture(3, n_init=3, random_state=0).fit(X)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, abs=1e-3)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-4)


def test_gaussian_mixture_is_reproducible_picklable_and_warns():
    X = blobs(seed=4)
    a = GaussianMixture(3, init_params="random", n_init=2, random_state=5).fit(X)
    b = GaussianMixture(3, init_params="random", n_init=2, random_state=5).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    back = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(back.predict(X), a.predict(X))
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)
    assert a.fit_predict(X).shape == (len(X),)


def test_gaussian_mixture_errors_are_clear():
    X = blobs(seed=5)
    with pytest.raises(ParameterError, match="covariance_type"):
        GaussianMixture(2, covariance_type="round").fit(X)
    with pytest.raises(ParameterError, match="reg_covar=-1"):
        GaussianMixture(2, reg_covar=-1.0).fit(X)
    with pytest.raises(ParameterError, match="init_params"):
        GaussianMixture(2, init_params="k-means++").fit(X)
    with pytest.raises(NotFittedError):
        GaussianMixture(2).predict(X)
    with pytest.raises(DataError, match="number of features"):
        GaussianMixture(2, random_state=0).fit(X).predict(X[:, :2])


def mixed(n=300, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, size=n)
    numeric = np.array([[0.0, 0.0], [3.0, 1.0], [0.5, 3.5]])[group] + rng.normal(size=(n, 2))
    colour = np.array(["red", "green", "blue"])[np.where(rng.uniform(size=n) < 0.7, group, rng.integers(0, 3, n))]
    size = np.where(rng.uniform(size=n) < 0.7, group, rng.integers(0, 4, n))
    X = np.empty((n, 4), dtype=object)
    X[:, 0], X[:, 1], X[:, 2], X[:, 3] = numeric[:, 0], colour, numeric[:, 1], size
    return X


def test_k_prototypes_equals_kmodes_from_the_same_prototypes():
    kprototypes = pytest.importorskip("kmodes.kprototypes")
    X = mixed(seed=1)
    numeric = X[[0, 100, 200]][:, [0, 2]].astype(float) + 0.1
    modes = X[[5, 105, 205]][:, [1, 3]]
    ours = KPrototypes(3, categorical=[1, 3], init=[numeric, modes]).fit(X)
    # kmodes takes the initial modes as its own level codes (positions among the sorted levels).
    codes = np.column_stack([np.searchsorted(np.unique(X[:, c]), modes[:, a]) for a, c in enumerate([1, 3])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = kprototypes.KPrototypes(3, init=[numeric.copy(), codes], n_init=1).fit(X, categorical=[1, 3])
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.cost_ == pytest.approx(ref.cost_, rel=1e-12)
    assert ours.gamma_ == pytest.approx(ref.gamma, rel=1e-12)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(ours.numeric_centroids_, ref.cluster_centroids_[:, :2].astype(float), rtol=1e-12)
    np.testing.assert_array_equal(ours.categorical_modes_.astype(str), ref.cluster_centroids_[:, 2:].astype(str))
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X, categorical=[1, 3]))


def test_k_prototypes_on_a_dataframe_by_column_names():
    pd = pytest.importorskip("pandas")
    X = mixed(seed=2)
    frame = pd.DataFrame(X, columns=["spend", "colour", "visits", "size"])
    frame["spend"] = frame["spend"].astype(float)
    frame["visits"] = frame["visits"].astype(float)
    by_name = KPrototypes(3, categorical=["colour", "size"], random_state=0).fit(frame)
    by_position = KPrototypes(3, categorical=[1, 3], random_state=0).fit(X)
    np.testing.assert_array_equal(by_name.labels_, by_position.labels_)
    assert set(by_name.categorical_modes_[:, 0]) <= {"red", "green", "blue"}
    assert by_name.cluster_centroids_.shape == (3, 4)
    unseen = frame.head(3).copy()
    unseen["colour"] = "purple"
    assert by_name.predict(unseen).shape == (3,)


def test_k_prototypes_errors_and_single_level_warning():
    X = mixed(seed=3)
    with pytest.raises(ParameterError, match="gamma=-1"):
        KPrototypes(3, categorical=[1, 3], gamma=-1.0).fit(X)
    with pytest.raises(ParameterError, match="categorical"):
        KPrototypes(3).fit(X[:, [0, 2]].astype(float))
    bad = X.copy()
    bad[4, 0] = np.nan
    with pytest.raises(DataError, match="non-finite value \\(NaN\\) at row 4"):
        KPrototypes(3, categorical=[1, 3]).fit(bad)
    constant = X.copy()
    constant[:, 3] = 1
    with pytest.warns(UserWarning, match="column 3 has a single level"):
        KPrototypes(3, categorical=[1, 3], random_state=0).fit(constant)
    with pytest.raises(NotFittedError):
        KPrototypes(3, categorical=[1, 3]).predict(X)


def test_k_prototypes_with_integer_levels_keeps_float_centroids():
    X = mixed(seed=5)
    X[:, 1] = np.searchsorted(["blue", "green", "red"], X[:, 1])
    model = KPrototypes(3, categorical=[1, 3], random_state=0).fit(X.astype(float))
    assert model.cluster_centroids_.dtype == np.float64
    np.testing.assert_array_equal(model.cluster_centroids_[:, :2], model.numeric_centroids_)


def test_k_prototypes_is_reproducible_and_picklable():
    X = mixed(seed=4)
    a = KPrototypes(3, categorical=[1, 3], init="Huang", n_init=4, random_state=7).fit(X)
    b = KPrototypes(3, categorical=[1, 3], init="Huang", n_init=4, random_state=7).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.cost_ == b.cost_
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).predict(X), a.labels_)


def test_ward_equals_scipy_and_scikit_learn():
    hierarchy = pytest.importorskip("scipy.cluster.hierarchy")
    cluster = pytest.importorskip("sklearn.cluster")
    metrics = pytest.importorskip("sklearn.metrics")
    X = blobs(300, seed=6)
    ours = AgglomerativeWard(4).fit(X)
    z = hierarchy.linkage(X, method="ward")
    np.testing.assert_array_equal(ours.linkage_[:, [0, 1, 3]], z[:, [0, 1, 3]])
    np.testing.assert_allclose(ours.distances_, z[:, 2], rtol=1e-9)
    for k in range(2, 8):
        labels = AgglomerativeWard(k).fit_predict(X)
        ref = cluster.AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X).labels_
        assert metrics.adjusted_rand_score(labels, ref) == 1.0
        assert metrics.adjusted_rand_score(labels, hierarchy.fcluster(z, k, "maxclust")) == 1.0


def test_ward_refuses_large_bases_with_the_reason():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ParameterError, match="O\\(n²\\) distance work"):
        AgglomerativeWard(3, max_samples=40).fit(X)
    with pytest.raises(ParameterError, match="n_clusters"):
        AgglomerativeWard(0).fit(X)
