"""The batch engines: the embedded columnar engine (polars, the default) and Apache Spark.

Both apply :func:`puhui.engagement.prescreen.prescreen_frame` — the scoring function is
written once. The embedded engine calls it on the whole list; Spark ships it to its Python
workers with ``mapInArrow``: each Arrow record batch of a partition becomes a polars frame
(zero-copy where the types allow), is pre-screened, and goes back as an Arrow batch. The rows
carry their position (``_row``) so the collected result comes back in the list's order.

Spark is optional at run time: ``pyspark`` is imported only when the Spark engine is chosen
(``PUHUI_BATCH_ENGINE=spark``), with its master URL from ``PUHUI_SPARK_MASTER`` (``local[2]``
by default; a cluster's ``spark://host:7077`` in production). It needs a Java runtime
(Debian ``openjdk-17-jre-headless``; ``scripts/bootstrap.sh --test`` installs it when absent).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from puhui.engagement.prescreen import OUTPUT_SCHEMA, PrescreenSpec, prescreen_frame

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

ROW = "_row"


class Engine(StrEnum):
    EMBEDDED = "embedded"
    SPARK = "spark"


_ARROW_TYPES: dict[Any, pa.DataType] = {
    pl.Utf8: pa.string(),
    pl.Int64: pa.int64(),
    pl.Float64: pa.float64(),
    pl.Boolean: pa.bool_(),
}
_SPARK_TYPES: dict[Any, str] = {
    pl.Utf8: "string",
    pl.Int64: "bigint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
}
OUTPUT_ARROW = pa.schema(
    [pa.field(k, _ARROW_TYPES[v]) for k, v in OUTPUT_SCHEMA.items()] + [pa.field(ROW, pa.int64())]
)
OUTPUT_DDL = ", ".join(
    [f"{k} {_SPARK_TYPES[v]}" for k, v in OUTPUT_SCHEMA.items()] + [f"{ROW} bigint"]
)


def run_embedded(frame: pl.DataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    return prescreen_frame(frame, spec)


def spark_session(master: str, *, app_name: str = "puhui-engagement") -> SparkSession:
    """A Spark session on ``master``; workers run this interpreter (so they import puhui)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # larger Arrow batches: the policy's tables run once per distinct value per batch
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _batches(spec: PrescreenSpec) -> Any:
    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            rows = frame[ROW]
            out = prescreen_frame(frame.drop(ROW), spec).with_columns(rows)
            yield from out.to_arrow().cast(OUTPUT_ARROW).to_batches()

    return apply


def run_spark_frame(sdf: SparkDataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    """Pre-screen a Spark DataFrame (with a ``_row`` column); the result in ``_row`` order."""
    result = sdf.mapInArrow(_batches(spec), OUTPUT_DDL).toArrow()
    frame = pl.from_arrow(result)
    assert isinstance(frame, pl.DataFrame)
    return frame.sort(ROW).drop(ROW)


def _plain(t: pa.DataType) -> pa.DataType:
    """Spark's Arrow reader wants plain strings; polars hands out large or view strings."""
    return pa.string() if pa.types.is_large_string(t) or pa.types.is_string_view(t) else t


def run_spark(spark: SparkSession, frame: pl.DataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    """Pre-screen a list held by the driver on Spark (tests, the bench, small lists)."""
    table = frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64)).to_arrow()
    table = table.cast(pa.schema([pa.field(f.name, _plain(f.type)) for f in table.schema]))
    return run_spark_frame(spark.createDataFrame(table), spec)


def run_spark_parquet(spark: SparkSession, path: str, spec: PrescreenSpec) -> pl.DataFrame:
    """Pre-screen a list stored as Parquet where the cluster reads it (production)."""
    from pyspark.sql import functions as F

    sdf = spark.read.parquet(path).withColumn(ROW, F.monotonically_increasing_id())
    return run_spark_frame(sdf, spec)
