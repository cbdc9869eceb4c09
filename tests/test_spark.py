"""Tests for jobfsm.spark: Spark's verdicts equal ``jobfsm validate --format json``'s.

One Spark session in local mode (``local[2]``) serves the whole test session.
The events of each check are written as JSON Lines for the command line and
given to Spark as a DataFrame with a ``line`` column as the order, so that the
two reports can be compared field for field, the order value standing for the
line.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, EventSpec, JobStatus, validate_events
from jobfsm.cli import main
from tests.conftest import REPO, needs
from tests.strategies import UNKNOWN_STATUSES, event_logs

SCHEMA = "job string, status string, time string, line long"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session (2 cores, few shuffle partitions) for every test."""
    needs("pyspark", "spark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("jobfsm-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    # A session made earlier in this process (the docs' example) is reused: set again.
    session.conf.set("spark.sql.shuffle.partitions", "4")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_module() -> Any:
    return needs("jobfsm.spark", "spark")


def cli_report(path: Path, opts: dict[str, Any]) -> dict[str, Any]:
    """``jobfsm validate PATH --format json`` with *opts*, run in this process."""
    argv = ["validate", str(path), "--format", "json", "--mode", opts["mode"]]
    argv += ["--require-initial"] * opts["require_initial"]
    argv += ["--require-terminal"] * opts["require_terminal"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return core(json.loads(out.getvalue()))


def core(report: dict[str, Any]) -> dict[str, Any]:
    """The JSON report's verdict: the fields the Spark report has too."""
    return {k: report[k] for k in ("ok", "jobs", "events", "violations", "input_errors")}


def spark_report(report: Any) -> dict[str, Any]:
    """The Spark report in the JSON report's shape (``line`` is the order column)."""
    summary = report.summary()
    violations = [row.asDict() for row in report.violations.collect()]
    errors = [row.asDict() for row in report.input_errors.collect()]
    by_reason: dict[str, int] = {}
    for v in violations:
        by_reason[v["reason"]] = by_reason.get(v["reason"], 0) + 1
    assert summary.violations == dict(sorted(by_reason.items()))
    assert summary.input_errors == len(errors)
    return {
        "ok": summary.ok,
        "jobs": summary.jobs,
        "events": summary.events,
        "violations": violations,
        "input_errors": errors,
    }


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """Both reports with their lists in one order (Spark's rows come in no set order)."""

    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(json.dumps(item[k]) for k in sorted(item))

    return {
        **report,
        "violations": sorted(report["violations"], key=key),
        "input_errors": sorted(report["input_errors"], key=key),
    }


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as file:
        for event in events:
            file.write(json.dumps(event) + "\n")
    return path


options = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["strict", "observed"]),
        "require_initial": st.booleans(),
        "require_terminal": st.booleans(),
    }
)


# -- equal verdicts ----------------------------------------------------------------


# Each example is a few Spark jobs (seconds each): few examples, each of many logs.
@settings(max_examples=6, deadline=None)
@given(logs=st.lists(event_logs(max_jobs=5), min_size=1, max_size=12), opts=options)
def test_spark_equals_the_cli_on_generated_logs(
    spark: Any, logs: list[list[dict[str, Any]]], opts: dict[str, Any]
) -> None:
    """On generated logs (illegal moves, unknown statuses, times going backwards or
    missing, unreadable events), Spark reports what `jobfsm validate --format json`
    reports, violation for violation, with the order column in place of the line."""
    events = [
        {**event, "job": None if event["job"] is None else f"{n}/{event['job']}"}
        for n, log in enumerate(logs)
        for event in log
    ]
    with tempfile.TemporaryDirectory() as tmp:
        expected = cli_report(write_jsonl(Path(tmp) / "log.jsonl", events), opts)
    df = spark.createDataFrame(
        [(e["job"], e["status"], e["time"], line) for line, e in enumerate(events, 1)], SCHEMA
    )
    report = spark_module().validate_dataframe(df, order="line", partitions=3, **opts).cache()
    assert comparable(spark_report(report)) == comparable(expected)


def polled_log(events: int, jobs: int, seed: int) -> Iterator[dict[str, Any]]:
    """A generated polling log of *jobs* jobs running at once, interleaved.

    Each job walks the lifecycle from NotStarted; one that ends is replaced by a
    new one. Now and then a poll is missed (strict mode sees a skip), a status is
    unknown or out of place, or a clock goes backwards; the rest is legal.
    """
    rng = random.Random(seed)
    lifecycle = DEFAULT_LIFECYCLE
    successors = {s: sorted(lifecycle.successors[s]) for s in lifecycle.statuses}
    everything = [*map(str, JobStatus), *UNKNOWN_STATUSES]
    start = datetime(2026, 5, 1, tzinfo=UTC)
    names = list(range(jobs))
    current = [JobStatus.NOT_STARTED] * jobs
    clock = [0] * jobs
    for _ in range(events):
        j = rng.randrange(jobs)
        roll = rng.random()
        if not successors[current[j]]:  # ended: a new job takes this slot
            names[j] += jobs
            current[j] = JobStatus.NOT_STARTED
            status = str(current[j])
        elif roll < 0.005:
            status = rng.choice(everything)
        elif roll > 0.4:  # polled again before it moved
            status = str(current[j])
        else:
            current[j] = rng.choice(successors[current[j]])
            if roll < 0.012 and successors[current[j]]:  # a missed poll
                current[j] = rng.choice(successors[current[j]])
            status = str(current[j])
        clock[j] += rng.choice((30, 60, 60, 60, 90)) if rng.random() > 0.001 else -600
        yield {
            "job": f"run-{names[j]:07d}",
            "status": status,
            "time": (start + timedelta(seconds=clock[j])).isoformat().replace("+00:00", "Z"),
        }


@pytest.mark.slow
def test_spark_equals_the_cli_on_a_million_events(spark: Any, tmp_path: Path) -> None:
    """On a generated log of 1,000,000 events of 10,000 jobs (read from Parquet), Spark
    and `jobfsm validate --format json` (a subprocess) agree violation for violation,
    in both modes, with and without require-initial/terminal."""
    pa = needs("pyarrow", "arrow")
    pq = needs("pyarrow.parquet", "arrow")
    events = list(polled_log(1_000_000, 10_000, seed=15))
    path = write_jsonl(tmp_path / "log.jsonl", events)
    columns = {k: [e[k] for e in events] for k in ("job", "status", "time")}
    columns["line"] = list(range(1, len(events) + 1))
    pq.write_table(pa.table(columns), tmp_path / "log.parquet", row_group_size=100_000)
    del events, columns
    df = spark.read.parquet(str(tmp_path / "log.parquet"))
    validate = spark_module().validate_dataframe
    for mode, flags in (("strict", ["--require-initial", "--require-terminal"]), ("observed", [])):
        done = subprocess.run(
            [sys.executable, "-m", "jobfsm", "validate", str(path), "--format", "json",
             "--mode", mode, *flags],
            cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        expected = core(json.loads(done.stdout))
        report = validate(
            df, mode=mode, order="line", require_initial=bool(flags), require_terminal=bool(flags)
        ).cache()
        got = spark_report(report)
        report.results.unpersist()
        assert got["events"] == 1_000_000
        assert len(got["violations"]) > 1_000  # a real check: every rule is broken somewhere
        reasons = {v["reason"] for v in got["violations"]}
        assert {"illegal-transition", "unknown-status", "time-went-backwards"} <= reasons
        assert comparable(got) == comparable(expected)


# -- order, ties and types ---------------------------------------------------------------


def test_equal_times_follow_the_lifecycle_order_unless_a_tie_breaker_says(spark: Any) -> None:
    """Ordered by time alone, statuses of one job at the same time are taken in the
    lifecycle's order (whatever the partitioning); a sequence column breaks ties; ordered
    by an offset, time going backwards is found and named by the previous offset."""
    rows = [
        ("a", "Running", "2026-05-01T10:00:00Z", 0),
        ("a", "Queued", "2026-05-01T10:00:00Z", 1),
        ("a", "Completed", "2026-05-01T09:00:00Z", 2),
    ]
    df = spark.createDataFrame(rows, "job string, status string, time string, seq long")
    validate = spark_module().validate_dataframe

    def verdicts(**options: Any) -> list[tuple[Any, ...]]:
        found = validate(df, **options).violations.orderBy("index", "reason").collect()
        return [(v["index"], v["from"], v["to"], v["reason"]) for v in found]

    assert verdicts() == [(1, "Completed", "Queued", "illegal-transition")]
    assert verdicts(order=["time", "seq"]) == [
        (1, "Completed", "Running", "illegal-transition"),
        (2, "Running", "Queued", "illegal-transition"),
    ]
    assert verdicts(order="seq") == [
        (1, "Running", "Queued", "illegal-transition"),
        (2, "Queued", "Completed", "illegal-transition"),
        (2, "Queued", "Completed", "time-went-backwards"),
    ]
    backwards = validate(df, order="seq").violations.where("reason = 'time-went-backwards'")
    assert [(v["seq"], v["message"]) for v in backwards.collect()] == [
        (2, "2026-05-01T09:00:00Z is before 2026-05-01T10:00:00Z, "
         "the time of the previous event (seq 1)")
    ]  # fmt: skip


def test_timestamp_columns_and_numeric_jobs(spark: Any) -> None:
    """A Spark timestamp time column and a numeric job column are read as the
    one-process validator reads them (job 7 is "7")."""
    from pyspark.sql import functions as F

    rows = [(7, "Queued", "2026-05-01 10:00:00", 1), (7, "Running", "2026-05-01 09:00:00", 2)]
    df = spark.createDataFrame(rows, "job long, status string, time string, seq long")
    df = df.withColumn("time", F.to_timestamp("time"))
    rows_seen = validate_dataframe_rows(df, order="seq")
    assert [(v["job"], v["index"], v["reason"], v["seq"]) for v in rows_seen] == [
        ("7", 1, "time-went-backwards", 2)
    ]
    assert rows_seen[0]["message"] == (
        "2026-05-01T09:00:00Z is before 2026-05-01T10:00:00Z, "
        "the time of the previous event (seq 1)"
    )


def validate_dataframe_rows(df: Any, **options: Any) -> list[Any]:
    rows: list[Any] = spark_module().validate_dataframe(df, **options).violations.collect()
    return rows


def test_the_lifecycle_travels_to_the_executors(spark: Any) -> None:
    """A lifecycle extended with Paused judges the executors' rows: Paused is known there."""
    paused = DEFAULT_LIFECYCLE.extend(
        name="with pause",
        states=["Paused"],
        events=[EventSpec("pause", "Running", "Paused"), EventSpec("unpause", "Paused", "Running")],
    )
    rows = [("a", "Running", 1), ("a", "Paused", 2), ("a", "Running", 3), ("a", "Paused", 4)]
    rows += [("a", "Queued", 5)]
    df = spark.createDataFrame(rows, "job string, status string, seq long")
    report = spark_module().validate_dataframe(df, lifecycle=paused, time=None, order="seq")
    got = [(v["index"], v["reason"], v["allowed"]) for v in report.violations.collect()]
    events = [{"job": j, "status": s} for j, s, _ in rows]
    expected = validate_events(events, lifecycle=paused).violations
    assert got == [(v.index, str(v.reason), [str(s) for s in v.allowed]) for v in expected]
    assert [g[:2] for g in got] == [(4, "illegal-transition")]


# -- usage errors -----------------------------------------------------------------


def test_bad_arguments_are_value_errors_naming_the_columns(spark: Any) -> None:
    """A missing column, an order column named like a result column, an unknown mode."""
    validate = spark_module().validate_dataframe
    df = spark.createDataFrame([("a", "Running", 1)], "job string, state string, index long")
    with pytest.raises(
        ValueError, match=r"no columns 'status', 'time' \(columns: 'job', 'state', 'index'\)"
    ):
        validate(df, order="index")
    df = df.withColumn("time", df["index"])
    with pytest.raises(ValueError, match="order column 'index' has the name of a result column"):
        validate(df, status="state", order="index")
    with pytest.raises(ValueError, match="mode must be 'strict' or 'observed'"):
        validate(df, status="state", order="index", mode="lenient")
    with pytest.raises(ValueError, match="give order="):
        validate(df, status="state", time=None)


def test_without_pyspark_the_import_names_the_extra() -> None:
    """`import jobfsm.spark` without PySpark is an ImportError naming jobfsm[spark]."""
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "try:\n"
        "    import jobfsm.spark\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc.extra, '|', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.stdout == (
        "MissingExtraError spark | jobfsm.spark needs pyspark, which is not installed: "
        "pip install 'jobfsm[spark]'\n"
    )


# -- the example script -----------------------------------------------------------


def test_example_script_runs_on_this_session(
    spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/spark_validate.py validates its sample log: Paused is unknown, eval-3
    runs again after Completed; the other two jobs are clean."""
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import spark_validate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "examples"))
    _, summary = spark_validate.run(spark_validate.sample_events(spark))
    assert summary == {
        "ok": False,
        "jobs": 3,
        "events": 14,
        "violations": {"illegal-transition": 1, "not-terminal": 1, "unknown-status": 1},
        "input_errors": 0,
    }
    shown = capsys.readouterr().out
    assert "eval-3" in shown
    assert "'Paused' is not a status of" in shown


def test_example_script_writes_the_violations_as_parquet(spark: Any, tmp_path: Path) -> None:
    """With --output, the example writes the violations as a Parquet folder that
    `jobfsm validate`'s own reader could take, and Spark reads back."""
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import spark_validate
    finally:
        sys.path.remove(str(REPO / "examples"))
    out = tmp_path / "violations"
    spark_validate.run(spark_validate.sample_events(spark), mode="strict", output=str(out))
    back = spark.read.parquet(str(out)).orderBy("job", "index", "reason").collect()
    assert [(r["job"], r["index"], r["reason"]) for r in back] == [
        ("eval-3", 1, "unknown-status"),  # Paused
        ("eval-3", 2, "illegal-transition"),  # Running -> Completed skips Finalizing
        ("eval-3", 3, "illegal-transition"),  # Completed -> Running
        ("eval-3", 3, "not-terminal"),
        ("sweep-7", 2, "illegal-transition"),  # Running -> Completed
    ]


def test_azureml_spark_job_file_is_a_spark_job() -> None:
    """The Azure ML example loads with the Azure ML client as a Spark job running the
    example script on the events folder, with jobfsm in its conda environment."""
    azure_ml = needs("azure.ai.ml", "interop")
    job = azure_ml.load_job(REPO / "examples" / "azureml-spark-validate.yml")
    assert job.type == "spark"
    assert job.entry.entry == "spark_validate.py"
    assert (REPO / "examples" / job.entry.entry).is_file()
    assert "--input ${{inputs.events}}" in job.args
    assert {"pip": ["jobfsm"]} in job.environment.conda_file["dependencies"]


# -- runs of whole jobs on an executor ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    jobs=st.lists(st.sampled_from([None, "a", "b", "c", "d"]), max_size=40),
    cuts=st.lists(st.integers(1, 9), max_size=12),
    rows=st.integers(1, 12),
)
def test_runs_of_whole_jobs_never_split_a_job(
    jobs: list[str | None], cuts: list[int], rows: int
) -> None:
    """An executor's sorted partition, in batches of any size, is handed to the
    validator in runs that keep every job whole, reach the size asked for (but the
    last), and together hold every row once, in order."""
    pa = needs("pyarrow", "arrow")
    whole_jobs = spark_module()._whole_jobs
    ordered = sorted(jobs, key=lambda j: (j is not None, j or ""))  # nulls first, as Spark
    table = pa.table({"job": pa.array(ordered, pa.string()), "n": list(range(len(ordered)))})
    batches, at = [], 0
    for size in [*cuts, len(ordered)]:
        if at < len(ordered):
            batches.append(table.slice(at, size).to_batches()[0] if size else None)
            at += size
    runs = list(whole_jobs(iter(b for b in batches if b is not None), "job", rows))
    assert [n for run in runs for n in run.column("n").to_pylist()] == list(range(len(ordered)))
    seen: set[str] = set()
    for run in runs[:-1]:
        assert run.num_rows >= rows
    for run in runs:
        named = {j for j in run.column("job").to_pylist() if j is not None}
        assert not named & seen, "a job in two runs"
        seen |= named
