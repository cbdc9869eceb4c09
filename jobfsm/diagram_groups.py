"""The readable view of a lifecycle: shared exits grouped into compound states.

A lifecycle drawn one arrow per edge is a tangle as soon as an event leaves
many statuses (``fail`` leaves nine). Statecharts draw such statuses as one
compound state and the shared exit once, from the box. :func:`grouped_view`
computes that view from the lifecycle value alone, so every lifecycle (a
custom one, a vendor profile) gets the same treatment:

1. *Candidates* are the sets of non-terminal statuses that share an exit
   (the sources of one event to one destination) and the sets of
   non-terminal statuses that one event of one status may lead to (the
   destinations of ``resume``), with at least two members.
2. Groups are chosen greedily: the candidate that removes the most arrows
   is taken, as long as it removes at least :data:`MIN_SAVED_ARROWS` and
   nests with those already taken (two groups are disjoint or one holds the
   other, so the boxes can be drawn inside each other).
3. Each lifecycle edge is then drawn from the largest group whose members
   all share it (or into the largest group it may reach), else on its own;
   arrows with the same two ends carry all their events.

The *spine* is the main line: the initial status, then the shortest path to
the first terminal status that avoids attention statuses.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from typing import Final

import attrs

from jobfsm.lifecycle import Lifecycle

__all__ = ["MIN_SAVED_ARROWS", "Group", "GroupedArrow", "GroupedView", "grouped_view"]

#: A group is worth a box only when it removes at least this many arrows.
MIN_SAVED_ARROWS: Final = 2

Status = enum.StrEnum


@attrs.frozen
class Group:
    """A compound state: statuses drawn inside one box.

    Attributes:
        key: A stable identifier (``group_1``, outermost first).
        label: The box's title, derived from the lifecycle's status sets.
        members: Every status inside the box, nested groups' included.
        parent: The key of the smallest group holding this one, or ``None``.
    """

    key: str
    label: str
    members: frozenset[Status]
    parent: str | None


Node = Status | Group


@attrs.frozen
class GroupedArrow:
    """One drawn arrow, standing for one or more lifecycle edges.

    Attributes:
        source: A status, or the group every one of whose members takes it.
        dest: A status, or the group any of whose members it may lead to.
        events: Event names, in definition order.
        edges: The ``(source, event, dest)`` lifecycle edges the arrow stands for.
        spine: The arrow is a step of the main line.
    """

    source: Node
    dest: Node
    events: tuple[str, ...]
    edges: tuple[tuple[Status, str, Status], ...]
    spine: bool = False

    @property
    def into_group(self) -> bool:
        """The arrow leads to a group: to any one of its statuses."""
        return isinstance(self.dest, Group)


@attrs.frozen
class GroupedView:
    """The grouped view of a lifecycle.

    Attributes:
        lifecycle: The lifecycle drawn.
        groups: The compound states, each after its parent.
        arrows: The arrows, in the lifecycle's edge order of their first edge.
        spine: The main line, initial status first.
    """

    lifecycle: Lifecycle
    groups: tuple[Group, ...]
    arrows: tuple[GroupedArrow, ...]
    spine: tuple[Status, ...]

    def group_of(self, status: Status) -> Group | None:
        """The innermost group holding *status*, or ``None``."""
        inner = [g for g in self.groups if status in g.members]
        return min(inner, key=lambda g: len(g.members)) if inner else None

    def children(self, parent: Group | None) -> tuple[Group, ...]:
        """The groups directly inside *parent* (``None``: the top level)."""
        key = None if parent is None else parent.key
        return tuple(g for g in self.groups if g.parent == key)


def grouped_view(lifecycle: Lifecycle) -> GroupedView:
    """Compute the grouped view of *lifecycle* (see the module's description).

    Args:
        lifecycle: The lifecycle to draw.
    """
    chosen: list[frozenset[Status]] = []
    candidates = _candidates(lifecycle)
    count = len(_cover(lifecycle, chosen))
    while True:
        best: tuple[int, int, int, frozenset[Status]] | None = None
        for order, candidate in enumerate(candidates):
            if candidate in chosen or not all(_nests(candidate, g) for g in chosen):
                continue
            saved = count - len(_cover(lifecycle, [*chosen, candidate]))
            # Most arrows removed first; then the larger set; then definition order.
            rank = (saved, len(candidate), -order, candidate)
            if best is None or rank[:3] > best[:3]:
                best = rank
        if best is None or best[0] < MIN_SAVED_ARROWS:
            break
        chosen.append(best[3])
        count -= best[0]
    groups = _named_groups(lifecycle, chosen)
    by_set = {g.members: g for g in groups}
    spine = _spine(lifecycle)
    spine_steps = set(itertools.pairwise(spine))
    arrows = []
    for (source, dest), (events, edges) in _cover(lifecycle, chosen).items():
        src = by_set[source] if isinstance(source, frozenset) else source
        dst = by_set[dest] if isinstance(dest, frozenset) else dest
        arrows.append(
            GroupedArrow(src, dst, tuple(events), tuple(edges), (source, dest) in spine_steps)
        )
    return GroupedView(lifecycle, groups, tuple(arrows), spine)


# -- the steps ---------------------------------------------------------------------


def _candidates(lifecycle: Lifecycle) -> list[frozenset[Status]]:
    """Sets of non-terminal statuses sharing an exit, or reachable by one event of one status."""
    fan_in: dict[tuple[str, Status], list[Status]] = {}
    fan_out: dict[tuple[Status, str], list[Status]] = {}
    for source, event, dest in lifecycle.edges:
        fan_in.setdefault((event, dest), []).append(source)
        fan_out.setdefault((source, event), []).append(dest)
    found: dict[frozenset[Status], None] = {}
    for (_, dest), sources in fan_in.items():
        members = frozenset(sources)
        if len(members) > 1 and dest not in members:
            found.setdefault(members)
    for (source, _), dests in fan_out.items():
        members = frozenset(dests)
        if len(members) > 1 and source not in members and not members & lifecycle.terminal:
            found.setdefault(members)
    return list(found)


def _nests(a: frozenset[Status], b: frozenset[Status]) -> bool:
    return a <= b or b <= a or not a & b


Key = Status | frozenset[Status]


def _cover(
    lifecycle: Lifecycle, groups: Iterable[frozenset[Status]]
) -> dict[tuple[Key, Key], tuple[list[str], list[tuple[Status, str, Status]]]]:
    """The arrows drawn with *groups*: ``(source, dest)`` -> (events, lifecycle edges).

    Largest groups first, so each edge is drawn from (or into) the outermost
    box that covers it.
    """
    by_size = sorted(groups, key=len, reverse=True)
    fan_in: dict[tuple[str, Status], set[Status]] = {}
    fan_out: dict[tuple[Status, str], set[Status]] = {}
    for source, event, dest in lifecycle.edges:
        fan_in.setdefault((event, dest), set()).add(source)
        fan_out.setdefault((source, event), set()).add(dest)
    ends: dict[tuple[Status, str, Status], tuple[Key, Key]] = {}
    for (event, dest), sources in fan_in.items():
        for group in by_size:
            if group <= sources and dest not in group:
                for source in group:
                    ends.setdefault((source, event, dest), (group, dest))
    for (source, event), dests in fan_out.items():
        for group in by_size:
            if group <= dests and source not in group:
                for dest in group:
                    ends.setdefault((source, event, dest), (source, group))
    arrows: dict[tuple[Key, Key], tuple[list[str], list[tuple[Status, str, Status]]]] = {}
    for edge in lifecycle.edges:
        key = ends.get(edge, (edge.source, edge.dest))
        events, edges = arrows.setdefault(key, ([], []))
        if edge.event not in events:
            events.append(edge.event)
        edges.append((edge.source, edge.event, edge.dest))
    return arrows


def _spine(lifecycle: Lifecycle) -> tuple[Status, ...]:
    """The initial status and the shortest path to the first reachable terminal status."""
    initial = lifecycle.status(lifecycle.initial)
    for terminal in lifecycle.statuses:
        if terminal in lifecycle.terminal:
            path = lifecycle.shortest_path(initial, terminal)
            if path is not None:
                return (initial, *path, terminal) if path or initial is not terminal else (initial,)
    return (initial,)  # pragma: no cover - a checked lifecycle reaches a terminal status


def _named_groups(lifecycle: Lifecycle, chosen: list[frozenset[Status]]) -> tuple[Group, ...]:
    """Groups ordered outermost first (then by first member), keyed and labelled."""
    order = {s: i for i, s in enumerate(lifecycle.statuses)}
    ranked = sorted(chosen, key=lambda g: (-len(g), min(order[s] for s in g)))
    keys: dict[frozenset[Status], str] = {}
    groups: list[Group] = []
    for number, members in enumerate(ranked, 1):
        holders = [g for g in ranked[: number - 1] if members < g]
        parent = keys[min(holders, key=len)] if holders else None
        keys[members] = f"group_{number}"
        groups.append(Group(keys[members], _label(lifecycle, members), members, parent))
    return tuple(groups)


def _label(lifecycle: Lifecycle, members: frozenset[Status]) -> str:
    """Name a group after the lifecycle set it equals, or nearly equals."""
    named = (
        ("Active", lifecycle.active),
        ("Needs attention", lifecycle.attention),
        ("Not finished", frozenset(lifecycle.non_terminal)),
    )
    for name, states in named:
        if members == states:
            return name
    order: dict[str, int] = {s: i for i, s in enumerate(lifecycle.statuses)}
    listed = sorted(members, key=order.__getitem__)
    if len(listed) <= 3:
        return " or ".join(listed)
    for name, states in named:
        missing = sorted((s for s in states if s not in members), key=order.__getitem__)
        if members < states and len(missing) <= 2:
            return f"{name} except {' and '.join(missing)}"
    for name, states in named:
        extra = sorted((s for s in members if s not in states), key=order.__getitem__)
        if states and states < members and len(extra) <= 2:
            return f"{name} or {' or '.join(extra)}"
    return f"{listed[0]} … {listed[-1]} ({len(listed)} statuses)"
