"""Moving a job through its lifecycle: events, polled statuses, observers, restore, copies.

:class:`JobEvents` is the half of :class:`jobfsm.job.Job` that changes status. It
keeps no state of its own (``__slots__ = ()``): the attrs fields it works on (the
status slot, and the :class:`Aux` object holding the engine, history records,
lock and observers) are declared on ``Job``; the shared ``transitions`` machine
does the moving (see :mod:`jobfsm.machine`).
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from jobfsm.errors import InvalidHistoryError, NoWorkingDirectoryError, TimeWentBackwardsError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE
from jobfsm.machine import (
    Engine,
    Extra,
    HistoryEntry,
    Observer,
    Record,
    check_observer,
    engine_for,
    entries,
    record_time,
)
from jobfsm.names import generate_name

if TYPE_CHECKING:
    from jobfsm.job import Job
    from jobfsm.lifecycle import Lifecycle

__all__ = ["JobEvents"]

_LOCK_INIT = threading.Lock()
#: The engine of the default lifecycle: a job without an auxiliary object follows it.
DEFAULT_ENGINE = engine_for(DEFAULT_LIFECYCLE)
_ObserverT = TypeVar("_ObserverT", bound=Observer)


class Aux:
    """What a job holds once used: engine, history, lock, observers, the fields it wrote as ``{}``.

    Made on first need (the first event, observer or lock), so that a job
    only created costs one empty slot for all three.
    """

    __slots__ = ("engine", "history", "kept_empty", "lock", "observers")

    def __init__(self, engine: Engine = DEFAULT_ENGINE) -> None:
        # The engine of the job's lifecycle (made with the job when it is not the default).
        self.engine = engine
        self.lock = threading.RLock()
        self.history: list[Record] | None = None
        self.observers: list[Observer] | None = None
        # Mapping fields the source file wrote as an explicit `{}` (dump writes them back).
        self.kept_empty: frozenset[str] | None = None


class JobEvents:
    """Events, observed statuses, observers and persistence hooks of a job."""

    if not TYPE_CHECKING:  # no state of its own; the fields below are Job's
        __slots__ = ()
    else:
        name: str | None
        experiment_name: str | None
        _status: enum.StrEnum
        _aux: Aux | None

    # -- events --------------------------------------------------------------

    def _get_aux(self) -> Aux:
        aux = self._aux
        if aux is None:
            with _LOCK_INIT:
                aux = self._aux
                if aux is None:
                    aux = self._aux = Aux()
        return aux

    def _get_lock(self) -> threading.RLock:
        return self._get_aux().lock

    @property
    def _engine(self) -> Engine:
        aux = self._aux
        return DEFAULT_ENGINE if aux is None else aux.engine

    @property
    def _history(self) -> list[Record] | None:
        aux = self._aux
        return None if aux is None else aux.history

    @_history.setter
    def _history(self, value: list[Record] | None) -> None:
        self._get_aux().history = value

    @property
    def _observers(self) -> list[Observer] | None:
        aux = self._aux
        return None if aux is None else aux.observers

    @property
    def _kept_empty(self) -> frozenset[str] | None:
        aux = self._aux
        return None if aux is None else aux.kept_empty

    @_kept_empty.setter
    def _kept_empty(self, value: frozenset[str] | None) -> None:
        self._get_aux().kept_empty = value

    def fire(
        self,
        event: str,
        *,
        to: str | None = None,
        at: datetime | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> enum.StrEnum:
        """Apply *event* and return the new status.

        The change is atomic for this job: concurrent callers are serialised
        on the job's own lock, and if an observer raises, the status and the
        history are put back before the exception propagates. An observer may
        fire at the same job (the lock is re-entrant); undoing the outer event
        then undoes the nested one too.

        Args:
            event: An event name of the job's lifecycle.
            to: For events with several destinations (``resume``), the target;
                by default the status held before.
            at: When it happened (e.g. the time a service reported), recorded
                in the history instead of now: timezone-aware, or naive UTC.
            reason: Why, recorded in the history entry.
            source: Who reported it, recorded in the history entry.

        Raises:
            UnknownEventError: the lifecycle has no such event.
            IllegalTransitionError: the event is not allowed from the current status.
            TimeWentBackwardsError: *at* is before the time of the last history entry.
            TypeError: *at* is not a datetime, or *reason*/*source* not a string.
        """
        # This is the hot path of a scheduler: the common case (lock already
        # made, job already submitted) costs a few attribute reads and the lock.
        # acquire/try/release does what `with lock:` does, at about half the cost.
        aux = self._aux
        if aux is None:
            aux = self._get_aux()
        lock = aux.lock
        lock.acquire()
        try:
            engine = aux.engine
            extra = (
                None
                if at is None and reason is None and source is None
                else self._extra(at, False, reason, source)
            )
            if self._status is engine.initial and (
                self.name is None or self.experiment_name is None
            ):
                return self._submit(event, to, extra)
            return engine.fire(self, event, to, extra)
        finally:
            lock.release()

    def _extra(
        self, at: datetime | None, inferred: bool, reason: str | None, source: str | None
    ) -> Extra:
        """Check what a history entry records besides the move (the caller holds the lock)."""
        if at is not None:
            if not isinstance(at, datetime):
                raise TypeError(f"at must be a datetime, got {at!r}")
            # Live events record aware UTC times; a naive time is taken as UTC.
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
            history = self._history
            if history:
                previous = record_time(history[-1])
                if at < previous:
                    raise TimeWentBackwardsError(self.name, at, previous)
        for label, value in (("reason", reason), ("source", source)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{label} must be a string, got {value!r}")
        return (at, inferred, reason, source)

    def _submit(self, event: str, to: str | None, extra: Extra | None = None) -> enum.StrEnum:
        engine = self._engine
        # Leaving the initial status is the submission: apply the defaults
        # azure-ai-ml applies then, and take them back if the event fails.
        # (fire comes here only when a default is missing.)
        saved = self._apply_submit_defaults()
        try:
            return engine.fire(self, event, to, extra)
        except BaseException:
            self.name, self.experiment_name = saved
            raise

    def _apply_submit_defaults(self) -> tuple[str | None, str | None]:
        """Give a missing name and experiment their defaults; return the values before."""
        saved = (self.name, self.experiment_name)
        experiment = _default_experiment(self.name) if self.experiment_name is None else None
        if self.name is None:
            self.name = generate_name()
        if experiment is not None:
            self.experiment_name = experiment
        return saved

    async def afire(
        self,
        event: str,
        *,
        to: str | None = None,
        at: datetime | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> enum.StrEnum:
        """Like :meth:`fire`, for coroutines: never blocks the event loop on the lock.

        When another thread holds the job's lock, the wait happens in a worker
        thread; otherwise the event is applied inline. Cancelling the awaiting
        task does not stop a worker thread that is waiting: the event may
        still be applied.
        """
        lock = self._get_lock()
        if lock.acquire(blocking=False):
            try:
                # re-enters the lock just taken
                return self.fire(event, to=to, at=at, reason=reason, source=source)
            finally:
                lock.release()
        return await asyncio.to_thread(
            functools.partial(self.fire, event, to=to, at=at, reason=reason, source=source)
        )

    def observe(
        self, status: str, *, at: datetime | None = None, source: str | None = None
    ) -> tuple[HistoryEntry, ...]:
        """Apply a status seen by polling, firing the events that lead to it.

        The events are those of :meth:`Lifecycle.observe_steps`: none when
        *status* is the current one, the edge's event for a neighbour, and
        otherwise the events of a shortest path, whose entries are marked
        ``inferred`` (all but the last). ``NotResponding`` goes back to an
        active status by ``resume`` to it. Observers are called for each
        applied event; the whole change is atomic: if any event or observer
        fails, the job is left as it was.

        Args:
            status: The observed status (a member or its spelling, or one of
                the lifecycle's aliases: the entries then record, as their
                ``reason``, which alias was read).
            at: When the service reported it (aware, or naive UTC); recorded
                on every applied entry. By default, now.
            source: Who reported it, recorded on every applied entry.

        Returns:
            The history entries added, oldest first (``()`` for a repeat).

        Raises:
            UnknownStatusError: *status* is not a status (names the closest).
            UnreachableStatusError: no events lead from the current status to
                *status* (an :class:`IllegalTransitionError`); nothing changed.
            TimeWentBackwardsError: *at* is before the time of the last entry.
        """
        with self._get_lock():
            engine = self._engine
            reason = None
            meant = engine.lifecycle.aliases.get(status) if isinstance(status, str) else None
            if meant is not None:  # never silently: the entries say which alias was read
                reason = f"observed {status!r}, an alias of {meant!r}"
                status = meant
            steps = engine.lifecycle.observe_steps(self._status, status, job=self.name)
            if not steps:
                return ()
            when, _, reason, origin = self._extra(at, False, reason, source)
            start, history = self._status, self._history
            size = len(history) if history else 0
            saved = self._apply_submit_defaults() if start is engine.initial else None
            last = len(steps) - 1
            try:
                for index, (event, dest) in enumerate(steps):
                    engine.fire(self, event, dest, (when, index < last, reason, origin))
            except BaseException:
                # Each fire undid its own step; undo the ones applied before it.
                self._status = start
                if history is not None:
                    del history[size:]
                self._history = history
                if saved is not None:
                    self.name, self.experiment_name = saved
                raise
            return entries((self._history or [])[size:])

    async def aobserve(
        self, status: str, *, at: datetime | None = None, source: str | None = None
    ) -> tuple[HistoryEntry, ...]:
        """Like :meth:`observe`, for coroutines: never blocks the event loop on the lock."""
        lock = self._get_lock()
        if lock.acquire(blocking=False):
            try:
                return self.observe(status, at=at, source=source)
            finally:
                lock.release()
        return await asyncio.to_thread(
            functools.partial(self.observe, status, at=at, source=source)
        )

    @property
    def is_terminal(self) -> bool:
        """Whether the job is in a terminal status (no event can change it)."""
        return self._status in self._engine.lifecycle.terminal

    @property
    def is_active(self) -> bool:
        """Whether the job is in an active status (heartbeats apply)."""
        return self._status in self._engine.lifecycle.active

    def can(self, event: str) -> bool:
        """Whether *event* may be fired from the current status.

        Raises:
            UnknownEventError: the lifecycle has no such event (a typo is not "no").
        """
        lifecycle = self._engine.lifecycle
        if event in lifecycle.table[self._status]:
            return True
        lifecycle.check_event(event)
        return False

    @property
    def allowed_events(self) -> tuple[str, ...]:
        """Events that may be fired from the current status."""
        return self._engine.allowed_events(self._status)

    def add_observer(self, observer: _ObserverT) -> _ObserverT:
        """Call ``observer(job, entry)`` after each status change of this job.

        An observer that raises undoes the change (status and history) and the
        exception reaches the caller of :meth:`fire`. Returns *observer*, so it
        also works as a decorator (``@job.add_observer``).

        Raises:
            AsyncObserverError: *observer* is an ``async def`` function
                (observers are plain functions, for ``fire`` and ``afire`` alike).
        """
        check_observer(observer)
        aux = self._get_aux()
        with aux.lock:
            observers = list(aux.observers or ())
            observers.append(observer)
            aux.observers = observers
        return observer

    def remove_observer(self, observer: Observer) -> None:
        """Stop calling *observer*; raises ``ValueError`` when it was not added."""
        aux = self._get_aux()
        with aux.lock:
            observers = list(aux.observers or ())
            if observer not in observers:
                raise ValueError(f"{observer!r} is not an observer of job {self.name!r}")
            observers.remove(observer)
            aux.observers = observers or None

    def restore(self, status: str, history: Iterable[HistoryEntry] = ()) -> None:
        """Put the job at *status* with *history*, firing no event and no observer.

        This is for persistence layers (YAML loading, databases). The history
        must be a chain of edges of the lifecycle ending at *status*. Times are
        kept in UTC, as live events record them: a naive ``at`` is taken as UTC.

        Raises:
            UnknownStatusError: *status* (or a status in *history*) is not known.
            InvalidHistoryError: the history is not a chain of lifecycle edges
                ending at *status*, or an ``at`` is not a ``datetime``.
        """
        lifecycle = self._engine.lifecycle
        target = lifecycle.status(status)
        given = list(history)
        records: list[Record] = []
        edges = {(e.source, e.event, e.dest) for e in lifecycle.edges}
        previous = None
        for index, entry in enumerate(given):
            if not isinstance(entry, HistoryEntry):
                raise InvalidHistoryError(index, f"{entry!r} is not a HistoryEntry")
            src, dst = lifecycle.status(entry.from_), lifecycle.status(entry.to)
            if (src, entry.event, dst) not in edges:
                raise InvalidHistoryError(
                    index, f"{src} --{entry.event}--> {dst} is not an edge of {lifecycle.name!r}"
                )
            if previous is not None and previous != src:
                raise InvalidHistoryError(
                    index, f"starts at {src} but the entry before ended at {previous}"
                )
            if not isinstance(entry.at, datetime):
                raise InvalidHistoryError(index, f"time {entry.at!r} is not a datetime")
            # Live events record aware UTC times; a naive time is taken as UTC
            # (as in job files) and an aware one is converted.
            at = entry.at.replace(tzinfo=UTC) if entry.at.tzinfo is None else entry.at
            for label in ("reason", "source"):
                value = getattr(entry, label)
                if value is not None and not isinstance(value, str):
                    raise InvalidHistoryError(index, f"{label} {value!r} is not a string")
            previous = dst
            at = at.astimezone(UTC)
            if entry.inferred or entry.reason is not None or entry.source is not None:
                records.append(
                    (src, dst, entry.event, at, bool(entry.inferred), entry.reason, entry.source)
                )
            else:
                records.append((src, dst, entry.event, at))
        if previous is not None and previous != target:
            raise InvalidHistoryError(
                len(given) - 1, f"ends at {previous} but the status is {target}"
            )
        with self._get_lock():
            self._status = target
            self._history = records or None

    def __reduce__(self) -> tuple[Any, ...]:
        """Support ``copy``, ``deepcopy`` and ``pickle`` (to hand a job to a worker process).

        A copy has the same fields, lifecycle, status and history, its own
        history and lock, and no observers (they are often closures, and the
        copy is a different job to watch). Statuses are stored by their
        spelling, so jobs of a custom lifecycle load in another process.
        """
        with self._get_lock():  # a consistent snapshot while another thread fires
            fields = {
                field.alias: getattr(self, field.name)
                for field in attrs.fields(cast("type[Job]", type(self)))
                if field.init and field.alias != "engine"
            }
            records = [(str(r[0]), str(r[1]), *r[2:]) for r in self._history or ()]
            status = str(self._status)
        return (_rebuild, (type(self), fields, self._engine.lifecycle, status, records))

    # One typed method per event of the default lifecycle (a test keeps this
    # list equal to DEFAULT_LIFECYCLE.event_names).

    def start(self) -> enum.StrEnum:
        """Submit: NotStarted -> Starting (applies the name/experiment defaults)."""
        return self.fire("start")

    def provision(self) -> enum.StrEnum:
        """Starting -> Provisioning."""
        return self.fire("provision")

    def prepare(self) -> enum.StrEnum:
        """Starting or Provisioning -> Preparing."""
        return self.fire("prepare")

    def queue(self) -> enum.StrEnum:
        """Preparing -> Queued."""
        return self.fire("queue")

    def run(self) -> enum.StrEnum:
        """Queued -> Running."""
        return self.fire("run")

    def finalize(self) -> enum.StrEnum:
        """Running -> Finalizing."""
        return self.fire("finalize")

    def complete(self) -> enum.StrEnum:
        """Finalizing or CancelRequested -> Completed."""
        return self.fire("complete")

    def fail(self) -> enum.StrEnum:
        """Any non-terminal status -> Failed."""
        return self.fire("fail")

    def request_cancel(self) -> enum.StrEnum:
        """Any non-terminal status but CancelRequested -> CancelRequested."""
        return self.fire("request_cancel")

    def cancel(self) -> enum.StrEnum:
        """CancelRequested -> Canceled."""
        return self.fire("cancel")

    def lose_heartbeat(self) -> enum.StrEnum:
        """Any active status -> NotResponding."""
        return self.fire("lose_heartbeat")

    def resume(self, to: str | None = None) -> enum.StrEnum:
        """NotResponding -> *to* (an active status; by default the one held before)."""
        return self.fire("resume", to=to)


def _default_experiment(job: str | None) -> str:
    """azure-ai-ml's default experiment: the current folder's name without spaces."""
    try:
        # os.path, not Path.cwd(): the same name without building a Path.
        folder = os.getcwd()
    except FileNotFoundError:
        raise NoWorkingDirectoryError(job) from None
    return os.path.basename(folder).replace(" ", "") or "Default"


def _rebuild(
    cls: type[Job],
    fields: dict[str, Any],
    lifecycle: Lifecycle,
    status: str,
    records: list[tuple[Any, ...]],
) -> Job:
    """Make a job again from what :meth:`Job.__reduce__` saved (trusted: no checks)."""
    job = cls(lifecycle=lifecycle, **fields)
    parse = job._engine.lifecycle.status
    job._status = parse(status)
    job._history = [(parse(r[0]), parse(r[1]), *r[2:]) for r in records] or None
    return job
