"""The same pre-screening on the embedded engine and on Spark ``local[2]``: identical offers.

The one Spark module of the suite: one session for it (a JVM start costs ~20 s on a loaded
machine). Needs a Java runtime: ``make test`` (scripts/bootstrap.sh --test) installs Debian's
openjdk-17-jre-headless when absent.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.support.engagement_lists import dealer_list

from puhui.engagement.engines import run_embedded, run_spark, spark_session
from puhui.engagement.prescreen import OfferStatus, PrescreenSpec

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    assert shutil.which("java"), "no Java runtime: run `make test` (it installs one with apt)"
    session = spark_session("local[2]")
    try:
        yield session
    finally:
        session.stop()


def test_spark_and_embedded_give_identical_offers_for_10000_enterprises(
    spark: Any, spec: PrescreenSpec
) -> None:
    frame = dealer_list(10_000, seed=11)
    embedded = run_embedded(frame, spec)
    on_spark = run_spark(spark, frame, spec)
    assert_frame_equal(on_spark, embedded, check_exact=True)
    assert on_spark["enterprise_key"].to_list() == frame["enterprise_key"].to_list()
    counts = dict(embedded["status"].value_counts().iter_rows())
    assert counts[OfferStatus.OFFER] > 1_000 and counts[OfferStatus.KNOCKED_OUT] > 100
    assert embedded.filter(pl.col("green"))["green_category"].null_count() == 0
