"""Lifecycle diagrams derived from a :class:`~jobfsm.lifecycle.Lifecycle` value.

The pipeline has two steps: :func:`graph_of` turns a lifecycle (and, if given,
one job's history) into a small neutral graph model; the emitters write that
model as Mermaid ``stateDiagram-v2`` text or Graphviz DOT text. SVG and PNG
come from the real Graphviz ``dot`` program; when it is missing,
:class:`~jobfsm.errors.GraphvizNotFoundError` says how to install it (there is
no silent fallback). Text formats need nothing beyond the standard library and
PyYAML.

Every output is deterministic: states in the lifecycle's documented order,
edges in the order their events are defined, so generated files can be
committed and checked for drift.
"""

from __future__ import annotations

import enum
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import attrs
import yaml

from jobfsm.errors import DiagramFormatError, DiagramRenderError, GraphvizNotFoundError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

if TYPE_CHECKING:
    from jobfsm.job import Job

__all__ = [
    "DIAGRAM_FORMATS",
    "DiagramEdge",
    "DiagramGraph",
    "graph_of",
    "render",
    "to_dot",
    "to_mermaid",
]

#: Formats :func:`render` produces; the first two are text, the others need Graphviz.
DIAGRAM_FORMATS: Final = ("mermaid", "dot", "svg", "png")
_GRAPHVIZ_FORMATS: Final = ("svg", "png")
_DOT_EXECUTABLE: Final = "dot"
# Generous: the default lifecycle renders in well under a second.
_DOT_TIMEOUT_SECONDS: Final = 60


# -- the graph model -------------------------------------------------------------


@attrs.frozen
class DiagramEdge:
    """All events from ``source`` to ``dest``, drawn as one arrow.

    Attributes:
        source: The status the events leave.
        dest: The status they lead to.
        events: Event names in definition order (usually one).
        steps: 1-based positions of this edge in the drawn job's history
            (empty for a lifecycle diagram or an edge the job never took).
    """

    source: enum.StrEnum
    dest: enum.StrEnum
    events: tuple[str, ...]
    steps: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """The arrow's text: the event names joined by ``" / "``, then the steps."""
        text = " / ".join(self.events)
        if self.steps:
            word = "step" if len(self.steps) == 1 else "steps"
            text += f" ({word} {', '.join(map(str, self.steps))})"
        return text


@attrs.frozen
class DiagramGraph:
    """What a diagram shows, independent of the output syntax.

    Attributes:
        title: The diagram title.
        lifecycle: The lifecycle drawn.
        edges: One :class:`DiagramEdge` per ``(source, dest)`` pair.
        current: The drawn job's status, or ``None`` for a lifecycle diagram.
        visited: Statuses the drawn job has held (empty without a job).
    """

    title: str
    lifecycle: Lifecycle
    edges: tuple[DiagramEdge, ...]
    current: enum.StrEnum | None = None
    visited: frozenset[enum.StrEnum] = frozenset()

    @property
    def states(self) -> tuple[enum.StrEnum, ...]:
        """Every status, in documented order."""
        return self.lifecycle.statuses

    @property
    def initial(self) -> enum.StrEnum:
        """The status a job starts in."""
        return self.lifecycle.status(self.lifecycle.initial)

    @property
    def terminal(self) -> tuple[enum.StrEnum, ...]:
        """Terminal statuses, in documented order."""
        return tuple(s for s in self.states if s in self.lifecycle.terminal)

    def kind(self, state: enum.StrEnum) -> str:
        """The style class of *state*: terminal, attention, active or ``""``.

        A state in several sets gets the first of that list (terminal wins).
        """
        for kind, members in (
            ("terminal", self.lifecycle.terminal),
            ("attention", self.lifecycle.attention),
            ("active", self.lifecycle.active),
        ):
            if state in members:
                return kind
        return ""


def graph_of(lifecycle: Lifecycle | None = None, job: Job | None = None) -> DiagramGraph:
    """Build the graph model of *lifecycle*, with *job*'s path when a job is given.

    Args:
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose current status and history are highlighted.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    if lifecycle is None:
        lifecycle = job.lifecycle if job is not None else DEFAULT_LIFECYCLE
    elif job is not None and job.lifecycle != lifecycle:
        raise ValueError(
            f"job {job.name!r} follows lifecycle {job.lifecycle.name!r}, "
            f"not {lifecycle.name!r}; pass lifecycle=None to draw the job's own"
        )
    steps: dict[tuple[str, str], list[int]] = {}
    visited: set[enum.StrEnum] = set()
    current = None
    title = f"{lifecycle.name} lifecycle"
    if job is not None:
        current = lifecycle.status(job.status)
        visited.add(lifecycle.status(lifecycle.initial))
        visited.add(current)
        for number, entry in enumerate(job.history, start=1):
            steps.setdefault((entry.from_, entry.to), []).append(number)
            visited.update((lifecycle.status(entry.from_), lifecycle.status(entry.to)))
        title = f"{lifecycle.name}: job {job.name or '(unnamed)'} is {current}"
    merged: dict[tuple[enum.StrEnum, enum.StrEnum], list[str]] = {}
    for edge in lifecycle.edges:
        events = merged.setdefault((edge.source, edge.dest), [])
        if edge.event not in events:
            events.append(edge.event)
    edges = tuple(
        DiagramEdge(source, dest, tuple(events), tuple(steps.get((source, dest), ())))
        for (source, dest), events in merged.items()
    )
    return DiagramGraph(title, lifecycle, edges, current, frozenset(visited))


# -- Mermaid ---------------------------------------------------------------------

_MERMAID_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Words the stateDiagram grammar reads as keywords; such states get a safe id.
_MERMAID_KEYWORDS = frozenset(
    {"as", "class", "classdef", "click", "default", "direction", "end", "hide", "note"}
    | {"scale", "state", "style"}
)

# Fill / stroke / text colours; chosen to stay readable in light and dark themes.
_STYLES: Final = {
    "terminal": ("#e8e8e8", "#555555", "#111111"),
    "attention": ("#ffe6b3", "#b36b00", "#111111"),
    "active": ("#dcebff", "#2f6db5", "#111111"),
    "visited": ("#d9f2d9", "#2e7d32", "#111111"),
    "current": ("#2e7d32", "#1b4d1e", "#ffffff"),
}
_PATH_COLOUR: Final = "#2e7d32"


def _mermaid_ids(states: Sequence[enum.StrEnum]) -> dict[enum.StrEnum, str]:
    """A Mermaid id per state: its name when that is a plain word, else ``state_N``."""
    taken = {str(s) for s in states}
    ids: dict[enum.StrEnum, str] = {}
    for index, state in enumerate(states):
        name = str(state)
        if _MERMAID_ID.match(name) and name.lower() not in _MERMAID_KEYWORDS:
            ids[state] = name
            continue
        alias = f"state_{index}"
        while alias in taken:  # a lifecycle may itself name a state "state_3"
            alias += "_"
        taken.add(alias)
        ids[state] = alias
    return ids


def _classes(graph: DiagramGraph) -> dict[str, list[enum.StrEnum]]:
    """Style class -> its states; a job's path overrides the lifecycle kinds."""
    classes: dict[str, list[enum.StrEnum]] = {kind: [] for kind in _STYLES}
    for state in graph.states:
        if state == graph.current:
            kind = "current"
        elif state in graph.visited:
            kind = "visited"
        else:
            kind = graph.kind(state)
        if kind:
            classes[kind].append(state)
    return {kind: states for kind, states in classes.items() if states}


def to_mermaid(lifecycle: Lifecycle | None = None, job: Job | None = None) -> str:
    """Return a Mermaid ``stateDiagram-v2`` of *lifecycle* (GitHub renders it).

    The text starts with a YAML front matter holding the title, then
    ``[*] --> <initial>``, one arrow per ``(source, dest)`` pair labelled with
    its events, ``<terminal> --> [*]`` for each terminal status, and
    ``classDef``/``class`` lines styling terminal, active and attention
    statuses. With *job*, the arrows it took carry their step numbers, the
    statuses it held are styled ``visited`` and its status ``current``, with a
    note.

    Args:
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose path and status are highlighted.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    graph = graph_of(lifecycle, job)
    ids = _mermaid_ids(graph.states)
    front = yaml.safe_dump({"title": graph.title}, allow_unicode=True, width=10_000)
    lines = ["---", front.rstrip("\n"), "---", "stateDiagram-v2"]
    for state in graph.states:
        if ids[state] != str(state):
            # Mermaid has no backslash escapes; a quote is written as an entity.
            label = str(state).replace('"', "#quot;")
            lines.append(f'    state "{label}" as {ids[state]}')
    lines.append(f"    [*] --> {ids[graph.initial]}")
    lines.extend(f"    {ids[e.source]} --> {ids[e.dest]} : {e.label}" for e in graph.edges)
    lines.extend(f"    {ids[state]} --> [*]" for state in graph.terminal)
    if graph.current is not None:
        lines.append(f"    note right of {ids[graph.current]} : current status")
    classes = _classes(graph)
    for kind in classes:
        fill, stroke, text = _STYLES[kind]
        width = "3px" if kind == "current" else "1px"
        lines.append(
            f"    classDef {kind} fill:{fill},stroke:{stroke},color:{text},stroke-width:{width}"
        )
    for kind, states in classes.items():
        lines.append(f"    class {','.join(ids[s] for s in states)} {kind}")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT ----------------------------------------------------------------


def _dot_quote(text: str) -> str:
    # DOT strings interpret backslash escapes (\n, \l, \N) in labels; keep text literal.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_attrs(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={_dot_quote(value)}" for key, value in values.items())


_DOT_GRAPH: Final = {"labelloc": "t", "fontname": "Helvetica", "rankdir": "TB"}
_DOT_NODE: Final = {
    "shape": "box",
    "style": "rounded,filled",
    "fontname": "Helvetica",
    "fillcolor": "#ffffff",
    "color": "#555555",
}
_DOT_EDGE: Final = {"fontname": "Helvetica", "fontsize": "10", "color": "#555555"}
_DOT_START: Final = {"shape": "point", "width": "0.2", "label": "", "class": "start"}


def to_dot(lifecycle: Lifecycle | None = None, job: Job | None = None) -> str:
    """Return a Graphviz ``digraph`` of *lifecycle*.

    A point node marks the start, terminal statuses are double circles, one
    edge per ``(source, dest)`` pair carries its events, and each status has a
    ``class`` attribute (``state`` plus its kind) that Graphviz copies into SVG
    for CSS. With *job*, the edges it took are thick and numbered, the
    statuses it held are filled green and its status is bold.

    Args:
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose path and status are highlighted.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    graph = graph_of(lifecycle, job)
    start = "__start__"
    while start in graph.states:  # a lifecycle may use any spelling
        start = f"_{start}_"
    lines = [
        f"digraph {_dot_quote(graph.lifecycle.name)} {{",
        f"    graph [{_dot_attrs(_DOT_GRAPH | {'label': graph.title})}];",
        f"    node [{_dot_attrs(_DOT_NODE)}];",
        f"    edge [{_dot_attrs(_DOT_EDGE)}];",
        f"    {_dot_quote(start)} [{_dot_attrs(_DOT_START)}];",
    ]
    classes = {s: kind for kind, states in _classes(graph).items() for s in states}
    for state in graph.states:
        kind = classes.get(state, "")
        attrs_: dict[str, str] = {"label": str(state), "class": " ".join(("state", kind)).strip()}
        if kind:
            fill, stroke, text = _STYLES[kind]
            attrs_.update(fillcolor=fill, color=stroke, fontcolor=text)
        if state in graph.lifecycle.terminal:
            attrs_["shape"] = "doublecircle"
        if kind in ("visited", "current"):
            attrs_["penwidth"] = "3" if kind == "current" else "2"
        lines.append(f"    {_dot_quote(str(state))} [{_dot_attrs(attrs_)}];")
    lines.append(f"    {_dot_quote(start)} -> {_dot_quote(str(graph.initial))};")
    for edge in graph.edges:
        edge_attrs = {"label": edge.label}
        if edge.steps:
            edge_attrs.update(color=_PATH_COLOUR, fontcolor=_PATH_COLOUR, penwidth="2.5")
            edge_attrs["class"] = "path"
        lines.append(
            f"    {_dot_quote(str(edge.source))} -> {_dot_quote(str(edge.dest))} "
            f"[{_dot_attrs(edge_attrs)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- rendering -------------------------------------------------------------------


def render(fmt: str = "svg", lifecycle: Lifecycle | None = None, job: Job | None = None) -> bytes:
    """Return the diagram of *lifecycle* (or *job*) in *fmt* as bytes.

    ``mermaid`` and ``dot`` are the UTF-8 text of :func:`to_mermaid` and
    :func:`to_dot`; ``svg`` and ``png`` are drawn by the Graphviz ``dot``
    program from that DOT text.

    Args:
        fmt: One of :data:`DIAGRAM_FORMATS`.
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose path and status are highlighted.

    Raises:
        DiagramFormatError: *fmt* is not one of :data:`DIAGRAM_FORMATS`.
        GraphvizNotFoundError: ``svg``/``png`` was asked for and ``dot`` is not
            on ``PATH``; the message says how to install Graphviz.
        DiagramRenderError: ``dot`` failed or took more than a minute.
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    if fmt not in DIAGRAM_FORMATS:
        raise DiagramFormatError(fmt, DIAGRAM_FORMATS)
    if fmt == "mermaid":
        return to_mermaid(lifecycle, job).encode()
    source = to_dot(lifecycle, job)
    if fmt == "dot":
        return source.encode()
    executable = shutil.which(_DOT_EXECUTABLE)
    if executable is None:
        raise GraphvizNotFoundError(_DOT_EXECUTABLE, fmt)
    try:
        done = subprocess.run(
            [executable, f"-T{fmt}"],
            input=source.encode(),
            capture_output=True,
            timeout=_DOT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:  # removed between which() and run()
        raise GraphvizNotFoundError(_DOT_EXECUTABLE, fmt)
    except subprocess.TimeoutExpired as exc:
        raise DiagramRenderError(fmt, None, (exc.stderr or b"").decode(errors="replace"))
    if done.returncode != 0 or not done.stdout:
        raise DiagramRenderError(fmt, done.returncode, done.stderr.decode(errors="replace"))
    return done.stdout
