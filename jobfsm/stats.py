"""Time in status: how long jobs stay in each status, how long they take, which are stuck.

:func:`time_in_status` streams an event log once (through
:class:`~jobfsm.logscan.LogScan`, a few values per job) and reports:

- per status, the jobs that entered it and the p50/p90/p99/max time spent in
  it per visit (a visit ends when the job is first seen in another status,
  so with polled statuses it includes the time until the poller noticed);
- per terminal status, the jobs that ended there and the p50/p90 of their
  total duration (first event to the terminal status);
- jobs that never reached a terminal status, with how long since their last
  event (as of the latest time in the log unless told otherwise), optionally
  only those idle for longer than ``stuck_after`` seconds.

Percentiles are nearest-rank and exact while each status has at most
``exact_limit`` visits; beyond, a bounded-memory sketch answers within 1 %
(see :mod:`jobfsm.quantiles`) and :attr:`Stats.exact` is false.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from jobfsm.eventlog import MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.logscan import LogScan
from jobfsm.processmap import format_seconds
from jobfsm.quantiles import DEFAULT_EXACT_LIMIT, Durations

__all__ = [
    "OpenJob",
    "Stats",
    "StatusStats",
    "TerminalStats",
    "stats_csv",
    "stats_text",
    "time_in_status",
]

#: The percentiles reported per status.
PERCENTILES = (0.5, 0.9, 0.99)


@attrs.frozen
class StatusStats:
    """Time spent in one status.

    Attributes:
        status: The status.
        jobs: Jobs that entered it at least once.
        visits: Visits that ended (the job moved on) with known times.
        p50, p90, p99, max: Seconds per visit (``None`` without any visit).
    """

    status: enum.StrEnum
    jobs: int
    visits: int
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


@attrs.frozen
class TerminalStats:
    """Jobs that ended in one terminal status and how long they took in all.

    Attributes:
        status: The terminal status.
        jobs: Jobs whose last known status it is.
        p50, p90: Seconds from the job's first event to entering it.
    """

    status: enum.StrEnum
    jobs: int
    p50: float | None
    p90: float | None


@attrs.frozen
class OpenJob:
    """A job whose last known status is not terminal.

    Attributes:
        job: Its key.
        status: Its last known status.
        idle: Seconds from its last event to the report's ``as_of`` time.
    """

    job: str
    status: enum.StrEnum
    idle: float | None


@attrs.frozen
class Stats:
    """The time-in-status report of one log."""

    statuses: tuple[StatusStats, ...]
    terminals: tuple[TerminalStats, ...]
    open_jobs: tuple[OpenJob, ...]
    as_of: float | None
    exact: bool
    jobs: int
    events: int
    unknown: int = 0
    input_errors: tuple[MalformedEvent, ...] = ()
    stuck_after: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (seconds as numbers, statuses as text)."""

        def values(obj: Any) -> dict[str, Any]:
            data = attrs.asdict(obj)
            return {k: str(v) if isinstance(v, enum.Enum) else v for k, v in data.items()}

        return {
            "jobs": self.jobs,
            "events": self.events,
            "exact": self.exact,
            "as_of": self.as_of,
            "stuck_after": self.stuck_after,
            "unknown_statuses": self.unknown,
            "statuses": [values(s) for s in self.statuses],
            "terminals": [values(t) for t in self.terminals],
            "open_jobs": [values(j) for j in self.open_jobs],
            "input_errors": [{"line": e.line, "message": e.message} for e in self.input_errors],
        }


def time_in_status(
    events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    mode: Literal["strict", "observed"] = "observed",
    job_key: str = "job",
    status_key: str = "status",
    time_key: str | None = "time",
    stuck_after: float | None = None,
    as_of: float | None = None,
    exact_limit: int = DEFAULT_EXACT_LIMIT,
) -> Stats:
    """Measure the time jobs spend in each status of an event log.

    Args:
        events: ``(line, row)`` pairs (an :class:`~jobfsm.eventlog.EventLog`) or rows.
        lifecycle: The lifecycle of the statuses.
        mode: How changes are judged (they are measured either way).
        job_key, status_key, time_key: The keys of the rows, as for validation.
        stuck_after: List only unfinished jobs idle for longer than this (seconds).
        as_of: The time idleness is measured to (POSIX seconds; default: the
            latest time in the log).
        exact_limit: Visits per status kept exactly before switching to a sketch.

    Raises:
        ValueError: *mode* is not a mode.
        EventLogError: the log cannot be read (not UTF-8 text).
    """
    scan = LogScan(
        events, lifecycle, mode=mode, job_key=job_key, status_key=status_key, time_key=time_key
    )
    spent = {s: Durations(exact_limit) for s in lifecycle.statuses}
    for change in scan:
        duration = change.duration
        if change.source is not None and duration is not None:
            spent[change.source].add(duration)
    totals = {s: Durations(exact_limit) for s in lifecycle.statuses if s in lifecycle.terminal}
    ended = dict.fromkeys(totals, 0)
    entered = dict.fromkeys(lifecycle.statuses, 0)
    bits = [(1 << i, s) for i, s in enumerate(lifecycle.statuses)]
    as_of = scan.latest if as_of is None else as_of
    open_jobs = []
    for job, state in scan.jobs.items():
        for bit, status in bits:
            if state.seen & bit:
                entered[status] += 1
        if state.status is None:
            continue
        if state.status in lifecycle.terminal:
            ended[state.status] += 1
            first, entered_at = state.first, state.entered
            if first is not None and entered_at is not None and entered_at >= first:
                totals[state.status].add(entered_at - first)
            continue
        idle = None if as_of is None or state.last is None else max(0.0, as_of - state.last)
        if stuck_after is None or (idle is not None and idle > stuck_after):
            open_jobs.append(OpenJob(job, state.status, idle))
    statuses = []
    for status in lifecycle.statuses:
        durations = spent[status]
        p50 = p90 = p99 = top = None
        if durations.count:
            p50, p90, p99, top = durations.quantiles(*PERCENTILES, 1.0)
        statuses.append(StatusStats(status, entered[status], durations.count, p50, p90, p99, top))
    terminals = []
    for status, durations in totals.items():
        t50 = t90 = None
        if durations.count:
            t50, t90 = durations.quantiles(0.5, 0.9)
        terminals.append(TerminalStats(status, ended[status], t50, t90))
    open_jobs.sort(key=lambda j: (-(j.idle or 0.0), j.job))
    exact = all(d.exact for d in (*spent.values(), *totals.values()))
    return Stats(
        statuses=tuple(statuses),
        terminals=tuple(terminals),
        open_jobs=tuple(open_jobs),
        as_of=as_of,
        exact=exact,
        jobs=len(scan.jobs),
        events=scan.events,
        unknown=scan.unknown,
        input_errors=tuple(scan.input_errors),
        stuck_after=stuck_after,
    )


# -- reports --------------------------------------------------------------------------


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else format_seconds(value)


def stats_text(stats: Stats, name: str = "log") -> str:
    """The text report of ``jobfsm stats``: a table per status, per end, then open jobs."""
    return "".join(_text_lines(stats, name))


def _text_lines(stats: Stats, name: str) -> Iterator[str]:
    when = (
        datetime.fromtimestamp(stats.as_of, UTC).isoformat().replace("+00:00", "Z")
        if stats.as_of is not None
        else "unknown"
    )
    kind = "exact" if stats.exact else "estimated (within 1%)"
    yield (
        f"{name}: {_plural(stats.jobs, 'job')}, {_plural(stats.events, 'event')}, "
        f"{_plural(stats.unknown, 'unknown status', 'unknown statuses')}; "
        f"{kind} nearest-rank percentiles; as of {when}\n\n"
    )
    width = max([len(str(s.status)) for s in stats.statuses] + [len("status")])
    yield f"{'time in status':<{width}}  {'jobs':>6}  {'visits':>6}"
    yield "".join(f"  {h:>8}" for h in ("p50", "p90", "p99", "max")) + "\n"
    for row in stats.statuses:
        cells = (row.p50, row.p90, row.p99, row.max)
        yield f"{row.status!s:<{width}}  {row.jobs:>6}  {row.visits:>6}"
        yield "".join(f"  {_seconds(c):>8}" for c in cells) + "\n"
    yield f"\n{'total duration':<{width}}  {'jobs':>6}  {'':>6}  {'p50':>8}  {'p90':>8}\n"
    for end in stats.terminals:
        yield f"{end.status!s:<{width}}  {end.jobs:>6}  {'':>6}"
        yield f"  {_seconds(end.p50):>8}  {_seconds(end.p90):>8}\n"
    scope = (
        f"idle for more than {_seconds(stats.stuck_after)}"
        if stats.stuck_after is not None
        else "not terminal"
    )
    yield f"\n{_plural(len(stats.open_jobs), 'job')} {scope}" + (":\n" if stats.open_jobs else "\n")
    for job in stats.open_jobs:
        yield f"  {job.job}  {job.status}  idle {_seconds(job.idle)}\n"


def stats_csv(stats: Stats) -> str:
    """The CSV report of ``jobfsm stats``: one table, a ``section`` column per kind of row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "status", "job", "jobs", "visits", "p50", "p90", "p99", "max",
                     "idle"])  # fmt: skip

    def num(value: float | None) -> str:
        return "" if value is None else repr(value)

    for s in stats.statuses:
        writer.writerow(["status", s.status, "", s.jobs, s.visits, num(s.p50), num(s.p90),
                         num(s.p99), num(s.max), ""])  # fmt: skip
    for t in stats.terminals:
        writer.writerow(["terminal", t.status, "", t.jobs, "", num(t.p50), num(t.p90), "", "", ""])
    for j in stats.open_jobs:
        writer.writerow(["open", j.status, j.job, "", "", "", "", "", "", num(j.idle)])
    return out.getvalue()
