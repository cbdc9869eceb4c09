"""Validation at scale: Parquet in one process, and Spark in local mode, beside DuckDB.

The same generated log (the clean polled log of ``bench_validate``: interleaved
jobs, a time and a line number per event) is validated

- by DuckDB, the anchor: the strict rule written as SQL over the Parquet file
  (``LAG(status)`` over each job's events in line order, then an anti-join with
  the lifecycle's edges), the least a columnar SQL engine must do;
- by ``jobfsm validate`` on the JSON Lines file and on the Parquet file (one
  process, in-process ``cli.main``);
- by ``jobfsm.spark.validate_dataframe`` on the Parquet file, in local mode
  on 2 cores, the session already running (its start is timed apart, in a
  fresh process).

Spark runs in other processes (a JVM and Python workers) and DuckDB on two
threads, so every figure here is wall-clock time, not the CPU time of the
other benchmarks: on a shared machine read the ratios, which come from
interleaved rounds, rather than the absolute figures. Run with
``python benchmarks/run.py --only scale``.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks.bench_validate import event_lines
from benchmarks.common import Comparison, anchored_rows, time_row
from jobfsm import DEFAULT_LIFECYCLE
from jobfsm.cli import main

Row = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]

DUCKDB = "DuckDB SQL over the Parquet file: LAG + anti-join on the edges (2 threads)"
JSONL = "jobfsm validate FILE.jsonl (one process)"
PARQUET = "jobfsm validate FILE.parquet (one process)"
SPARK = "jobfsm.spark local[2], session running"


def write_logs(folder: Path, events: int, jobs: int) -> tuple[Path, Path]:
    """The generated log as JSON Lines and as Parquet (with a ``line`` column)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = folder / f"events-{events}.jsonl"
    lines = list(event_lines(events, jobs))
    with open(jsonl, "w", encoding="utf-8") as out:
        out.writelines(lines)
    rows = [json.loads(line) for line in lines]
    table = pa.table(
        {
            "job": [r["job"] for r in rows],
            "status": [r["status"] for r in rows],
            "time": [r["time"] for r in rows],
            "line": pa.array(range(1, len(rows) + 1), pa.int64()),
        }
    )
    parquet = folder / f"events-{events}.parquet"
    pq.write_table(table, parquet, row_group_size=128 * 1024)
    return jsonl, parquet


def _cli(path: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["validate", str(path)]) == 0, "the generated log is clean"


def _duckdb(path: Path) -> Callable[[], None]:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET threads TO 2")
    edges = ", ".join(f"('{e.source}', '{e.dest}')" for e in DEFAULT_LIFECYCLE.edges)
    query = f"""
        WITH edges(src, dst) AS (VALUES {edges}),
        ordered AS (
            SELECT status, LAG(status) OVER (PARTITION BY job ORDER BY line) AS prev
            FROM read_parquet('{path}')
        )
        SELECT count(*) FROM ordered o
        WHERE prev IS NOT NULL AND prev <> status
          AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.src = o.prev AND e.dst = o.status)
    """

    def run() -> None:
        (illegal,) = connection.execute(query).fetchone()  # type: ignore[misc]
        assert illegal == 0, "the generated log is clean"

    return run


def spark_session() -> Any:
    """A local Spark session on 2 cores whose Python workers import this checkout."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if str(ROOT) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        )
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark(session: Any, path: Path, events: int) -> Callable[[], None]:
    from jobfsm.spark import validate_dataframe

    def run() -> None:
        df = session.read.parquet(str(path))
        summary = validate_dataframe(df, order="line").summary()
        assert summary.ok, summary
        assert summary.events == events, summary

    return run


def spark_start_seconds() -> float:
    """Wall seconds for a fresh process to start a local[2] session and run one job."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.master('local[2]').config('spark.ui.enabled', 'false')"
        ".getOrCreate()\n"
        "s.range(1).count(); print(time.perf_counter() - t); s.stop()\n"
    )
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env,
        check=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def wall_compare(
    subjects: Mapping[str, Callable[[], None]], *, per: int, repeat: int
) -> Comparison:
    """Wall-clock seconds per unit of each subject, interleaved (one warm-up each)."""
    for run in subjects.values():
        run()
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(repeat):
        for name, run in subjects.items():
            start = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - start) / per)
    return Comparison(samples)


def measure(quick: bool = False) -> list[Row]:
    """Rows for a small and a large log, and Spark's start-up.

    Args:
        quick: Tiny sizes and one round, for a smoke test (no start-up timing).
    """
    sizes = [(2_000, 20)] if quick else [(100_000, 1_000), (1_000_000, 10_000)]
    repeat = 1 if quick else 3
    session = spark_session()
    rows: list[Row] = []
    per = lambda s: f"{1 / s:,.0f} events/s"  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        for events, jobs in sizes:
            jsonl, parquet = write_logs(Path(folder), events, jobs)
            timing = wall_compare(
                {
                    DUCKDB: _duckdb(parquet),
                    JSONL: lambda jsonl=jsonl: _cli(jsonl),  # type: ignore[misc]
                    PARQUET: lambda parquet=parquet: _cli(parquet),  # type: ignore[misc]
                    SPARK: _spark(session, parquet, events),
                },
                per=events,
                repeat=repeat,
            )
            bench = f"validate {events:,} events, {jobs:,} jobs (wall clock)"
            rows += anchored_rows(bench, timing, DUCKDB, per)
    if not quick:
        starts = [spark_start_seconds() for _ in range(2)]
        rows.append(
            time_row(
                "start Spark (fresh process, local[2], one trivial job)",
                "SparkSession.builder.getOrCreate()",
                statistics.median(starts),
                "session",
            )
        )
    return rows
