"""Check observed statuses (one trace, or an event log of many jobs) against a lifecycle.

Two modes: ``strict`` accepts only edges of the lifecycle; ``observed`` (for
polled statuses) accepts any status reachable from the previous one and
records the statuses assumed skipped. Pairs are judged as observed: after an
illegal pair the next pair starts from the status actually seen; an unknown
status is reported once and set aside. The lookup tables are derived from the
lifecycle value (the one the state machine is built from) and built once per
lifecycle; the loops only touch them for statuses that break a rule.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from jobfsm.errors import UnknownStatusError
from jobfsm.eventlog import EventLog, MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = ["Gap", "Mode", "Reason", "Report", "Violation", "validate_events", "validate_trace"]

Mode = Literal["strict", "observed"]


class Reason(enum.StrEnum):
    """Why a status broke the rules (the ``reason`` code of a violation)."""

    ILLEGAL_TRANSITION = "illegal-transition"
    UNKNOWN_STATUS = "unknown-status"
    NOT_INITIAL = "not-initial"
    NOT_TERMINAL = "not-terminal"
    TIME_WENT_BACKWARDS = "time-went-backwards"


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class Violation:
    """One broken rule.

    Args:
        job: The job's key in the log (``None`` for a lone trace without ``job=``).
        index: 0-based position of the offending status in that job's trace.
        line: 1-based line of the event in its file, when there is one.
        from_: The last known status before it (``None`` at the start).
        to: The offending status: an enum member, or the raw spelling for
            ``unknown-status`` (``None`` for ``not-terminal``).
        reason: The rule broken.
        message: One sentence for people.
        allowed: Statuses that would have been legal there, in documented order.
    """

    job: str | None
    index: int
    line: int | None
    from_: enum.StrEnum | None
    to: str | None
    reason: Reason
    message: str
    allowed: tuple[enum.StrEnum, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``from`` instead of ``from_``, statuses as strings."""
        return {
            "job": self.job,
            "index": self.index,
            "line": self.line,
            "from": _text(self.from_),
            "to": _text(self.to),
            "reason": str(self.reason),
            "message": self.message,
            "allowed": [str(s) for s in self.allowed],
        }


@attrs.frozen
class Gap:
    """In observed mode, a legal pair that is not an edge: statuses assumed skipped."""

    job: str | None
    index: int
    line: int | None
    from_: enum.StrEnum
    to: enum.StrEnum
    skipped: tuple[enum.StrEnum, ...]


@attrs.frozen
class Report:
    """The outcome of a validation.

    ``ok`` is true when there is neither a violation nor an input error.
    ``gaps`` lists, in observed mode, the statuses assumed skipped per pair
    (always for :func:`validate_trace`; for :func:`validate_events` only with
    ``keep_gaps=True``, since they grow with the log).
    """

    mode: Mode
    violations: tuple[Violation, ...] = ()
    input_errors: tuple[MalformedEvent, ...] = ()
    gaps: tuple[Gap, ...] = ()
    jobs: int = 0
    events: int = 0

    @property
    def ok(self) -> bool:
        """No violation and no input error."""
        return not self.violations and not self.input_errors

    def to_dict(self) -> dict[str, Any]:
        """The JSON report of ``jobfsm validate --format json``."""
        return {
            "ok": self.ok,
            "jobs": self.jobs,
            "events": self.events,
            "violations": [v.to_dict() for v in self.violations],
            "input_errors": [{"line": e.line, "message": e.message} for e in self.input_errors],
        }


# -- tables ----------------------------------------------------------------------


class _Tables:
    """Lookups of one lifecycle, keyed by the status value strings.

    ``StrEnum`` members hash and compare like their values, so these dicts and
    sets answer for members and for plain strings alike.
    """

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.members: dict[str, enum.StrEnum] = {s.value: s for s in lifecycle.statuses}
        order = {s: i for i, s in enumerate(lifecycle.statuses)}
        self.order = order
        # A repeated status is a no-op, so each status is "next" to itself.
        self.direct: dict[str, frozenset[str]] = {
            s.value: frozenset(d.value for d in lifecycle.successors[s]) | {s.value}
            for s in lifecycle.statuses
        }
        self.reach: dict[str, frozenset[str]] = {
            s.value: frozenset(d.value for d in lifecycle.reachable[s]) | {s.value}
            for s in lifecycle.statuses
        }
        self.any: frozenset[str] = frozenset(self.members)
        self.initial: frozenset[str] = frozenset({lifecycle.initial})
        self.terminal: frozenset[str] = frozenset(lifecycle.terminal)
        # The hot loops walk these maps: step[s][t] is step[t] when t may follow
        # s (a repeat or an edge), so one lookup both checks the pair and moves
        # on. The key _SELF holds the status a map belongs to.
        self.step: dict[str, dict[Any, Any]] = {s: {_SELF: m} for s, m in self.members.items()}
        for source, nexts in self.direct.items():
            self.step[source].update({dest: self.step[dest] for dest in nexts})

    def start(self, allowed: frozenset[str]) -> dict[Any, Any]:
        """The map to start a trace with: any of *allowed* may come first."""
        start: dict[Any, Any] = {s: self.step[s] for s in allowed}
        start[_SELF] = None
        return start

    def sorted(self, statuses: Iterable[str]) -> tuple[enum.StrEnum, ...]:
        members = self.members
        return tuple(sorted((members[s] for s in statuses), key=self.order.__getitem__))


_TABLES: dict[Lifecycle, _Tables] = {}
_SELF = object()  # a key no status can equal


def _tables(lifecycle: Lifecycle) -> _Tables:
    tables = _TABLES.get(lifecycle)
    if tables is None:
        tables = _TABLES[lifecycle] = _Tables(lifecycle)
    return tables


# -- judging one status that is not a plain next step -----------------------------


class _Judge:
    """The slow path: everything that is not a repeat or an edge."""

    def __init__(self, lifecycle: Lifecycle, mode: Mode, require_initial: bool) -> None:
        if mode not in ("strict", "observed"):
            raise ValueError(f"mode must be 'strict' or 'observed', got {mode!r}")
        self.t = _tables(lifecycle)
        self.mode = mode
        self.observed = mode == "observed"
        self.require_initial = require_initial
        self.start = self.t.initial if require_initial else self.t.any
        self.start_map = self.t.start(self.start)
        self.violations: list[Violation] = []
        self.gaps: list[Gap] | None = [] if self.observed else None

    def legal_after(self, prev: str | None) -> tuple[enum.StrEnum, ...]:
        t = self.t
        if prev is None:
            return t.sorted(self.start)
        nexts = t.reach[prev] if self.observed else t.direct[prev]
        return t.sorted(nexts - {prev})

    def step(self, job: object, index: int, line: int | None, prev: str | None, to: str) -> str:
        """Judge *to* after *prev*; record what is found; return the new last known status."""
        t = self.t
        member = t.members.get(to)
        if member is None:
            err = UnknownStatusError(to, t.lifecycle.states)
            hint = f"; did you mean {err.suggestion!r}?" if err.suggestion else ""
            self._add(job, index, line, prev, to, Reason.UNKNOWN_STATUS,
                      f"{to!r} is not a status of {t.lifecycle.name!r}{hint}",
                      self.legal_after(prev))  # fmt: skip
            return prev  # type: ignore[return-value]  # set aside: keep the last known one
        if prev is None:
            self._add(job, index, line, None, member, Reason.NOT_INITIAL,
                      f"the trace starts at {member}, not at the initial status "
                      f"{t.lifecycle.initial}", t.sorted(self.start))  # fmt: skip
            return member
        if self.observed and to in t.reach[prev]:
            if self.gaps is not None:
                skipped = t.lifecycle.shortest_path(prev, member) or ()
                self.gaps.append(Gap(_text(job), index, line, t.members[prev], member, skipped))
            return member
        self._add(job, index, line, prev, member, Reason.ILLEGAL_TRANSITION,
                  self._illegal(prev, member), self.legal_after(prev))  # fmt: skip
        return member

    def _illegal(self, prev: str, to: enum.StrEnum) -> str:
        t = self.t
        if prev in t.terminal:
            return f"{prev} is terminal: no status may follow it"
        if self.observed:
            return f"{to} cannot be reached from {prev}"
        path = t.lifecycle.shortest_path(prev, to)
        if path:
            skipped = ", ".join(path)
            return (
                f"no event leads from {prev} to {to} "
                f"(observed mode would assume {skipped} {'was' if len(path) == 1 else 'were'} "
                "skipped)"
            )
        if path is None:
            return f"no event leads from {prev} to {to} ({to} cannot be reached from {prev})"
        return f"no event leads from {prev} to {to}"  # pragma: no cover - edges are fast-path

    def end(self, job: object, index: int, line: int | None, last: str | None) -> None:
        """Record ``not-terminal`` when *last* (the last known status) is not terminal."""
        t = self.t
        if last is not None and last in t.terminal:
            return
        if last is None:
            allowed = t.sorted(t.terminal)
            message = "the trace has no known status, so it does not end at a terminal status"
        else:
            nexts = t.reach[last] if self.observed else t.direct[last]
            allowed = t.sorted(nexts & t.terminal)
            message = f"the trace ends at {last}, which is not a terminal status"
        self._add(job, index, line, last, None, Reason.NOT_TERMINAL, message, allowed)

    def backwards(
        self, job: object, index: int, line: int | None, prev: str | None, to: str,
        time: object, before: object, before_line: int | None,
    ) -> None:  # fmt: skip
        where = f" (line {before_line})" if before_line is not None else ""
        member = self.t.members.get(to, to)
        self._add(job, index, line, prev, member, Reason.TIME_WENT_BACKWARDS,
                  f"{time} is before {before}, the time of the previous event{where}",
                  ())  # fmt: skip

    def _add(
        self, job: object, index: int, line: int | None, prev: str | None, to: str | None,
        reason: Reason, message: str, allowed: tuple[enum.StrEnum, ...],
    ) -> None:  # fmt: skip
        from_ = None if prev is None else self.t.members[prev]
        self.violations.append(
            Violation(_text(job), index, line, from_, to, reason, message, allowed)
        )


# -- one trace -------------------------------------------------------------------


def validate_trace(
    statuses: Iterable[str],
    mode: Mode = "strict",
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    require_initial: bool = False,
    require_terminal: bool = False,
    job: str | None = None,
) -> Report:
    """Check one job's observed statuses, oldest first.

    Args:
        statuses: Enum members or their spellings; unknown spellings are
            reported (``unknown-status``) and set aside.
        mode: ``"strict"`` (every pair is an edge) or ``"observed"`` (every
            status is reachable from the previous one; skipped ones are in
            ``Report.gaps``). A repeated status is a no-op in both.
        lifecycle: The lifecycle to check against.
        require_initial: The first known status must be the initial one.
        require_terminal: The last known status must be terminal.
        job: A label copied into each violation.

    Raises:
        ValueError: *mode* is not one of the two modes.
        TypeError: an item is not a string.
    """
    judge = _Judge(lifecycle, mode, require_initial)
    maps = judge.t.step
    judge_step = judge.step
    ok = judge.start_map
    index = -1
    status: Any = None
    try:
        for index, status in enumerate(statuses):
            try:
                # The legal case (a repeat or an edge): one lookup, no allocation.
                ok = ok[status]
            except KeyError:
                if not isinstance(status, str):
                    raise TypeError(f"status at index {index} must be a str, got {status!r}")
                prev = ok[_SELF]
                new = judge_step(job, index, None, prev, status)
                if new is not prev:
                    ok = maps[new]
    except TypeError as exc:
        if isinstance(status, str):
            raise
        raise TypeError(f"status at index {index} must be a str, got {status!r}") from exc
    prev = ok[_SELF]
    count = index + 1
    if require_terminal:
        # The last known status: skip back over trailing unknown ones.
        unknown = {v.index for v in judge.violations if v.reason is Reason.UNKNOWN_STATUS}
        last_known = count - 1
        while last_known in unknown:
            last_known -= 1
        judge.end(job, max(last_known, 0) if prev is not None else count, None, prev)
    return Report(
        mode=mode,
        violations=tuple(judge.violations),
        gaps=tuple(judge.gaps or ()),
        jobs=1 if count else 0,
        events=count,
    )


# -- event logs ------------------------------------------------------------------


def _time_value(value: object) -> float | datetime:
    """A comparable time: seconds for numbers, an aware datetime for ISO-8601 text.

    Raises:
        ValueError: not a number, or a string that is neither a number nor ISO-8601.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"time {value!r} is neither a number of seconds nor an ISO-8601 date-time"
            ) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            raise ValueError(f"time {value!r} is not a finite number") from None
    else:
        raise ValueError(f"time {value!r} must be a number or an ISO-8601 string")
    if not math.isfinite(number):
        raise ValueError(f"time {value!r} is not a finite number")
    return number


def _before(a: float | datetime, b: float | datetime) -> bool:
    """Whether time *a* is strictly before time *b* (numbers are POSIX seconds)."""
    if type(a) is type(b):
        return a < b  # type: ignore[operator]
    ta = a.timestamp() if isinstance(a, datetime) else a
    tb = b.timestamp() if isinstance(b, datetime) else b
    return ta < tb


def validate_events(
    events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
    mode: Mode = "strict",
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    require_initial: bool = False,
    require_terminal: bool = False,
    job_key: str = "job",
    status_key: str = "status",
    time_key: str | None = "time",
    keep_gaps: bool = False,
) -> Report:
    """Check an event log of many interleaved jobs, streaming.

    Only a few values per job are kept (last known status, last time, index,
    last line), so a log of millions of events needs memory for its jobs and
    its violations, not its events.

    Args:
        events: Mappings, or ``(line, mapping)`` pairs such as an
            :class:`~jobfsm.eventlog.EventLog` yields (its malformed lines end up
            in ``Report.input_errors``).
        mode: ``"strict"`` or ``"observed"``, as for :func:`validate_trace`.
        lifecycle: The lifecycle to check against.
        require_initial: Each job's first known status must be the initial one.
        require_terminal: Each job's last known status must be terminal
            (checked at the end of the stream).
        job_key: Key of the job identifier: a string or a number. A job is
            known by its text, so ``1`` and ``"1"`` are the same job.
        status_key: Key of the status.
        time_key: Key of the optional time (``None`` to ignore times): a number
            of seconds, or an ISO-8601 string (a naive one is taken as UTC).
            Times are compared as instants; a time earlier than the previous
            event's of the same job is ``time-went-backwards``.
        keep_gaps: In observed mode, also collect the statuses assumed skipped.

    Raises:
        ValueError: *mode* is not one of the two modes.
        EventLogError: an event log that cannot be read (not UTF-8 text).
    """
    judge = _Judge(lifecycle, mode, require_initial)
    if not keep_gaps:
        judge.gaps = None
    maps = judge.t.step
    start = judge.start_map
    judge_step = judge.step
    errors: list[MalformedEvent] = []
    # Per job: [transition map of its last known status, index of its last
    # event, index and line of its last known status, last time, as written, line].
    states: dict[Any, list[Any]] = {}
    get_state = states.get
    fromiso = datetime.fromisoformat
    count = 0
    for line, row in _numbered(events):
        try:
            job = row[job_key]
            if type(job) is not str:
                job = _job_text(job)
            status = row[status_key]
            raw_time = row.get(time_key) if time_key is not None else None
            state = get_state(job)
            ok = start if state is None else state[0]
            nxt = ok.get(status)
        except (KeyError, TypeError, AttributeError, IndexError):
            errors.append(_malformed(line, count + len(errors), row, job_key, status_key))
            continue
        if nxt is None and (not isinstance(status, str) or not status):
            errors.append(_malformed(line, count + len(errors), row, job_key, status_key))
            continue
        moment: float | datetime | None = None
        if raw_time is not None and raw_time != "":
            try:
                if type(raw_time) is str:
                    # The usual case, inline: an ISO-8601 string.
                    moment = fromiso(raw_time)
                    if moment.tzinfo is None:
                        moment = moment.replace(tzinfo=UTC)
                else:
                    moment = _time_value(raw_time)
            except ValueError:
                try:
                    moment = _time_value(raw_time)
                except ValueError as exc:
                    errors.append(
                        MalformedEvent(line, _where(line, count + len(errors)) + str(exc))
                    )
                    continue
        if state is None:
            if job is None or job == "":
                errors.append(_malformed(line, count + len(errors), row, job_key, status_key))
                continue
            state = states[job] = [start, -1, -1, None, None, None, None]
        count += 1
        index = state[1] + 1
        state[1] = index
        if moment is not None:
            last = state[4]
            if last is not None:
                try:
                    backwards = moment < last
                except TypeError:  # a number and a date-time
                    backwards = _before(moment, last)
                if backwards:
                    judge.backwards(job, index, line, ok[_SELF], status, raw_time,
                                    state[5], state[6])  # fmt: skip
            state[4] = moment
            state[5] = raw_time
            state[6] = line
        if nxt is not None:
            state[0] = nxt
            state[2] = index
            state[3] = line
        else:
            prev = ok[_SELF]
            new = judge_step(job, index, line, prev, status)
            if new is not prev:
                state[0] = maps[new]
                state[2] = index
                state[3] = line
    if require_terminal:
        for job, state in states.items():
            # With no known status, the index is where a terminal one was missing.
            index = state[2] if state[2] >= 0 else state[1] + 1
            judge.end(job, index, state[3], state[0][_SELF])
    if isinstance(events, EventLog):
        errors.extend(events.errors)
        errors.sort(key=lambda e: (e.line is None, e.line or 0))
    return Report(
        mode=mode,
        violations=tuple(judge.violations),
        input_errors=tuple(errors),
        gaps=tuple(judge.gaps or ()),
        jobs=len(states),
        events=count,
    )


def _numbered(
    events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
) -> Iterator[tuple[int | None, Any]]:
    """``(line, row)`` pairs from either pairs or bare mappings (decided on the first item)."""
    iterator = iter(events)
    for first in iterator:
        rest = itertools.chain((first,), iterator)
        if isinstance(first, tuple) and len(first) == 2 and not isinstance(first[1], str):
            return rest  # type: ignore[return-value]
        return zip(itertools.repeat(None), rest)
    return iter(())


def _job_text(job: object) -> str:
    """The text a job is known by, so that job ``1`` and job ``"1"`` are one job.

    Raises:
        TypeError: *job* is neither a string nor a number (booleans are not numbers here).
    """
    if isinstance(job, str | int | float) and not isinstance(job, bool):
        return str(job)
    raise TypeError(f"a job key must be a string or a number, got {job!r}")


def _where(line: int | None, count: int) -> str:
    return "" if line is not None else f"event {count + 1}: "


def _malformed(
    line: int | None, count: int, row: object, job_key: str, status_key: str
) -> MalformedEvent:
    where = _where(line, count)
    if not isinstance(row, Mapping):
        return MalformedEvent(line, f"{where}expected a mapping, got {type(row).__name__}")
    keys = ", ".join(repr(str(k)) for k in row) or "none"
    for key in (job_key, status_key):
        if key not in row:
            return MalformedEvent(line, f"{where}missing key {key!r} (keys: {keys})")
    job, status = row[job_key], row[status_key]
    if job == "" or not isinstance(job, str | int | float) or isinstance(job, bool):
        return MalformedEvent(
            line, f"{where}{job_key!r} must be a non-empty string or number, got {job!r}"
        )
    return MalformedEvent(line, f"{where}{status_key!r} must be a non-empty string, got {status!r}")
