"""The Spark recipe of docs/scaling.md: segmint's per-partition summary under mapInPandas.

Runs where pyspark (and a Java runtime) is installed; skips elsewhere.
"""

from __future__ import annotations

import os
import shutil
import sys

import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("pyspark needs a Java runtime", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

import segmint  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    # Spark's Python workers must import segmint: run them on this interpreter.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_the_recipe_gives_the_one_machine_summary(spark) -> None:
    lines, _ = segmint.datasets.make_customers(1_500, seed=9)
    lines = lines[["customer_id", "date", "amount"]].assign(date=lambda f: pd.to_datetime(f["date"]))
    log = spark.createDataFrame(lines)

    # The recipe, as docs/scaling.md gives it.
    # The end of observation, once, for the whole log (as UTC seconds: collect() would use the driver's zone).
    end = pd.Timestamp(log.agg(F.max("date").cast("long")).first()[0], unit="s")

    def summarise(batches):
        batches = list(batches)  # every batch of this partition: whole customers
        if batches:
            yield segmint.features.rfm_summary(
                pd.concat(batches),
                customer_col="customer_id",
                date_col="date",
                amount_col="amount",
                observation_end=end,
            ).reset_index()

    schema = "customer_id string, frequency double, recency double, T double, monetary_value double"
    summary = log.repartition("customer_id").mapInPandas(summarise, schema).toPandas()

    expected = segmint.features.rfm_summary(lines, customer_col="customer_id", date_col="date", amount_col="amount")
    got = summary.set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(got, expected.sort_index(), check_index_type=False)
