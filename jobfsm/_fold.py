"""The loop of validation: ``(line, row)`` pairs in, per-job states out.

:func:`fold_states` is what every event goes through, for
:func:`jobfsm.validate.validate_events` and :func:`jobfsm.segments.fold`
alike: it steps each job's state (a :data:`State` list) through the
lifecycle's transition maps, reads times, and hands whatever breaks a rule to
the judge (:class:`jobfsm._judge._Judge`). It lives apart from the segments,
their summaries and their merge, which only read the states it leaves;
:mod:`jobfsm.segments` re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from jobfsm._judge import _SELF, _UNKNOWN, _UNKNOWN_MAP, FIRST_TIME, _Judge, before, time_value
from jobfsm._wire import packed_time
from jobfsm.eventlog import MalformedEvent, job_text, malformed

# Per job, while folding: [transition map of its last known status, index of
# its last event, index and line of its last known status, last time, as
# written, line]. A list: cheaper to make and to update than any object.
State = list[Any]


def fold_states(
    pairs: Iterable[tuple[int | None, Any]],
    judge: _Judge,
    errors: list[MalformedEvent],
    *,
    opens_log: bool = True,
    job_key: str = "job",
    status_key: str = "status",
    time_key: str | None = "time",
    fast_type: Any = None,
) -> tuple[dict[Any, State], int]:
    """The loop of validation: ``(line, row)`` pairs in, per-job states and event count out.

    Violations (and, in a segment that does not open the log, the checks
    deferred to :func:`merge`) go to *judge*, malformed rows to *errors*.
    A row is a mapping, or an instance of *fast_type* with the attributes
    ``job``, ``status`` and ``time`` (already typed by a decoder).
    """
    maps = judge.t.step
    start = judge.start_map if opens_log else _UNKNOWN_MAP
    judge.deferring = not opens_log
    judge_step = judge.step
    defer = judge.defer
    states: dict[Any, State] = {}
    get_state = states.get
    fromiso = datetime.fromisoformat
    count = 0
    row: Any
    for line, row in pairs:
        try:
            if type(row) is fast_type:
                job, status, raw_time = row.job, row.status, row.time
            else:
                job = row[job_key]
                if type(job) is not str:
                    job = job_text(job)
                status = row[status_key]
                raw_time = row.get(time_key) if time_key is not None else None
            state = get_state(job)
            ok = start if state is None else state[0]
            nxt = ok.get(status)
        except (KeyError, TypeError, AttributeError, IndexError):
            errors.append(malformed(line, count + len(errors), row, job_key, status_key))
            continue
        if nxt is None and (not isinstance(status, str) or not status):
            errors.append(malformed(line, count + len(errors), row, job_key, status_key))
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
                            time_value(raw_time)
                            if raw_time.isdigit()
                            else moment.replace(tzinfo=UTC)
                        )
                else:
                    moment = time_value(raw_time)
            except ValueError:
                try:
                    moment = time_value(raw_time)
                except ValueError as exc:
                    where = "" if line is not None else f"event {count + len(errors) + 1}: "
                    errors.append(MalformedEvent(line, where + str(exc)))
                    continue
        if state is None:
            if job is None or job == "":
                errors.append(malformed(line, count + len(errors), row, job_key, status_key))
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
                    backwards = before(moment, last)
                if backwards:
                    judge.backwards(job, index, line, ok[_SELF], status, raw_time,
                                    state[5], state[6])  # fmt: skip
            elif not opens_log:  # compared in merge() with the time before the segment
                known = ok[_SELF]
                # Plain data (a status's spelling, a packed time): summaries() keeps it as is.
                defer(job, (FIRST_TIME, index, line, status,
                            None if known is _UNKNOWN else str(known), packed_time(moment),
                            raw_time))  # fmt: skip
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
    return states, count
