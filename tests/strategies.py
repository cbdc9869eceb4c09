"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, JobStatus

statuses = st.sampled_from(list(JobStatus))
event_names = st.sampled_from(list(DEFAULT_LIFECYCLE.event_names))


@st.composite
def walks(draw: st.DrawFn, max_steps: int = 30) -> list[JobStatus]:
    """A legal walk through the default lifecycle from NotStarted (edge by edge)."""
    lifecycle = DEFAULT_LIFECYCLE
    status = lifecycle.status(lifecycle.initial)
    walk = [status]
    for _ in range(draw(st.integers(0, max_steps))):
        nexts = sorted(lifecycle.successors[status], key=lifecycle.statuses.index)
        if not nexts:
            break
        status = draw(st.sampled_from(nexts))
        walk.append(status)
    return walk
