"""The rules a lifecycle definition must follow, worked out on plain data.

:class:`~jobfsm.lifecycle.Lifecycle` normalises its fields with the
converters here and, when it is built, asks :func:`definition_problems` for
every rule the definition breaks (names, enum member names, unknown states,
edges out of terminal states, reachability, the mapping). The functions take
tuples, sets and mappings rather than a lifecycle, so the value class keeps
to what a lifecycle is and offers; the reachability closure is shared by the
checks and by ``Lifecycle.reachable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

from jobfsm.mapping import StatusMapping, mapping_problems

__all__ = ["definition_problems"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Event(Protocol):
    """What the checks read of an event (an ``EventSpec``)."""

    @property
    def name(self) -> str: ...
    @property
    def sources(self) -> tuple[str, ...]: ...
    @property
    def dests(self) -> tuple[str, ...]: ...


def _member_name(value: str) -> str:
    """``"CancelRequested"`` -> ``"CANCEL_REQUESTED"`` (the Enum member name)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+", "_", value)
    return snake.strip("_").upper()


def _str_tuple(values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


def _frozen_set(values: Iterable[str] | str) -> frozenset[str]:
    return frozenset(_str_tuple(values))


def _frozen_map(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({str(k): v for k, v in values.items()})


def _same_items(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    return dict(a) == dict(b)


def definition_problems(
    *,
    name: str,
    states: tuple[str, ...],
    initial: str,
    terminal: frozenset[str],
    events: tuple[Any, ...],
    event_type: type[_Event],
    active: frozenset[str],
    attention: frozenset[str],
    descriptions: Mapping[str, str],
    aliases: Mapping[str, str],
    maps_to: StatusMapping | None,
    bad_edges: list[tuple[str, str, str]],
) -> list[str]:
    """Every rule the definition breaks; mapping edges that break one go to *bad_edges*.

    The arguments are the fields of a :class:`~jobfsm.lifecycle.Lifecycle`;
    every event must be an instance of *event_type* (``EventSpec``).
    """
    problems: list[str] = []
    if not isinstance(name, str):
        problems.append(f"name {name!r} must be a string")
    known = set(states)
    seen: set[str] = set()
    member_names: dict[str, str] = {}
    for state in states:
        if not isinstance(state, str) or not state.strip():
            problems.append(f"state {state!r} must be a non-empty string")
            continue
        if state in seen:
            problems.append(f"state {state!r} is listed twice")
        seen.add(state)
        member = _member_name(state)
        if not member:
            problems.append(
                f"state {state!r} has no enum member name: it needs an ASCII letter or digit"
            )
            continue
        if member in member_names and member_names[member] != state:
            problems.append(
                f"states {member_names[member]!r} and {state!r} map to the same "
                f"enum member {member}"
            )
        member_names[member] = state
    if not isinstance(initial, str):
        problems.append(f"initial must be exactly one state, got {initial!r}")
    elif initial not in known:
        problems.append(f"initial state {initial!r} is not one of the states")

    def unknown(kind: str, names: Iterable[str]) -> None:
        for name in sorted(set(names) - known, key=repr):  # names may be of any type
            problems.append(f"{kind} {name!r} is not one of the states")

    unknown("terminal state", terminal)
    unknown("active state", active)
    unknown("attention state", attention)
    if not terminal:
        problems.append("no terminal state: jobs could never finish")
    for state, text in descriptions.items():
        if state not in known:
            problems.append(f"description of {state!r}: not one of the states")
        elif not isinstance(text, str):
            problems.append(f"description of {state!r} must be a string, got {text!r}")
    for alias, status in aliases.items():
        if alias in known:
            problems.append(f"alias {alias!r} is already a state's own spelling")
        elif not isinstance(status, str) or status not in known:
            problems.append(f"alias {alias!r} -> {status!r}: not one of the states")
    event_seen: set[tuple[str, str, str]] = set()
    edge_list: list[tuple[str, str, str]] = []  # in definition order, for messages
    for spec in events:
        if not isinstance(spec, event_type):
            problems.append(f"event {spec!r} is not an EventSpec")
            continue
        if not isinstance(spec.name, str) or not _IDENTIFIER.match(spec.name):
            problems.append(f"event name {spec.name!r} is not a Python identifier")
        if not spec.sources or not spec.dests:
            problems.append(f"event {spec.name!r} needs at least one source and one dest")
        unknown(f"event {spec.name!r}: source", spec.sources)
        unknown(f"event {spec.name!r}: dest", spec.dests)
        for source in spec.sources:
            if source in terminal:
                problems.append(
                    f"event {spec.name!r} leaves terminal state {source!r} "
                    "(terminal states are absorbing)"
                )
            for dest in spec.dests:
                key = (source, spec.name, dest)
                if key in event_seen:
                    problems.append(f"edge {source} --{spec.name}--> {dest} is listed twice")
                event_seen.add(key)
                edge_list.append(key)
    if problems:
        return problems  # graph checks need consistent names
    succ: dict[str, set[str]] = {s: set() for s in states}
    for source, _, dest in event_seen:
        succ[source].add(dest)
    reached = _closure_from(initial, succ) | {initial}
    for state in states:
        if state not in reached:
            problems.append(f"state {state!r} cannot be reached from {initial!r}")
    for state in states:
        if state not in terminal and not (_closure_from(state, succ) & terminal):
            problems.append(f"state {state!r} cannot reach any terminal state")
    if maps_to is not None:
        found, bad = mapping_problems(maps_to, states, terminal, edge_list)
        problems += found
        bad_edges += bad
    return problems


def _closure_from(start: str, succ: Mapping[str, Iterable[str]]) -> set[str]:
    """States reachable from *start* in one or more steps."""
    seen: set[str] = set()
    stack = list(succ[start])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(succ[node])
    return seen
