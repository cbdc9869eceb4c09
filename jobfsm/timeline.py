"""Timelines: one bar per status a job held, along a time axis, coloured like the diagrams.

:func:`timelines` streams an event log and keeps the status changes of the
named jobs only (through :class:`~jobfsm.logscan.LogScan`). A bar runs from
the first event of a status to the first event of the next one; the last
bar of an unfinished job runs to its last event, and a terminal status is a
thin mark. Statuses a poller skipped have no times, so no bar.

:func:`to_gantt` writes a Mermaid ``gantt`` chart (``active`` statuses as
active tasks, attention ones as critical, terminal ones as milestones);
:func:`to_dot` writes boxes at fixed positions that Graphviz (``neato -n2``)
draws as SVG or PNG without moving them.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import attrs
import yaml

from jobfsm._diagram_base import _STYLES, _dot_attrs, _dot_quote, run_graphviz
from jobfsm.errors import DiagramFormatError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.logscan import LogScan
from jobfsm.processmap import format_seconds

__all__ = ["TIMELINE_FORMATS", "Bar", "render", "timelines", "to_dot", "to_gantt"]

#: Formats :func:`render` produces.
TIMELINE_FORMATS: Final = ("mermaid", "dot", "svg", "png")
_LEFT: Final = 170.0  # points left of the axis, for the job names
_WIDTH: Final = 720.0  # points of the time axis
_ROW: Final = 34.0
_BAR: Final = 22.0
_TICKS: Final = 5


@attrs.frozen
class Bar:
    """A status held by a job from ``start`` to ``end`` (POSIX seconds)."""

    job: str
    status: enum.StrEnum
    start: float
    end: float


def timelines(
    events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
    jobs: Sequence[str],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    mode: Literal["strict", "observed"] = "observed",
    job_key: str = "job",
    status_key: str = "status",
    time_key: str = "time",
) -> dict[str, tuple[Bar, ...]]:
    """The bars of each job in *jobs*, in the order given.

    Raises:
        KeyError: a job is not in the log, or none of its events has a time
            (the message names it).
        EventLogError: the log cannot be read (not UTF-8 text).
    """
    wanted = dict.fromkeys(jobs)
    scan = LogScan(
        events, lifecycle, mode=mode, job_key=job_key, status_key=status_key, time_key=time_key
    )
    bars: dict[str, list[Bar]] = {job: [] for job in wanted}
    for change in scan:
        if change.job not in wanted or change.source is None:
            continue
        if change.since is not None and change.at is not None and change.at >= change.since:
            bars[change.job].append(Bar(change.job, change.source, change.since, change.at))
    missing = [job for job in wanted if job not in scan.jobs]
    if missing:
        known = ", ".join(sorted(scan.jobs)[:10]) or "none"
        raise KeyError(f"no job {', '.join(map(repr, missing))} in the log (jobs: {known})")
    for job in wanted:
        state = scan.jobs[job]
        if state.status is not None and state.entered is not None:
            last = state.last if state.last is not None else state.entered
            end = state.entered if state.status in lifecycle.terminal else max(last, state.entered)
            bars[job].append(Bar(job, state.status, state.entered, end))
        if not bars[job]:
            raise KeyError(f"job {job!r} has no event with a time in the log")
    return {job: tuple(found) for job, found in bars.items()}


def _kind(lifecycle: Lifecycle, status: enum.StrEnum) -> str:
    for kind, members in (
        ("terminal", lifecycle.terminal),
        ("attention", lifecycle.attention),
        ("active", lifecycle.active),
    ):
        if status in members:
            return kind
    return ""


_UNSAFE = re.compile(r"[:;#\n\r]+")


def to_gantt(
    bars: Mapping[str, Sequence[Bar]],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    title: str = "timeline",
) -> str:
    """The bars as a Mermaid ``gantt`` chart, one section per job."""
    # Compact: a job's statuses share one row, as they never overlap.
    front = yaml.safe_dump(
        {"title": title, "displayMode": "compact"}, allow_unicode=True, width=10_000
    )
    # Times are written as UTC wall-clock text: Mermaid reads and shows them alike.
    lines = ["---", front.rstrip("\n"), "---", "gantt", "    dateFormat YYYY-MM-DD HH:mm:ss"]
    span = _span(bars)
    lines.append("    axisFormat " + ("%H:%M:%S" if span[1] - span[0] < 86_400 else "%m-%d %H:%M"))
    tags = {"active": "active, ", "attention": "crit, ", "terminal": "milestone, "}
    for job, found in bars.items():
        lines.append(f"    section {_UNSAFE.sub(' ', job).strip() or '-'}")
        for bar in found:
            tag = tags.get(_kind(lifecycle, bar.status), "")
            name = _UNSAFE.sub(" ", str(bar.status)).strip() or "-"
            start, end = math.floor(bar.start), math.ceil(bar.end)
            lines.append(f"    {name} : {tag}{_wall(start)}, {_wall(max(end, start))}")
    return "\n".join(lines) + "\n"


def _span(bars: Mapping[str, Sequence[Bar]]) -> tuple[float, float]:
    starts = [b.start for found in bars.values() for b in found]
    ends = [b.end for found in bars.values() for b in found]
    return (min(starts), max(ends)) if starts else (0.0, 0.0)


def _wall(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def to_dot(
    bars: Mapping[str, Sequence[Bar]],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    title: str = "timeline",
) -> str:
    """The bars as DOT boxes at fixed positions (draw with ``neato -n2``)."""
    q = _dot_quote
    t0, t1 = _span(bars)
    scale = _WIDTH / (t1 - t0) if t1 > t0 else 0.0
    rows = len(bars)
    top = (rows + 1) * _ROW
    lines = [
        f"digraph {q(title)} {{",
        "    graph ["
        + _dot_attrs(
            {"label": f"{title} (from {_clock(t0)})", "labelloc": "t", "fontname": "Helvetica"}
        )
        + "];",
        "    node ["
        + _dot_attrs({"shape": "box", "style": "filled", "fontname": "Helvetica", "fontsize": "10"})
        + "];",
    ]
    number = 0

    def box(values: dict[str, str], x: float, y: float, width: float, height: float) -> None:
        nonlocal number
        number += 1
        values |= {
            "pos": f"{x:.1f},{y:.1f}!",
            "width": f"{max(width, 1.0) / 72:.4f}",
            "height": f"{height / 72:.4f}",
            "fixedsize": "true",
        }
        lines.append(f"    n{number} [{_dot_attrs(values)}];")

    for row, (job, found) in enumerate(bars.items()):
        y = top - (row + 1) * _ROW
        box({"label": job, "shape": "plaintext", "style": ""}, _LEFT / 2, y, _LEFT - 10, _BAR)
        for bar in found:
            kind = _kind(lifecycle, bar.status)
            fill, stroke, text = _STYLES[kind] if kind else ("#ffffff", "#555555", "#111111")
            width = (bar.end - bar.start) * scale
            label = str(bar.status) if width >= 6.2 * len(str(bar.status)) else ""
            tooltip = f"{bar.status}: {format_seconds(bar.end - bar.start)}"
            values = {
                "label": label,
                "tooltip": tooltip,
                "fillcolor": fill,
                "color": stroke,
                "fontcolor": text,
                "class": f"bar {kind}".strip(),
            }
            if kind == "terminal":
                values["peripheries"] = "2"
                width = max(width, 6.0)
            x = _LEFT + (bar.start - t0) * scale + max(width, 1.0) / 2
            box(values, x, y, width, _BAR)
    for tick in range(_TICKS + 1):
        offset = (t1 - t0) * tick / _TICKS
        label = "0" if tick == 0 else f"+{format_seconds(offset)}"
        box(
            {"label": label, "shape": "plaintext", "style": "", "fontcolor": "#555555"},
            _LEFT + offset * scale,
            top - (rows + 0.9) * _ROW,
            60,
            14,
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(
    bars: Mapping[str, Sequence[Bar]],
    fmt: str = "svg",
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    title: str = "timeline",
) -> bytes:
    """The timeline in *fmt*: Mermaid gantt text, DOT text, or SVG/PNG drawn by Graphviz.

    Raises:
        DiagramFormatError: an unknown format.
        GraphvizNotFoundError: SVG/PNG without Graphviz installed.
        DiagramRenderError: Graphviz failed.
    """
    if fmt not in TIMELINE_FORMATS:
        raise DiagramFormatError(fmt, TIMELINE_FORMATS)
    if fmt == "mermaid":
        return to_gantt(bars, lifecycle, title=title).encode()
    source = to_dot(bars, lifecycle, title=title)
    if fmt == "dot":
        return source.encode()
    return run_graphviz(source, fmt, engine="neato")
