"""Lifecycle diagrams derived from a :class:`~jobfsm.lifecycle.Lifecycle` value.

Two views of the same value. The default one (:mod:`jobfsm.diagram_compound`)
groups statuses that share an exit into compound states, draws the main line
straight and adds a legend; ``full=True`` draws one arrow per
``(source, dest)`` pair of the lifecycle, as written here. Both come as
Mermaid ``stateDiagram-v2`` text or Graphviz DOT text; SVG and PNG come from
the real Graphviz ``dot`` program, and when it is missing
:class:`~jobfsm.errors.GraphvizNotFoundError` says how to install it (there is
no silent fallback). Text formats need nothing beyond the standard library
and PyYAML.

Every output is deterministic: states in the lifecycle's documented order,
edges in the order their events are defined, so generated files can be
committed and checked for drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import yaml

from jobfsm import diagram_compound
from jobfsm._diagram_base import (
    _DOT_EDGE,
    _DOT_GRAPH,
    _DOT_NODE,
    _DOT_START,
    _PATH_COLOUR,
    _STYLES,
    DiagramEdge,
    DiagramGraph,
    _classes,
    _dot_attrs,
    _dot_quote,
    _mermaid_ids,
    graph_of,
    run_graphviz,
)
from jobfsm.errors import DiagramFormatError
from jobfsm.lifecycle import Lifecycle

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


def to_mermaid(
    lifecycle: Lifecycle | None = None, job: Job | None = None, *, full: bool = False
) -> str:
    """Return a Mermaid ``stateDiagram-v2`` of *lifecycle* (GitHub renders it).

    By default this is the grouped view of
    :func:`jobfsm.diagram_compound.grouped_mermaid`. With ``full=True`` the
    text starts with a YAML front matter holding the title, then
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
        full: Draw one arrow per ``(source, dest)`` pair instead of the grouped view.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.

    .. versionchanged:: 0.2 the grouped view is the default; ``full=True`` keeps
       the previous one.
    """
    if not full:
        return diagram_compound.grouped_mermaid(lifecycle, job)
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


def to_dot(
    lifecycle: Lifecycle | None = None, job: Job | None = None, *, full: bool = False
) -> str:
    """Return a Graphviz ``digraph`` of *lifecycle*.

    By default this is the grouped view of
    :func:`jobfsm.diagram_compound.grouped_dot`. With ``full=True``, a point
    node marks the start, terminal statuses are double circles, one
    edge per ``(source, dest)`` pair carries its events, and each status has a
    ``class`` attribute (``state`` plus its kind) that Graphviz copies into SVG
    for CSS. With *job*, the edges it took are thick and numbered, the
    statuses it held are filled green and its status is bold.

    Args:
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose path and status are highlighted.
        full: Draw one edge per ``(source, dest)`` pair instead of the grouped view.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    if not full:
        return diagram_compound.grouped_dot(lifecycle, job)
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


def render(
    fmt: str = "svg",
    lifecycle: Lifecycle | None = None,
    job: Job | None = None,
    *,
    full: bool = False,
) -> bytes:
    """Return the diagram of *lifecycle* (or *job*) in *fmt* as bytes.

    ``mermaid`` and ``dot`` are the UTF-8 text of :func:`to_mermaid` and
    :func:`to_dot`; ``svg`` and ``png`` are drawn by the Graphviz ``dot``
    program from that DOT text.

    Args:
        fmt: One of :data:`DIAGRAM_FORMATS`.
        lifecycle: The lifecycle to draw; defaults to the job's lifecycle, else
            :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`.
        job: A job whose path and status are highlighted.
        full: One arrow per ``(source, dest)`` pair instead of the grouped view.

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
        return to_mermaid(lifecycle, job, full=full).encode()
    source = to_dot(lifecycle, job, full=full)
    if fmt == "dot":
        return source.encode()
    return run_graphviz(source, fmt)
