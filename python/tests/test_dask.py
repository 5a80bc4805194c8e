"""segmint.dask on a LocalCluster of two worker processes: the one-machine answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

import segmint  # noqa: E402
import segmint.dask as sd  # noqa: E402
from segmint.exceptions import ColumnNotFoundError, DataError, ParameterError  # noqa: E402

COLUMNS = dict(customer_col="customer_id", date_col="date", amount_col="amount")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def log() -> tuple[dd.DataFrame, pd.DataFrame]:
    """A synthetic log in 5 partitions, and the same lines as one pandas frame (Dask's dtypes)."""
    transactions, _ = segmint.datasets.make_customers(2_000, seed=3)
    ddf = dd.from_pandas(transactions, npartitions=5)
    return ddf, ddf.compute()


def by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_index()


def test_rfm_summary_equals_one_machine(client, log) -> None:
    ddf, frame = log
    for options in (dict(COLUMNS), dict(COLUMNS, time_unit="W", amount_col=None)):
        expected = segmint.features.rfm_summary(frame, **options)
        got = sd.rfm_summary(ddf, **options)
        assert isinstance(got, dd.DataFrame)
        assert got.npartitions == ddf.npartitions
        pd.testing.assert_frame_equal(by_customer(got.compute()), by_customer(expected))


def test_customer_features_equals_one_machine(client, log) -> None:
    ddf, frame = log
    options = dict(COLUMNS, order_col="order_id", category_col="category", channel_col="channel", recent_days=90)
    expected = segmint.features.customer_features(frame, **options)
    got = sd.customer_features(ddf, **options).compute()
    assert len(got) == len(expected) == frame["customer_id"].nunique()
    pd.testing.assert_frame_equal(by_customer(got), by_customer(expected))


def test_calibration_and_holdout_equals_one_machine(client, log) -> None:
    ddf, frame = log
    dates = pd.to_datetime(frame["date"])
    ends = dict(calibration_end=dates.min() + (dates.max() - dates.min()) * 0.6, observation_end=dates.max())
    expected = segmint.features.calibration_and_holdout_data(frame, **COLUMNS, **ends)
    got = sd.calibration_and_holdout_data(ddf, **COLUMNS, **ends).compute()
    pd.testing.assert_frame_equal(by_customer(got), by_customer(expected))
    with pytest.raises(DataError, match="calibration period is empty"):
        sd.calibration_and_holdout_data(ddf, **COLUMNS, calibration_end="1990-01-01", observation_end=dates.max())
    # Lines in the calibration period that are all returns leave it as empty as no lines do.
    returns = frame.assign(amount=frame["amount"].abs().where(dates > ends["calibration_end"], -1.0))
    with pytest.raises(DataError, match="calibration period is empty"):
        segmint.features.calibration_and_holdout_data(returns, **COLUMNS, **ends)
    with pytest.raises(DataError, match="calibration period is empty"):
        sd.calibration_and_holdout_data(dd.from_pandas(returns, npartitions=5), **COLUMNS, **ends)


def test_the_end_of_observation_is_global(client, log) -> None:
    ddf, frame = log
    first, last = sd.date_range(ddf, "date")
    dates = pd.to_datetime(frame["date"])
    assert (first, last) == (dates.min(), dates.max())
    # Every partition's T counts from the one global end, not from its own latest line.
    summary = sd.rfm_summary(ddf, **COLUMNS).compute()
    expected_t = (last.normalize() - dates.groupby(frame["customer_id"]).min().dt.normalize()).dt.days
    np.testing.assert_array_equal(summary["T"].sort_index(), expected_t.sort_index().to_numpy(dtype=float))


def assert_same_segmentation(got: segmint.SegmentationResult, expected: segmint.SegmentationResult) -> None:
    assert got.report == expected.report
    pd.testing.assert_frame_equal(got.features, expected.features)
    pd.testing.assert_series_equal(got.labels, expected.labels)
    np.testing.assert_array_equal(got.centers, expected.centers)
    assert got.markdown == expected.markdown
    assert got.model_json == expected.model_json


def test_segment_gives_the_one_machine_result(client, log) -> None:
    ddf, frame = log
    options = dict(COLUMNS, order_col="order_id", category_col="category", channel_col="channel", random_state=5)
    options.update(recent_days=90)
    expected = segmint.segment(frame, **options)
    got = sd.segment(ddf, **options)
    assert got.report["data"]["n_transactions"] == len(frame)
    assert "clv" in got.features.columns and got.report["k_selection"] is not None
    assert_same_segmentation(got, expected)


def test_segment_of_a_shuffled_log_with_customers_and_a_basis(client, log, tmp_path) -> None:
    """Customers keep the log's order of first appearance though the shuffle scatters them."""
    _, frame = log
    shuffled = frame.sample(frac=1.0, random_state=2).reset_index(drop=True)
    _, customers = segmint.datasets.make_customers(2_000, seed=3)
    customers = customers.drop(columns="archetype")
    options = dict(
        COLUMNS,
        k=3,
        customers=customers,
        basis=["behaviour", "age"],
        as_of=pd.Timestamp(frame["date"].max()) + pd.Timedelta(days=10),
        title="Dask",
    )
    expected = segmint.segment(shuffled, **options)
    got = sd.segment(dd.from_pandas(shuffled, npartitions=7), **options)
    assert_same_segmentation(got, expected)
    # Read back from Parquet files, which Dask may cut into partitions differently from pass to pass.
    dd.from_pandas(shuffled, npartitions=7).to_parquet(tmp_path / "log")
    assert_same_segmentation(sd.segment(dd.read_parquet(tmp_path / "log"), **options), expected)


def test_a_base_above_max_customers_is_fitted_on_a_sample_and_profiled_whole(client, log) -> None:
    ddf, frame = log
    _, customers = segmint.datasets.make_customers(2_000, seed=3)
    options = dict(COLUMNS, k=3, random_state=4, customers=customers.drop(columns="archetype"))
    got = sd.segment(ddf, **options, max_customers=600)
    sampled = len(got.features)
    assert 480 < sampled < 720, sampled  # about max_customers, picked by a hash of the id
    assert f"fitted on the {sampled} customers of a seeded sample" in got.report["features"]["notes"][-1]
    assert got.report["data"]["n_customers"] == frame["customer_id"].nunique()
    labels = got.labels.compute()
    assert labels.index.is_unique and len(labels) == frame["customer_id"].nunique()
    # The fitted model places every customer of the log on one machine as the cluster did.
    placed = got.model.score(frame, **COLUMNS)["segment"]
    pd.testing.assert_series_equal(labels.sort_index(), placed.sort_index(), check_names=False, check_dtype=False)
    sizes = placed.value_counts()
    features = segmint.features.customer_features(frame, **COLUMNS)
    for profile in got.report["segments"]:
        own = features.loc[placed.index[placed == profile["segment"]]]
        assert profile["size"] == sizes[profile["segment"]]
        assert profile["share"] == pytest.approx(profile["size"] / len(placed), rel=1e-12)
        revenue = own["monetary"].sum() / features["monetary"].sum()
        assert profile["revenue_share"] == pytest.approx(revenue, rel=1e-9)
        for kpi in profile["kpis"]:
            if kpi["name"] in ("recency_days", "frequency", "monetary", "aov", "tenure_days"):
                assert kpi["mean"] == pytest.approx(own[kpi["name"]].mean(), rel=1e-9), kpi["name"]
    # The sample and the placement do not depend on how the log is cut.
    again = sd.segment(dd.from_pandas(frame, npartitions=3), **options, max_customers=600)
    assert sorted(again.features.index) == sorted(got.features.index)
    assert [s["size"] for s in again.report["segments"]] == [s["size"] for s in got.report["segments"]]
    with pytest.raises(ParameterError, match="survey"):
        sd.segment(ddf, **COLUMNS, survey=customers[["age"]], max_customers=600)
    late = pd.Timestamp(frame["date"].max()) + pd.Timedelta(days=30)
    later = sd.segment(ddf, **COLUMNS, k=3, as_of=late, max_customers=600)
    assert later.report["data"]["n_customers"] == frame["customer_id"].nunique()
    # Few customers over many partitions: the shuffle leaves some partitions empty.
    few = frame[frame["customer_id"].isin(frame["customer_id"].unique()[:60])]
    sparse = sd.segment(dd.from_pandas(few, npartitions=40), **COLUMNS, k=2, max_customers=40)
    assert sum(s["size"] for s in sparse.report["segments"]) == 60


def test_segment_refuses_what_it_cannot_read(client, log) -> None:
    ddf, frame = log
    with pytest.raises(ParameterError, match="product_col"):
        sd.segment(ddf, **COLUMNS, products=pd.DataFrame({"product_id": [], "launch_date": []}))
    with pytest.raises(ParameterError, match="needs the products table"):
        sd.segment(ddf, **COLUMNS, product_col="category")
    with pytest.raises(ColumnNotFoundError, match="spend"):
        sd.segment(ddf, customer_col="customer_id", date_col="date", amount_col="spend")


def test_a_log_stored_as_many_files(client, log, tmp_path) -> None:
    """A directory of Parquet partitions and a glob of CSV files give the one-machine summary."""
    ddf, frame = log
    expected = segmint.features.rfm_summary(frame, **COLUMNS)
    stored = frame.assign(month=pd.to_datetime(frame["date"]).dt.month)
    stored.attrs = {}  # the generator's attrs hold timestamps, which Parquet metadata cannot
    stored.to_parquet(tmp_path / "log", partition_cols=["month"])
    from_parquet = dd.read_parquet(tmp_path / "log")
    got = sd.rfm_summary(from_parquet, **COLUMNS).compute()
    pd.testing.assert_frame_equal(by_customer(got), by_customer(expected), check_index_type=False)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_csv(tmp_path / f"log-{i}.csv", index=False)
    from_csv = dd.read_csv(tmp_path / "log-*.csv", dtype={"customer_id": str})
    got = sd.rfm_summary(from_csv, **COLUMNS).compute()
    pd.testing.assert_frame_equal(by_customer(got), by_customer(expected), check_index_type=False)


def _exit_once(part: pd.DataFrame, marker: str, partition_info: dict | None = None) -> pd.DataFrame:
    """Kills the worker that first reads the last partition (the marker file remembers), as a crash would.

    The sample that gives the output's columns reads the first partition only,
    so the death falls in the aggregation itself.
    """
    import os

    if partition_info is not None and partition_info["number"] == 4 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return part


def test_a_worker_that_dies_changes_nothing(client, log, tmp_path) -> None:
    ddf, frame = log
    marker = str(tmp_path / "died")
    fragile = ddf.map_partitions(_exit_once, marker, meta=ddf._meta)
    got = sd.rfm_summary(fragile, **COLUMNS, observation_end=pd.to_datetime(frame["date"]).max()).compute()
    assert (tmp_path / "died").exists()
    pd.testing.assert_frame_equal(by_customer(got), by_customer(segmint.features.rfm_summary(frame, **COLUMNS)))
    client.wait_for_workers(2)


def _empty_first(part: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
    return part.iloc[:0] if partition_info is not None and partition_info["number"] == 0 else part


def test_empty_partitions_and_a_late_first_partition(client, log) -> None:
    ddf, frame = log
    holed = ddf.map_partitions(_empty_first, meta=ddf._meta)
    kept = holed.compute()
    pd.testing.assert_frame_equal(
        by_customer(sd.rfm_summary(holed, **COLUMNS).compute()), by_customer(segmint.features.rfm_summary(kept, **COLUMNS))
    )
    # Latest lines first: the first partition, which gives the columns, holds no calibration purchase.
    late_first = dd.from_pandas(frame.sort_values("date", ascending=False, ignore_index=True), npartitions=5)
    dates = pd.to_datetime(frame["date"])
    calibration_end = (dates.min() + (dates.max() - dates.min()) * 0.3).tz_localize("UTC")  # an aware end reads as UTC
    ends = dict(calibration_end=calibration_end, observation_end=dates.max())
    got = sd.calibration_and_holdout_data(late_first, **COLUMNS, **ends).compute()
    expected = segmint.features.calibration_and_holdout_data(late_first.compute(), **COLUMNS, **ends)
    pd.testing.assert_frame_equal(by_customer(got), by_customer(expected))


def test_bad_logs_are_named(client, log) -> None:
    ddf, _ = log
    with pytest.raises(ColumnNotFoundError, match=r"no column 'when' \(parameter date_col\)"):
        sd.rfm_summary(ddf, customer_col="customer_id", date_col="when")
    with pytest.raises(ParameterError, match="dask.dataframe.DataFrame"):
        sd.rfm_summary(ddf.compute(), **COLUMNS)
    with pytest.raises(ParameterError, match="products"):
        sd.customer_features(ddf, **COLUMNS, product_col="product_id")
    broken = ddf.compute()
    broken["date"] = broken["date"].astype(str)
    broken.iloc[len(broken) - 3, broken.columns.get_loc("date")] = "not a date"
    with pytest.raises(DataError, match="not a date"):
        sd.rfm_summary(dd.from_pandas(broken, npartitions=4), **COLUMNS, observation_end="2026-01-01").compute()


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = rng.normal(scale=6.0, size=(5, 6))
    X = centres[rng.integers(0, 5, size=40_000)] + rng.normal(size=(40_000, 6))
    return X, X[rng.choice(len(X), 5, replace=False)]


def test_kmeans_gives_the_one_machine_centres_from_the_same_start(client, blobs) -> None:
    X, start = blobs
    model = sd.KMeans(5, init=start, tol=1e-6).fit(da.from_array(X, chunks=(7_000, 6)))
    reference = segmint.cluster.KMeans(5, init=start, n_init=1, tol=1e-6).fit(X)
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_, rtol=1e-12, atol=1e-12)
    assert model.n_iter_ == reference.n_iter_
    assert model.inertia_ == pytest.approx(reference.inertia_, rel=1e-12)
    labels = model.labels_
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), reference.labels_)
    np.testing.assert_array_equal(model.predict(X[:100]), reference.predict(X[:100]))
    np.testing.assert_allclose(model.transform(da.from_array(X[:100])).compute(), reference.transform(X[:100]))
    assert model.score(X) == pytest.approx(reference.score(X), rel=1e-12)


def test_an_empty_cluster_moves_to_the_farthest_rows_as_on_one_machine(client, blobs) -> None:
    X, start = blobs
    stranded = np.vstack([start[:4], np.full((1, 6), 1e3)])  # no row is nearest the last centre
    model = sd.KMeans(5, init=stranded, tol=1e-6).fit(da.from_array(X, chunks=(7_000, 6)))
    reference = segmint.cluster.KMeans(5, init=stranded, n_init=1, tol=1e-6).fit(X)
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.labels_.compute(), reference.labels_)
    # Three distinct points for five clusters: every row sits on a centre, none moves, both warn.
    points = np.repeat(start[:3], 400, axis=0)
    with pytest.warns(segmint.exceptions.ConvergenceWarning, match="distinct clusters"):
        one = segmint.cluster.KMeans(5, init=np.vstack([start[:3], stranded[4:], -stranded[4:]]), n_init=1).fit(points)
    with pytest.warns(segmint.exceptions.ConvergenceWarning, match="distinct clusters"):
        many = sd.KMeans(5, init=np.vstack([start[:3], stranded[4:], -stranded[4:]])).fit(da.from_array(points, chunks=500))
    np.testing.assert_allclose(many.cluster_centers_, one.cluster_centers_, rtol=1e-12)


def test_kmeans_is_bit_identical_on_any_number_of_workers(client, blobs) -> None:
    X, _ = blobs
    chunks = da.from_array(X, chunks=(6_000, 6))
    on_cluster = sd.KMeans(5, random_state=11).fit(chunks)
    with dask.config.set(scheduler="synchronous"):
        in_process = sd.KMeans(5, random_state=11).fit(chunks)
    assert on_cluster.cluster_centers_.tobytes() == in_process.cluster_centers_.tobytes()
    assert on_cluster.inertia_ == in_process.inertia_
    # A seeded k-means++ start on the sample finds the five blobs.
    assert np.bincount(on_cluster.labels_.compute(), minlength=5).min() > 6_000


def test_kmeans_takes_a_dask_dataframe_and_names_bad_input(client, blobs) -> None:
    X, start = blobs
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), npartitions=3)
    model = sd.KMeans(5, init=start).fit(frame)
    assert model.n_features_in_ == 6
    assert model.labels_.shape == (len(X),)
    single = sd.KMeans(5, init=start).fit(frame.astype("float32"))  # float32 rows are clustered in float64
    np.testing.assert_allclose(single.cluster_centers_, model.cluster_centers_, rtol=1e-5)
    holed = X.copy()
    holed[12_345, 2] = np.nan
    with pytest.raises(DataError, match="block of X that starts at row 10000: .*NaN.* row 2345"):  # from a worker
        sd.KMeans(5, init=start).fit(da.from_array(holed, chunks=(10_000, 6)))
    with pytest.raises(ParameterError, match=r"shape \(5, 6\)"):
        sd.KMeans(5, init=start[:, :3]).fit(frame)
    with pytest.raises(DataError, match="3 features"):
        model.predict(da.from_array(X[:, :3]))
    with pytest.raises(ParameterError, match="n_clusters=50: expected at most n_samples=10"):
        sd.KMeans(50).fit(da.from_array(X[:10]))


def test_validity_indices_from_block_partials(client, blobs) -> None:
    X, start = blobs
    labels = segmint.cluster.KMeans(5, init=start, n_init=1).fit(X).labels_ * 3 + 1  # any integer labels
    blocks, block_labels = da.from_array(X, chunks=(9_000, 6)), da.from_array(labels, chunks=4_000)
    ch = segmint.metrics.calinski_harabasz_score(X, labels)
    db = segmint.metrics.davies_bouldin_score(X, labels)
    assert sd.calinski_harabasz_score(blocks, block_labels) == pytest.approx(ch, rel=1e-12)
    assert sd.davies_bouldin_score(blocks, labels) == pytest.approx(db, rel=1e-12)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert sd.calinski_harabasz_score(blocks, block_labels) == pytest.approx(
        sklearn_metrics.calinski_harabasz_score(X, labels), rel=1e-10
    )
    assert sd.davies_bouldin_score(blocks, labels) == pytest.approx(sklearn_metrics.davies_bouldin_score(X, labels), rel=1e-10)
    rows = np.sort(np.random.default_rng(5).choice(len(X), size=3_000, replace=False))
    expected = segmint.metrics.silhouette_score(X[rows], labels[rows])
    assert sd.silhouette_score(blocks, block_labels, sample_size=3_000, random_state=5) == pytest.approx(expected, rel=1e-12)
    # A sample at least as large as X is X: scikit-learn's exact silhouette.
    small = da.from_array(X[:2_000], chunks=700)
    unknown = dd.from_pandas(pd.Series(labels[:2_000]), npartitions=3).values  # chunk sizes unknown
    assert sd.silhouette_score(small, unknown, sample_size=5_000) == pytest.approx(
        sklearn_metrics.silhouette_score(X[:2_000], labels[:2_000]), rel=1e-10
    )
    assert sd.calinski_harabasz_score(small, unknown) == pytest.approx(
        sklearn_metrics.calinski_harabasz_score(X[:2_000], labels[:2_000]), rel=1e-10
    )
    with pytest.raises(DataError, match="one per row"):
        sd.calinski_harabasz_score(blocks, labels[:-1])


def test_minibatch_kmeans_takes_the_blocks_in_order(client, blobs) -> None:
    X, start = blobs
    blocks = da.from_array(X, chunks=(10_000, 6))
    streamed = sd.MiniBatchKMeans(5, init=start, batch_size=2_048, random_state=3).partial_fit(blocks)
    by_hand = segmint.cluster.MiniBatchKMeans(5, init=start, batch_size=2_048, random_state=3)
    for first in range(0, len(X), 10_000):
        by_hand.partial_fit(X[first : first + 10_000])
    np.testing.assert_array_equal(streamed.cluster_centers_, by_hand.cluster_centers_)
    fitted = sd.MiniBatchKMeans(5, init=start, max_iter=2, random_state=3).fit(blocks)
    labels = fitted.labels_
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), fitted.predict(X))
    assert np.bincount(labels.compute(), minlength=5).min() > 6_000
    np.testing.assert_allclose(fitted.transform(blocks).compute(), fitted.transform(X))
