"""Smoke tests of the benchmark suite: every module runs on tiny sizes, the runner works.

No assertion here is about speed: the figures of a quick run mean nothing.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run
from benchmarks.common import (
    Comparison,
    bytes_per_object,
    compare,
    format_ratio,
    format_seconds,
)

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"benchmark", "subject", "median_s", "per", "anchor", "ratio", "target"}


@pytest.mark.parametrize("module", run.discover())
def test_measure_quick_returns_rows(module: str) -> None:
    """Each bench_*.py module's measure(quick=True) returns well-formed rows."""
    rows: list[dict[str, Any]] = importlib.import_module(module).measure(quick=True)
    assert rows
    for row in rows:
        assert set(row) >= KEYS, row
        assert row["median_s"] is None or row["median_s"] > 0
        assert row["anchor"] is None or any(r["subject"] == row["anchor"] for r in rows)


def test_jobs_benchmark_covers_the_required_subjects() -> None:
    """The job benchmark compares creation, memory and dispatch with every alternative."""
    rows = importlib.import_module("benchmarks.bench_jobs").measure(quick=True)
    by_bench: dict[str, set[str]] = {}
    for row in rows:
        by_bench.setdefault(row["benchmark"], set()).add(row["subject"])
    record = "attrs record, same fields, None defaults"
    assert {"jobfsm CommandJob", record} <= by_bench["create a job (GC on, 100 alive)"]
    assert {
        "jobfsm CommandJob",
        record,
        "transitions Machine per object",
        "python-statemachine instance",
    } <= by_bench["create a job (GC off)"]
    assert {
        "jobfsm Job.fire(name)",
        "jobfsm Job.fire(name), unnamed jobs",
        "raw transitions, module-level Machine, string states",
        "transitions Machine per object",
        "python-statemachine send(name)",
    } <= by_bench["fire one event (happy path)"]
    targets = {row["subject"]: row for row in rows if row["target"] is not None}
    assert set(targets) == {
        "jobfsm CommandJob",
        "jobfsm CommandJob minus the record",
        "jobfsm Job.fire(name)",
        "jobfsm Job.fire(name), unnamed jobs",
    }
    assert all(isinstance(row["met"], bool) for row in targets.values())


def test_record_has_the_constructor_fields_all_none_and_no_fsm_state() -> None:
    """The creation anchor holds CommandJob's constructor fields, default None, no FSM slots."""
    import attrs

    from benchmarks.bench_jobs import BareJob
    from jobfsm import CommandJob

    record = {f.name: f.default for f in attrs.fields(BareJob)}
    given = {f.alias for f in attrs.fields(CommandJob) if f.init and f.alias != "engine"}
    assert set(record) == given
    assert set(record.values()) == {None}
    assert not {"status", "history", "lock", "observers"} & set(record)


def test_statechart_follows_the_lifecycle() -> None:
    """The python-statemachine subject walks the happy path to Completed, like a job."""
    from benchmarks.bench_jobs import CHART_HAPPY_PATH, statechart_class

    chart = statechart_class()()
    for event in CHART_HAPPY_PATH:
        chart.send(event)
    assert chart.current_state_value == "Completed"


def test_compare_runs_setup_for_every_sample() -> None:
    """compare() gives one median per subject and builds fresh input for each run."""
    calls: list[str] = []

    def setup() -> list[int]:
        calls.append("setup")
        return [1, 2, 3]

    result = compare({"a": (setup, sum), "b": (setup, max)}, per=3, repeat=4)
    assert set(result.median) == {"a", "b"}
    assert all(len(values) == 4 for values in result.samples.values())
    assert all(value >= 0 for value in result.median.values())
    assert len(calls) == 2 * (4 + 1)  # one warm-up each, then the repeats


def test_ratio_is_the_median_of_per_round_ratios() -> None:
    """A slow round that hits both subjects does not move their ratio."""
    result = Comparison({"a": [2.0, 4.0, 20.0], "b": [1.0, 2.0, 10.0]})
    assert result.ratio("a", "b") == 2.0
    assert result.median == {"a": 4.0, "b": 2.0}


def test_bytes_per_object_counts_what_objects_keep() -> None:
    """bytes_per_object() sees a 10 kB buffer per object, and nothing for a shared one."""
    assert bytes_per_object(lambda: bytearray(10_000), 50) >= 10_000
    shared = bytearray(10_000)
    assert bytes_per_object(lambda: shared, 50) < 100


def test_formatting() -> None:
    """Durations get a fitting unit and ratios three significant digits."""
    assert format_seconds(1.5e-6) == "1.5 µs"
    assert format_seconds(2.5e-9) == "2.5 ns"
    assert format_seconds(0.25) == "250 ms"
    assert format_ratio(1.2345) == "1.23x"
    assert format_ratio(None) == "—"


def test_table_marks_missed_targets() -> None:
    """A row over its target is marked, one under it is not, and memory rows show bytes."""
    rows = [
        {"benchmark": "b", "subject": "fast", "median_s": 1e-6, "per": "event", "anchor": "x",
         "ratio": 1.1, "target": 1.25, "met": True},
        {"benchmark": "b", "subject": "slow", "median_s": 2e-6, "per": "event", "anchor": "x",
         "ratio": 2.0, "target": 1.25},
        {"benchmark": "m", "subject": "mem", "median_s": None, "bytes": 40.0, "per": "B/job",
         "anchor": None, "ratio": None, "target": 64.0, "met": True},
    ]  # fmt: skip
    lines = run.table(rows).splitlines()
    assert lines[2].endswith("| ≤ 1.25x | yes |")
    assert lines[3].endswith("| ≤ 1.25x | **no** |")
    assert "| 40 B |" in lines[4]
    assert lines[4].endswith("| ≤ 64 B | yes |")


def test_quick_table_does_not_judge_targets() -> None:
    """A --quick run is too small to measure: its table says so instead of "no"."""
    rows = [
        {"benchmark": "b", "subject": "slow", "median_s": 2e-6, "per": "event", "anchor": "x",
         "ratio": 2.0, "target": 1.25},
        {"benchmark": "b", "subject": "missed", "median_s": 2e-6, "per": "event", "anchor": "x",
         "ratio": 2.0, "target": 1.25, "met": False},
    ]  # fmt: skip
    text = run.table(rows, quick=True)
    assert "**no**" not in text
    assert text.splitlines()[2].endswith("| ≤ 1.25x | (quick run) |")
    assert "**no**" in run.table(rows)


def test_write_docs_replaces_only_between_markers(tmp_path: Path) -> None:
    """--write-docs rewrites the marked block and keeps the prose around it."""
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Title\n\n{run.START}\nold table\n{run.END}\n\nafter\n", encoding="utf-8")
    run.write_docs("new table", doc)
    assert doc.read_text(encoding="utf-8") == (
        f"# Title\n\n{run.START}\nnew table\n{run.END}\n\nafter\n"
    )


def test_write_docs_without_markers_leaves_file_untouched(tmp_path: Path) -> None:
    """A document without the markers is an error and is not modified."""
    doc = tmp_path / "performance.md"
    doc.write_text("no markers here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        run.write_docs("table", doc)
    assert doc.read_text(encoding="utf-8") == "no markers here\n"
    assert list(tmp_path.iterdir()) == [doc]


def test_quick_and_write_docs_is_a_usage_error() -> None:
    """Quick figures are never written into the docs."""
    with pytest.raises(SystemExit) as exc:
        run.main(["--quick", "--write-docs"])
    assert exc.value.code == 2


def test_runner_as_a_script_prints_one_table() -> None:
    """`python benchmarks/run.py --quick` runs in one process and prints the table."""
    proc = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick", "--only", "jobs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("| benchmark | subject | median |") == 1
    assert "| jobfsm Job.fire(name) |" in proc.stdout


def test_validate_benchmark_compares_with_its_floors() -> None:
    """validate_trace, the CLI (every job count), every core, start-up and memory have anchors."""
    rows = importlib.import_module("benchmarks.bench_validate").measure(quick=True)
    anchored = {(row["benchmark"], row["subject"]): row["anchor"] for row in rows if row["anchor"]}
    floor = "read + json.loads each line"
    cli = [key for key, anchor in anchored.items() if key[0].startswith("CLI one process")]
    assert {anchored[key] for key in cli} == {floor}
    assert {subject for _, subject in cli} >= {"jobfsm validate --workers 1 (standard library)"}
    assert {bench.split(", ")[2] for bench, _ in cli} == {"20 jobs (0 MB)", "200 jobs (0 MB)"}
    every_core = {s: a for (b, s), a in anchored.items() if b.startswith("every core")}
    assert set(every_core.values()) == {"DuckDB, LAG() window"}
    assert "polars, shift().over(job)" in every_core
    subjects = {row["subject"] for row in rows}
    assert {"python -m jobfsm validate, over python -c pass", "events per second, one process"} <= (
        subjects
    )
    assert all(row["met"] is not None for row in rows if row["target"] is not None)
