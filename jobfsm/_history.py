"""A job's history: the records a job stores, and the entries they are read as.

The engine appends one compact :data:`Record` per applied event to the job's
history list; :class:`HistoryEntry` is the public value a record is read as,
made only when someone reads the history or an observer is told. None of it
needs the state machine, so it lives apart from the dispatch;
:mod:`jobfsm.machine` re-exports every name.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from time import time_ns
from typing import TypeAlias

import attrs

__all__ = ["Extra", "HistoryEntry", "Record", "entries", "record_time"]


@attrs.frozen
class HistoryEntry:
    """One applied event: ``from_ --event--> to`` at UTC time ``at``.

    Args:
        from_: The status before the event.
        to: The status after it.
        event: The event's name.
        at: When it happened (aware, UTC): the time given to ``fire`` or
            ``observe`` (the time a service reported), else when it was applied.
        inferred: The step was not seen but assumed: ``Job.observe`` applied it
            on the way to an observed status further along the lifecycle.
        reason: Free text saying why the event was fired, when given.
        source: Who reported it (a poller, a heartbeat monitor, a user), when given.
    """

    __module__ = "jobfsm.machine"  # where it is documented, and pickled from

    from_: enum.StrEnum
    to: enum.StrEnum
    event: str
    at: datetime
    inferred: bool = False
    reason: str | None = None
    source: str | None = None


#: How a job stores one history entry: ``(from_, to, event, at)``, or
#: ``(from_, to, event, at, inferred, reason, source)`` when any of the last
#: three was given. ``at`` is integer nanoseconds since the epoch when the
#: engine recorded it (a tuple and a clock read cost a tenth of an attrs
#: instance and ``datetime.now``; the aware UTC datetime is built only when
#: someone reads the history), or an aware UTC datetime when one was given
#: (``fire(at=...)``, ``Job.restore``).
Record: TypeAlias = (
    tuple[enum.StrEnum, enum.StrEnum, str, int | datetime]
    | tuple[enum.StrEnum, enum.StrEnum, str, int | datetime, bool, str | None, str | None]
)

#: What ``Engine.fire`` needs besides the event: ``(at, inferred, reason, source)``,
#: ``at`` an aware UTC datetime or ``None`` for now.
Extra: TypeAlias = tuple[datetime | None, bool, str | None, str | None]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _entry(record: Record) -> HistoryEntry:
    at = record[3]
    if isinstance(at, int):
        at = _EPOCH + timedelta(microseconds=at // 1000)
    if len(record) == 4:
        return HistoryEntry(record[0], record[1], record[2], at)
    return HistoryEntry(record[0], record[1], record[2], at, *record[4:])


def record_time(record: Record) -> datetime:
    """The aware UTC time of a stored record."""
    at = record[3]
    return _EPOCH + timedelta(microseconds=at // 1000) if isinstance(at, int) else at


def _record(source: enum.StrEnum, dest: enum.StrEnum, event: str, extra: Extra) -> Record:
    at, inferred, reason, origin = extra
    return (source, dest, event, time_ns() if at is None else at, inferred, reason, origin)


def entries(records: Iterable[Record] | None) -> tuple[HistoryEntry, ...]:
    """The public :class:`HistoryEntry` values of a job's stored records."""
    return tuple(map(_entry, records or ()))
