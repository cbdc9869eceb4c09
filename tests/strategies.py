"""Hypothesis strategies shared by the test modules.

The lifecycle strategies are the public testing kit's (jobfsm.testing), so the
suite exercises them as users do; only YAML-specific values and a helper
live here.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, JobStatus
from jobfsm.testing import events, traces
from jobfsm.testing import statuses as _statuses

statuses = _statuses()
event_names = events()


def walks(max_steps: int = 30) -> st.SearchStrategy[list[JobStatus]]:
    """A legal walk through the default lifecycle from NotStarted (edge by edge, no repeats)."""
    return traces(mode="strict", max_steps=max_steps).map(
        lambda trace: [status for status, _ in itertools.groupby(trace)]
    )


# -- YAML documents (tests/test_yamlio.py) -------------------------------------

# Plain YAML values: what a job file can hold (no NaN: it never equals itself).
yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(["on", "off", "yes", "no", "~", "null", "1:30", "0o17", "", " x ", "a\nb"])
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def events_for(walk: list[JobStatus]) -> list[tuple[str, JobStatus]]:
    """The (event, target) pairs that move a job along *walk*."""
    table = DEFAULT_LIFECYCLE.table
    steps = []
    for source, dest in itertools.pairwise(walk):
        event = next(e for e, targets in table[source].items() if dest in targets)
        steps.append((event, dest))
    return steps


# -- event logs (tests/test_stats.py, tests/test_processmap.py) -----------------

_STATES = [str(s) for s in JobStatus]


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Interleaved events of a few jobs: any statuses (repeats, jumps, an unknown one),
    times mostly increasing, sometimes missing or going backwards."""
    traces = []
    for number in range(draw(st.integers(1, 5))):
        events = []
        clock = draw(st.integers(0, 1000))
        for _ in range(draw(st.integers(1, 10))):
            status = draw(st.sampled_from([*_STATES, "Bogus"]))
            if events and draw(st.booleans()) and draw(st.booleans()):
                status = events[-1]["status"]  # a repeat
            clock += draw(st.sampled_from([0, 1, 5, 30, 600, 3600, -7]))
            time = None if draw(st.integers(0, 9)) == 0 else clock
            events.append({"job": f"job-{number}", "status": status, "time": time})
        traces.append(events)
    order = draw(st.permutations([i for i, t in enumerate(traces) for _ in t]))
    cursors = [0] * len(traces)
    rows = []
    for index in order:
        rows.append(traces[index][cursors[index]])
        cursors[index] += 1
    return rows


# -- event logs of many jobs (tests/test_columnar.py, tests/test_spark.py) ---------

#: Statuses a service reports that the default lifecycle lacks (one misspelt).
UNKNOWN_STATUSES = ("Paused", "Cancelled", "Unknown")
_START = datetime(2026, 5, 1, tzinfo=UTC)


@st.composite
def event_logs(draw: st.DrawFn, max_jobs: int = 4, max_steps: int = 10) -> list[dict[str, Any]]:
    """Interleaved events of a few jobs, as a polled log holds them.

    Each job walks the lifecycle with a few statuses put in out of place
    (unknown ones, or any status, which may break a rule); times are ISO-8601
    strings that usually move on, sometimes go backwards or are missing; a
    rare event has no status or no job (an input error).
    """
    noise = st.sampled_from([*map(str, JobStatus), *UNKNOWN_STATUSES])
    traces: list[list[str | None]] = []
    for _ in range(draw(st.integers(1, max_jobs))):
        trace: list[str | None] = [str(s) for s in draw(walks(max_steps=max_steps))]
        if not draw(st.integers(0, 3)):  # polling missed the start
            trace = trace[draw(st.integers(0, len(trace) - 1)) :]
        for at, status in draw(st.lists(st.tuples(st.integers(0, 99), noise), max_size=3)):
            trace.insert(at % (len(trace) + 1), status)
        traces.append(trace)
    order = draw(st.permutations([j for j, trace in enumerate(traces) for _ in trace]))
    events: list[dict[str, Any]] = []
    clock = 0
    nexts = [0] * len(traces)
    for j in order:
        status = traces[j][nexts[j]]
        nexts[j] += 1
        clock += draw(st.sampled_from([0, 7, 60, 61, 300, -45]))
        time = None if not draw(st.integers(0, 11)) else (_START + timedelta(seconds=clock))
        job: str | None = f"job-{j}"
        kind = draw(st.integers(0, 40))
        if kind == 0:
            status = None
        elif kind == 1:
            job = None
        events.append(
            {
                "job": job,
                "status": status,
                "time": None if time is None else time.isoformat().replace("+00:00", "Z"),
            }
        )
    return events
