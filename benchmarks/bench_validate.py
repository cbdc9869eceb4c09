"""Validation speed and memory, each figure beside an anchor measured in the same run.

- ``validate_trace`` on a long legal trace (edges and repeats) against a plain
  loop over a dict of adjacency sets, the least any checker must do;
- ``jobfsm validate`` (``cli.main`` in-process, stdout discarded) on a JSON Lines
  log of interleaved jobs against reading the same file and calling
  ``json.loads`` on each line, the least any reader of that file must do;
- peak traced memory of ``validate_events`` for a log and for one four times
  longer with the same jobs: it should grow with the jobs, not the events.

Run ``python benchmarks/bench_validate.py`` (add ``--quick`` for tiny sizes).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, validate_events, validate_trace
from jobfsm.cli import main

Row = dict[str, Any]


def _median_times(
    subject: Callable[[], object], anchor: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median seconds of *subject* and *anchor*, run in turns so load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for func, bucket in zip((subject, anchor), times, strict=True):
            start = time.perf_counter()
            func()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


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
    """Run every benchmark; return one row per figure.

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
    for mode in ("strict", "observed"):
        subject, anchor = _median_times(
            lambda m=mode: validate_trace(trace, mode=m),
            lambda: plain_adjacency_loop(trace, adjacency),
            repeat,
        )
        rows.append(
            {
                "benchmark": f"validate_trace, {statuses:,} statuses",
                "subject": f"validate_trace(mode={mode!r})",
                "median_s": subject,
                "per": f"{subject / statuses * 1e9:.0f} ns/status",
                "anchor": f"plain dict-adjacency loop {anchor:.3f} s",
                "ratio": subject / anchor,
                "target": 1.5,
            }
        )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(event_lines(events, jobs))
        assert _cli(path) == 0, "the generated log must be clean"
        subject, anchor = _median_times(lambda: _cli(path), lambda: _json_loads_only(path), repeat)
        rows.append(
            {
                "benchmark": f"CLI, {events:,} events, {jobs:,} jobs",
                "subject": "jobfsm validate FILE.jsonl",
                "median_s": subject,
                "per": f"{events / subject:,.0f} events/s",
                "anchor": f"read + json.loads each line {anchor:.3f} s",
                "ratio": subject / anchor,
                "target": 1.5,
            }
        )
        size = path.stat().st_size

    small, large = (events // 4, events) if not quick else (500, 2_000)
    peak_small = _peak_bytes(small, jobs)
    peak_large = _peak_bytes(large, jobs)
    rows.append(
        {
            "benchmark": f"memory, {jobs:,} jobs ({size / 1e6:.0f} MB log)",
            "subject": f"validate_events peak, {large:,} events: {peak_large / 1e6:.2f} MB",
            "median_s": None,
            "per": f"{peak_large / jobs:.0f} B/job",
            "anchor": f"same, {small:,} events: {peak_small / 1e6:.2f} MB",
            "ratio": peak_large / peak_small,
            "target": 1.5,
        }
    )
    return rows


def _print_table(rows: list[Row]) -> None:
    for row in rows:
        median = "" if row["median_s"] is None else f"{row['median_s']:.3f} s, "
        verdict = "ok" if row["ratio"] <= row["target"] else "OVER TARGET"
        print(
            f"{row['benchmark']}\n  {row['subject']}: {median}{row['per']}\n"
            f"  anchor: {row['anchor']}\n"
            f"  ratio {row['ratio']:.2f} (target <= {row['target']}): {verdict}"
        )


if __name__ == "__main__":
    _print_table(measure(quick="--quick" in sys.argv))
