"""Routes through a lifecycle: the one rule that applies an observed status.

A poller sees statuses, not events, and often misses some between two polls.
For every ordered pair of statuses this module works out, once per lifecycle,
the events that lead from the first to the second: nothing for a repeat, the
edge's event for a neighbour, the events of a shortest path otherwise (one
that avoids attention statuses such as ``NotResponding`` when it can).
``Lifecycle.observe_steps`` serves this table to ``Job.observe``, and
validation's observed mode derives its reach and its skipped statuses from
it, so the two agree by construction.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle

__all__ = ["Steps", "build_steps"]

#: ``(event, new status)`` pairs, in the order they are applied.
Steps: TypeAlias = tuple[tuple[str, enum.StrEnum], ...]


def build_steps(lifecycle: Lifecycle) -> dict[tuple[str, str], Steps]:
    """``(source, dest) -> steps`` for every pair where *dest* is reachable from *source*.

    Pairs of equal statuses are absent: a repeat needs no step, and callers
    answer it with ``()`` before looking here.
    """
    # The event of each edge: the first, in definition order, leading there.
    edge_event: dict[tuple[str, str], str] = {}
    for edge in lifecycle.edges:
        edge_event.setdefault((edge.source, edge.dest), edge.event)
    # Prefer routes that do not pass through attention statuses: a poller that
    # saw Starting then Running most likely missed Preparing and Queued, not a
    # heartbeat loss. Pairs only reachable through them fall back to any route.
    paths = _bfs_paths(lifecycle, avoid=lifecycle.attention)
    for pair, path in _bfs_paths(lifecycle, avoid=frozenset()).items():
        paths.setdefault(pair, path)
    steps: dict[tuple[str, str], Steps] = {}
    for (source, _dest), path in paths.items():
        route: list[tuple[str, enum.StrEnum]] = []
        here: enum.StrEnum = source  # type: ignore[assignment]
        for status in path:
            route.append((edge_event[(here, status)], status))
            here = status
        steps[(source, _dest)] = tuple(route)
    return steps


def _bfs_paths(
    lifecycle: Lifecycle, avoid: frozenset[str]
) -> dict[tuple[str, str], tuple[enum.StrEnum, ...]]:
    """``(source, dest) -> statuses after source up to and including dest``."""
    paths: dict[tuple[str, str], tuple[enum.StrEnum, ...]] = {}
    order = {s: i for i, s in enumerate(lifecycle.statuses)}
    successors = lifecycle.successors
    for start in lifecycle.statuses:
        # Breadth-first in documented order keeps the chosen path stable.
        parent: dict[enum.StrEnum, enum.StrEnum | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(successors[node], key=order.__getitem__):
                if nxt in parent:
                    continue
                parent[nxt] = node
                paths[(start, nxt)] = (*_unwind(parent, node, start), nxt)
                if nxt not in avoid:
                    queue.append(nxt)
    return paths


def _unwind(
    parent: Mapping[enum.StrEnum, enum.StrEnum | None], node: enum.StrEnum, start: enum.StrEnum
) -> tuple[enum.StrEnum, ...]:
    """The statuses after *start* up to and including *node*, following *parent*."""
    path: list[enum.StrEnum] = []
    cur: enum.StrEnum | None = node
    while cur is not None and cur is not start:
        path.append(cur)
        cur = parent[cur]
    return tuple(reversed(path))
