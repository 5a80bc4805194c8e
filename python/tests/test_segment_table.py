"""segment_table: customer tables and surveys without a transaction log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segmint
from segmint.exceptions import ParameterError

from conftest import shared_data


def _mixed(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % 3
    age = np.array([25.0, 45.0, 65.0])[truth] + rng.uniform(-5, 5, n)
    spend = np.array([200.0, 800.0, 300.0])[truth] + rng.uniform(-50, 50, n)
    region = np.array(["north", "south", "east"])[truth]
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(n)], "age": age, "spend": spend, "region": region})
    return frame, truth


def test_mall_customers_match_scikit_learn_kmeans_on_the_same_basis() -> None:
    pytest.importorskip("sklearn")
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(shared_data("mall_customers/Mall_Customers.csv"), dtype={"CustomerID": str})
    basis = ["Annual Income (k$)", "Spending Score (1-100)"]
    result = segmint.segment_table(frame, id_col="CustomerID", basis=basis, k=5, n_init=10, random_state=0)
    z = StandardScaler().fit_transform(frame[basis].to_numpy(dtype=float))
    oracle = KMeans(5, n_init=10, random_state=0).fit(z)
    assert adjusted_rand_score(oracle.labels_, result.labels.to_numpy()) == 1.0
    assert result.report["clustering"]["inertia"] == pytest.approx(oracle.inertia_, rel=1e-9)
    assert result.labels.index.name == "CustomerID"
    assert sorted(result.labels.value_counts().tolist()) == [22, 23, 35, 39, 81]


def test_a_mixed_table_is_segmented_by_k_prototypes_with_k_auto() -> None:
    frame, truth = _mixed()
    result = segmint.segment_table(frame, id_col="id", random_state=1)
    assert result.report["clustering"]["algorithm"].startswith("k-prototypes")
    assert result.report["clustering"]["n_clusters"] == 3
    from segmint.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, result.labels.to_numpy()) >= 0.9
    region = [c for c in result.report["segments"][0]["composition"] if c["attribute"] == "region"]
    assert region and region[0]["levels"]
    assert "<html" in result.to_html().lower()


def test_missing_values_are_imputed_or_the_customers_dropped_and_counted() -> None:
    frame, _ = _mixed(120, 2)
    frame.loc[[3, 7], "spend"] = np.nan
    imputed = segmint.segment_table(frame, id_col="id", k=3)
    assert imputed.report["features"]["basis"]["imputed"] == [["spend", 2]]
    assert len(imputed.labels) == 120
    dropped = segmint.segment_table(frame, id_col="id", k=3, missing="drop")
    assert len(dropped.labels) == 118
    assert dropped.report["features"]["basis"]["dropped_customers"] == 2


def test_bad_arguments_name_what_is_wrong() -> None:
    frame, _ = _mixed(60)
    with pytest.raises(ValueError, match="basis=income"):
        segmint.segment_table(frame, id_col="id", basis=["age", "income"])
    with pytest.raises(ValueError, match="method=dbscan"):
        segmint.segment_table(frame, id_col="id", method="dbscan")
    with pytest.raises(ParameterError, match="missing="):
        segmint.segment_table(frame, id_col="id", missing="zero")
    with pytest.raises(ParameterError, match="customers=None"):
        segmint.segment_table()


def test_segmenter_takes_a_table_a_basis_and_a_method() -> None:
    frame, truth = _mixed(240, 5)
    seg = segmint.Segmenter(k=3, basis=["age", "spend"], method="gmm", random_state=2)
    seg.fit(customers=frame.set_index("id"))
    assert seg.result.report["clustering"]["algorithm"].startswith("Gaussian mixture")
    assert seg.result.report["features"]["columns"] == ["age", "spend"]
    from segmint.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, seg.labels.to_numpy()) >= 0.9
    assert seg.survey is None


def test_transactions_with_a_basis_that_adds_customer_columns() -> None:
    transactions, customers = segmint.datasets.make_customers(800, seed=3)
    numeric = [c for c in customers.columns if pd.api.types.is_numeric_dtype(customers[c])]
    basis = ["behaviour", numeric[0]]
    result = segmint.segment(
        transactions, customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id",
        k=4, customers=customers, basis=basis,
    )
    columns = result.report["features"]["columns"]
    assert columns[:4] == ["recency_days", "recent_frequency", "recent_aov", "tenure_days"]
    assert columns[4] == numeric[0]


def test_a_survey_answer_outside_the_declared_scale_names_respondent_and_item() -> None:
    survey = segmint.datasets.make_survey([f"c{i}" for i in range(200)], seed=3).drop(columns="attitude")
    segmint.segment_table(survey=survey, k=2, survey_scale=(1, 5))
    survey.iloc[41, 2] = 7.0
    respondent, item = survey.index[41], survey.columns[2]
    pattern = f'respondent "{respondent}", item "{item}": unexpected value "7": expected an answer on the declared scale 1–5'
    with pytest.raises(segmint.exceptions.DataError, match=pattern):
        segmint.segment_table(survey=survey, k=2, survey_scale=(1, 5))
    with pytest.raises(segmint.exceptions.DataError, match=pattern):
        segmint.segment_survey(survey, k=2, scale=(1, 5))
    with pytest.raises(segmint.exceptions.DataError, match=pattern):
        segmint.Segmenter(k=2, survey_scale=(1, 5)).fit(survey=survey)
    with pytest.raises(ParameterError, match="survey_scale"):
        segmint.segment_table(survey=survey, k=2, survey_scale=(5, 1))
    with pytest.raises(ParameterError, match="survey_scale"):
        segmint.segment_table(survey=survey, k=2, survey_scale="1-5")
