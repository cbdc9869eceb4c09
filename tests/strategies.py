"""Hypothesis strategies shared by the test modules.

The lifecycle strategies are the public testing kit's (jobfsm.testing), so the
suite exercises them as users do; only YAML-specific values and a helper
live here.
"""

from __future__ import annotations

import itertools
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
