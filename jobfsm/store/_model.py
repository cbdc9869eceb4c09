"""The values a job store hands back, and the time and URL conventions it keeps.

Times are stored as integer microseconds since the Unix epoch (UTC) in both
backends: they compare and index as plain integers, hold every ``datetime``
exactly, and need no per-driver conversion.
"""

from __future__ import annotations

import enum
import os
from datetime import UTC, datetime, timedelta
from time import time_ns
from typing import Any, NamedTuple

import attrs

from jobfsm.machine import HistoryEntry

__all__ = ["Applied", "JobRow", "Transition", "from_micros", "now_micros", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_micros() -> int:
    """The current UTC time in microseconds since the epoch."""
    return time_ns() // 1000


def to_micros(at: datetime, *, what: str = "at") -> int:
    """*at* (aware, or naive taken as UTC) in microseconds since the epoch.

    Raises:
        TypeError: *at* is not a ``datetime``.
    """
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, not {at!r}")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of *micros* microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


class Transition(NamedTuple):
    """One row of the ``transitions`` table, as the store reads and writes it."""

    seq: int  # the job version this transition produced
    from_: str
    to: str
    event: str
    at: int  # microseconds since the epoch, UTC
    transition_id: str | None
    reason: str | None
    source: str | None
    inferred: bool

    def entry(self, parse: Any) -> HistoryEntry:
        """The public history entry; *parse* turns a status spelling into its enum member."""
        return HistoryEntry(
            parse(self.from_),
            parse(self.to),
            self.event,
            from_micros(self.at),
            bool(self.inferred),
            self.reason,
            self.source,
        )


@attrs.frozen(eq=False)
class Applied:
    """What a store write did: the job's status and version afterwards.

    Attributes:
        status: The job's status after the call.
        version: The job's version after the call (1 after ``add``; each
            transition adds one).
        replayed: ``True`` when the transition id had been applied before and
            this is that first call's result; nothing was written this time.
        entries: The history entries the call added (or, replayed, had added),
            oldest first; empty when an observed status was already the job's.

    An ``Applied`` also compares equal to its status (``store.fire(...) ==
    "Running"``), as the status the store's ``fire`` used to return did, and
    ``str()`` gives the status's spelling.
    """

    status: enum.StrEnum
    version: int
    replayed: bool = False
    entries: tuple[HistoryEntry, ...] = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Applied):
            return (self.status, self.version, self.replayed, self.entries) == (
                other.status,
                other.version,
                other.replayed,
                other.entries,
            )
        if isinstance(other, str):
            return bool(self.status == other)
        return NotImplemented

    def __hash__(self) -> int:  # equal values (an Applied or its status) hash alike
        return hash(self.status)

    def __str__(self) -> str:
        return str(self.status)


@attrs.frozen
class JobRow:
    """A job's row without its fields document: what ``JobStore.jobs`` returns.

    ``version`` is what to pass as ``expected_version`` to act on what was read.
    """

    name: str
    type: str
    status: enum.StrEnum
    version: int
    created_at: datetime
    updated_at: datetime  # the time of the last transition (creation when none)
    heartbeat_at: datetime | None


def display_target(target: str | os.PathLike[str]) -> str:
    """How errors name a store: the path, or the URL without its password."""
    text = os.fspath(target)
    if "://" in text and "@" in text.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = text.split("://", 1)
        userinfo, host = rest.split("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        return f"{scheme}://{userinfo}@{host}"
    return text
