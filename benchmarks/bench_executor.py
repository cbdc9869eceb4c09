"""The local executor's cost per job: ``LocalExecutor.run`` against the bare subprocess.

Anchor: ``subprocess.run(command, shell=True)`` of the same command with its
output going to files, which is what any local runner must at least pay. The
subject runs the same command through ``LocalExecutor`` with a SQLite
``JobStore``: the job is stored, walks start, prepare, queue, run, finalize,
complete, takes a slot lock and writes its logs; once with the store's default
durability (an fsync per write) and once with ``durability="normal"``. The
command is ``true`` so that the difference is the executor's overhead.

These rows use the wall clock (``time.perf_counter``), not CPU time as the
other benchmarks do: waiting for the child to exit is part of what the
executor costs. Subjects are interleaved (anchor, subject, anchor, ...).
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import time_row
from jobfsm import CommandJob, JobStore
from jobfsm.executor import LocalExecutor

__all__ = ["measure"]

COMMAND = "true"


def _bare(folder: Path, index: int) -> None:
    with open(folder / f"out-{index}", "wb") as out, open(folder / f"err-{index}", "wb") as err:
        subprocess.run(COMMAND, shell=True, cwd=folder, stdout=out, stderr=err, check=True)


def measure(quick: bool = False) -> list[dict[str, Any]]:
    """Seconds per job, wall clock; rows as described in ``benchmarks.common``.

    Args:
        quick: a few jobs (a smoke run; the figures mean little).
    """
    rounds = 3 if quick else 60
    samples: dict[str, list[float]] = {"bare": [], "full": [], "normal": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        job = CommandJob(command=COMMAND, code=None, base_path=folder)
        with (
            JobStore(folder / "full.db") as full,
            JobStore(folder / "normal.db", durability="normal") as normal,
        ):
            executors = {
                "full": LocalExecutor(full, runs_dir=folder / "runs", poll_interval=0.01),
                "normal": LocalExecutor(normal, runs_dir=folder / "runs", poll_interval=0.01),
            }
            for index in range(rounds + 1):
                start = time.perf_counter()
                _bare(folder, index)
                took = {"bare": time.perf_counter() - start}
                for key, executor in executors.items():
                    start = time.perf_counter()
                    executor.run(job, name=f"job-{index}")
                    took[key] = time.perf_counter() - start
                if index:  # the first round warms imports and caches up
                    for key, seconds in took.items():
                        samples[key].append(seconds)
    anchor = "subprocess.run(command, shell=True), output to files"
    subjects = {
        "full": "LocalExecutor.run, SQLite store (durability full: fsync per event)",
        "normal": "LocalExecutor.run, SQLite store (durability normal)",
    }
    bench = "run a local job (command: true)"
    rows = [time_row(bench, anchor, statistics.median(samples["bare"]), "job")]
    for key, subject in subjects.items():
        pairs = zip(samples[key], samples["bare"], strict=True)
        ratio = statistics.median(e / b for e, b in pairs)
        rows.append(
            time_row(
                bench, subject, statistics.median(samples[key]), "job", anchor=anchor, ratio=ratio
            )
        )
    return rows
