"""The parts every jobfsm picture shares: the graph model of a lifecycle, styles, quoting.

:func:`graph_of` turns a lifecycle (and, if given, one job's history) into a
small neutral model; the emitters of :mod:`jobfsm.diagrams` (one arrow per
edge), :mod:`jobfsm.diagram_compound` (grouped), :mod:`jobfsm.processmap` and
:mod:`jobfsm.timeline` write Mermaid or DOT from it, with the colours defined
here, and SVG/PNG come from the real Graphviz through :func:`run_graphviz`.
"""

from __future__ import annotations

import enum
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import attrs

from jobfsm.errors import DiagramRenderError, GraphvizNotFoundError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

if TYPE_CHECKING:
    from jobfsm.job import Job

__all__ = ["DiagramEdge", "DiagramGraph", "graph_of", "run_graphviz"]


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
        history: The drawn job's steps as ``(from, event, to)``, oldest first.
    """

    title: str
    lifecycle: Lifecycle
    edges: tuple[DiagramEdge, ...]
    current: enum.StrEnum | None = None
    visited: frozenset[enum.StrEnum] = frozenset()
    history: tuple[tuple[enum.StrEnum, str, enum.StrEnum], ...] = ()

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
    history: list[tuple[enum.StrEnum, str, enum.StrEnum]] = []
    title = f"{lifecycle.name} lifecycle"
    if job is not None:
        current = lifecycle.status(job.status)
        visited.add(lifecycle.status(lifecycle.initial))
        visited.add(current)
        for number, entry in enumerate(job.history, start=1):
            steps.setdefault((entry.from_, entry.to), []).append(number)
            pair = (lifecycle.status(entry.from_), lifecycle.status(entry.to))
            visited.update(pair)
            history.append((pair[0], entry.event, pair[1]))
        count = len(history)
        title = f"{job.name or '(unnamed job)'}: {current} after {count} event" + (
            "" if count == 1 else "s"
        )
    merged: dict[tuple[enum.StrEnum, enum.StrEnum], list[str]] = {}
    for edge in lifecycle.edges:
        events = merged.setdefault((edge.source, edge.dest), [])
        if edge.event not in events:
            events.append(edge.event)
    edges = tuple(
        DiagramEdge(source, dest, tuple(events), tuple(steps.get((source, dest), ())))
        for (source, dest), events in merged.items()
    )
    return DiagramGraph(title, lifecycle, edges, current, frozenset(visited), tuple(history))


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


# -- Graphviz -------------------------------------------------------------------

_DOT_EXECUTABLE: Final = "dot"
# Generous: the default lifecycle renders in well under a second.
_DOT_TIMEOUT_SECONDS: Final = 60


def run_graphviz(source: str, fmt: str, *, engine: str = _DOT_EXECUTABLE) -> bytes:
    """Draw the DOT text *source* as *fmt* (``svg`` or ``png``) with the real Graphviz.

    Raises:
        GraphvizNotFoundError: *engine* is not on ``PATH``; the message says how
            to install Graphviz.
        DiagramRenderError: Graphviz failed or took more than a minute.
    """
    executable = shutil.which(engine)
    if executable is None:
        raise GraphvizNotFoundError(engine, fmt)
    try:
        done = subprocess.run(
            [executable, f"-T{fmt}", *(["-n2"] if engine == "neato" else [])],
            input=source.encode(),
            capture_output=True,
            timeout=_DOT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:  # removed between which() and run()
        raise GraphvizNotFoundError(engine, fmt)
    except subprocess.TimeoutExpired as exc:
        raise DiagramRenderError(fmt, None, (exc.stderr or b"").decode(errors="replace"))
    if done.returncode != 0 or not done.stdout:
        raise DiagramRenderError(fmt, done.returncode, done.stderr.decode(errors="replace"))
    return done.stdout
