"""The compact form in which segment summaries travel between processes.

A segment of a log with many jobs holds one summary per job, and each
summary up to two compared times. Pickled one by one, date-times and named
tuples dominate the cost of handing a segment back from a worker (a
date-time pickles about a hundred times slower than an integer). So a
summary keeps a date-time as its exact number of microseconds since the
POSIX epoch (an ``int``: numeric times are always ``float``, so the two
cannot be confused), and summaries travel as columns. Only instants are
compared, never time zones, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["pack", "packed_before", "packed_time", "unpack"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def packed_time(moment: Any) -> Any:
    """A compared time as it travels: a date-time as its microseconds since the epoch."""
    return (moment - _EPOCH) // _MICROSECOND if type(moment) is datetime else moment


def packed_before(a: Any, b: Any) -> bool:
    """Whether packed time *a* is before packed time *b*, one a number and the other not.

    A date-time compares with a number of seconds as its POSIX timestamp, which
    is its microseconds divided by a million, rounded as ``timestamp()`` rounds.
    """
    return (a / 1_000_000 if type(a) is int else a) < (b / 1_000_000 if type(b) is int else b)


def pack(jobs: Mapping[str, tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """*jobs* (name -> summary fields) as a list of names and one tuple per field."""
    return list(jobs), list(zip(*jobs.values(), strict=True))


def unpack(names: list[str], columns: list[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    """The summaries' fields, in the order of *names*, as :func:`pack` took them."""
    return zip(*columns, strict=True) if names else ()
