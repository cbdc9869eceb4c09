"""Pictures of event logs: the cost of a process map and of time-in-status per event, and
their memory, which must grow with the jobs, not the events.

Anchor: ``validate_events`` on the same log, the streaming validator the pictures share
their reader with. The memory rows read the same jobs with four times the events (each
job polled four times as often): the peak may not grow by more than half.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import anchored_rows, compare, memory_row
from jobfsm import read_jsonl, validate_events
from jobfsm.processmap import process_map
from jobfsm.stats import time_in_status

#: Largest acceptable ratios: per event against validation, and peak memory 4x events.
TARGET_SPEED = 4.0
TARGET_MEMORY = 1.5


def _job_path(rng: random.Random, polls: int) -> list[str]:
    """One job's polled statuses: a usual run, a heartbeat lost now and then, repeats."""
    path = ["Starting"] + (["Provisioning"] if rng.random() < 0.5 else []) + ["Preparing"]
    path += ["Queued", "Running"]
    if rng.random() < 0.2:
        path += ["NotResponding", "Running"]
    path += ["Finalizing", "Completed"] if rng.random() < 0.9 else ["Failed"]
    # Each status is seen `polls` times in a row (the poller is faster than the job).
    return [status for status in path for _ in range(polls)]


def event_lines(jobs: int, polls: int, seed: int = 3) -> Iterator[str]:
    """JSON Lines of *jobs* jobs polled in turn, every 10 s."""
    rng = random.Random(seed)
    paths = [_job_path(rng, polls) for _ in range(jobs)]
    start = 1_714_550_400
    for tick in range(max(len(p) for p in paths)):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + tick * 10))
        for number, path in enumerate(paths):
            if tick < len(path):
                yield json.dumps({"job": f"job-{number:06d}", "status": path[tick], "time": stamp})
                yield "\n"


def _peak(run: Callable[[Any], object], jobs: int, polls: int) -> int:
    lines = event_lines(jobs, polls)
    first = next(lines)  # the generator's own plan is allocated before tracing
    rows = (json.loads(line) for line in (first, *lines) if line != "\n")
    tracemalloc.start()
    try:
        run(rows)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(quick: bool = False) -> list[dict[str, Any]]:
    """Speed against validation, and peak memory for 1x and 4x the events of the same jobs."""
    jobs = 50 if quick else 2_000
    polls = 2 if quick else 5
    repeat = 1 if quick else 3
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(event_lines(jobs, polls))
        with open(path, encoding="utf-8") as stream:
            events = sum(1 for _ in stream)
        anchor = "validate_events(read_jsonl(FILE))"
        subjects = {
            anchor: (lambda: None, lambda _: validate_events(read_jsonl(path), mode="observed")),
            "process_map(read_jsonl(FILE))": (
                lambda: None,
                lambda _: process_map(read_jsonl(path)),
            ),
            "time_in_status(read_jsonl(FILE))": (
                lambda: None,
                lambda _: time_in_status(read_jsonl(path)),
            ),
        }
        timing = compare(subjects, per=events, repeat=repeat)
        per = lambda s: f"{1 / s:,.0f} events/s"  # noqa: E731
        targets = {name: TARGET_SPEED for name in subjects if name != anchor}
        bench = f"log pictures, {events:,} events, {jobs:,} jobs"
        rows += anchored_rows(bench, timing, anchor, per, targets)

    for name, run in (
        ("process_map", lambda rows: process_map(rows)),
        ("time_in_status", lambda rows: time_in_status(rows)),
        ("time_in_status, sketch only", lambda rows: time_in_status(rows, exact_limit=0)),
    ):
        small = _peak(run, jobs, polls)
        large = _peak(run, jobs, polls * 4)
        bench = f"{name} peak memory, {jobs:,} jobs"
        base = f"{polls} polls per status"
        rows.append(memory_row(bench, base, small, "B peak"))
        row = memory_row(
            bench, f"{polls * 4} polls per status (4x events)", large, "B peak",
            anchor=base, anchor_bytes=small,
        )  # fmt: skip
        row["target"] = f"≤ {TARGET_MEMORY:g}x"
        row["met"] = row["ratio"] <= TARGET_MEMORY
        rows.append(row)
    return rows


if __name__ == "__main__":
    sys.exit("run the benchmarks with: python benchmarks/run.py [--only pictures]")
