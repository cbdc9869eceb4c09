"""Validate job status events with Apache Spark: locally, with spark-submit, on Databricks.

Run it as it is to try it on this machine (Spark in local mode, a small
generated log)::

    python examples/spark_validate.py

or point it at a Parquet folder of events, locally or on a cluster::

    spark-submit examples/spark_validate.py --input abfss://logs@acct.dfs.core.windows.net/runs/ \\
        --mode observed --order time seq --output abfss://logs@acct.dfs.core.windows.net/verdicts/

The events need a job column, a status column and the column(s) that order
each job's events (see docs/scale.md). The violations are written as Parquet
when ``--output`` is given, else the first ones are shown; the summary is
printed as JSON. The exit status is 0 when the log is clean, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Literal

from pyspark.sql import DataFrame, SparkSession

from jobfsm.spark import DataFrameReport, validate_dataframe


def sample_events(spark: SparkSession) -> DataFrame:
    """A small log of three jobs: one clean, one polled, one that breaks rules."""
    rows = [
        ("train-1", "NotStarted", "2026-05-01T10:00:00Z", 1),
        ("train-1", "Starting", "2026-05-01T10:00:05Z", 2),
        ("train-1", "Preparing", "2026-05-01T10:01:00Z", 3),
        ("train-1", "Queued", "2026-05-01T10:02:00Z", 4),
        ("train-1", "Running", "2026-05-01T10:03:00Z", 5),
        ("train-1", "Finalizing", "2026-05-01T10:30:00Z", 6),
        ("train-1", "Completed", "2026-05-01T10:31:00Z", 7),
        ("sweep-7", "Queued", "2026-05-01T10:00:00Z", 1),
        ("sweep-7", "Running", "2026-05-01T10:05:00Z", 2),
        ("sweep-7", "Completed", "2026-05-01T11:00:00Z", 3),
        ("eval-3", "Running", "2026-05-01T10:00:00Z", 1),
        ("eval-3", "Paused", "2026-05-01T10:10:00Z", 2),
        ("eval-3", "Completed", "2026-05-01T10:20:00Z", 3),
        ("eval-3", "Running", "2026-05-01T10:20:00Z", 4),
    ]
    return spark.createDataFrame(rows, "job string, status string, time string, seq long")


def run(
    events: DataFrame,
    *,
    mode: Literal["strict", "observed"] = "observed",
    order: Sequence[str] = ("time", "seq"),
    output: str | None = None,
) -> tuple[DataFrameReport, dict[str, Any]]:
    """Validate *events*; write or show the violations; return the report and its summary."""
    report = validate_dataframe(events, mode=mode, order=order, require_terminal=True)
    report.cache()
    if output:
        report.violations.write.mode("overwrite").parquet(output)
    else:
        report.violations.orderBy("job", "index").show(20, truncate=60)
    return report, report.summary().to_dict()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", help="a Parquet file or folder of events (default: a sample)")
    parser.add_argument("--mode", choices=("strict", "observed"), default="observed")
    parser.add_argument("--order", nargs="+", default=["time", "seq"], metavar="COLUMN")
    parser.add_argument("--output", help="write the violations here as Parquet")
    args = parser.parse_args(argv)
    builder = SparkSession.builder.appName("jobfsm-validate")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Run by plain `python`, not by spark-submit or a cluster's job runner:
        # Spark in local mode on this machine's cores.
        builder = builder.master("local[*]").config("spark.sql.shuffle.partitions", "8")
    spark = builder.getOrCreate()
    events = spark.read.parquet(args.input) if args.input else sample_events(spark)
    _, summary = run(events, mode=args.mode, order=args.order, output=args.output)
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
