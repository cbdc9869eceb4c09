"""Validation speed and memory, each figure beside an anchor measured in the same run.

- ``validate_trace`` on a long legal trace (edges and repeats) against a plain
  loop over a dict of adjacency sets, the least any checker must do;
- ``jobfsm validate`` (``cli.main`` in-process, stdout discarded) on a JSON Lines
  log of interleaved jobs against reading the same file and calling
  ``json.loads`` on each line, the least any reader of that file must do;
- peak traced memory of ``validate_events`` for a log and for one four times
  longer with the same jobs: it should grow with the jobs, not the events.

Run with ``python benchmarks/run.py --only validate`` (add ``--quick`` for tiny sizes).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import anchored_rows, compare, memory_row
from jobfsm import DEFAULT_LIFECYCLE, JobStatus, validate_events, validate_trace
from jobfsm.cli import main

Row = dict[str, Any]

#: Every validation figure may cost at most 1.5x its anchor.
TARGET = 1.5


def legal_trace(size: int, seed: int = 1) -> list[JobStatus]:
    """A legal trace of *size* statuses: random edges that avoid ending, half repeats."""
    rng = random.Random(seed)
    lifecycle = DEFAULT_LIFECYCLE
    # Stay among statuses from which the walk can go on without ending.
    keep = {s for s in lifecycle.non_terminal if s is not JobStatus.CANCEL_REQUESTED}
    nexts = {s: sorted(lifecycle.successors[s] & keep) for s in keep}
    status = JobStatus.NOT_STARTED
    trace = []
    for _ in range(size):
        trace.append(status)
        if rng.random() < 0.5:
            status = rng.choice(nexts[status])
    return trace


def plain_adjacency_loop(trace: list[JobStatus], adjacency: dict[str, set[str]]) -> list[int]:
    """The anchor: flag each pair that is neither a repeat nor an edge."""
    bad = []
    prev = trace[0]
    for index, status in enumerate(trace):
        if status != prev and status not in adjacency[prev]:
            bad.append(index)
        prev = status
    return bad


def _job_path(rng: random.Random, length: int) -> list[str]:
    """One job's polled statuses: the usual path with repeats while it runs."""
    head = ["Starting", "Provisioning", "Preparing", "Queued"]
    if rng.random() < 0.5:
        head.remove("Provisioning")
    tail = ["Finalizing", rng.choice(["Completed", "Completed", "Completed"])]
    if rng.random() < 0.1:
        tail = ["Failed"]
    running = max(1, length - len(head) - len(tail))
    return head + ["Running"] * running + tail


def event_lines(events: int, jobs: int, seed: int = 2) -> Iterator[str]:
    """JSON Lines of *jobs* interleaved jobs polled in turn, *events* lines in all."""
    rng = random.Random(seed)
    per_job = max(1, events // jobs)
    paths = [_job_path(rng, per_job) for _ in range(jobs)]
    names = [f"job-{n:06d}" for n in range(jobs)]
    start = 1_714_550_400  # 2024-05-01T08:00:00Z
    written = 0
    for tick in range(max(len(p) for p in paths)):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + tick * 30))
        for name, path in zip(names, paths, strict=True):
            if tick < len(path) and written < events:
                written += 1
                yield (
                    '{"job": "%s", "status": "%s", "time": "%s"}\n' % (name, path[tick], stamp)  # noqa: UP031
                )


def _json_loads_only(path: Path) -> None:
    loads = json.loads
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            loads(line)


def _cli(path: Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main(["validate", str(path)])


def _peak_bytes(events: int, jobs: int) -> int:
    lines = event_lines(events, jobs)
    # Start the generator first: its own tables (the jobs' planned paths) are
    # allocated before tracing starts, so the peak is validate_events' alone.
    first = next(lines)
    rows = (json.loads(line) for line in itertools.chain([first], lines))
    tracemalloc.start()
    try:
        report = validate_events(rows)
        assert report.ok, report.violations[:3]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(quick: bool = False) -> list[Row]:
    """Run every benchmark; return one row per figure (anchors included).

    Args:
        quick: Tiny sizes, for a smoke test (the figures mean nothing then).
    """
    statuses = 2_000 if quick else 1_000_000
    events = 2_000 if quick else 1_000_000
    jobs = 20 if quick else 10_000
    repeat = 1 if quick else 5
    rows: list[Row] = []

    trace = legal_trace(statuses)
    adjacency = {s.value: {d.value for d in DEFAULT_LIFECYCLE.successors[s]} for s in JobStatus}
    bench = f"validate_trace, {statuses:,} statuses"
    loop = "plain dict-adjacency loop"
    subjects = {
        loop: (lambda: None, lambda _: plain_adjacency_loop(trace, adjacency)),
        "validate_trace(mode='strict')": (lambda: None, lambda _: validate_trace(trace)),
        "validate_trace(mode='observed')": (
            lambda: None,
            lambda _: validate_trace(trace, mode="observed"),
        ),
    }
    timing = compare(subjects, per=statuses, repeat=repeat)
    targets = dict.fromkeys(subjects, TARGET)
    rows += anchored_rows(bench, timing, loop, lambda s: f"{s * 1e9:.0f} ns/status", targets)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(event_lines(events, jobs))
        assert _cli(path) == 0, "the generated log must be clean"
        bench = f"CLI, {events:,} events, {jobs:,} jobs"
        floor, cli = "read + json.loads each line", "jobfsm validate FILE.jsonl"
        timing = compare(
            {
                floor: (lambda: None, lambda _: _json_loads_only(path)),
                cli: (lambda: None, lambda _: _cli(path)),
            },
            per=events,
            repeat=repeat,
        )
        per = lambda s: f"{1 / s:,.0f} events/s"  # noqa: E731
        rows += anchored_rows(bench, timing, floor, per, {cli: TARGET})
        size = path.stat().st_size

    small, large = (events // 4, events) if not quick else (500, 2_000)
    bench = f"validate_events peak memory, {jobs:,} jobs ({size / 1e6:.0f} MB log)"
    peak_small = _peak_bytes(small, jobs)
    peak_large = _peak_bytes(large, jobs)
    anchor = f"{small:,} events"
    rows.append(memory_row(bench, anchor, peak_small, "B peak"))
    row = memory_row(
        bench, f"{large:,} events", peak_large, "B peak", anchor=anchor, anchor_bytes=peak_small
    )
    # Bounded by jobs, not events: 4x the events may not cost 1.5x the memory.
    row["target"] = f"≤ {TARGET:g}x"  # a ratio, where memory rows usually bound bytes
    row["met"] = row["ratio"] <= TARGET
    rows.append(row)
    return rows


if __name__ == "__main__":
    sys.exit("run the benchmarks with: python benchmarks/run.py [--only validate]")
