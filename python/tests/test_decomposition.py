"""segmint.decomposition against scikit-learn's PCA and R psych's fa (the
factor_analyzer test06 files); segmint.stats against factor_analyzer and the
hand formula of Cronbach's alpha."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from segmint import decomposition, stats
from segmint.exceptions import DataError, NotFittedError, ParameterError

skd = pytest.importorskip("sklearn.decomposition")


def pca_data(n=400, seed=5):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3)) * np.array([4.0, 2.0, 1.0])
    return latent @ rng.normal(size=(3, 7)) + rng.normal(scale=0.2, size=(n, 7)) + 3.0


@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
@pytest.mark.parametrize("whiten", [False, True])
def test_pca_equals_scikit_learn(solver, whiten):
    X = pca_data()
    ours = decomposition.PCA(n_components=3, svd_solver=solver, whiten=whiten).fit(X)
    theirs = skd.PCA(n_components=3, svd_solver=solver, whiten=whiten).fit(X)
    for name in ["components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"]:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-9, atol=1e-12, err_msg=name)
    assert ours.noise_variance_ == pytest.approx(theirs.noise_variance_, rel=1e-9)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-9, atol=1e-10)
    scores = ours.fit_transform(X)
    np.testing.assert_allclose(ours.inverse_transform(scores), theirs.inverse_transform(scores), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("n_components", [None, 0.95])
def test_pca_none_and_variance_fraction_follow_scikit_learn(n_components):
    X = pca_data()
    ours = decomposition.PCA(n_components=n_components, svd_solver="full").fit(X)
    theirs = skd.PCA(n_components=n_components, svd_solver="full").fit(X)
    assert ours.n_components_ == theirs.n_components_
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-9, atol=1e-12)
    assert ours.noise_variance_ == pytest.approx(theirs.noise_variance_, rel=1e-9, abs=1e-15)


def test_randomized_pca_is_seeded_and_finds_the_exact_components():
    X = pca_data(n=2000)
    a = decomposition.PCA(n_components=2, svd_solver="randomized", random_state=1).fit(X)
    b = decomposition.PCA(n_components=2, svd_solver="randomized", random_state=1).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    exact = skd.PCA(n_components=2, svd_solver="full").fit(X)
    np.testing.assert_allclose(a.components_, exact.components_, atol=1e-9)


def test_pca_follows_the_estimator_contract():
    from sklearn.base import clone

    frame = pd.DataFrame(pca_data(), columns=[f"f{i}" for i in range(7)])
    pca = decomposition.PCA(n_components=2, random_state=0)
    assert pca.get_params()["n_components"] == 2
    assert clone(pca).set_params(whiten=True).whiten is True
    with pytest.raises(NotFittedError):
        pca.transform(frame)
    pca.fit(frame)
    assert list(pca.feature_names_in_) == list(frame.columns)
    assert pca.n_features_in_ == 7
    with pytest.raises(DataError, match="X has 3 features, but PCA is expecting 7 features"):
        pca.transform(frame.iloc[:, :3])
    with pytest.raises(ParameterError, match="n_components=9"):
        decomposition.PCA(n_components=9).fit(frame)
    with pytest.raises(ParameterError, match="svd_solver"):
        decomposition.PCA(n_components=2, svd_solver="arpack").fit(frame)


# --- factor analysis against R psych (factor_analyzer's test06 files) ---

SCENARIOS = list(itertools.product(["uls", "ml"], ["none", "varimax", "promax"], [2, 3]))


def read_expected(name):
    return pd.read_csv(shared_data(f"factor_analyzer_test06/expected/{name}"), index_col=0).to_numpy()


def aligned_max_diff(ours, theirs):
    k = ours.shape[1]
    best = np.inf
    for order in itertools.permutations(range(k)):
        diffs = [
            min(np.abs(ours[:, o] - theirs[:, j]).max(), np.abs(ours[:, o] + theirs[:, j]).max())
            for j, o in enumerate(order)
        ]
        best = min(best, max(diffs))
    return best


@pytest.mark.parametrize("method,rotation,k", SCENARIOS)
def test_factor_analysis_matches_r_psych(method, rotation, k):
    X = pd.read_csv(shared_data("factor_analyzer_test06/test06.csv"))
    fa = decomposition.FactorAnalysis(
        n_factors=k, method="minres" if method == "uls" else "ml", rotation=None if rotation == "none" else rotation
    ).fit(X)
    suffix = f"{method}_{rotation}_{k}_test06.csv"
    assert aligned_max_diff(fa.loadings_, read_expected(f"loading_{suffix}")) < 1e-4
    np.testing.assert_allclose(fa.uniquenesses_, read_expected(f"uniquenesses_{suffix}")[:, 0], atol=1e-4)
    np.testing.assert_allclose(fa.communalities_, read_expected(f"communalities_{suffix}")[:, 0], atol=1e-4)
    np.testing.assert_allclose(fa.eigenvalues_, read_expected(f"evalues_{suffix}")[:, 0], atol=1e-10)
    np.testing.assert_allclose(fa.common_factor_eigenvalues_, read_expected(f"value_{suffix}")[:, 0], atol=1e-4)
    assert (fa.phi_ is not None) == (rotation == "promax")


def test_regression_scores_follow_their_formula():
    X = pd.read_csv(shared_data("factor_analyzer_test06/test06.csv"))
    fa = decomposition.FactorAnalysis(n_factors=3, rotation="promax").fit(X)
    values = X.to_numpy(dtype=float)
    z = (values - values.mean(0)) / values.std(0, ddof=1)
    weights = np.linalg.solve(np.corrcoef(values, rowvar=False), fa.loadings_ @ fa.phi_)
    np.testing.assert_allclose(fa.transform(X), z @ weights, rtol=1e-9, atol=1e-10)
    ss, proportion, cumulative = fa.get_factor_variance()
    np.testing.assert_allclose(ss, (fa.loadings_**2).sum(0))
    np.testing.assert_allclose(cumulative, np.cumsum(proportion))


def test_factor_analysis_bad_input_is_a_clear_error():
    X = pd.read_csv(shared_data("factor_analyzer_test06/test06.csv"))
    constant = X.copy()
    constant["pers06"] = 3
    with pytest.raises(DataError, match="column 5 of X is constant"):
        decomposition.FactorAnalysis(n_factors=2).fit(constant)
    with pytest.raises(ParameterError, match="n_factors=44"):
        decomposition.FactorAnalysis(n_factors=44).fit(X)
    with pytest.raises(ParameterError, match="method"):
        decomposition.FactorAnalysis(n_factors=2, method="pca").fit(X)
    with pytest.raises(DataError, match="44 complete rows"):
        decomposition.FactorAnalysis(n_factors=2).fit(X.iloc[:44])
    gappy = X.astype(float)
    gappy.iloc[3, 7] = np.nan
    fa = decomposition.FactorAnalysis(n_factors=2).fit(gappy)
    assert (fa.n_obs_, fa.n_rows_dropped_) == (458, 1)
    with pytest.raises(DataError, match="row 3, column 7"):
        fa.transform(gappy)


def test_a_heywood_case_warns():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 2))
    X = np.column_stack([f[:, 0] + rng.normal(scale=s, size=500) for s in (0.6, 0.7, 0.8)]
                        + [f[:, 1] + rng.normal(scale=0.05, size=500), f[:, 1] + rng.normal(scale=0.9, size=500)])
    with pytest.warns(UserWarning, match="Heywood"):
        decomposition.FactorAnalysis(n_factors=2, method="ml").fit(X)


# --- survey statistics ---


def bfi_items():
    frame = pd.read_csv(shared_data("bfi/bfi.csv"))
    return frame[[f"{t}{i}" for t in "ACENO" for i in range(1, 6)]]


def test_kmo_and_bartlett_equal_factor_analyzer():
    fa_module = pytest.importorskip("factor_analyzer.factor_analyzer")
    items = bfi_items()
    complete = items.dropna()
    per_item, overall = fa_module.calculate_kmo(complete)
    result = stats.kmo(items)
    assert result.overall == pytest.approx(overall, rel=1e-6)
    assert result.overall == pytest.approx(0.8486, abs=1e-4)
    np.testing.assert_allclose(result.per_item.to_numpy(), per_item, rtol=1e-6)
    assert result.band == "meritorious"
    assert (result.n_obs, result.n_rows_dropped) == (len(complete), len(items) - len(complete))
    chi2, p_value = fa_module.calculate_bartlett_sphericity(complete)
    bartlett = stats.bartlett_sphericity(items)
    assert bartlett.statistic == pytest.approx(chi2, rel=1e-6)
    assert bartlett.p_value == pytest.approx(p_value, abs=1e-12)
    assert bartlett.df == 300


def hand_alpha(frame):
    frame = frame.dropna()
    k = frame.shape[1]
    return k / (k - 1) * (1 - frame.var(ddof=1).sum() / frame.sum(axis=1).var(ddof=1))


def test_cronbach_alpha_per_scale_equals_the_hand_formula():
    items = bfi_items().astype(float)
    reversed_items = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
    items[reversed_items] = 7 - items[reversed_items]
    scales = {t: [f"{t}{i}" for i in range(1, 6)] for t in "ACENO"}
    results = stats.cronbach_alpha(items, scales)
    for name, columns in scales.items():
        scale = items[columns].dropna()  # each scale on its own complete rows
        assert results[name].alpha == pytest.approx(hand_alpha(scale), rel=1e-10)
        assert results[name].n_obs == len(scale)
        for column in columns:
            # alpha if deleted: the same respondents, one item fewer
            expected = hand_alpha(scale.drop(columns=column))
            assert results[name].alpha_if_deleted[column] == pytest.approx(expected, rel=1e-10)
    assert results["N"].band == "good"
    assert results["A"].band == "acceptable"


def test_parallel_analysis_is_seeded():
    items = bfi_items()
    a = stats.parallel_analysis(items, n_sets=20, random_state=3)
    b = stats.parallel_analysis(items, n_sets=20, random_state=3)
    np.testing.assert_array_equal(a.random_components, b.random_components)
    assert a.n_components == 5
    assert stats.kaiser_count(a.observed_components) == 6


def test_scree_data():
    items = bfi_items()
    result = stats.scree(items)
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(items.dropna().to_numpy(dtype=float), rowvar=False))[::-1]
    np.testing.assert_allclose(result.eigenvalues, eigenvalues, rtol=1e-10)
    np.testing.assert_allclose(result.cumulative[-1], 1.0)
    assert result.kaiser_count == stats.kaiser_count(eigenvalues) == 6


def numpy_principal_axes(R, k, tol=1e-12, cap=0.995):
    """psych's fm="pa" loop, written out in numpy: SMCs first, then h2 from the
    first k eigenpairs of R with h2 on its diagonal, until sum(h2) settles."""
    h2 = 1 - 1 / np.diag(np.linalg.inv(R))
    while True:
        reduced = R.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
        new = np.minimum(((vectors * np.sqrt(np.maximum(values, 0))) ** 2).sum(1), cap)
        if abs(new.sum() - h2.sum()) < tol:
            return new
        h2 = new


def test_principal_axes_equal_the_numpy_iteration():
    X = pd.read_csv(shared_data("factor_analyzer_test06/test06.csv")).to_numpy(dtype=float)
    fa = decomposition.FactorAnalysis(n_factors=3, method="principal", rotation=None, tol=1e-12).fit(X)
    expected = numpy_principal_axes(np.corrcoef(X, rowvar=False), 3)
    np.testing.assert_allclose(fa.communalities_, expected, atol=1e-8)


def test_the_default_number_of_factors_follows_kaisers_rule_at_any_width():
    rng = np.random.default_rng(7)
    for width in (2, 3, 6):
        latent = rng.normal(size=(300, 2))
        X = latent[:, [i % 2 for i in range(width)]] + 0.6 * rng.normal(size=(300, width))
        above_one = int((np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)) > 1).sum())
        fa = decomposition.FactorAnalysis().fit(X)
        assert fa.n_factors_ == max(1, min(above_one, width - 1))
        assert fa.loadings_.shape == (width, fa.n_factors_)
    assert decomposition.FactorAnalysis().n_factors is None
