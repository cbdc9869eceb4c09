"""The one shared ``transitions.Machine`` per lifecycle, and event dispatch.

This is the only module that imports ``transitions``. The machine is built
once per :class:`~jobfsm.lifecycle.Lifecycle` value (``model=None``,
``auto_transitions=False``) and never learns about individual jobs: a job is
passed to ``machine.events[name].trigger(job)`` as the model of that one call,
so a job costs the machine nothing and nothing is patched onto job classes.

``transitions`` does the dispatch, evaluates the conditions that pick the
target of multi-destination events (``resume``) and runs the callbacks that
record history and notify observers.
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable, Iterable
from time import time_ns
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from transitions import EventData, Machine, State

from jobfsm._history import (
    Extra,
    HistoryEntry,
    Record,
    _entry,
    _record,
    entries,
    record_time,
)
from jobfsm._observer_checks import _check_result, check_observer
from jobfsm.errors import IllegalTransitionError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

if TYPE_CHECKING:
    from jobfsm.job import Job

__all__ = [
    "Engine",
    "Extra",
    "HistoryEntry",
    "Observer",
    "Record",
    "add_observer",
    "check_observer",
    "engine_for",
    "entries",
    "record_time",
    "remove_observer",
    "set_compiled_dispatch",
]


class Observer(Protocol):
    """Called after a job changed status; raising undoes the change."""

    def __call__(self, job: Job, entry: HistoryEntry, /) -> object:
        """Return value is ignored, except an awaitable, which is refused."""


class _Stateful(Protocol):
    """What the engine needs of a model: a status slot and a history list."""

    _status: enum.StrEnum
    # The job's auxiliary object (jobfsm._jobevents.Aux): ``history`` and
    # ``observers``, each a list or None. It exists while the job's lock is held.
    _aux: Any

    @property
    def name(self) -> str | None: ...


class _State(State):
    """A state that goes through transitions' enter and exit only when it has callbacks.

    The engine registers none on states; without them the base class only
    writes two log records per state change, on every event.
    """

    def enter(self, event_data: EventData) -> None:
        if self.on_enter:
            super().enter(event_data)

    def exit(self, event_data: EventData) -> None:
        if self.on_exit:
            super().exit(event_data)


class _Machine(Machine):
    """A ``transitions.Machine`` whose states are the statuses' spellings.

    A job holds its status as a ``StrEnum`` member, which hashes and compares
    as its spelling, so the states are named by the spellings and a member
    finds its state by one dictionary look-up; the base class would take
    each enum member's ``.name`` several times per event. Setting a model's
    state stores the member again. Callbacks are called without being
    resolved: every callback the engine registers is a callable taking the
    event data (``send_event=True``), which the base class would look up as
    a possible model attribute or import path and log on every event.
    Dispatch, conditions and the order of the callbacks stay transitions'
    own (the overridden hooks are those of transitions 0.9, pinned in
    pyproject.toml and checked by tests/test_machine.py).
    """

    state_cls = _State

    def __init__(self, *, members: dict[str, enum.StrEnum], **kwargs: Any) -> None:
        self._members = members
        super().__init__(**kwargs)

    def get_state(self, state: Any) -> State:
        try:
            return self.states[state]
        except (KeyError, TypeError):  # not a spelling: the base class words the error
            return super().get_state(state)

    def get_model_state(self, model: Any) -> State:
        return self.get_state(getattr(model, self.model_attribute))

    def set_state(self, state: Any, model: Any = None) -> None:
        member = self._members.get(state) if model is not None and type(state) is str else None
        if member is None:
            super().set_state(state, model)
        else:
            setattr(model, self.model_attribute, member)

    def callbacks(
        self, funcs: Iterable[str | Callable[..., bool | None]], event_data: EventData
    ) -> None:
        for func in funcs:
            if isinstance(func, str):  # not registered by the engine; keep the base behaviour
                self.callback(func, event_data)
            else:
                func(event_data)


class Engine:
    """Dispatches events of one lifecycle through its shared ``transitions`` machine."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.observers: list[Observer] = []
        self._table = lifecycle.table
        self.initial = lifecycle.status(lifecycle.initial)
        self.machine = _Machine(
            members={s.value: s for s in lifecycle.status_enum},
            model=None,
            states=[s.value for s in lifecycle.status_enum],
            initial=str(lifecycle.initial),
            transitions=self._transition_specs(),
            auto_transitions=False,
            send_event=True,
            model_attribute="_status",
            # One callback, not one per concern: each costs transitions a
            # resolve-and-log round trip on every event.
            after_state_change=[self._after],
            name=lifecycle.name,
        )
        self._triggers: dict[str, Callable[..., bool]] = {
            name: self.machine.events[name].trigger for name in lifecycle.event_names
        }
        # status -> event -> trigger, for the moves with exactly one destination:
        # they need no `to` argument and no condition, which is the common case,
        # and this makes it one lookup before handing over to transitions.
        self._single: dict[str, dict[str, Callable[..., bool]]] = {
            status: {
                event: self._triggers[event] for event, dests in events.items() if len(dests) == 1
            }
            for status, events in self._table.items()
        }
        # The same single-destination moves as plain data, for compiled dispatch
        # (off unless asked for: see set_compiled_dispatch).
        self.compiled = False
        self._direct: dict[str, dict[str, enum.StrEnum]] = {
            status: {event: dests[0] for event, dests in events.items() if len(dests) == 1}
            for status, events in self._table.items()
        }

    def _transition_specs(self) -> list[dict[str, Any]]:
        specs: list[dict[str, Any]] = []
        for edge in self.lifecycle.edges:
            spec: dict[str, Any] = {
                "trigger": edge.event,
                "source": str(edge.source),
                "dest": str(edge.dest),
            }
            if len(self._table[edge.source][edge.event]) > 1:
                # Several targets from one source: the caller's choice (or the
                # default worked out in fire) arrives as the second argument.
                spec["conditions"] = [_targets(edge.dest)]
            specs.append(spec)
        return specs

    def _after(self, event_data: EventData) -> None:
        """Record the move on the job, then tell the observers (raising undoes it)."""
        model: Any = event_data.model
        args: Any = event_data.args  # (source[, target[, extra]]) as Engine.fire passes them
        record: Record
        if len(args) > 2:
            record = _record(args[0], model._status, event_data.event.name, args[2])
        else:
            record = (args[0], model._status, event_data.event.name, time_ns())
        aux = model._aux  # made with the job's lock, which the caller holds
        history = aux.history
        if history is None:
            aux.history = [record]
        else:
            history.append(record)
        own = aux.observers
        if self.observers or own:
            entry = _entry(record)
            for observer in self.observers:
                if (result := observer(model, entry)) is not None:
                    _check_result(observer, result)
            for observer in own or ():
                if (result := observer(model, entry)) is not None:
                    _check_result(observer, result)

    def fire(
        self, job: _Stateful, event: str, to: str | None = None, extra: Extra | None = None
    ) -> enum.StrEnum:
        """Apply *event* to *job* (the caller holds the job's lock).

        *extra* is what the history entry records besides the move (see
        :data:`Extra`); ``None`` records the current time and nothing else.

        Raises:
            UnknownEventError: *event* is not part of the lifecycle.
            UnknownStatusError: *to* is not a status.
            IllegalTransitionError: *event* (or *to*) is not allowed now; nothing changed.
        """
        source = job._status
        aux = job._aux  # made with the job's lock, which the caller holds
        history = aux.history
        if self.compiled and to is None and not self.observers and not aux.observers:
            dest = self._direct[source].get(event)
            if dest is not None:
                # What the transitions path does when no observer is attached
                # (move, then record), without its event machinery; the
                # equivalence is a property test in tests/test_dispatch.py.
                job._status = dest
                record: Record = (
                    (source, dest, event, time_ns())
                    if extra is None
                    else _record(source, dest, event, extra)
                )
                if history is None:
                    aux.history = [record]
                else:
                    history.append(record)
                return dest
        size = len(history) if history else 0
        single = self._single[source].get(event) if to is None else None
        try:
            if single is not None:
                # Positional arguments reach the callbacks as event_data.args:
                # (source[, target[, extra]]), cheaper than keywords on every event.
                if extra is None:
                    single(job, source)
                else:
                    single(job, source, None, extra)
            else:
                dests = self._table[source].get(event)
                if dests is None:
                    self.lifecycle.check_event(event)
                    raise IllegalTransitionError(
                        job.name, source, event, tuple(self._table[source])
                    )
                target = self._target(job, source, event, dests, to)
                if extra is None:
                    self._triggers[event](job, source, target)
                else:
                    self._triggers[event](job, source, target, extra)
        except BaseException:
            # Callbacks run after the status moved: undo so the job is never half-moved.
            job._status = source
            if history is not None:
                del history[size:]
            # Reassigned, not only truncated: an observer may have restored
            # the job, which puts a new list in place.
            aux.history = history
            raise
        return job._status

    def _target(
        self, job: _Stateful, source: enum.StrEnum, event: str, dests: tuple[Any, ...], to: Any
    ) -> enum.StrEnum:
        if to is not None:
            target = self.lifecycle.status(to)
            if target not in dests:
                raise IllegalTransitionError(
                    job.name,
                    source,
                    event,
                    tuple(self._table[source]),
                    to=target,
                    reason=f"{event!r} from {str(source)!r} leads to "
                    + ", ".join(repr(str(d)) for d in dests),
                )
            return target
        if len(dests) == 1:
            return dests[0]  # type: ignore[no-any-return]
        history: list[Record] | None = job._aux.history
        previous = history[-1][0] if history else None
        if previous is not None and previous in dests:
            return previous
        held = (
            "the status held before is unknown"
            if previous is None
            else f"the status held before, {str(previous)!r}, is not one of its destinations"
        )
        raise IllegalTransitionError(
            job.name,
            source,
            event,
            tuple(self._table[source]),
            reason=f"{held}; pass to= one of " + ", ".join(repr(str(d)) for d in dests),
        )

    def allowed_events(self, status: enum.StrEnum) -> tuple[str, ...]:
        """Events that may be fired from *status*."""
        return tuple(self._table[status])


def _targets(dest: enum.StrEnum) -> Callable[[EventData], bool]:
    def condition(event_data: EventData) -> bool:
        args: Any = event_data.args  # (source, target) as Engine.fire passes them
        return bool(args[1] == dest)

    return condition


_ENGINES: dict[Lifecycle, Engine] = {}
_BUILD_LOCK = threading.Lock()


def engine_for(lifecycle: Lifecycle) -> Engine:
    """The shared engine (and ``transitions.Machine``) of *lifecycle*, built once."""
    engine = _ENGINES.get(lifecycle)
    if engine is None:
        with _BUILD_LOCK:
            engine = _ENGINES.get(lifecycle)
            if engine is None:
                engine = _ENGINES[lifecycle] = Engine(lifecycle)
    return engine


_ObserverT = TypeVar("_ObserverT", bound=Observer)


@overload
def add_observer(observer: _ObserverT, lifecycle: Lifecycle | None = None) -> _ObserverT: ...
@overload
def add_observer(
    observer: None = None, lifecycle: Lifecycle | None = None
) -> Callable[[_ObserverT], _ObserverT]: ...
def add_observer(
    observer: _ObserverT | None = None, lifecycle: Lifecycle | None = None
) -> _ObserverT | Callable[[_ObserverT], _ObserverT]:
    """Call ``observer(job, entry)`` after every status change of every job of *lifecycle*.

    *lifecycle* defaults to :data:`~jobfsm.lifecycle.DEFAULT_LIFECYCLE`. An
    observer that raises undoes that change and the exception reaches the caller.
    Returns *observer*, so it also works as a decorator, bare (``@add_observer``)
    or with a lifecycle (``@add_observer(lifecycle=...)``).

    Raises:
        AsyncObserverError: *observer* is an ``async def`` function: observers
            run inside the change they may veto, so they must be plain functions.
    """
    if observer is None:
        return functools.partial(add_observer, lifecycle=lifecycle)
    check_observer(observer)
    engine = engine_for(lifecycle or DEFAULT_LIFECYCLE)
    with _BUILD_LOCK:
        # Copy-on-write: a fire in progress keeps iterating the list it started with.
        engine.observers = [*engine.observers, observer]
    return observer


def set_compiled_dispatch(enabled: bool, lifecycle: Lifecycle | None = None) -> None:
    """Let single-destination events of *lifecycle* skip transitions when nothing observes.

    With it on, an event fired at a job that has no observer, on a lifecycle
    without observers, whose move has one destination, is applied from a
    precomputed table: same status, same history record, same errors (a test
    holds both paths to identical results), in a fraction of the time. Every
    other event (observers attached, ``resume``, illegal moves) still goes
    through the shared ``transitions`` machine. Off by default.
    """
    engine_for(lifecycle or DEFAULT_LIFECYCLE).compiled = enabled


def remove_observer(observer: Observer, lifecycle: Lifecycle | None = None) -> None:
    """Undo :func:`add_observer`; raises ``ValueError`` when it was not added."""
    engine = engine_for(lifecycle or DEFAULT_LIFECYCLE)
    with _BUILD_LOCK:
        observers = list(engine.observers)
        if observer not in observers:
            raise ValueError(
                f"{observer!r} is not an observer of lifecycle {engine.lifecycle.name!r}"
            )
        observers.remove(observer)
        engine.observers = observers
