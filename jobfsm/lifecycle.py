"""The run lifecycle as a value: states, events, and everything derived from them.

A :class:`Lifecycle` is frozen data. It is checked when it is built, and every
other part of jobfsm (the shared state machine, the validation tables, the
diagrams and the documentation tables) reads it; nothing else lists states or
edges. :data:`DEFAULT_LIFECYCLE` is the documented Azure ML run lifecycle.
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from types import MappingProxyType
from typing import IO, Any, NamedTuple

import attrs

from jobfsm._lifecycle_rules import (
    _closure_from,
    _frozen_map,
    _frozen_set,
    _member_name,
    _same_items,
    _str_tuple,
    definition_problems,
)
from jobfsm._paths import build_steps
from jobfsm.errors import (
    LifecycleDefinitionError,
    UnknownEventError,
    UnknownStatusError,
    UnreachableStatusError,
)
from jobfsm.mapping import StatusMapping

__all__ = [
    "DEFAULT_LIFECYCLE",
    "Edge",
    "EventSpec",
    "JobStatus",
    "Lifecycle",
]


class JobStatus(enum.StrEnum):
    """Statuses of the default lifecycle; values are the exact Azure ML spellings."""

    NOT_STARTED = "NotStarted"
    STARTING = "Starting"
    PROVISIONING = "Provisioning"
    PREPARING = "Preparing"
    QUEUED = "Queued"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    NOT_RESPONDING = "NotResponding"


class Edge(NamedTuple):
    """One ``source --event--> dest`` edge of a lifecycle."""

    source: Any  # a member of the lifecycle's status enum
    event: str
    dest: Any


# Status enums of custom lifecycles, one per lifecycle value (see Lifecycle.status_enum).
_ENUMS: dict[Lifecycle, type[enum.StrEnum]] = {}
_ENUMS_LOCK = threading.Lock()


@attrs.frozen
class EventSpec:
    """An event: firing it from any of ``sources`` moves to one of ``dests``.

    With one destination the move is fixed. With several (like ``resume``),
    the caller may name the target; by default the job returns to the status
    it held before entering the source status.

    Args:
        name: The event name; also the method name on jobs of the default lifecycle.
        sources: Statuses the event may be fired from.
        dests: Status (or statuses) the event leads to.
        description: One sentence for the generated docs.
    """

    name: str
    sources: tuple[str, ...] = attrs.field(converter=_str_tuple)
    dests: tuple[str, ...] = attrs.field(converter=_str_tuple)
    description: str = ""


def _event_tuple(values: Iterable[EventSpec] | EventSpec) -> tuple[EventSpec, ...]:
    if isinstance(values, EventSpec):
        return (values,)
    return tuple(values)


@attrs.frozen(eq=True, hash=True, cache_hash=True)
class Lifecycle:
    """A checked, immutable lifecycle definition.

    Args:
        name: A label used in diagrams, docs and error messages.
        states: All statuses, in documented order (strings or a ``StrEnum``).
        initial: The status every job starts in.
        terminal: Absorbing statuses (no event leaves them).
        events: The events; several specs may share a name, their edges add up.
        active: Statuses in which the remote side is working (drawn apart).
        attention: Statuses that need an operator's attention (drawn apart).
        descriptions: Meaning of each status, for the generated docs.
        aliases: Other spellings of a status (``{"Finished": "Completed"}``);
            validation accepts them and reports each one it read.
        maps_to: Each status expressed in another lifecycle's terms; checked
            here (see :mod:`jobfsm.mapping`).
        sources: Where the definition comes from (documentation URLs).

    Raises:
        LifecycleDefinitionError: listing every problem found, at once.
    """

    name: str
    states: tuple[str, ...] = attrs.field(converter=_str_tuple)
    initial: str
    terminal: frozenset[str] = attrs.field(converter=_frozen_set)
    events: tuple[EventSpec, ...] = attrs.field(converter=_event_tuple)
    active: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_set)
    attention: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_set)
    descriptions: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_map, eq=False, hash=False
    )
    # Equal lifecycles have equal hashes without the aliases (a mapping proxy
    # cannot be hashed), so they take part in == only.
    aliases: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_map, eq=attrs.cmp_using(eq=_same_items), hash=False
    )
    maps_to: StatusMapping | None = None
    sources: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        bad_edges: list[tuple[str, str, str]] = []
        problems = self._problems(bad_edges)
        if problems:
            raise LifecycleDefinitionError(self.name, problems, edges=bad_edges)

    # A frozen value: copies are the value itself, and a pickle holds the
    # definition (rebuilt and checked on loading, so the status enum of a
    # custom lifecycle is made again in the loading process).

    def __copy__(self) -> Lifecycle:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Lifecycle:
        return self

    def __reduce__(self) -> tuple[type[Lifecycle], tuple[Any, ...]]:
        return (
            Lifecycle,
            (
                self.name,
                self.states,
                self.initial,
                self.terminal,
                self.events,
                self.active,
                self.attention,
                dict(self.descriptions),
                dict(self.aliases),
                self.maps_to,
                self.sources,
            ),
        )

    # -- definition checks -------------------------------------------------

    def _problems(self, bad_edges: list[tuple[str, str, str]]) -> list[str]:
        """Every rule the definition breaks; mapping edges that break one go to *bad_edges*."""
        return definition_problems(
            name=self.name,
            states=self.states,
            initial=self.initial,
            terminal=self.terminal,
            events=self.events,
            event_type=EventSpec,
            active=self.active,
            attention=self.attention,
            descriptions=self.descriptions,
            aliases=self.aliases,
            maps_to=self.maps_to,
            bad_edges=bad_edges,
        )

    # -- derived values ----------------------------------------------------

    @cached_property
    def status_enum(self) -> type[enum.StrEnum]:
        """The ``StrEnum`` of this lifecycle's statuses (``JobStatus`` for the default).

        Equal lifecycles share it, so a lifecycle built twice (or unpickled)
        still recognises its statuses with ``is``.
        """
        if self.states == tuple(JobStatus):
            return JobStatus
        with _ENUMS_LOCK:
            if self not in _ENUMS:
                members = {_member_name(s): s for s in self.states}
                label = _member_name(self.name).title().replace("_", "") + "Status"
                _ENUMS[self] = enum.StrEnum(label, members)  # type: ignore[assignment]
            return _ENUMS[self]

    @cached_property
    def statuses(self) -> tuple[enum.StrEnum, ...]:
        """Every status, as enum members, in documented order."""
        return tuple(self.status_enum)

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """Every ``(source, event, dest)`` edge, in event then source then dest order."""
        parse = self.status_enum
        return tuple(
            Edge(parse(source), spec.name, parse(dest))
            for spec in self.events
            for source in spec.sources
            for dest in spec.dests
        )

    @cached_property
    def event_names(self) -> tuple[str, ...]:
        """Event names in definition order, each once."""
        return tuple(dict.fromkeys(spec.name for spec in self.events))

    @cached_property
    def table(self) -> Mapping[str, Mapping[str, tuple[enum.StrEnum, ...]]]:
        """``table[status][event]`` -> the possible destinations."""
        out: dict[str, dict[str, list[enum.StrEnum]]] = {s: {} for s in self.statuses}
        for edge in self.edges:
            out[edge.source].setdefault(edge.event, []).append(edge.dest)
        return MappingProxyType(
            {s: MappingProxyType({e: tuple(d) for e, d in evs.items()}) for s, evs in out.items()}
        )

    @cached_property
    def successors(self) -> Mapping[str, frozenset[enum.StrEnum]]:
        """Statuses reachable in exactly one event from each status."""
        return MappingProxyType(
            {s: frozenset(d for ds in evs.values() for d in ds) for s, evs in self.table.items()}
        )

    @cached_property
    def reachable(self) -> Mapping[str, frozenset[enum.StrEnum]]:
        """Statuses reachable in one or more events from each status."""
        succ: dict[str, set[str]] = {s: set(d) for s, d in self.successors.items()}
        parse = self.status_enum
        return MappingProxyType(
            {s: frozenset(parse(x) for x in _closure_from(s, succ)) for s in self.statuses}
        )

    @cached_property
    def non_terminal(self) -> tuple[enum.StrEnum, ...]:
        """Statuses that still allow events, in documented order."""
        return tuple(s for s in self.statuses if s not in self.terminal)

    def status(self, value: object, *, where: str = "") -> enum.StrEnum:
        """Return the enum member for *value* (a member or its exact spelling).

        Raises:
            UnknownStatusError: naming the known statuses and the closest one.
        """
        if isinstance(value, str):
            try:
                return self.status_enum(value)
            except ValueError:
                pass
        raise UnknownStatusError(value, self.states, where=where)

    def check_event(self, event: str) -> None:
        """Raise :class:`UnknownEventError` unless *event* is one of this lifecycle's."""
        if event not in self.event_names:
            raise UnknownEventError(event, self.event_names)

    def allowed_events(self, status: str) -> tuple[str, ...]:
        """Events that may be fired from *status*, in definition order."""
        return tuple(self.table[self.status(status)])

    def shortest_path(self, source: str, dest: str) -> tuple[enum.StrEnum, ...] | None:
        """Statuses strictly between *source* and *dest* on a shortest path.

        Returns ``()`` for a direct edge or when *source* is *dest*, and
        ``None`` when *dest* is unreachable. These are the statuses
        :meth:`observe_steps` passes through.
        """
        pair = (self.status(source), self.status(dest))
        if pair[0] is pair[1]:
            return ()
        steps = self._steps.get(pair)
        return None if steps is None else tuple(status for _, status in steps[:-1])

    def observe_steps(
        self, source: str, dest: str, *, job: str | None = None
    ) -> tuple[tuple[str, enum.StrEnum], ...]:
        """The ``(event, new status)`` pairs that take a job from *source* to *dest*.

        This is the one rule for applying an observed (polled) status:
        ``()`` when the two are equal, the edge's event when *dest* is a
        neighbour (``NotResponding -> Running`` is ``resume`` to ``Running``),
        and otherwise the events of a shortest path, preferring routes that
        avoid attention statuses (``CancelRequested``, ``NotResponding``).
        Validation's observed mode accepts exactly the pairs this answers,
        and reports the statuses in between as skipped.

        Args:
            source: The status the job holds (a member or its spelling).
            dest: The observed status.
            job: The job's name, for the error message.

        Raises:
            UnknownStatusError: *source* or *dest* is not a status (with the closest).
            UnreachableStatusError: no sequence of events leads from *source*
                to *dest* (an :class:`IllegalTransitionError`).
        """
        src = self.status(source, where="source")
        dst = self.status(dest, where="observed")
        if src is dst:
            return ()
        steps = self._steps.get((src, dst))
        if steps is None:
            raise UnreachableStatusError(
                job,
                src,
                dst,
                allowed=tuple(self.table[src]),
                reachable=tuple(s for s in self.statuses if s in self.reachable[src]),
                terminal=src in self.terminal,
            )
        return steps

    @cached_property
    def _steps(self) -> Mapping[tuple[str, str], tuple[tuple[str, enum.StrEnum], ...]]:
        return MappingProxyType(build_steps(self))

    def is_terminal(self, status: str) -> bool:
        """Whether *status* is terminal (absorbing).

        Raises:
            UnknownStatusError: *status* is not one of this lifecycle's.
        """
        return self.status(status) in self.terminal

    def is_active(self, status: str) -> bool:
        """Whether *status* is active (the remote side is working; heartbeats apply).

        Raises:
            UnknownStatusError: *status* is not one of this lifecycle's.
        """
        return self.status(status) in self.active

    def extend(
        self,
        *,
        name: str | None = None,
        states: Sequence[str] = (),
        events: Sequence[EventSpec] = (),
        terminal: Iterable[str] = (),
        active: Iterable[str] = (),
        attention: Iterable[str] = (),
        descriptions: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
        maps_to: StatusMapping | None = None,
    ) -> Lifecycle:
        """Return a new lifecycle with extra states and edges (checked again).

        Events named like existing ones add edges to them. Aliases and sources
        are kept; ``maps_to`` is kept unless a new one is given (new states
        need a mapping too).
        """
        return Lifecycle(
            name=name or f"{self.name} (extended)",
            states=self.states + tuple(states),
            initial=self.initial,
            terminal=self.terminal | frozenset(terminal),
            events=self.events + tuple(events),
            active=self.active | frozenset(active),
            attention=self.attention | frozenset(attention),
            descriptions={**self.descriptions, **(descriptions or {})},
            aliases={**self.aliases, **(aliases or {})},
            maps_to=maps_to if maps_to is not None else self.maps_to,
            sources=self.sources,
        )

    @classmethod
    def from_file(cls, source: str | os.PathLike[str] | IO[str]) -> Lifecycle:
        """Read a lifecycle file (YAML, or JSON) from a path or an open text stream.

        The format is described in ``docs/lifecycles.md`` and by the JSON
        Schema ``jobfsm/profiles/lifecycle.schema.json``.

        Raises:
            LifecycleFileError: listing every problem of the file, each with its line.
            OSError: the file cannot be read.
        """
        from jobfsm.lifecycle_file import load_lifecycle

        return load_lifecycle(source)

    def to_file(self, dest: str | os.PathLike[str] | IO[str]) -> None:
        """Write this lifecycle as a file that :meth:`from_file` reads back equal.

        A path ending in ``.json`` gets JSON, anything else YAML. Like job
        files, an existing file is never overwritten.

        Raises:
            JobFileExistsError: *dest* exists (a ``FileExistsError``).
            ValueError: ``maps_to`` names a target that has no file name.
        """
        from jobfsm.lifecycle_file import dump_lifecycle

        dump_lifecycle(self, dest)


_S = JobStatus
_ACTIVE = (_S.STARTING, _S.PROVISIONING, _S.PREPARING, _S.QUEUED, _S.RUNNING, _S.FINALIZING)
_TERMINAL = (_S.COMPLETED, _S.FAILED, _S.CANCELED)
_NON_TERMINAL = tuple(s for s in JobStatus if s not in _TERMINAL)

DEFAULT_LIFECYCLE = Lifecycle(
    name="Azure ML job",
    states=tuple(JobStatus),
    initial=_S.NOT_STARTED,
    terminal=_TERMINAL,
    active=_ACTIVE,
    attention=(_S.CANCEL_REQUESTED, _S.NOT_RESPONDING),
    events=(
        EventSpec("start", _S.NOT_STARTED, _S.STARTING, "Submit the job to the service."),
        EventSpec("provision", _S.STARTING, _S.PROVISIONING, "On-demand compute is being created."),
        EventSpec(
            "prepare",
            (_S.STARTING, _S.PROVISIONING),
            _S.PREPARING,
            "The run environment is being built (provisioning is optional).",
        ),
        EventSpec("queue", _S.PREPARING, _S.QUEUED, "Waiting for the requested nodes."),
        EventSpec("run", _S.QUEUED, _S.RUNNING, "User code starts on the compute target."),
        EventSpec("finalize", _S.RUNNING, _S.FINALIZING, "User code is done; post-processing."),
        EventSpec(
            "complete",
            (_S.FINALIZING, _S.CANCEL_REQUESTED),
            _S.COMPLETED,
            "The run succeeded (a pending cancel request can lose the race).",
        ),
        EventSpec("fail", _NON_TERMINAL, _S.FAILED, "The run failed; any unfinished status."),
        EventSpec(
            "request_cancel",
            tuple(s for s in _NON_TERMINAL if s is not _S.CANCEL_REQUESTED),
            _S.CANCEL_REQUESTED,
            "Cancellation was asked for.",
        ),
        EventSpec("cancel", _S.CANCEL_REQUESTED, _S.CANCELED, "The cancellation took effect."),
        EventSpec(
            "lose_heartbeat",
            _ACTIVE,
            _S.NOT_RESPONDING,
            "No heartbeat arrived recently from an active run.",
        ),
        EventSpec(
            "resume",
            _S.NOT_RESPONDING,
            _ACTIVE,
            "Heartbeats are back; by default the run returns to the status it held before.",
        ),
    ),
    descriptions={
        _S.NOT_STARTED: "Client-side only: the job object exists but was not submitted.",
        _S.STARTING: "The service has accepted the run and given it an id.",
        _S.PROVISIONING: "On-demand compute is being created for this submission.",
        _S.PREPARING: "The run environment is being built (Docker image or Conda setup).",
        _S.QUEUED: "Waiting on the compute target until every requested node is ready.",
        _S.RUNNING: "User code is executing on the compute target.",
        _S.FINALIZING: "User code has finished; the run is in post-processing.",
        _S.CANCEL_REQUESTED: "Someone asked for the run to be canceled; not yet effective.",
        _S.COMPLETED: "The run and its post-processing succeeded.",
        _S.FAILED: "The run failed; the run's error property usually says why.",
        _S.CANCELED: "A cancel request took effect.",
        _S.NOT_RESPONDING: "A run with heartbeats enabled has not sent one recently.",
    },
)
