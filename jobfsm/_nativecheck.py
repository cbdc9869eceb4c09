"""The compiled check of a clean JSON Lines log, and when ``jobfsm validate`` uses it.

Most logs a scheduler or an audit reads are clean. For a regular JSON Lines
file, ``jobfsm validate`` first hands the file to :mod:`jobfsm._native` (built
from ``jobfsm/_native.c`` when a C compiler is there at install time; without
it, nothing changes): it folds byte ranges of the file on threads, one per
worker, and merges their per-job summaries in file order, the reduction of
:mod:`jobfsm.segments`, over tables computed here from the lifecycle value (the
statuses, the statuses each may go to, the allowed first ones, the terminal
ones). It answers only "clean, with so many events and jobs" or "not for me":
at the first line, status, time or step it does not take as plainly valid
(an escape, a non-ASCII byte, a violation, another spelling of a status, a
time in another form, ...) every range stops, and the exact reader validates
the file from the start, wording every violation and input error. The clean
report it gives is the one the exact reader gives (tests/test_native.py
compares the two on generated and hostile logs).
"""

from __future__ import annotations

import mmap
import os
from typing import TYPE_CHECKING

from jobfsm._judge import Mode, _Judge

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.validate import Report

try:
    from jobfsm import _native
except ImportError:  # built without a C compiler: the exact reader does everything
    _native = None  # type: ignore[assignment]

__all__ = ["available", "check_file"]

#: The most statuses a lifecycle may have for the compiled check (one bit each).
MAX_STATUSES = 64
#: The most threads the check runs (more workers than that share them).
MAX_THREADS = 64


def available() -> bool:
    """Whether the compiled check was built and is not turned off.

    Setting the environment variable ``JOBFSM_NO_NATIVE`` (to anything but an
    empty string) turns it off: every log is then read by the exact reader.
    """
    return _native is not None and not os.environ.get("JOBFSM_NO_NATIVE")


def check_file(
    path: str | os.PathLike[str],
    threads: int,
    *,
    mode: Mode,
    lifecycle: Lifecycle,
    require_initial: bool,
    require_terminal: bool,
    job_key: str,
    status_key: str,
    time_key: str | None,
    keep_gaps: bool = False,
) -> Report | None:
    """The report of a clean JSON Lines file, or ``None``: the exact reader must read it.

    *threads* byte ranges of the file (cut at line ends) are folded at once.
    ``None`` also when the compiled check was not built, the lifecycle has
    more than 64 statuses, a key is not ASCII or two keys are the same, or
    the file is empty or cannot be mapped. (*keep_gaps* is accepted for the
    caller's options: a log the check takes has no gap, every step being an
    edge.)
    """
    from jobfsm._workers import split
    from jobfsm.validate import Report

    keys = (job_key, status_key, time_key)
    if not available() or len(set(keys)) < 3 or not all(k is None or k.isascii() for k in keys):
        return None
    judge = _Judge(lifecycle, mode, require_initial)
    t = judge.t
    names = list(t.members)
    if len(names) > MAX_STATUSES:
        return None
    code = {name: i for i, name in enumerate(names)}

    def bits(statuses: frozenset[str]) -> int:
        return sum(1 << code[s] for s in statuses)

    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                return None
            ranges = split(path, min(max(1, threads), MAX_THREADS))
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as log:
                found = _native.check(
                    log,
                    ranges,
                    tuple(None if k is None else k.encode("ascii") for k in keys),
                    tuple(name.encode("utf-8") for name in names),
                    tuple(bits(t.direct[name]) for name in names),
                    bits(judge.start),
                    bits(t.terminal),
                    require_terminal,
                )
    except (OSError, ValueError):  # not a mappable file: the exact reader says why
        return None
    if found is None:
        return None
    events, jobs = found
    return Report(mode=mode, jobs=jobs, events=events)
