"""The rules of validation: per-lifecycle lookup tables and the judge of odd statuses.

The judge sees every status that is not a plain next step (a repeat or an
edge). The tables are derived from the lifecycle value (the one the state machine is
built from) and built once per lifecycle. The public functions of
:mod:`jobfsm.validate` walk them in their hot loops and call the judge only
for statuses that break a rule (or, in observed mode, skip statuses); the
judge records the violations (and gaps) it finds.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from jobfsm.errors import UnknownStatusError
from jobfsm.lifecycle import Lifecycle

__all__ = ["AliasUse", "Gap", "Mode", "Reason", "Violation"]

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
class AliasUse:
    """A spelling read as an alias of a status (``Finished`` for ``Completed``).

    One per spelling: ``count`` uses in all; ``job``, ``index`` and ``line``
    are those of the first one.
    """

    spelling: str
    status: enum.StrEnum
    count: int
    job: str | None
    index: int
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (statuses as strings)."""
        return {
            "spelling": self.spelling,
            "status": str(self.status),
            "count": self.count,
            "job": self.job,
            "index": self.index,
            "line": self.line,
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
        # Observed mode accepts exactly the pairs Lifecycle.observe_steps can
        # apply (the rule Job.observe follows): the keys of its table, and repeats.
        reach: dict[str, set[str]] = {s.value: {s.value} for s in lifecycle.statuses}
        for source, dest in lifecycle._steps:
            reach[source].add(dest)
        self.reach: dict[str, frozenset[str]] = {s: frozenset(r) for s, r in reach.items()}
        # The statuses observed mode reports as skipped: those observe_steps passes through.
        self.skipped: dict[tuple[str, str], tuple[enum.StrEnum, ...]] = {
            pair: tuple(status for _, status in steps[:-1])
            for pair, steps in lifecycle._steps.items()
        }
        self.any: frozenset[str] = frozenset(self.members)
        self.initial: frozenset[str] = frozenset({lifecycle.initial})
        self.terminal: frozenset[str] = frozenset(lifecycle.terminal)
        # Other spellings, resolved once; the hot loops never see them (an alias
        # is not a key of the step maps, so it reaches the judge, which notes it).
        self.aliases: dict[str, enum.StrEnum] = {
            alias: self.members[status] for alias, status in lifecycle.aliases.items()
        }
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


# Kinds of deferred checks, in the order one line's violations are recorded.
FIRST_TIME, BACKWARDS, STATUS = 0, 1, 2

_TABLES: dict[Lifecycle, _Tables] = {}
_SELF = object()  # a key no status can equal
#: The last known status of a job whose earlier events are in another segment
#: of the log: not known yet (``None`` means "no status before", a new job).
_UNKNOWN: Any = type("_Unknown", (), {"__repr__": lambda self: "<unknown>"})()
#: The map of a job seen first in a segment that does not open the log: no
#: status is a plain next step, so each one goes to the judge, which defers it.
_UNKNOWN_MAP: dict[Any, Any] = {_SELF: _UNKNOWN}


def _tables(lifecycle: Lifecycle) -> _Tables:
    tables = _TABLES.get(lifecycle)
    if tables is None:
        tables = _TABLES[lifecycle] = _Tables(lifecycle)
    return tables


# -- times -----------------------------------------------------------------------


def time_value(value: object) -> float | datetime:
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
    elif isinstance(value, datetime):  # from a typed column (Arrow, Parquet, Spark)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
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


def before(a: float | datetime, b: float | datetime) -> bool:
    """Whether time *a* is strictly before time *b* (numbers are POSIX seconds)."""
    if type(a) is type(b):
        return a < b  # type: ignore[operator]
    ta = a.timestamp() if isinstance(a, datetime) else a
    tb = b.timestamp() if isinstance(b, datetime) else b
    return ta < tb


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
        # Checks that need the job's state before this segment (see
        # jobfsm.segments), by job, in the order met.
        self.opening: dict[Any, list[tuple[Any, ...]]] = {}
        #: Whether this judge folds a segment that does not open the log.
        self.deferring = False
        self.aliases: dict[str, list[Any]] = {}  # spelling -> [count, job, index, line]
        self._allowed: dict[str | None, tuple[enum.StrEnum, ...]] = {}
        self._messages: dict[tuple[str, enum.StrEnum], str] = {}

    def defer(self, job: object, item: tuple[Any, ...]) -> None:
        """Keep a check that needs the job's state before this segment."""
        items = self.opening.get(job)
        if items is None:
            items = self.opening[job] = []
        items.append(item)

    def legal_after(self, prev: str | None) -> tuple[enum.StrEnum, ...]:
        # One tuple per status, shared by its violations: a log full of
        # violations keeps one small object per violation, not its own copies.
        allowed = self._allowed.get(prev)
        if allowed is None:
            allowed = self._allowed[prev] = self._legal_after(prev)
        return allowed

    def _legal_after(self, prev: str | None) -> tuple[enum.StrEnum, ...]:
        t = self.t
        if prev is None:
            return t.sorted(self.start)
        nexts = t.reach[prev] if self.observed else t.direct[prev]
        return t.sorted(nexts - {prev})

    def step(self, job: object, index: int, line: int | None, prev: str | None, to: str) -> str:
        """Judge *to* after *prev*; record what is found; return the new last known status."""
        t = self.t
        member = t.members.get(to)
        if member is None and to in t.aliases:
            member = self._alias(job, index, line, to)
            to = member.value
            if prev is not _UNKNOWN and to in (self.start if prev is None else t.direct[prev]):
                return member  # an edge or a repeat, written another way
        if prev is _UNKNOWN:
            self.defer(job, (STATUS, index, line, to))
            if member is None:
                return prev  # type: ignore[no-any-return]  # still not known
            return member
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
                skipped = t.skipped[(prev, to)]
                self.gaps.append(Gap(_text(job), index, line, t.members[prev], member, skipped))
            return member
        self._add(job, index, line, prev, member, Reason.ILLEGAL_TRANSITION,
                  self._message(prev, member), self.legal_after(prev))  # fmt: skip
        return member

    def _message(self, prev: str, to: enum.StrEnum) -> str:
        """The message of an illegal pair, one string per pair shared by its violations."""
        message = self._messages.get((prev, to))
        if message is None:
            message = self._messages[prev, to] = self._illegal(prev, to)
        return message

    def _alias(self, job: object, index: int, line: int | None, spelling: str) -> enum.StrEnum:
        """Note one use of the alias *spelling*; return the status it stands for."""
        use = self.aliases.get(spelling)
        if use is None:
            self.aliases[spelling] = [1, _text(job), index, line]
        else:
            use[0] += 1
        return self.t.aliases[spelling]

    def alias_uses(self) -> tuple[AliasUse, ...]:
        """The aliases read so far, one per spelling, in order of first use."""
        return tuple(
            AliasUse(spelling, self.t.aliases[spelling], *use)
            for spelling, use in self.aliases.items()
        )

    def _illegal(self, prev: str, to: enum.StrEnum) -> str:
        t = self.t
        if prev in t.terminal:
            return f"{prev} is terminal: no status may follow it"
        if self.observed:
            return f"{to} cannot be reached from {prev}"
        path = t.skipped.get((prev, to))
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
        if self.deferring:  # the message names a line: merge() words it, with lines counted
            known = None if prev is _UNKNOWN else str(prev)
            self.defer(job, (BACKWARDS, index, line, to, known, time, before, before_line))
            return
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
