"""Time in status, checked against a brute-force computation on generated logs."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, read_jsonl
from jobfsm.quantiles import nearest_rank
from jobfsm.stats import time_in_status
from tests.strategies import logs

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

LC = DEFAULT_LIFECYCLE
STATES = [str(s) for s in JobStatus]


def brute_force(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report computed the obvious way, from whole traces in memory."""
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        traces[row["job"]].append(row)
    times = [r["time"] for r in rows if r["time"] is not None]
    as_of = max(times) if times else None
    spent: dict[str, list[float]] = defaultdict(list)
    entered: dict[str, int] = defaultdict(int)
    ended: dict[str, int] = defaultdict(int)
    totals: dict[str, list[float]] = defaultdict(list)
    open_jobs = {}
    for job, trace in traces.items():
        entries: list[tuple[str, Any]] = []
        for row in trace:
            if row["status"] in STATES and (not entries or entries[-1][0] != row["status"]):
                entries.append((row["status"], row["time"]))
        for (a, ta), (_, tb) in itertools.pairwise(entries):
            if ta is not None and tb is not None and tb >= ta:
                spent[a].append(float(tb - ta))
        for status in {s for s, _ in entries}:
            entered[status] += 1
        if not entries:
            continue
        job_times = [r["time"] for r in trace if r["time"] is not None]
        last, at = entries[-1]
        if last in LC.terminal:
            ended[last] += 1
            if job_times and at is not None and at >= job_times[0]:
                totals[last].append(float(at - job_times[0]))
        else:
            idle = None if not job_times else max(0.0, float(as_of - job_times[-1]))
            open_jobs[job] = (last, idle)
    return {
        "spent": spent, "entered": entered, "ended": ended, "totals": totals,
        "open": open_jobs, "as_of": as_of,
    }  # fmt: skip


def pct(values: list[float], q: float) -> float | None:
    return nearest_rank(sorted(values), q) if values else None


@settings(max_examples=80, deadline=None)
@given(logs())
def test_exact_stats_equal_the_brute_force(rows: list[dict[str, Any]]) -> None:
    """Per status, per end and per unfinished job, the streamed report is the brute force."""
    stats = time_in_status(rows)
    want = brute_force(rows)
    assert stats.exact
    assert stats.events == len(rows)
    assert stats.unknown == sum(r["status"] == "Bogus" for r in rows)
    for row in stats.statuses:
        values = want["spent"][str(row.status)]
        assert row.jobs == want["entered"][str(row.status)], row.status
        assert row.visits == len(values)
        assert (row.p50, row.p90, row.p99, row.max) == (
            pct(values, 0.5), pct(values, 0.9), pct(values, 0.99), pct(values, 1.0)
        )  # fmt: skip
    for end in stats.terminals:
        values = want["totals"][str(end.status)]
        assert end.jobs == want["ended"][str(end.status)]
        assert (end.p50, end.p90) == (pct(values, 0.5), pct(values, 0.9))
    assert {j.job: (str(j.status), j.idle) for j in stats.open_jobs} == want["open"]
    assert stats.as_of == want["as_of"]


@settings(max_examples=30, deadline=None)
@given(logs(), st.sampled_from([0.0, 30.0, 3600.0]))
def test_stuck_after_keeps_only_the_idle_jobs(rows: list[dict[str, Any]], limit: float) -> None:
    """--stuck-after lists the unfinished jobs idle for longer than the limit, no others."""
    everything = time_in_status(rows)
    stuck = time_in_status(rows, stuck_after=limit)
    assert stuck.open_jobs == tuple(
        j for j in everything.open_jobs if j.idle is not None and j.idle > limit
    )


@settings(max_examples=30, deadline=None)
@given(logs())
def test_sketched_stats_stay_within_one_percent(rows: list[dict[str, Any]]) -> None:
    """With exact_limit=1 the sketch answers, within 1 % of the exact percentiles."""
    exact = time_in_status(rows)
    sketched = time_in_status(rows, exact_limit=1)
    for a, b in zip(exact.statuses, sketched.statuses, strict=True):
        assert (a.jobs, a.visits, a.max) == (b.jobs, b.visits, b.max)
        for x, y in ((a.p50, b.p50), (a.p90, b.p90), (a.p99, b.p99)):
            assert (x is None) == (y is None)
            if x is not None and y is not None:
                assert math.isclose(x, y, rel_tol=0.0101, abs_tol=1e-6)
    if any(s.visits > 1 for s in exact.statuses):
        assert not sketched.exact


def test_example_log_figures() -> None:
    """The shipped polled log: who is where, how long, and the one unfinished job."""
    stats = time_in_status(read_jsonl(EXAMPLES + "/events-polled.jsonl"))
    by_status = {str(s.status): s for s in stats.statuses}
    assert (stats.jobs, stats.events, stats.unknown) == (4, 19, 1)
    assert by_status["Queued"].p90 == 120.0
    assert by_status["Finalizing"].max == 150.0
    ends = {str(t.status): (t.jobs, t.p50) for t in stats.terminals}
    assert ends == {"Completed": (2, 180.0), "Failed": (0, None), "Canceled": (1, 240.0)}
    assert [(j.job, str(j.status), j.idle) for j in stats.open_jobs] == [
        ("brave_heron_8c2mw5rt0v", "Running", 20.0)
    ]


def test_malformed_rows_are_input_errors_not_crashes() -> None:
    """Rows without a job or with a bad time are reported; the rest is measured."""
    rows: list[Any] = [
        {"job": "a", "status": "Starting", "time": 0},
        {"status": "Running"},
        {"job": "a", "status": "Running", "time": "yesterday"},
        {"job": "a", "status": "Completed", "time": 10},
    ]
    stats = time_in_status(rows)
    assert len(stats.input_errors) == 2
    assert "missing key 'job'" in stats.input_errors[0].message
    assert "ISO-8601" in stats.input_errors[1].message
    assert [t.jobs for t in stats.terminals if t.status is JobStatus.COMPLETED] == [1]


def test_unknown_mode_is_refused() -> None:
    """A mode that is neither strict nor observed raises ValueError."""
    with pytest.raises(ValueError, match="mode"):
        time_in_status([], mode="loose")  # type: ignore[arg-type]
