"""Status mappings: one lifecycle's statuses expressed in another lifecycle's terms.

A :class:`StatusMapping` sends every status of a lifecycle (say SageMaker's
``InProgress``) to a status of a target lifecycle (Azure ML's ``Running``).
It is checked when the lifecycle that declares it is built (see
:func:`mapping_problems`): every edge of the lifecycle must land on a pair
that the target allows in observed mode (the same status, or one reachable
from the other), and terminal statuses must land on terminal ones. So a log
that is valid in the service's own terms stays valid once translated.

:func:`translate_report` rewrites a validation report in the target's terms.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from jobfsm.errors import closest

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle

__all__ = ["StatusMapping", "mapping_problems", "translate_report"]


def _pairs(values: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = values.items() if isinstance(values, Mapping) else values
    return tuple((str(k), v) for k, v in items)


@attrs.frozen(eq=True, hash=True)
class StatusMapping:
    """Each status of a lifecycle, sent to a status of *target*.

    Args:
        target: The lifecycle whose terms the statuses are expressed in.
        statuses: Status -> target status, for every status of the lifecycle.
        ref: How a lifecycle file names the target (a built-in profile name
            or a path); written back by ``Lifecycle.to_file``.
    """

    target: Lifecycle
    statuses: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)
    ref: str = attrs.field(default="", eq=False, hash=False)

    @property
    def as_dict(self) -> dict[str, str]:
        """The mapping as a plain ``{status: target status}`` dict."""
        return dict(self.statuses)

    def __call__(self, status: object) -> enum.StrEnum:
        """The target status that *status* maps to (an enum member of the target).

        Raises:
            UnknownStatusError: *status* is not mapped (not a status of the lifecycle).
        """
        from jobfsm.errors import UnknownStatusError

        if isinstance(status, str):
            for source, dest in self.statuses:
                if source == status:
                    return self.target.status(dest)
        raise UnknownStatusError(status, [source for source, _ in self.statuses])


def mapping_problems(
    mapping: object, states: Sequence[str], terminal: Iterable[str],
    edges: Iterable[tuple[str, str, str]],
) -> tuple[list[str], list[tuple[str, str, str]]]:  # fmt: skip
    """Every problem of *mapping* for a lifecycle with *states* and *edges*.

    Returns the problems (sentences) and the offending edges.
    """
    from jobfsm.lifecycle import Lifecycle

    if not isinstance(mapping, StatusMapping):
        return [f"maps_to must be a StatusMapping, got {mapping!r}"], []
    target = mapping.target
    if not isinstance(target, Lifecycle):
        return [f"maps_to: the target must be a Lifecycle, got {target!r}"], []
    problems: list[str] = []
    table: dict[str, str] = {}
    known = set(states)
    for source, dest in mapping.statuses:
        if source not in known:
            problems.append(f"maps_to: {source!r} is not one of the states")
        elif source in table:
            problems.append(f"maps_to: {source!r} is mapped twice")
        elif not isinstance(dest, str) or dest not in target.states:
            hint = closest(dest, target.states) if isinstance(dest, str) else None
            extra = f"; did you mean {hint!r}?" if hint else ""
            problems.append(
                f"maps_to: {source!r} -> {dest!r}: not a status of {target.name!r}{extra}"
            )
        table[source] = dest
    missing = [s for s in states if s not in table]
    if missing:
        problems.append(
            f"maps_to: no {target.name!r} status given for {', '.join(map(repr, missing))}"
        )
    if problems:
        return problems, []
    for state in terminal:
        if table[state] not in target.terminal:
            problems.append(
                f"maps_to: terminal status {state!r} maps to {table[state]!r}, which is not "
                f"terminal in {target.name!r}"
            )
    bad: list[tuple[str, str, str]] = []
    reach = target.reachable
    for source, event, dest in edges:
        a, b = table[source], table[dest]
        if a == b or b in reach[a]:
            continue
        bad.append((source, event, dest))
        after = ", ".join(str(s) for s in target.statuses if s in reach[a]) or "none (terminal)"
        problems.append(
            f"maps_to: edge {source} --{event}--> {dest} maps to {a} -> {b}, which "
            f"{target.name!r} does not allow even in observed mode (reachable from {a}: {after})"
        )
    return problems, bad


def translate_report(report: Any, lifecycle: Lifecycle) -> Any:
    """Return *report* (of a validation against *lifecycle*) in its mapped target's terms.

    Statuses (``from``, ``to``, ``allowed``, gaps) become the target's;
    messages keep the service's own words and add the pair in target terms.
    Unknown statuses stay as written.

    Raises:
        ValueError: *lifecycle* has no ``maps_to``.
    """
    mapping = lifecycle.maps_to
    if mapping is None:
        raise ValueError(f"lifecycle {lifecycle.name!r} has no maps_to: nothing to translate to")
    target = mapping.target
    order = {s: i for i, s in enumerate(target.statuses)}

    def one(status: Any) -> Any:
        if status is None or status not in lifecycle.states:
            return status
        return mapping(status)

    def many(statuses: Iterable[Any]) -> tuple[enum.StrEnum, ...]:
        return tuple(sorted({mapping(s) for s in statuses}, key=order.__getitem__))

    violations = []
    for v in report.violations:
        a, b = one(v.from_), one(v.to)
        pair = f"{a or '-'} -> {b or '-'}"
        message = f"{v.message} (in {target.name} terms: {pair})"
        violations.append(attrs.evolve(v, from_=a, to=b, message=message, allowed=many(v.allowed)))
    gaps = [
        attrs.evolve(g, from_=one(g.from_), to=one(g.to), skipped=tuple(map(one, g.skipped)))
        for g in report.gaps
    ]
    return attrs.evolve(report, violations=tuple(violations), gaps=tuple(gaps))
