"""The grouped view of a lifecycle as Mermaid and DOT text (the default diagrams).

:func:`jobfsm.diagram_groups.grouped_view` decides which statuses share a box
and which arrows are drawn; this module writes that as Mermaid composite
states (``state "label" as id { ... }``) or Graphviz clusters
(``compound=true``, an arrow leaving a box is clipped at its border with
``ltail``/``lhead``). The main line is a straight, bold spine (Graphviz
``group`` and heavy edges), terminal statuses share the bottom rank, and a
legend explains the colours, the boxes and the arrows. With a job, its steps
are numbered on the arrows that stand for them, and (in DOT) every arrow it did
not take is dimmed. Mermaid's state diagrams cannot style one arrow, so there
the dimming is left out and the numbering carries the path.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import yaml

from jobfsm._diagram_base import (
    _DOT_EDGE,
    _DOT_GRAPH,
    _DOT_NODE,
    _DOT_START,
    _PATH_COLOUR,
    _STYLES,
    DiagramGraph,
    _classes,
    _dot_attrs,
    _dot_quote,
    _mermaid_ids,
    graph_of,
)
from jobfsm.diagram_groups import Group, GroupedArrow, GroupedView, grouped_view
from jobfsm.lifecycle import Lifecycle

if TYPE_CHECKING:
    from jobfsm.job import Job

__all__ = ["LEGEND", "grouped_dot", "grouped_mermaid", "step_label"]

#: What the colours and shapes mean, in drawing order: (style class, text).
LEGEND: Final = (
    ("active", "active: the service is working"),
    ("attention", "needs attention"),
    ("terminal", "terminal: no exit"),
)
_ARROW_NOTE: Final = "an arrow from a box leaves every status in it; into a box: any one of them"
_DIM: Final = "#c4c4c4"
_GROUP_COLOUR: Final = "#7a7a7a"


def step_label(events: tuple[str, ...], steps: list[int], *, any_of: bool = False) -> str:
    """An arrow's text: its events, ``(any)`` into a box, then the job's step numbers."""
    text = " / ".join(events) + (" (any)" if any_of else "")
    if steps:
        word = "step" if len(steps) == 1 else "steps"
        text += f" ({word} {', '.join(map(str, steps))})"
    return text


def _steps(view: GroupedView, graph: DiagramGraph) -> dict[int, list[int]]:
    """Arrow position -> the 1-based steps of the job's history it stands for."""
    where = {edge: i for i, arrow in enumerate(view.arrows) for edge in arrow.edges}
    steps: dict[int, list[int]] = {}
    for number, edge in enumerate(graph.history, 1):
        steps.setdefault(where[edge], []).append(number)
    return steps


# -- Mermaid -------------------------------------------------------------------------


def grouped_mermaid(lifecycle: Lifecycle | None = None, job: Job | None = None) -> str:
    """Return the grouped view of *lifecycle* (or *job*) as Mermaid ``stateDiagram-v2``.

    Groups are composite states holding their statuses; the legend is a
    composite state of sample statuses, one per style.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    graph = graph_of(lifecycle, job)
    view = grouped_view(graph.lifecycle)
    ids = _mermaid_ids(graph.states)
    taken = set(ids.values())

    def fresh(name: str) -> str:
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    group_ids = {g.key: fresh(g.key) for g in view.groups}
    front = yaml.safe_dump({"title": graph.title}, allow_unicode=True, width=10_000)
    lines = ["---", front.rstrip("\n"), "---", "stateDiagram-v2"]

    def declare(state: enum.StrEnum, indent: str) -> str:
        if ids[state] == str(state):
            return f"{indent}{ids[state]}"
        label = str(state).replace('"', "#quot;")
        return f'{indent}state "{label}" as {ids[state]}'

    def box(group: Group | None, depth: int) -> Iterator[str]:
        indent = "    " * depth
        for state in graph.states:
            if group is not None and view.group_of(state) is group:
                yield declare(state, indent)
        for child in view.children(group):
            label = child.label.replace('"', "#quot;")
            yield f'{indent}state "{label}" as {group_ids[child.key]} {{'
            yield from box(child, depth + 1)
            yield f"{indent}}}"

    lines.extend(box(None, 1))
    lines.extend(declare(s, "    ") for s in graph.states if view.group_of(s) is None)
    steps = _steps(view, graph)

    def end(node: enum.StrEnum | Group) -> str:
        return group_ids[node.key] if isinstance(node, Group) else ids[node]

    lines.append(f"    [*] --> {ids[graph.initial]}")
    for index, arrow in enumerate(view.arrows):
        label = step_label(arrow.events, steps.get(index, []), any_of=arrow.into_group)
        lines.append(f"    {end(arrow.source)} --> {end(arrow.dest)} : {label}")
    lines.extend(f"    {ids[state]} --> [*]" for state in graph.terminal)
    if graph.current is not None:
        lines.append(f"    note right of {ids[graph.current]} : current status")
    legend = fresh("legend")
    lines.append(f'    state "Legend" as {legend} {{')
    samples = {kind: fresh(f"legend_{kind}") for kind, _ in LEGEND}
    lines.extend(f'        state "{text}" as {samples[kind]}' for kind, text in LEGEND)
    lines.append(f'        state "{_ARROW_NOTE}" as {fresh("legend_arrows")}')
    lines.append("    }")
    classes = _classes(graph)
    for kind, _ in LEGEND:
        classes.setdefault(kind, [])
    for kind in classes:
        fill, stroke, text = _STYLES[kind]
        width = "3px" if kind == "current" else "1px"
        lines.append(
            f"    classDef {kind} fill:{fill},stroke:{stroke},color:{text},stroke-width:{width}"
        )
    for kind, states in classes.items():
        members = [ids[s] for s in states] + ([samples[kind]] if kind in samples else [])
        lines.append(f"    class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT --------------------------------------------------------------------


def _anchor(view: GroupedView, group: Group, *, last: bool) -> enum.StrEnum:
    """The status an arrow of *group* is attached to (clipped at the box's border).

    An arrow leaving a box starts at its lowest status on the spine (or its
    last one), so that exits point down towards the terminal statuses; an
    arrow into a box ends at its highest.
    """
    members = [s for s in view.lifecycle.statuses if s in group.members]
    on_spine = [s for s in view.spine if s in group.members]
    pool = on_spine or members
    return pool[-1] if last else pool[0]


def grouped_dot(lifecycle: Lifecycle | None = None, job: Job | None = None) -> str:
    """Return the grouped view of *lifecycle* (or *job*) as a Graphviz ``digraph``.

    Groups are clusters; the spine nodes share a Graphviz ``group`` and heavy
    edges keep them in one column; terminal statuses share the bottom rank; a
    legend cluster explains the styles. Every node has a ``class`` attribute
    (``state`` plus its kind) that Graphviz copies into SVG for CSS; group
    arrows have class ``group-exit`` or ``group-entry``, the job's ``path``.

    Raises:
        ValueError: *job* follows a different lifecycle than *lifecycle*.
    """
    graph = graph_of(lifecycle, job)
    view = grouped_view(graph.lifecycle)
    names = {str(s) for s in graph.states}

    def fresh(name: str) -> str:
        while name in names:
            name = f"_{name}_"
        names.add(name)
        return name

    start = fresh("__start__")
    clusters = {g.key: fresh(f"cluster_{g.key}") for g in view.groups}
    q = _dot_quote
    lines = [
        f"digraph {q(graph.lifecycle.name)} {{",
        "    graph ["
        + _dot_attrs(
            _DOT_GRAPH
            | {"label": graph.title, "compound": "true", "newrank": "true", "nodesep": "0.5"}
        )
        + "];",
        f"    node [{_dot_attrs(_DOT_NODE)}];",
        f"    edge [{_dot_attrs(_DOT_EDGE)}];",
        f"    {q(start)} [{_dot_attrs(_DOT_START | {'group': 'spine'})}];",
    ]
    classes = {s: kind for kind, states in _classes(graph).items() for s in states}
    spine = set(view.spine)

    def node(state: enum.StrEnum, indent: str) -> str:
        kind = classes.get(state, "")
        values: dict[str, str] = {"label": str(state), "class": f"state {kind}".strip()}
        if kind:
            fill, stroke, text = _STYLES[kind]
            values.update(fillcolor=fill, color=stroke, fontcolor=text)
        if state in graph.lifecycle.terminal:
            values["peripheries"] = "2"  # a double border: compact on the bottom rank
        if state in spine:
            values["group"] = "spine"
        if kind in ("visited", "current"):
            values["penwidth"] = "3" if kind == "current" else "2"
        return f"{indent}{q(str(state))} [{_dot_attrs(values)}];"

    def box(group: Group | None, depth: int) -> Iterator[str]:
        indent = "    " * depth
        for state in graph.states:
            if group is not None and view.group_of(state) is group:
                yield node(state, indent)
        for child in view.children(group):
            style = {
                "label": child.label,
                "style": "rounded,dashed",
                "color": _GROUP_COLOUR,
                "fontcolor": _GROUP_COLOUR,
                "class": "group",
            }
            yield f"{indent}subgraph {q(clusters[child.key])} {{"
            yield f"{indent}    graph [{_dot_attrs(style)}];"
            yield from box(child, depth + 1)
            yield f"{indent}}}"

    lines.extend(box(None, 1))
    lines.extend(node(s, "    ") for s in graph.states if view.group_of(s) is None)
    terminal = "; ".join(q(str(s)) for s in graph.terminal)
    lines.append(f"    {{ rank=same; {terminal}; }}")
    lines.append(f'    {q(start)} -> {q(str(graph.initial))} [weight="10"];')
    steps = _steps(view, graph)
    for index, arrow in enumerate(view.arrows):
        lines.append(_dot_arrow(view, arrow, steps.get(index, []), clusters, dim=job is not None))
    lines.append(_dot_legend(fresh("legend"), job=job is not None))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_arrow(
    view: GroupedView, arrow: GroupedArrow, steps: list[int], clusters: dict[str, str], *, dim: bool
) -> str:
    values = {"label": step_label(arrow.events, steps, any_of=arrow.into_group)}
    source, dest = arrow.source, arrow.dest
    if isinstance(source, Group):
        values.update(ltail=clusters[source.key], **{"class": "group-exit"})
        source = _anchor(view, source, last=True)
    if isinstance(dest, Group):
        # An external label: Graphviz places a plain one as if the arrow were not clipped.
        values = {"xlabel": values["label"], "lhead": clusters[dest.key], "class": "group-entry"}
        dest = _anchor(view, dest, last=False)
    if arrow.spine:
        values.update(weight="10", penwidth="2")
    elif source in view.lifecycle.attention or dest in view.lifecycle.attention:
        values["weight"] = "0"  # beside the spine, not pulling it sideways
    if steps:
        values.update(color=_PATH_COLOUR, fontcolor=_PATH_COLOUR, penwidth="2.5")
        values["class"] = "path"
    elif dim:
        values.update(color=_DIM, fontcolor=_DIM)
    return f"    {_dot_quote(str(source))} -> {_dot_quote(str(dest))} [{_dot_attrs(values)}];"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dot_legend(name: str, *, job: bool) -> str:
    """The legend: one node whose HTML-like table shows each style and what arrows mean."""
    rows = ['<TR><TD BORDER="0"><B>Legend</B></TD></TR>']
    for kind, text in LEGEND:
        fill, stroke, colour = _STYLES[kind]
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{stroke}"><FONT COLOR="{colour}">'
            f"{_html(text)}</FONT></TD></TR>"
        )
    notes = ["bold arrows: the main line", _ARROW_NOTE]
    if job:
        notes.append("green arrows: the job's steps, numbered; grey: not taken")
    rows.extend(f'<TR><TD BORDER="0">{_html(note)}</TD></TR>' for note in notes)
    table = (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="4">'
        + "".join(rows)
        + "</TABLE>"
    )
    values = _dot_attrs({"shape": "plaintext", "fontsize": "10", "class": "legend"})
    return f"    {_dot_quote(name)} [{values}, label=<{table}>];"
