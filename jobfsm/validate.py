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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from jobfsm._judge import _SELF, AliasUse, Gap, Mode, Reason, Violation, _Judge, before, time_value
from jobfsm.columnar import arrow_events, is_columnar
from jobfsm.eventlog import EventLog, MalformedEvent, job_text, malformed
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.segments import end, fold_states

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

    def to_dict(self, *, lazy: bool = False) -> dict[str, Any]:
        """The JSON report of ``jobfsm validate --format json`` (``aliases`` only when read).

        With ``lazy=True`` the violations are a sequence that makes each one's
        dictionary when iterated (for ``json.JSONEncoder.iterencode`` with an
        indent), so a large report is never held twice.
        """
        violations: list[Any] = (
            [v.to_dict() for v in self.violations]
            if not lazy
            else (_Mapped(self.violations, Violation.to_dict))
        )
        out = {
            "ok": self.ok,
            "jobs": self.jobs,
            "events": self.events,
            "violations": violations,
            "input_errors": [{"line": e.line, "message": e.message} for e in self.input_errors],
        }
        if self.aliases:
            out["aliases"] = [a.to_dict() for a in self.aliases]
        return out


class _Mapped(list):  # type: ignore[type-arg]
    """A list that makes its items when iterated: ``func(item)`` for each of *items*.

    A list subclass, because the JSON encoder writes lists; it is empty
    underneath, and only iteration, ``len`` and truth are supported.
    """

    def __init__(self, items: Sequence[Any], func: Any) -> None:
        super().__init__()
        self._items = items
        self._func = func

    def __iter__(self) -> Iterator[Any]:
        return map(self._func, self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


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
            in ``Report.input_errors``); or a columnar log: an
            :class:`~jobfsm.columnar.ArrowEventLog`, a ``pyarrow.Table`` or
            ``RecordBatchReader``, whose row numbers stand for lines.
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
        EventLogError: an event log that cannot be read (not UTF-8 text, not Parquet).
        MissingExtraError: a columnar log without pyarrow (``jobfsm[arrow]``).
    """
    judge = _Judge(lifecycle, mode, require_initial)
    columnar = is_columnar(events)
    if columnar:  # read only the columns looked at, a record batch at a time
        events = arrow_events(events, (job_key, status_key, time_key), (job_key, status_key))
    if not keep_gaps:
        judge.gaps = None
    errors: list[MalformedEvent] = []
    fast_type = None
    pairs: Iterator[tuple[int | None, Any]]
    if isinstance(events, EventLog):
        pairs, fast_type = events.pairs(job_key, status_key, time_key)
    elif hasattr(type(events), "_validation_pairs"):  # a reader wrapping an EventLog
        pairs, fast_type = events._validation_pairs(job_key, status_key, time_key)  # type: ignore[union-attr]
    else:
        pairs = _numbered(events)
    states, count = fold_states(
        pairs,
        judge,
        errors,
        job_key=job_key,
        status_key=status_key,
        time_key=time_key,
        fast_type=fast_type,
    )
    if require_terminal:
        end(judge, states)
    if isinstance(events, EventLog) or columnar:
        errors.extend(events.errors)  # type: ignore[union-attr]
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


# Older private names, still imported by other modules of the package.
_job_text = job_text
_malformed = malformed
_time_value = time_value
_before = before
