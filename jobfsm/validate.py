"""Check observed statuses (one trace, or an event log of many jobs) against a lifecycle.

Two modes: ``strict`` accepts only edges of the lifecycle; ``observed`` (for
polled statuses) accepts any status reachable from the previous one and
records the statuses assumed skipped. Pairs are judged as observed: after an
illegal pair the next pair starts from the status actually seen; an unknown
status is reported once and set aside. The lookup tables (in
:mod:`jobfsm._judge`) are derived from the lifecycle value (the one the state
machine is built from) and built once per lifecycle; the loops only touch them
for statuses that break a rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from jobfsm._judge import _SELF, AliasUse, Gap, Mode, Reason, Violation, _Judge
from jobfsm.eventlog import EventLog, MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = [
    "AliasUse",
    "Gap",
    "Mode",
    "Reason",
    "Report",
    "Violation",
    "validate_events",
    "validate_trace",
]


@attrs.frozen
class Report:
    """The outcome of a validation.

    ``ok`` is true when there is neither a violation nor an input error.
    ``gaps`` lists, in observed mode, the statuses assumed skipped per pair
    (always for :func:`validate_trace`; for :func:`validate_events` only with
    ``keep_gaps=True``, since they grow with the log). ``aliases`` lists
    the other spellings of statuses that were read (one entry per spelling).
    """

    mode: Mode
    violations: tuple[Violation, ...] = ()
    input_errors: tuple[MalformedEvent, ...] = ()
    gaps: tuple[Gap, ...] = ()
    jobs: int = 0
    events: int = 0
    aliases: tuple[AliasUse, ...] = ()

    @property
    def ok(self) -> bool:
        """No violation and no input error."""
        return not self.violations and not self.input_errors

    def to_dict(self) -> dict[str, Any]:
        """The JSON report of ``jobfsm validate --format json`` (``aliases`` only when read)."""
        out = {
            "ok": self.ok,
            "jobs": self.jobs,
            "events": self.events,
            "violations": [v.to_dict() for v in self.violations],
            "input_errors": [{"line": e.line, "message": e.message} for e in self.input_errors],
        }
        if self.aliases:
            out["aliases"] = [a.to_dict() for a in self.aliases]
        return out


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
        aliases=judge.alias_uses(),
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
            if text.isdigit():  # seconds, even when they read as a date (20240501)
                raise ValueError(text)
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
                        # Digits alone are seconds, even those that read as a date
                        # (20240501), like the other numbers of the same column.
                        moment = (
                            _time_value(raw_time)
                            if raw_time.isdigit()
                            else moment.replace(tzinfo=UTC)
                        )
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
            elif state[2] < 0:  # no known status yet: not-terminal points at the last event
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
        aliases=judge.alias_uses(),
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
