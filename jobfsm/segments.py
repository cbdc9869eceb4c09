"""Validation as a fold and a merge: per-job summaries of consecutive segments of a log.

An event log can be cut into consecutive *segments* (byte ranges at line
boundaries, partitions of a distributed table) and each segment validated on
its own by :func:`fold`, the loop :func:`jobfsm.validate.validate_events`
runs. A segment that does not open the log does not know what came before it,
so for each job it keeps a :class:`SegmentSummary`: the job's state at the end
of the segment (last known status, last time, counts) and the few checks that
need the state before it (the statuses up to the first known one, the first
time). :func:`merge` takes the segments in log order and checks each job's
boundary pair against the state the earlier segments left, which gives the
same report, violation for violation, as one pass over the whole log.

Everything a segment holds is plain data (strings, numbers, date-times,
tuples), so segments can be pickled to and from worker processes or a
cluster. Index and line numbers inside a segment count from its start;
:func:`merge` shifts them.

The per-event loop itself, :func:`fold_states`, lives in :mod:`jobfsm._fold`;
it is re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from jobfsm._fold import State
from jobfsm._fold import fold_states as fold_states
from jobfsm._judge import (
    _SELF,
    _UNKNOWN,
    FIRST_TIME,
    STATUS,
    Gap,
    Mode,
    Reason,
    Violation,
    _Judge,
)
from jobfsm._wire import pack, packed_before, packed_time, unpack
from jobfsm.eventlog import EventLog, MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = ["Segment", "SegmentSummary", "fold", "merge"]


class SegmentSummary(NamedTuple):
    """What one segment of a log says about one job (plain data, picklable).

    Indexes count the job's events from the segment's start, lines the lines
    from the segment's start (1-based); statuses are their spellings.

    Attributes:
        events: The job's events in the segment.
        last: Its last known status in the segment (``None``: none known).
        last_index: The index of ``last`` (``-1`` with no known status).
        line: The line of ``last``; with no known status, the line of the
            job's last event (where ``not-terminal`` points).
        time: Its last time in the segment, as compared: seconds (a
            ``float``), or a date-time as its microseconds since the POSIX
            epoch (an ``int``, cheap to pickle; an aware ``datetime`` is
            taken too); ``None`` when no event had one.
        raw_time: That time as written.
        time_line: The line of that time.
        opening: The checks that need the job's state before the segment, in
            order: ``(0, index, line, status, last_known, time, raw_time)``
            for the first event with a time (``last_known`` is ``None`` when
            no status is known before it in the segment);
            ``(1, index, line, status, last_known, raw_time, earlier_raw_time,
            earlier_line)`` for a time that went backwards (its message names a
            line, counted from the log's start);
            ``(2, index, line, status)`` for each status up to and including
            the first known one.
    """

    events: int
    last: str | None
    last_index: int
    line: int | None
    time: float | datetime | None
    raw_time: Any
    time_line: int | None
    opening: tuple[tuple[Any, ...], ...]


@attrs.frozen
class Segment:
    """The result of :func:`fold` on one segment of a log (plain data, picklable).

    Attributes:
        opens_log: Whether the segment starts the log (then nothing is deferred).
        lines: Lines read (the next segment's line numbers start after them).
        events: Events counted (input errors excluded).
        jobs: Per job, in order of first appearance.
        violations: Violations found inside the segment, in line order.
        gaps: Statuses assumed skipped (observed mode with ``keep_gaps``).
        input_errors: Malformed lines, in line order.
        aliases: Other spellings of statuses read, with their first use.
    """

    opens_log: bool
    lines: int
    events: int
    jobs: dict[str, SegmentSummary]
    violations: tuple[Violation, ...] = ()
    gaps: tuple[Gap, ...] = ()
    input_errors: tuple[MalformedEvent, ...] = ()
    #: Other spellings of statuses read: ``(spelling, count, job, index, line)``
    #: of each one's first use in the segment.
    aliases: tuple[tuple[Any, ...], ...] = ()
    #: With ``fold(..., live=True)``: the fold's own per-job states, which
    #: :func:`merge` takes as they are (``jobs`` is then empty). Never pickled.
    live: dict[Any, list[Any]] | None = attrs.field(default=None, eq=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the per-job summaries as columns (see :mod:`jobfsm._wire`): much faster."""
        rest = (self.violations, self.gaps, self.input_errors, self.aliases)
        return (_segment, (self.opens_log, self.lines, self.events, *pack(self.jobs), *rest))


def _segment(
    opens_log: bool,
    lines: int,
    events: int,
    names: list[str],
    columns: list[tuple[Any, ...]],
    *rest: Any,
) -> Segment:
    jobs = dict(zip(names, map(SegmentSummary._make, unpack(names, columns)), strict=True))
    return Segment(opens_log, lines, events, jobs, *rest)


def fold(
    events: EventLog | Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    opens_log: bool,
    lines: int | None = None,
    mode: Mode = "strict",
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    require_initial: bool = False,
    job_key: str = "job",
    status_key: str = "status",
    time_key: str | None = "time",
    keep_gaps: bool = False,
    live: bool = False,
) -> Segment:
    """Validate one segment of a log on its own.

    Args:
        events: The segment: an :class:`~jobfsm.eventlog.EventLog` over its
            text, or ``(line, mapping)`` pairs, lines counted from the
            segment's start.
        opens_log: The segment starts the log (every job met is new).
        lines: Lines in the segment, blank and malformed ones included (for
            an ``EventLog``, default: the lines it read; else ``0``).
        mode, lifecycle, require_initial, job_key, status_key, time_key, keep_gaps:
            As for :func:`~jobfsm.validate.validate_events`.
        live: Keep the fold's own per-job states for :func:`merge` in this
            process instead of summaries (only for a segment that opens the
            log: it is merged first, and never pickled).
    """
    if live and not opens_log:
        raise ValueError("live=True is only for a segment that opens the log")
    judge = _Judge(lifecycle, mode, require_initial)
    if not keep_gaps:
        judge.gaps = None
    errors: list[MalformedEvent] = []
    fast_type = None
    if isinstance(events, EventLog):
        pairs, fast_type = events.pairs(job_key, status_key, time_key)
    else:
        pairs = iter(events)  # type: ignore[arg-type]
    states, count = fold_states(
        pairs,
        judge,
        errors,
        opens_log=opens_log,
        job_key=job_key,
        status_key=status_key,
        time_key=time_key,
        fast_type=fast_type,
    )
    if isinstance(events, EventLog):
        errors.extend(events.errors)
        if lines is None:
            lines = events.lines_read
    errors.sort(key=lambda e: (e.line is None, e.line or 0))
    return Segment(
        opens_log=opens_log,
        lines=lines or 0,
        events=count,
        jobs={} if live else summaries(states, judge.opening),
        live=states if live else None,
        violations=tuple(judge.violations),
        gaps=tuple(judge.gaps or ()),
        input_errors=tuple(errors),
        aliases=tuple((spelling, *use) for spelling, use in judge.aliases.items()),
    )


def summaries(
    states: dict[Any, State], opening: dict[Any, list[tuple[Any, ...]]]
) -> dict[str, SegmentSummary]:
    """The per-job states of :func:`fold_states` as plain-data summaries."""
    out = {}
    make = SegmentSummary._make
    get_opening = opening.get
    for job, s in states.items():
        last = s[0][_SELF]
        out[job] = make(
            (
                s[1] + 1,
                None if last is None or last is _UNKNOWN else str(last),
                s[2],
                s[3],
                packed_time(s[4]),
                s[5],
                s[6],
                # The deferred checks are plain data already (see fold_states, _Judge).
                tuple(get_opening(job, ())),
            )
        )
    return out


# -- merge -------------------------------------------------------------------------


def merge(
    segments: Iterable[Segment],
    *,
    mode: Mode = "strict",
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    require_initial: bool = False,
    require_terminal: bool = False,
    keep_gaps: bool = False,
) -> Any:
    """The report of a whole log from its segments, in log order.

    The options must be those the segments were folded with. The result is
    the :class:`~jobfsm.validate.Report` one pass over the whole log gives.
    Violations of one segment are put in line order, so segments after the
    first need line numbers.
    """
    from jobfsm.validate import Report  # validate imports this module

    judge = _Judge(lifecycle, mode, require_initial)
    maps = judge.t.step
    start = judge.start_map
    states: dict[Any, State] = {}
    violations: list[Violation] = []
    gaps: list[Gap] = []
    errors: list[MalformedEvent] = []
    lines = events = 0
    for segment in segments:
        found: list[Violation] = []
        more: list[Gap] | None = [] if keep_gaps and mode == "observed" else None
        judge.violations, judge.gaps = found, more
        offsets: dict[str, int] = {}
        if segment.live is not None:
            if states:
                raise ValueError("a segment folded with live=True must be merged first")
            states = segment.live
            for kept in states.values():
                kept[4] = packed_time(kept[4])  # merge compares packed times
        for job, summary in segment.jobs.items():
            state = states.get(job)
            if state is None:
                state = states[job] = [start, -1, -1, None, None, None, None]
            else:
                offsets[job] = state[1] + 1
            _join(judge, maps, job, state, summary, lines)
        own = [_shifted(v, offsets, lines) for v in segment.violations]
        if found:
            own.sort(key=_line_order)
            found.sort(key=_line_order)
            own = sorted(own + found, key=_line_order)
        violations += own
        if segment.gaps or more:
            moved = [_shifted(g, offsets, lines) for g in segment.gaps] + (more or [])
            gaps += sorted(moved, key=lambda g: g.line or 0)
        errors += [attrs.evolve(e, line=_add(e.line, lines)) for e in segment.input_errors]
        for spelling, count, job, index, line in segment.aliases:
            use = judge.aliases.get(spelling)
            if use is None:
                judge.aliases[spelling] = [
                    count,
                    job,
                    index + offsets.get(job, 0),
                    _add(line, lines),
                ]
            else:
                use[0] += count
        lines += segment.lines
        events += segment.events
    judge.violations = violations
    if require_terminal:
        end(judge, states)
    return Report(
        mode=mode,
        violations=tuple(violations),
        input_errors=tuple(errors),
        gaps=tuple(gaps),
        jobs=len(states),
        events=events,
        aliases=judge.alias_uses(),
    )


def end(judge: _Judge, states: dict[Any, State]) -> None:
    """Record ``not-terminal`` for each job whose last known status is not terminal."""
    for job, state in states.items():
        # With no known status, the index is where a terminal one was missing.
        index = state[2] if state[2] >= 0 else state[1] + 1
        judge.end(job, index, state[3], state[0][_SELF])


def _join(
    judge: _Judge,
    maps: dict[str, dict[Any, Any]],
    job: str,
    state: State,
    summary: SegmentSummary,
    lines: int,
) -> None:
    """Run *summary*'s deferred checks against *state* (the job before it), then move it on."""
    offset = state[1] + 1
    known = state[0][_SELF]  # the last known status before the segment (None: a new job)
    for item in summary.opening:
        kind, index, line = item[0], item[1] + offset, _add(item[2], lines)
        if kind == STATUS:
            status = item[3]
            if state[0].get(status) is None:
                judge.step(job, index, line, known, status)
        elif kind == FIRST_TIME:
            _, _, _, status, last_known, moment, raw = item
            moment = packed_time(moment)  # a date-time in a summary made by hand
            earlier = state[4]
            if earlier is None:
                continue
            if type(moment) is type(earlier):
                backwards = moment < earlier
            else:  # a number and a date-time
                backwards = packed_before(moment, earlier)
            if backwards:
                prev = known if last_known is None else last_known
                judge.backwards(job, index, line, prev, status, raw, state[5], state[6])
        else:  # BACKWARDS inside the segment
            _, _, _, status, last_known, raw, earlier_raw, earlier_line = item
            prev = known if last_known is None else last_known
            judge.backwards(
                job, index, line, prev, status, raw, earlier_raw, _add(earlier_line, lines)
            )
    state[1] += summary.events
    if summary.last is not None:
        state[0] = maps[summary.last]
        state[2] = summary.last_index + offset
        state[3] = _add(summary.line, lines)
    elif state[2] < 0 and summary.line is not None:
        state[3] = _add(summary.line, lines)
    if summary.time is not None:
        state[4] = packed_time(summary.time)
        state[5] = summary.raw_time
        state[6] = _add(summary.time_line, lines)


def _add(line: int | None, lines: int) -> int | None:
    return None if line is None else line + lines


def _line_order(v: Violation) -> tuple[int, bool]:
    # One line may hold a time that went backwards, then a status that broke a rule.
    return (v.line or 0, v.reason is not Reason.TIME_WENT_BACKWARDS)


def _shifted(item: Any, offsets: dict[str, int], lines: int) -> Any:
    offset = offsets.get(item.job, 0)
    if not offset and not lines:
        return item
    return attrs.evolve(item, index=item.index + offset, line=_add(item.line, lines))
