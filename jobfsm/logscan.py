"""Walk an event log job by job and yield each status change, with its times.

The pictures of a log (the process map, time in status, timelines) all need
the same thing: for every job, each change from one known status (or an alias
of one, as the lifecycle defines them) to the next,
when it happened, and whether the lifecycle allows it. :class:`LogScan` reads
the rows an :class:`~jobfsm.eventlog.EventLog` yields (with the same keys and
time rules as :func:`~jobfsm.validate.validate_events`) and keeps a few values
per job, never the events, so memory grows with the jobs, not the log.

Changes are judged like validation judges them: a repeated status is no
change; an unknown status is counted and set aside; after an illegal change
the job goes on from the status actually seen. In ``observed`` mode a change
that skips statuses is legal and names them, by the rule every observed
status follows (:meth:`~jobfsm.lifecycle.Lifecycle.observe_steps`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

from jobfsm.eventlog import EventLog, MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.validate import _job_text, _malformed, _numbered, _time_value

__all__ = ["Change", "JobState", "LogScan"]

Kind = Literal["first", "edge", "skipped", "illegal"]


@attrs.frozen
class Change:
    """One job entering a status.

    Attributes:
        job: The job's key.
        source: The status it left (``None`` for its first known status).
        dest: The status it entered.
        kind: ``first``, ``edge`` (a lifecycle edge), ``skipped`` (observed
            mode: legal through the statuses in ``skipped``) or ``illegal``.
        skipped: Statuses assumed passed through (``skipped`` changes only).
        since: When *source* was entered (POSIX seconds), if known.
        at: When *dest* was first seen (POSIX seconds), if known.
        line: The file line of the event.
    """

    job: str
    source: enum.StrEnum | None
    dest: enum.StrEnum
    kind: Kind
    skipped: tuple[enum.StrEnum, ...] = ()
    since: float | None = None
    at: float | None = None
    line: int | None = None

    @property
    def duration(self) -> float | None:
        """Seconds spent in *source* (``None`` without both times or if time went back)."""
        if self.since is None or self.at is None or self.at < self.since:
            return None
        return self.at - self.since


@attrs.define
class JobState:
    """What is kept of one job while scanning (a few values, whatever the log's size).

    Attributes:
        status: Its last known status (``None`` until one is known).
        entered: When it entered that status.
        first: Its first event's time.
        last: Its last event's time.
        seen: Bit *i* set when it entered the lifecycle's *i*-th status.
    """

    status: enum.StrEnum | None = None
    entered: float | None = None
    first: float | None = None
    last: float | None = None
    seen: int = 0


class LogScan:
    """Iterate over the :class:`Change` of every job in an event log, in log order.

    After iterating, :attr:`jobs` holds each job's :class:`JobState`,
    :attr:`input_errors` the malformed lines (the log's own included),
    :attr:`unknown` the number of unknown statuses, :attr:`events` the number
    of events read and :attr:`latest` the latest time seen.

    Args:
        events: ``(line, row)`` pairs (an :class:`~jobfsm.eventlog.EventLog`) or rows.
        lifecycle: The lifecycle the statuses belong to.
        mode: ``"observed"`` (default: a change may skip statuses) or ``"strict"``.
        job_key: Key of the job identifier.
        status_key: Key of the status.
        time_key: Key of the time (``None`` to ignore times).
    """

    def __init__(
        self,
        events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        *,
        mode: Literal["strict", "observed"] = "observed",
        job_key: str = "job",
        status_key: str = "status",
        time_key: str | None = "time",
    ) -> None:
        if mode not in ("strict", "observed"):
            raise ValueError(f"mode must be 'strict' or 'observed', got {mode!r}")
        self.source = events
        self.lifecycle = lifecycle
        self.mode = mode
        self.keys = (job_key, status_key, time_key)
        self.jobs: dict[str, JobState] = {}
        self.input_errors: list[MalformedEvent] = []
        self.unknown = 0
        self.events = 0
        self.latest: float | None = None

    def __iter__(self) -> Iterator[Change]:
        lifecycle = self.lifecycle
        successors = lifecycle.successors
        reachable = lifecycle.reachable
        observed = self.mode == "observed"
        bits = {s: 1 << i for i, s in enumerate(lifecycle.statuses)}
        aliases = {a: lifecycle.status(s) for a, s in lifecycle.aliases.items()}
        job_key, status_key, time_key = self.keys
        errors = self.input_errors
        for line, row in _numbered(self.source):
            try:
                job = row[job_key]
                if type(job) is not str:
                    job = _job_text(job)
                raw = row[status_key]
                raw_time = row.get(time_key) if time_key is not None else None
            except (KeyError, TypeError, AttributeError, IndexError):
                errors.append(_malformed(line, self.events + len(errors), row, job_key, status_key))
                continue
            if not job or not isinstance(raw, str) or not raw:
                errors.append(_malformed(line, self.events + len(errors), row, job_key, status_key))
                continue
            at: float | None = None
            if raw_time is not None and raw_time != "":
                try:
                    moment = _time_value(raw_time)
                except ValueError as exc:
                    where = "" if line is not None else f"event {self.events + len(errors) + 1}: "
                    errors.append(MalformedEvent(line, where + str(exc)))
                    continue
                at = moment.timestamp() if isinstance(moment, datetime) else moment
                if self.latest is None or at > self.latest:
                    self.latest = at
            self.events += 1
            state = self.jobs.get(job)
            if state is None:
                state = self.jobs[job] = JobState(first=at)
            if at is not None:
                state.last = at
                if state.first is None:
                    state.first = at
            try:
                dest = lifecycle.status_enum(raw)
            except ValueError:
                alias = aliases.get(raw)
                if alias is None:
                    self.unknown += 1
                    continue
                dest = alias  # another spelling of a status, read as validation reads it
            source = state.status
            if dest is source:
                continue
            kind: Kind
            skipped: tuple[enum.StrEnum, ...] = ()
            if source is None:
                kind = "first"
            elif dest in successors[source]:
                kind = "edge"
            elif observed and dest in reachable[source]:
                # The lifecycle's one rule for observed statuses names the skipped ones.
                kind = "skipped"
                skipped = tuple(status for _, status in lifecycle.observe_steps(source, dest)[:-1])
            else:
                kind = "illegal"
            yield Change(job, source, dest, kind, skipped, state.entered, at, line)
            state.status = dest
            state.entered = at
            state.seen |= bits[dest]
        if isinstance(self.source, EventLog):
            errors.extend(self.source.errors)
            errors.sort(key=lambda e: (e.line is None, e.line or 0))
