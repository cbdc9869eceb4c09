"""The compiled pass over a JSON Lines log, and how ``jobfsm validate`` uses it.

For a regular JSON Lines file, ``jobfsm validate`` first hands the file to
:mod:`jobfsm._native` (built from ``jobfsm/_native.c`` when a C compiler is
there at install time; without it, nothing changes): it folds byte ranges of
the file on threads, one per worker, and merges their per-job summaries in
file order, the reduction of :mod:`jobfsm.segments`, over tables computed here
from the lifecycle value (the statuses, the statuses each may go to, the
allowed first ones, the terminal ones). It words nothing: it counts events
and jobs, and names the lines of the jobs that break a rule, which
:func:`jobfsm.validate.validate_events` then folds as one pass over the log
would, violations, gaps and other spellings included. At a line it cannot
read plainly (an escape, a non-ASCII byte, a time in another form, a line
that is not JSON, ...) every range stops, and the exact reader validates the
file from the start. tests/test_native.py compares its reports with the exact
reader's on generated, broken and hostile logs.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from jobfsm._judge import Mode, _Judge

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.validate import Report

try:
    from jobfsm import _native
except ImportError:  # built without a C compiler: the exact reader does everything
    _native = None  # type: ignore[assignment]

__all__ = ["available", "check_file"]

#: The most statuses a lifecycle may have for the compiled pass (one bit each).
MAX_STATUSES = 64
#: The most threads the pass runs (more workers than that share them).
MAX_THREADS = 64
#: The most lines of jobs that broke a rule handed to the exact fold (24 bytes
#: each while they wait): past it, the exact reader streams the whole log.
MAX_WORDED_LINES = 1 << 24


def available() -> bool:
    """Whether the compiled pass was built and is not turned off.

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
    progress: Callable[[int, int], object] | None = None,
) -> Report | None:
    """The report of a JSON Lines file, or ``None``: the exact reader must read all of it.

    *threads* byte ranges of the file (cut at line ends) are folded at once.
    When some jobs break a rule, their lines (and only theirs) are folded
    again by the exact fold, which words the violations; the other jobs, and
    the counts, are the compiled pass's. ``None`` when a line is not plainly
    readable (see the module's docstring), and also when the compiled pass
    was not built, the lifecycle has more than 64 statuses, a key is not
    ASCII or two keys are the same, or the file is empty or cannot be mapped.
    *progress*, when given, is called with the bytes and the events read so
    far, about every 0.2 s.
    """
    from jobfsm._workers import split
    from jobfsm.validate import Report, validate_events

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
                    progress,
                    MAX_WORDED_LINES,
                )
                if found is None:
                    return None
                events, jobs, lines = found
                if not lines:
                    return Report(mode=mode, jobs=jobs, events=events)
                # Lines of plain JSON (the pass read each one): the standard library
                # reads them as the exact reader does, and validate_events folds them.
                spots = struct.iter_unpack("qqq", lines)  # (line, start, stop), one at a time
                worded = validate_events(
                    ((number, json.loads(log[a:b])) for number, a, b in spots),
                    mode,
                    lifecycle,
                    require_initial=require_initial,
                    require_terminal=require_terminal,
                    job_key=job_key,
                    status_key=status_key,
                    time_key=time_key,
                    keep_gaps=keep_gaps,
                )
    except (OSError, ValueError):  # not a mappable file: the exact reader says why
        return None
    if worded.input_errors:  # cannot be: the pass read every line; the reader decides
        return None
    # The counts are the whole log's; the rest is the jobs that broke a rule.
    return attrs.evolve(worded, jobs=jobs, events=events)
