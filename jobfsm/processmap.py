"""Process maps: what the jobs of an event log actually did, drawn on the lifecycle.

:func:`process_map` streams a log once (a few values per job, see
:class:`~jobfsm.logscan.LogScan`) and counts every observed change of status
with the median time between the two statuses. Changes that skip statuses
(observed mode) are drawn along the lifecycle's shortest path as *inferred*
steps, dashed; illegal changes are drawn in red with their count; statuses no
job was seen in are greyed. Arrow width follows frequency.

It is written as a Mermaid ``flowchart`` (state diagrams cannot style single
arrows; flowcharts can, with ``linkStyle``) or as Graphviz DOT, from which the
real Graphviz draws SVG and PNG.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import attrs
import yaml

from jobfsm._diagram_base import _STYLES, _dot_attrs, _dot_quote, run_graphviz
from jobfsm.errors import DiagramFormatError
from jobfsm.eventlog import MalformedEvent
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.logscan import LogScan
from jobfsm.quantiles import DEFAULT_EXACT_LIMIT, Durations

__all__ = [
    "MapEdge",
    "ProcessMap",
    "format_seconds",
    "process_map",
    "render",
    "to_dot",
    "to_mermaid",
]

_ILLEGAL: Final = "#c62828"
_GREY: Final = ("#f4f4f4", "#bbbbbb", "#9a9a9a")
_MAX_WIDTH: Final = 6.0


def format_seconds(seconds: float) -> str:
    """A short human duration: ``45s``, ``1m30s``, ``2h05m``, ``3d04h``, ``0.25s``."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.2g}s"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


@attrs.frozen
class MapEdge:
    """One drawn arrow of a process map.

    Attributes:
        source: The status left (``None``: the arrow into a job's first status).
        dest: The status entered.
        observed: Changes seen directly from *source* to *dest*.
        inferred: Times the step was assumed, inside changes that skipped it.
        legal: Whether the lifecycle has this edge.
        median: Median seconds between the two statuses (observed changes with times).
    """

    source: enum.StrEnum | None
    dest: enum.StrEnum
    observed: int
    inferred: int
    legal: bool
    median: float | None

    @property
    def count(self) -> int:
        """Observed and inferred changes together (the arrow's weight)."""
        return self.observed + self.inferred

    @property
    def label(self) -> str:
        """``12x · median 1m30s``, with ``+3 inferred`` or ``illegal`` as they apply."""
        if self.source is None:
            return f"{self.observed} job" + ("" if self.observed == 1 else "s")
        parts = []
        if self.observed:
            parts.append(f"{self.observed}x")
            if self.median is not None:
                parts.append(f"median {format_seconds(self.median)}")
        if self.inferred:
            parts.append(f"{'+' if self.observed else ''}{self.inferred}x inferred")
        if not self.legal:
            parts.append("illegal")
        return " · ".join(parts)


@attrs.frozen
class ProcessMap:
    """The observed behaviour of the jobs of one log.

    Attributes:
        lifecycle: The lifecycle drawn.
        edges: Arrows, first-status arrows first, then in lifecycle edge order,
            then illegal ones in the order first seen.
        entered: Status -> how many times a job was seen entering it.
        inferred_states: Statuses only ever assumed (skipped), never seen.
        jobs, events, unknown: Counts of jobs, events and unknown statuses.
        input_errors: Malformed lines.
        mode: How changes were judged.
        title: The picture's title.
    """

    lifecycle: Lifecycle
    edges: tuple[MapEdge, ...]
    entered: Mapping[enum.StrEnum, int]
    inferred_states: frozenset[enum.StrEnum]
    jobs: int
    events: int
    unknown: int
    input_errors: tuple[MalformedEvent, ...]
    mode: str
    title: str


def process_map(
    events: Iterable[Mapping[str, Any]] | Iterable[tuple[int | None, Mapping[str, Any]]],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    mode: Literal["strict", "observed"] = "observed",
    job_key: str = "job",
    status_key: str = "status",
    time_key: str | None = "time",
    title: str = "process map",
    exact_limit: int = DEFAULT_EXACT_LIMIT,
) -> ProcessMap:
    """Count the status changes of an event log (streaming, a few values per job).

    Args:
        events: ``(line, row)`` pairs (an :class:`~jobfsm.eventlog.EventLog`) or rows.
        lifecycle: The lifecycle of the statuses.
        mode: ``observed`` (skipped statuses are inferred) or ``strict`` (any
            change that is not an edge is illegal).
        job_key, status_key, time_key: The keys of the rows, as for validation.
        title: The start of the picture's title (counts are appended).
        exact_limit: Durations kept per arrow before medians come from a sketch.

    Raises:
        ValueError: *mode* is not a mode.
        EventLogError: the log cannot be read (not UTF-8 text).
    """
    scan = LogScan(
        events, lifecycle, mode=mode, job_key=job_key, status_key=status_key, time_key=time_key
    )
    observed: dict[tuple[Any, Any], int] = {}
    inferred: dict[tuple[Any, Any], int] = {}
    times: dict[tuple[Any, Any], Durations] = {}
    entered: dict[enum.StrEnum, int] = {}
    assumed: set[enum.StrEnum] = set()
    for change in scan:
        entered[change.dest] = entered.get(change.dest, 0) + 1
        if change.kind == "skipped":
            path = (change.source, *change.skipped, change.dest)
            for pair in itertools.pairwise(path):
                inferred[pair] = inferred.get(pair, 0) + 1
            assumed.update(change.skipped)
            continue
        pair = (change.source, change.dest)
        observed[pair] = observed.get(pair, 0) + 1
        duration = change.duration
        if duration is not None:
            times.setdefault(pair, Durations(exact_limit)).add(duration)
    legal = {(e.source, e.dest) for e in lifecycle.edges}
    order = [(None, s) for s in lifecycle.statuses] + list(dict.fromkeys(
        (e.source, e.dest) for e in lifecycle.edges
    ))  # fmt: skip
    order += [pair for pair in observed if pair not in set(order)]
    edges = []
    for pair in order:
        if pair in observed or pair in inferred:
            median = times[pair].quantiles(0.5)[0] if pair in times else None
            ok = pair[0] is None or pair in legal
            edges.append(
                MapEdge(pair[0], pair[1], observed.get(pair, 0), inferred.get(pair, 0), ok, median)
            )
    jobs = len(scan.jobs)
    full_title = f"{title}: {jobs} job{'' if jobs == 1 else 's'}, {scan.events} events"
    return ProcessMap(
        lifecycle=lifecycle,
        edges=tuple(edges),
        entered=entered,
        inferred_states=frozenset(assumed - set(entered)),
        jobs=jobs,
        events=scan.events,
        unknown=scan.unknown,
        input_errors=tuple(scan.input_errors),
        mode=mode,
        title=full_title,
    )


def _width(edge: MapEdge, top: int) -> float:
    return round(1 + (_MAX_WIDTH - 1) * edge.count / top, 1) if top else 1.0


def _node_style(pm: ProcessMap, status: enum.StrEnum) -> tuple[str, str, str, str]:
    """(fill, stroke, text colour, class) of a status on the map."""
    if status not in pm.entered and status not in pm.inferred_states:
        return (*_GREY, "unseen")
    for kind, members in (
        ("terminal", pm.lifecycle.terminal),
        ("attention", pm.lifecycle.attention),
        ("active", pm.lifecycle.active),
    ):
        if status in members:
            return (*_STYLES[kind], kind)
    return ("#ffffff", "#555555", "#111111", "seen")


def _node_label(pm: ProcessMap, status: enum.StrEnum) -> str:
    count = pm.entered.get(status, 0)
    if count:
        return f"{status}\n{count} entered"
    return f"{status}\ninferred" if status in pm.inferred_states else f"{status}\nnever seen"


def to_mermaid(pm: ProcessMap) -> str:
    """The process map as a Mermaid ``flowchart`` (width, dashes and colours per arrow)."""
    ids = {s: f"s{i}" for i, s in enumerate(pm.lifecycle.statuses)}
    front = yaml.safe_dump({"title": pm.title}, allow_unicode=True, width=10_000)
    lines = ["---", front.rstrip("\n"), "---", "flowchart TB"]
    lines.append("    start((start))")
    for status in pm.lifecycle.statuses:
        label = _node_label(pm, status).replace('"', "#quot;").replace("\n", "<br/>")
        lines.append(f'    {ids[status]}["{label}"]')
    top = max((e.count for e in pm.edges if e.source is not None), default=0)
    styles = []
    for index, edge in enumerate(pm.edges):
        source = "start" if edge.source is None else ids[edge.source]
        arrow = "-.->" if edge.observed == 0 else "-->"
        lines.append(f'    {source} {arrow}|"{edge.label}"| {ids[edge.dest]}')
        style = [f"stroke-width:{_width(edge, top) if edge.source is not None else 1}px"]
        if not edge.legal:
            style.insert(0, f"stroke:{_ILLEGAL}")
        styles.append(f"    linkStyle {index} {','.join(style)}")
    lines.extend(styles)
    kinds: dict[str, list[str]] = {}
    for status in pm.lifecycle.statuses:
        fill, stroke, text, kind = _node_style(pm, status)
        if kind not in kinds:
            dash = ",stroke-dasharray:4 3" if kind == "unseen" else ""
            lines.append(f"    classDef {kind} fill:{fill},stroke:{stroke},color:{text}{dash}")
        kinds.setdefault(kind, []).append(ids[status])
    lines.extend(f"    class {','.join(members)} {kind}" for kind, members in kinds.items())
    return "\n".join(lines) + "\n"


def to_dot(pm: ProcessMap) -> str:
    """The process map as a Graphviz ``digraph``."""
    q = _dot_quote
    names = {str(s) for s in pm.lifecycle.statuses}
    start = "__start__"
    while start in names:
        start = f"_{start}_"
    graph = {"label": pm.title, "labelloc": "t", "fontname": "Helvetica", "rankdir": "TB"}
    node = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica"}
    lines = [
        f"digraph {q(pm.lifecycle.name)} {{",
        f"    graph [{_dot_attrs(graph)}];",
        f"    node [{_dot_attrs(node)}];",
        f"    edge [{_dot_attrs({'fontname': 'Helvetica', 'fontsize': '10'})}];",
        f"    {q(start)} [{_dot_attrs({'shape': 'point', 'width': '0.2', 'label': ''})}];",
    ]
    for status in pm.lifecycle.statuses:
        fill, stroke, text, kind = _node_style(pm, status)
        values = {
            "label": _node_label(pm, status),
            "fillcolor": fill,
            "color": stroke,
            "fontcolor": text,
            "class": f"state {kind}",
        }
        if kind == "unseen" or status in pm.inferred_states:
            values["style"] = "rounded,filled,dashed"
        lines.append(f"    {q(str(status))} [{_dot_attrs(values)}];")
    terminal = "; ".join(q(str(s)) for s in pm.lifecycle.statuses if s in pm.lifecycle.terminal)
    lines.append(f"    {{ rank=same; {terminal}; }}")
    top = max((e.count for e in pm.edges if e.source is not None), default=0)
    for edge in pm.edges:
        values = {"label": edge.label, "penwidth": str(_width(edge, top))}
        if edge.source is None:
            values["penwidth"] = "1"
        values["class"] = "observed" if edge.observed else "inferred"
        if edge.observed == 0:
            values["style"] = "dashed"
        if not edge.legal:
            values.update(color=_ILLEGAL, fontcolor=_ILLEGAL)
            values["class"] = "illegal"
        source = start if edge.source is None else str(edge.source)
        lines.append(f"    {q(source)} -> {q(str(edge.dest))} [{_dot_attrs(values)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(pm: ProcessMap, fmt: str = "svg") -> bytes:
    """The process map in *fmt* (``mermaid``, ``dot``, ``svg`` or ``png``).

    Raises:
        DiagramFormatError: an unknown format.
        GraphvizNotFoundError: SVG/PNG without Graphviz installed.
        DiagramRenderError: Graphviz failed.
    """
    formats = ("mermaid", "dot", "svg", "png")
    if fmt not in formats:
        raise DiagramFormatError(fmt, formats)
    if fmt == "mermaid":
        return to_mermaid(pm).encode()
    if fmt == "dot":
        return to_dot(pm).encode()
    return run_graphviz(to_dot(pm), fmt)
