"""Lifecycle files and service profiles, each figure beside an anchor of the same run.

- reading a lifecycle file (``Lifecycle.from_file`` of the shipped ``azureml``
  profile: YAML parsing, shape checks, the lifecycle's own checks) against
  building the same lifecycle in Python (the constructor and its checks alone);
- validating a Slurm log whose statuses are partly squeue's short codes
  (aliases, which take the judge's slow path and are counted) against the same
  log spelled in full, the cost of accepting aliases;
- validating a log against a service profile (slurm, with aliases and a
  mapping) against the same log and the same states without them: what a
  profile's extras cost per event (nothing, when the log uses no alias).

Run with ``python benchmarks/run.py --only lifecycles`` (add ``--quick`` for tiny sizes).
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from benchmarks.common import anchored_rows, compare
from jobfsm import DEFAULT_LIFECYCLE, Lifecycle, validate_events
from jobfsm.profiles import profile_path, resolve

Row = dict[str, Any]

#: Accepting some aliases may cost at most this much over the same log spelled in full.
ALIAS_TARGET = 1.5
#: A profile costs what the default lifecycle costs per event.
PROFILE_TARGET = 1.2


def _rebuild() -> Lifecycle:
    d = DEFAULT_LIFECYCLE
    return Lifecycle(
        name=d.name, states=d.states, initial=d.initial, terminal=d.terminal, events=d.events,
        active=d.active, attention=d.attention, descriptions=d.descriptions,
    )  # fmt: skip


def _walk(lifecycle: Lifecycle, jobs: int, length: int, seed: int) -> list[dict[str, str]]:
    """Interleaved legal traces of *jobs* jobs: random walks of *length* statuses (half
    repeats) that stay among unfinished statuses, then end at a terminal one."""
    rng = random.Random(seed)
    traces = []
    for job in range(jobs):
        status = lifecycle.statuses[lifecycle.states.index(lifecycle.initial)]
        trace = [status]
        while len(trace) < length:
            if rng.random() < 0.5:
                going_on = sorted(lifecycle.successors[status] - lifecycle.terminal)
                status = rng.choice(going_on or sorted(lifecycle.successors[status]))
            trace.append(status)
            if status in lifecycle.terminal:
                break
        ends = sorted(lifecycle.successors[status] & lifecycle.terminal)
        if ends:
            trace.append(rng.choice(ends))
        traces.append([{"job": str(job), "status": str(s)} for s in trace])
    rows = []
    while any(traces):
        for trace in traces:
            if trace:
                rows.append(trace.pop(0))
    return rows


def measure(quick: bool = False) -> list[Row]:
    """Rows for the table of ``benchmarks/run.py``."""
    rows: list[Row] = []
    repeat = 3 if quick else 15
    path = profile_path("azureml")
    loading = compare(
        {
            "Lifecycle(...) in Python": (lambda: None, lambda _: _rebuild()),
            "Lifecycle.from_file(azureml.yaml)": (
                lambda: None,
                lambda _: Lifecycle.from_file(path),
            ),
        },
        per=1,
        repeat=repeat,
    )
    rows += anchored_rows(
        "build the azureml lifecycle", loading, "Lifecycle(...) in Python", "lifecycle"
    )

    slurm = resolve("slurm")
    jobs, length = (50, 20) if quick else (2_000, 60)
    log = _walk(slurm, jobs, length, seed=7)
    short = {status: alias for alias, status in slurm.aliases.items()}
    rng = random.Random(3)
    aliased = [
        {**row, "status": short[row["status"]]} if rng.random() < 0.1 else row for row in log
    ]
    events = len(log)

    def observed(rows: list[dict[str, str]]) -> object:
        return validate_events(rows, "observed", slurm)

    timing = compare(
        {
            "slurm log, full spellings": (lambda: log, observed),
            "slurm log, 10% short codes": (lambda: aliased, observed),
        },
        per=events,
        repeat=repeat,
    )
    rows += anchored_rows(
        f"validate_events, {events:,} events (observed)",
        timing,
        "slurm log, full spellings",
        "event",
        {"slurm log, 10% short codes": ALIAS_TARGET},
    )

    bare = attrs.evolve(slurm, name="slurm, bare", aliases={}, maps_to=None)
    profile = compare(
        {
            "same states, no aliases or mapping": (
                lambda: log,
                lambda r: validate_events(r, "strict", bare),
            ),
            "slurm profile": (lambda: log, lambda r: validate_events(r, "strict", slurm)),
        },
        per=events,
        repeat=repeat,
    )  # fmt: skip
    rows += anchored_rows(
        f"validate_events, {events:,} events (strict)", profile,
        "same states, no aliases or mapping", "event", {"slurm profile": PROFILE_TARGET},
    )  # fmt: skip
    return rows
