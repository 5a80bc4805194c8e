"""Effect sizes, stability, the gap statistic and the MASDA scorecard from Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segmint
from segmint import metrics
from segmint.exceptions import ParameterError
from segmint.validate import masda_scorecard


def blobs(k: int = 3, per: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[10.0 * j, 5.0 * (j % 2)] for j in range(k)])
    labels = np.repeat(np.arange(k), per)
    return centres[labels] + rng.uniform(-0.5, 0.5, size=(k * per, 2)), labels


def test_feature_effects_equal_scipy():
    stats = pytest.importorskip("scipy.stats")
    X, labels = blobs()
    rng = np.random.default_rng(1)
    X = np.column_stack([X, np.round(rng.normal(size=len(X)))])  # a column with ties and no effect
    effects = metrics.feature_effects(X, labels)
    for j in range(X.shape[1]):
        groups = [X[labels == g, j] for g in range(3)]
        h, p = stats.kruskal(*groups)
        f = stats.f_oneway(*groups).statistic
        assert effects["kruskal_h"][j] == pytest.approx(h, rel=1e-9)
        assert effects["kruskal_p"][j] == pytest.approx(p, rel=1e-6, abs=1e-300)
        assert effects["eta_squared"][j] == pytest.approx(f * 2 / (f * 2 + len(X) - 3), rel=1e-9)


def test_gap_stability_and_prediction_strength_on_blobs():
    X, labels = blobs()
    gap = metrics.gap_statistic(X, k_range=range(1, 6), n_refs=10)
    assert list(gap.index) == [1, 2, 3, 4, 5]
    assert gap.index[gap["chosen"]].tolist() == [3]
    stability = metrics.bootstrap_stability(X, labels, n_boot=20)
    assert (stability["mean_jaccard"] > 0.99).all() and (stability["dissolved"] == 0).all()
    mean, sd = metrics.prediction_strength(X, 3, n_splits=10)
    assert mean > 0.99 and sd >= 0.0
    with pytest.raises(ParameterError, match="k_range"):
        metrics.gap_statistic(X, k_range=range(0))


def test_scorecard_frames_and_not_assessed_without_data():
    X, labels = blobs()
    frame = pd.DataFrame(X, columns=["frequency", "recency_days"])
    card = masda_scorecard(frame, labels, revenue=np.full(len(X), 10.0), n_boot=20, n_splits=10)
    summary = card.summary
    assert list(summary.columns) == list(segmint.validate.CRITERIA)
    assert summary.loc["all", "differentiable"] == "pass"
    assert (summary["accessible"] == "not_assessed").all()
    checks = card.checks
    assert {"segment", "criterion", "measure", "value", "threshold", "verdict", "reason"} <= set(checks.columns)
    assert card.features.loc["frequency", "band"] == "large"
    reachable = np.arange(len(X)) % 2 == 0
    strategies = ["loyalty", "loyalty", "win-back"]
    card = masda_scorecard(X, labels, reachable=reachable, strategies=strategies, scales={"price": 0.55}, n_boot=10)
    assert card.summary.loc["all", "accessible"] == "pass"
    assert card.summary.loc["all", "measurable"] == "fail"  # α 0.55 < 0.6
    assert card.summary.loc[0, "actionable"] == "warn"  # shares its strategy with segment 1
    with pytest.raises(ParameterError, match="revenue"):
        masda_scorecard(X, labels, revenue=np.ones(3))
    # Any integer labels are segments numbered in order of value.
    relabelled = masda_scorecard(X, labels * 5 - 1, reachable=reachable, strategies=strategies, n_boot=10)
    assert relabelled.summary.equals(masda_scorecard(X, labels, reachable=reachable, strategies=strategies, n_boot=10).summary)


def test_segment_result_carries_the_scorecard():
    tx, _ = segmint.datasets.make_customers(1500, seed=3)
    result = segmint.segment(tx, customer_col="customer_id", date_col="date", amount_col="amount", k=4)
    masda = result.masda
    assert masda is not None and masda.shape == (5, 5)
    assert masda.loc["all", "substantial"] in {"pass", "warn", "fail"}
    assert {"gap", "stability", "bic"} <= set(segmint.segment(
        tx, customer_col="customer_id", date_col="date", amount_col="amount", k="auto"
    ).k_table.columns)


def test_segment_survey_recovers_the_attitudes_on_both_bases():
    tx, _ = segmint.datasets.make_customers(3000, seed=5)
    survey = segmint.datasets.make_survey(tx["customer_id"].unique(), seed=5)
    truth = survey.pop("attitude")
    for basis in ("items", "factors"):
        result = segmint.segment_survey(survey, k=4, basis=basis, n_boot=10)
        assert sorted(result.scales.index) == ["innovation", "practical", "price", "quality"]
        assert (result.scales["alpha"] > 0.7).all()
        crosstab = pd.crosstab(truth, result.labels)
        recovered = crosstab.max(axis=1) / crosstab.sum(axis=1)
        assert (recovered >= 0.9).all(), (basis, recovered)
        assert result.kmo > 0.8 and result.bartlett_p < 1e-10
        assert result.masda.loc["all", "measurable"] == "pass"
        assert list(result.profiles.columns) == list(result.scores.columns)
    with pytest.raises(ParameterError, match="basis"):
        segmint.segment_survey(survey, basis="both")


def test_a_customers_table_makes_segments_accessible():
    tx, customers = segmint.datasets.make_customers(1500, seed=3)
    result = segmint.segment(
        tx, customer_col="customer_id", date_col="date", amount_col="amount", k=4, customers=customers
    )
    reach = result.scorecard.checks.query("segment == 'all' and criterion == 'accessible'").iloc[0]
    assert reach["verdict"] != "not_assessed"
    assert reach["value"] == pytest.approx(customers["email_opt_in"].mean())
    with pytest.raises(ParameterError, match="channels=sms"):
        segmint.segment(
            tx, customer_col="customer_id", date_col="date", amount_col="amount", k=4,
            customers=customers, channels=["sms"],
        )
