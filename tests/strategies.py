"""Hypothesis strategies shared by the test modules.

The lifecycle strategies are the public testing kit's (jobfsm.testing), so the
suite exercises them as users do; only YAML-specific values and a helper
live here.
"""

from __future__ import annotations

import itertools

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
