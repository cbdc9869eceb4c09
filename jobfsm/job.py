"""attrs job classes modelled on the Azure ML SDK v2 ``Job`` and its subclasses.

A job holds its fields, a status slot, its history and (once it is first
used from several threads) a lock. The state machine itself is shared by all
jobs of a lifecycle (see :mod:`jobfsm.machine`); a job only points at it.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, overload

import attrs

from jobfsm._jobtypes import AZURE_JOB_TYPES, allow_job_type, job_type, job_types, one_edit
from jobfsm.errors import (
    InvalidHistoryError,
    NoWorkingDirectoryError,
    ReadOnlyAttributeError,
    TimeWentBackwardsError,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
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
from jobfsm.services import JobService, JobServiceType, SystemData, as_services

__all__ = [
    "AZURE_JOB_TYPES",
    "CommandJob",
    "GenericJob",
    "Job",
    "PipelineJob",
    "SweepJob",
    "allow_job_type",
    "job_types",
]


_DEFAULT_ENGINE = engine_for(DEFAULT_LIFECYCLE)
_LOCK_INIT = threading.Lock()
_ARM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)/jobs/(?P<name>[^/]+)$",
    re.IGNORECASE,
)

_T = TypeVar("_T")
_ObserverT = TypeVar("_ObserverT", bound=Observer)


def _dict_key(value: dict[Any, Any] | None) -> dict[Any, Any]:
    """Compare a dictionary field not made yet (``None``) as the empty dictionary it stands for."""
    return {} if value is None else value


class _lazy_dict:
    """A dictionary attribute made on first access, so that a job costs no empty dictionaries.

    The value lives in the slot ``_<name>`` (``None`` until read); reading the
    attribute makes the job's own dictionary under a short lock, so two
    threads touching a fresh job's ``tags`` get the same dictionary and no
    write is lost. Assigning stores the value as given.
    """

    def __init__(self, slot: Any, name: str) -> None:
        self._get = slot.__get__
        self._set = slot.__set__
        self.__name__ = name
        self.__doc__ = f"The job's {name} (a dictionary of its own, made on first use)."

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = self._get(obj)
        if value is None:
            with _LOCK_INIT:
                value = self._get(obj)
                if value is None:
                    value = {}
                    self._set(obj, value)
        return value

    def __set__(self, obj: object, value: object) -> None:
        self._set(obj, value)


class _read_only(Generic[_T]):
    """A property whose assignment raises :class:`ReadOnlyAttributeError` with a hint."""

    def __init__(self, fget: Callable[[Any], _T]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__
        self.name = fget.__name__

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _read_only[_T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _T: ...
    def __get__(self, obj: object, objtype: type | None = None) -> _T | _read_only[_T]:
        return self if obj is None else self.fget(obj)

    def __set__(self, obj: object, value: object) -> NoReturn:
        raise ReadOnlyAttributeError(self.name, _READ_ONLY_HINTS[self.name])


_READ_ONLY_HINTS = {
    "status": "fire a lifecycle event instead, e.g. job.run() or job.fire('run')",
    "type": "it is fixed by the job class",
    "id": "the service assigns it; use assign_id() after submission",
    "base_path": "it is the folder the job was loaded from",
    "creation_context": "the service records it",
    "log_files": "the service records them",
    "studio_url": "it is derived from the Studio service or the id",
    "history": "it records applied events",
    "lifecycle": "a job keeps the lifecycle it was created with",
    "mapped_status": "it follows status through the lifecycle's maps_to",
}


@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Job:
    """Base class of all jobs; instantiate a subclass such as :class:`CommandJob`.

    Args:
        name: Unique name; generated at submission (``start``) when missing.
        display_name: Name shown in Studio.
        description: Free text.
        tags: Tag dictionary.
        properties: Property dictionary.
        experiment_name: Defaults at submission to the current folder's name
            without spaces (``"Default"`` when that is empty).
        compute: Compute target.
        services: Name -> :class:`JobService` (or a mapping of its fields).
        lifecycle: The lifecycle whose events drive ``status``.
        **kwargs: Subclass fields, read-only fields restored from storage
            (``id``, ``creation_context``, ``log_files``, ``base_path``) and any
            other keyword, which is kept in ``extras`` and dumped back.

    Raises:
        TypeError: when ``Job`` itself is instantiated.
    """

    TYPE: ClassVar[str] = ""

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    _tags: dict[str, Any] | None = attrs.field(factory=dict, alias="tags", eq=_dict_key)
    _properties: dict[str, Any] | None = attrs.field(factory=dict, alias="properties", eq=_dict_key)
    experiment_name: str | None = None
    compute: str | None = None
    _services: dict[str, JobService] | None = attrs.field(
        factory=dict, alias="services", eq=_dict_key
    )
    _extras: dict[str, Any] | None = attrs.field(factory=dict, alias="extras", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def tags(self) -> dict[str, Any]: ...
        @tags.setter
        def tags(self, value: dict[str, Any]) -> None: ...

        @property
        def properties(self) -> dict[str, Any]: ...
        @properties.setter
        def properties(self, value: dict[str, Any]) -> None: ...

        @property
        def services(self) -> dict[str, JobService]: ...
        @services.setter
        def services(self, value: dict[str, JobService]) -> None: ...

        @property
        def extras(self) -> dict[str, Any]: ...
        @extras.setter
        def extras(self, value: dict[str, Any]) -> None: ...

    _base_path: Path | None = attrs.field(default=None, alias="base_path", eq=False)
    _creation_context: SystemData | None = attrs.field(default=None, alias="creation_context")
    _id: str | None = attrs.field(default=None, alias="id")
    _log_files: dict[str, str] | None = attrs.field(default=None, alias="log_files")
    # One engine per lifecycle value (engine_for), so comparing engines compares lifecycles.
    _engine: Engine = attrs.field(default=_DEFAULT_ENGINE, alias="engine", repr=False)
    _status: enum.StrEnum = attrs.field(init=False)
    # Compact records (see machine.Record); compared and shown as the entries they stand for.
    _history: list[Record] | None = attrs.field(
        init=False, default=None, eq=entries, repr=lambda h: repr(entries(h))
    )
    _lock: threading.RLock | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _observers: list[Observer] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    # Mapping fields the source file wrote as an explicit `{}` (dump writes them back).
    _kept_empty: frozenset[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __init__(
        self,
        *,
        name: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        experiment_name: str | None = None,
        compute: str | None = None,
        services: Mapping[str, JobService | Mapping[str, Any]] | None = None,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        **kwargs: Any,
    ) -> None:
        # Concrete classes get a generated constructor (see _constructor); only
        # the abstract base (or a subclass that forgot the decorator) lands here.
        raise TypeError(
            f"{type(self).__name__} cannot be instantiated directly; use one of "
            "CommandJob, PipelineJob, SweepJob or GenericJob"
        )

    # -- read-only attributes ------------------------------------------------

    @_read_only
    def type(self) -> str:
        """The Azure ML job type (``command``, ``pipeline``, ``sweep``, ...)."""
        return self.TYPE

    @_read_only
    def status(self) -> enum.StrEnum:
        """Current status, a member of the lifecycle's status enum."""
        return self._status

    @_read_only
    def history(self) -> tuple[HistoryEntry, ...]:
        """Applied events, oldest first."""
        return entries(self._history)

    @_read_only
    def lifecycle(self) -> Lifecycle:
        """The lifecycle this job follows."""
        return self._engine.lifecycle

    @_read_only
    def mapped_status(self) -> enum.StrEnum | None:
        """``status`` in the terms of the lifecycle's ``maps_to`` target (``None`` without one).

        A job following the ``slurm`` profile in ``COMPLETING`` has the mapped
        status ``Finalizing``, a member of Azure ML's :class:`JobStatus`.
        """
        mapping = self._engine.lifecycle.maps_to
        return None if mapping is None else mapping(self._status)

    @_read_only
    def base_path(self) -> Path:
        """The folder the job was loaded from, else the current directory."""
        return self._base_path if self._base_path is not None else Path.cwd()

    @_read_only
    def creation_context(self) -> SystemData | None:
        """Creation and modification metadata, once the service has recorded it."""
        return self._creation_context

    @_read_only
    def id(self) -> str | None:
        """The ARM id, once assigned."""
        return self._id

    @_read_only
    def log_files(self) -> dict[str, str] | None:
        """Log name -> URL or path."""
        return self._log_files

    @_read_only
    def studio_url(self) -> str | None:
        """The Studio service's endpoint, else a URL derived from ``id``."""
        for service in self.services.values():
            if service.job_service_type is JobServiceType.STUDIO and service.endpoint:
                return service.endpoint
        match = _ARM_ID.match(self._id or "")
        if not match:
            return None
        return (
            f"https://ml.azure.com/runs/{match['name']}?wsid=/subscriptions/{match['sub']}"
            f"/resourcegroups/{match['rg']}/workspaces/{match['ws']}"
        )

    def assign_id(self, subscription_id: str, resource_group: str, workspace: str) -> str:
        """Set ``id`` to the ARM id of this job in *workspace* and return it.

        Raises:
            ValueError: when the job has no name yet (submit it first).
        """
        if not self.name:
            raise ValueError("a job needs a name before it gets an id; fire 'start' first")
        self._id = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{workspace}/jobs/{self.name}"
        )
        return self._id

    # -- events --------------------------------------------------------------

    def _get_lock(self) -> threading.RLock:
        lock = self._lock
        if lock is None:
            with _LOCK_INIT:
                lock = self._lock
                if lock is None:
                    lock = threading.RLock()
                    self._lock = lock
        return lock

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
        lock = self._lock
        if lock is None:
            lock = self._get_lock()
        lock.acquire()
        try:
            engine = self._engine
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
        with self._get_lock():
            observers = list(self._observers or ())
            observers.append(observer)
            self._observers = observers
        return observer

    def remove_observer(self, observer: Observer) -> None:
        """Stop calling *observer*; raises ``ValueError`` when it was not added."""
        with self._get_lock():
            observers = list(self._observers or ())
            if observer not in observers:
                raise ValueError(f"{observer!r} is not an observer of job {self.name!r}")
            observers.remove(observer)
            self._observers = observers or None

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
                for field in attrs.fields(type(self))
                if field.init and field.alias != "engine"
            }
            records = [(str(r[0]), str(r[1]), *r[2:]) for r in self._history or ()]
            status = str(self._status)
        return (_rebuild, (type(self), fields, self.lifecycle, status, records))

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

    # -- YAML ----------------------------------------------------------------

    def dump(self, dest: str | os.PathLike[str] | IO[str], **kwargs: Any) -> None:
        """Write the job as YAML to a new file or an open text stream.

        Raises:
            FileExistsError: *dest* is a path that already exists (left untouched).
            OSError: *dest* is a stream that is not writable.
        """
        from jobfsm.yamlio import dump_job  # yamlio imports this module

        dump_job(self, dest, **kwargs)


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


class _DefaultLifecycle:
    """The constructors' default ``lifecycle``: DEFAULT_LIFECYCLE, told apart from
    DEFAULT_LIFECYCLE named on purpose (``attrs.evolve(job, lifecycle=...)``)."""

    def __repr__(self) -> str:
        return "DEFAULT_LIFECYCLE"


_LIFECYCLE_NOT_GIVEN: Any = _DefaultLifecycle()


def _engine_of(lifecycle: Lifecycle, kwargs: dict[str, Any]) -> Engine:
    """The engine for a constructor call that names a lifecycle or has extra keywords."""
    given = kwargs.get("engine")
    if isinstance(given, Engine):
        # attrs.evolve passes the job's engine back under the field's alias; a
        # lifecycle named in the same call wins.
        del kwargs["engine"]
        if lifecycle is _LIFECYCLE_NOT_GIVEN:
            return given
    if lifecycle is _LIFECYCLE_NOT_GIVEN or lifecycle is DEFAULT_LIFECYCLE:
        return _DEFAULT_ENGINE
    return engine_for(lifecycle)


_JobT = TypeVar("_JobT", bound=type[Job])


def _check_keywords(cls: type[Job], kwargs: Mapping[str, Any], accepted: set[str]) -> None:
    """Refuse a keyword that names a read-only attribute or is one edit from a
    parameter: a typo would otherwise land silently in ``extras``. *accepted*
    holds the class's keywords already found fine (the constructor skips this
    call when they cover all of *kwargs*)."""
    for key in kwargs:
        if key in accepted:
            continue
        if key in _READ_ONLY_HINTS:
            raise TypeError(
                f"{cls.__name__}() got {key!r}, but {key!r} is read-only: {_READ_ONLY_HINTS[key]}"
            )
        params = [f.alias for f in attrs.fields(cls) if f.init and f.alias != "engine"]
        near = [p for p in [*params, "lifecycle"] if one_edit(key, p)]
        if near:
            raise TypeError(
                f"{cls.__name__}() got an unexpected keyword {key!r}; did you mean "
                f"{near[0]!r}? (to keep {key!r} as an extra key, pass extras={{{key!r}: ...}})"
            )
        if len(accepted) < 1024:
            accepted.add(key)


# Arguments the generated constructor converts rather than storing as given.
_CONVERT = {
    "services": "as_services(services) if services else None",
    "type": "_job_type(type)",
    "base_path": "None if base_path is None else Path(base_path)",
    "extras": "(kwargs or None) if extras is None else {**extras, **kwargs}",
}


def _is_lazy(field: attrs.Attribute[Any]) -> bool:
    """Whether *field* is a dictionary made on first access (see :class:`_lazy_dict`)."""
    return field.name == f"_{field.alias}" and isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]


def _lazy_properties(cls: type) -> None:
    """Give *cls* the public attribute of each lazy dictionary slot it defines."""
    for field in attrs.fields(cls):
        if _is_lazy(field) and field.name in cls.__dict__ and field.alias not in cls.__dict__:
            setattr(cls, field.alias, _lazy_dict(cls.__dict__[field.name], field.alias))


_lazy_properties(Job)
_REPRING = threading.local()


def _constructor(cls: _JobT) -> _JobT:
    """Give a concrete job class a constructor (and repr) generated from its attrs fields.

    Creating jobs is on a scheduler's hot path, so the constructor is built
    once per class, like attrs' own: explicit keyword parameters for every
    field, and the ``**kwargs`` dict it receives becomes ``extras`` as is.
    Dictionaries (``tags``, ``inputs``, ...) not given are made when first
    read, so a job costs what a record of its fields costs.
    """
    _lazy_properties(cls)
    params: list[str] = []
    body = [
        "    engine = self._engine = _DEFAULT_ENGINE if lifecycle is _LIFECYCLE_NOT_GIVEN"
        " and not kwargs else _engine_of(lifecycle, kwargs)",
        "    self._status = engine.initial",
    ]
    env: dict[str, Any] = {
        "as_services": as_services,
        "Path": Path,
        "_DEFAULT_ENGINE": _DEFAULT_ENGINE,
        "DEFAULT_LIFECYCLE": DEFAULT_LIFECYCLE,
        "_engine_of": _engine_of,
        "_job_type": job_type,
        "_check_keywords": _check_keywords,
        # attrs.evolve passes the engine back as a keyword.
        "_accepted": {"engine"},
        "_LIFECYCLE_NOT_GIVEN": _LIFECYCLE_NOT_GIVEN,
        "_cls": cls,
    }
    for field in attrs.fields(cls):
        slot = field.name
        if slot in ("_engine", "_status"):
            if slot == "_engine":
                params.append("lifecycle=_LIFECYCLE_NOT_GIVEN")
            continue
        if not field.init:
            value = "None"
        elif _is_lazy(field):
            params.append(f"{field.alias}=None")
            value = _CONVERT.get(field.alias, field.alias)
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            params.append(f"{field.alias}=None")
            env[f"_factory_{slot}"] = field.default.factory
            value = _CONVERT.get(
                field.alias, f"_factory_{slot}() if {field.alias} is None else {field.alias}"
            )
        else:
            if field.default is attrs.NOTHING:
                params.append(field.alias)
            else:
                env[f"_default_{slot}"] = field.default
                params.append(f"{field.alias}=_default_{slot}")
            value = _CONVERT.get(field.alias, field.alias)
        body.append(f"    self.{slot} = {value}")
    # Extra keywords are checked only when there are some: the common call is free.
    body.insert(
        0,
        "    if kwargs and not _accepted.issuperset(kwargs):"
        " _check_keywords(_cls, kwargs, _accepted)",
    )
    source = f"def __init__(self, *, {', '.join(params)}, **kwargs):\n" + "\n".join(body)
    exec(compile(source, f"<jobfsm constructor {cls.__name__}>", "exec"), env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    init.__doc__ = Job.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy forbids assigning a method
    setattr(cls, "__repr__", _repr(cls))  # noqa: B010
    return cls


def _repr(cls: type[Job]) -> Callable[[Job], str]:
    """attrs' repr of *cls*, with each lazy dictionary shown by its public name and value."""
    shown: list[tuple[str, str, Callable[[Any], str]]] = []
    for field in attrs.fields(cls):
        if not field.repr:
            continue
        label = field.alias if _is_lazy(field) else field.name
        form: Callable[[Any], str] = field.repr if callable(field.repr) else repr
        if _is_lazy(field):
            form = _lazy_repr
        shown.append((label, field.name, form))
    name = cls.__qualname__

    def __repr__(self: Job) -> str:
        working = getattr(_REPRING, "ids", None)
        if working is None:
            working = _REPRING.ids = set()
        if id(self) in working:
            return "..."  # a job inside its own fields, as attrs shows it
        working.add(id(self))
        try:
            fields = ", ".join(
                f"{label}={form(getattr(self, slot))}" for label, slot, form in shown
            )
        finally:
            working.discard(id(self))
        return f"{name}({fields})"

    __repr__.__qualname__ = f"{cls.__name__}.__repr__"
    return __repr__


def _lazy_repr(value: dict[Any, Any] | None) -> str:
    return "{}" if value is None else repr(value)


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class CommandJob(Job):
    """A job that runs one command (``type: command``)."""

    TYPE: ClassVar[str] = "command"

    command: str | None = None
    code: str | None = None
    environment: Any = None
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)
    _environment_variables: dict[str, Any] | None = attrs.field(
        factory=dict, alias="environment_variables", eq=_dict_key
    )
    resources: Any = None
    distribution: Any = None
    limits: Any = None
    identity: Any = None

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...

        @property
        def environment_variables(self) -> dict[str, Any]: ...
        @environment_variables.setter
        def environment_variables(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class PipelineJob(Job):
    """A graph of child jobs (``type: pipeline``)."""

    TYPE: ClassVar[str] = "pipeline"

    _jobs: dict[str, Any] | None = attrs.field(factory=dict, alias="jobs", eq=_dict_key)
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)
    _settings: dict[str, Any] | None = attrs.field(factory=dict, alias="settings", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def jobs(self) -> dict[str, Any]: ...
        @jobs.setter
        def jobs(self, value: dict[str, Any]) -> None: ...

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...

        @property
        def settings(self) -> dict[str, Any]: ...
        @settings.setter
        def settings(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class SweepJob(Job):
    """A hyperparameter sweep over a trial job (``type: sweep``)."""

    TYPE: ClassVar[str] = "sweep"

    trial: Any = None
    _search_space: dict[str, Any] | None = attrs.field(
        factory=dict, alias="search_space", eq=_dict_key
    )
    sampling_algorithm: Any = None
    objective: Any = None
    limits: Any = None
    early_termination: Any = None
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def search_space(self) -> dict[str, Any]: ...
        @search_space.setter
        def search_space(self, value: dict[str, Any]) -> None: ...

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class GenericJob(Job):  # type: ignore[override]  # `type` is a required argument here
    """Any other Azure ML job type (``automl``, ``spark``, ``finetuning``, ...).

    Every field other than the common ones is kept in ``extras``. ``type``
    must be one of :func:`job_types`; :func:`allow_job_type` adds one.

    Raises:
        TypeError: ``type`` is not a string.
        UnknownJobTypeError: ``type`` is not a known job type (a ``ValueError``).
    """

    TYPE: ClassVar[str] = "generic"

    _type: str = attrs.field(alias="type")

    @_read_only
    def type(self) -> str:
        """The job type as written in the source document."""
        return self._type


#: Concrete classes by their ``type`` value.
JOB_CLASSES: dict[str, type[Job]] = {cls.TYPE: cls for cls in (CommandJob, PipelineJob, SweepJob)}
