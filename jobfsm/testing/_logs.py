"""A Hypothesis strategy for event logs: many jobs' traces interleaved, as JSONL or CSV text.

The log is built from :func:`~jobfsm.testing.traces` of each job, so its
planted violations are known: what ``validate_events`` must report, line by
line, and which lines it must report as unreadable.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Literal

import attrs
from hypothesis import strategies as st

from jobfsm._judge import Mode, Reason
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.testing._strategies import Planted, traces

__all__ = ["LogText", "event_logs"]

_EPOCH = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
_MALFORMED = {"jsonl": '{"job": "broken", "status": \n', "csv": "broken\n"}


@attrs.frozen
class LogText:
    """A generated event log and what validating it must report.

    Args:
        text: The log: JSON Lines, or CSV with a ``job,status,time`` header.
        format: ``"jsonl"`` or ``"csv"``.
        mode: The validation mode the planted violations are meant for.
        planted: Exactly the violations ``validate_events`` reports, in order.
        malformed: Lines that are not events (``Report.input_errors``).
        jobs: How many jobs the log holds.
        events: How many readable events it holds.
    """

    text: str
    format: Literal["jsonl", "csv"]
    mode: Mode
    planted: tuple[Planted, ...] = ()
    malformed: tuple[int, ...] = ()
    jobs: int = 0
    events: int = 0


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@st.composite
def event_logs(
    draw: st.DrawFn,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    format: Literal["jsonl", "csv"] = "jsonl",
    mode: Mode = "strict",
    anomalies: bool = False,
    max_jobs: int = 4,
    max_steps: int = 8,
) -> LogText:
    """An event log of one to *max_jobs* jobs, their events interleaved.

    Each event has a ``job``, a ``status`` and an ISO-8601 ``time`` that grows
    per job. Without anomalies the log is clean in *mode*. With anomalies it
    holds at least one of: a job's planted violations (see
    :func:`~jobfsm.testing.traces`), a time earlier than the job's previous
    one (``time-went-backwards``), a malformed line; ``LogText.planted`` and
    ``LogText.malformed`` say exactly what the validator must report.
    """
    if format not in ("jsonl", "csv"):
        raise ValueError(f"format must be 'jsonl' or 'csv', got {format!r}")
    count = draw(st.integers(1, max_jobs))
    names = draw(
        st.lists(
            st.from_regex(r"[a-z]{3,8}_[a-z0-9]{4}", fullmatch=True),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    # Per job: (status, planted reason or None, time, time went backwards).
    rows: dict[str, list[tuple[str, Reason | None, str, bool]]] = {}
    for number, name in enumerate(names):
        valid = not anomalies or (number > 0 and draw(st.booleans()))
        trace = draw(traces(lifecycle, mode=mode, valid=valid, max_steps=max_steps))
        planted = {p.index: p.reason for p in trace.planted}
        moment = _EPOCH + timedelta(seconds=draw(st.integers(0, 3600)))
        back = -1
        if anomalies and len(trace) > 1 and draw(st.booleans()):
            back = draw(st.integers(1, len(trace) - 1))
        times: list[datetime] = []
        for index in range(len(trace)):
            if index == back:
                times.append(times[-1] - timedelta(seconds=draw(st.integers(1, 90))))
            else:
                moment += timedelta(seconds=draw(st.integers(0, 600)))
                times.append(moment)
        rows[name] = [
            (str(status), planted.get(index), _iso(times[index]), index == back)
            for index, status in enumerate(trace)
        ]
    order = draw(st.permutations([name for name in names for _ in rows[name]]))
    broken = set(draw(st.lists(st.integers(0, len(order)), max_size=2))) if anomalies else set()

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    line = 1
    if format == "csv":
        writer.writerow(["job", "status", "time"])
        line += 1
    found: list[tuple[int, int, Planted]] = []
    malformed: list[int] = []
    position = dict.fromkeys(names, 0)
    for at in range(len(order) + 1):
        if at in broken:
            malformed.append(line)
            out.write(_MALFORMED[format])
            line += 1
        if at == len(order):
            break
        name = order[at]
        index = position[name]
        position[name] += 1
        status, reason, time, backwards = rows[name][index]
        if backwards:
            found.append((line, 0, Planted(index, Reason.TIME_WENT_BACKWARDS, name, line)))
        if reason is not None:
            found.append((line, 1, Planted(index, reason, name, line)))
        start = out.tell()
        if format == "csv":
            writer.writerow([name, status, time])
        else:
            out.write(json.dumps({"job": name, "status": status, "time": time}) + "\n")
        line += out.getvalue().count("\n", start)
    return LogText(
        text=out.getvalue(),
        format=format,
        mode=mode,
        planted=tuple(p for _, _, p in sorted(found, key=lambda f: (f[0], f[1]))),
        malformed=tuple(malformed),
        jobs=count,
        events=len(order),
    )
