"""Watching heartbeats: jobs that stop beating go NotResponding, and come back when they beat.

A :class:`HeartbeatMonitor` takes beats (``beat(name)``) and, on each
``check()``, fires ``lose_heartbeat`` at every active job that has not beaten
for ``timeout``. A beat from a job that is ``NotResponding`` fires ``resume``,
which returns it to the status it held before. The monitor works over any
:class:`WatchedJobs`: in-memory jobs (:class:`MemoryJobs`, the default) or a
:class:`~jobfsm.store.JobStore` (:class:`StoreJobs`). All its times come from
one injectable ``clock``, so tests drive it without sleeping.

``run_async`` (an asyncio task) and ``start_thread`` (a daemon thread) call
``check`` every ``interval`` seconds until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

from jobfsm.errors import IllegalTransitionError, JobNotFoundError, TimeWentBackwardsError
from jobfsm.job import Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.store import JobStore

__all__ = [
    "HeartbeatMonitor",
    "HeartbeatThread",
    "MemoryJobs",
    "StoreJobs",
    "WatchedJobs",
]

_log = logging.getLogger("jobfsm.heartbeat")

#: What the monitor writes as ``source`` on the events it fires.
SOURCE = "heartbeat-monitor"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime, what: str) -> datetime:
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {at!r}")
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class WatchedJobs(Protocol):
    """The jobs a :class:`HeartbeatMonitor` watches, by name.

    Implement it to watch jobs kept elsewhere; :class:`MemoryJobs` and
    :class:`StoreJobs` are the two that ship.
    """

    lifecycle: Lifecycle

    def beat(self, name: str, at: datetime) -> None:
        """Record a heartbeat of *name* at *at* (raise ``KeyError`` for an unknown job)."""

    def status(self, name: str) -> enum.StrEnum:
        """The current status of *name*."""

    def silent(self, before: datetime) -> Iterable[tuple[str, datetime | None]]:
        """Active jobs whose last beat is before *before* or unknown, with that beat."""

    def fire(self, name: str, event: str, *, at: datetime, reason: str) -> None:
        """Apply *event* to *name*, recording *at*, *reason* and the monitor as source."""


class MemoryJobs:
    """Jobs kept in this process, and their last heartbeats.

    ``add(job)`` counts as a first beat (at the monitor's clock), so a job
    gets a full ``timeout`` to send its first one. Terminal jobs are dropped
    the next time they are looked at.
    """

    def __init__(self, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> None:
        self.lifecycle = lifecycle
        self._jobs: dict[str, Job] = {}
        self._beats: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def add(self, job: Job, at: datetime) -> None:
        """Watch *job* (it needs a name), counting *at* as its first beat.

        Raises:
            ValueError: the job has no name, another job has the same name, or
                it follows another lifecycle.
        """
        if not job.name:
            raise ValueError("a watched job needs a name; fire 'start' first or give one")
        with self._lock:
            if job.lifecycle != self.lifecycle:
                raise ValueError(
                    f"job {job.name!r} follows lifecycle {job.lifecycle.name!r}; these jobs "
                    f"follow {self.lifecycle.name!r} (pass MemoryJobs(lifecycle) to the monitor)"
                )
            other = self._jobs.get(job.name)
            if other is not None and other is not job:
                raise ValueError(f"another job named {job.name!r} is already watched")
            self._jobs[job.name] = job
            self._beats.setdefault(job.name, at)

    def discard(self, name: str) -> None:
        """Stop watching *name* (no error when it was not watched)."""
        with self._lock:
            self._jobs.pop(name, None)
            self._beats.pop(name, None)

    def job(self, name: str) -> Job:
        """The watched job called *name*.

        Raises:
            JobNotFoundError: no watched job has that name.
        """
        try:
            return self._jobs[name]
        except KeyError:
            raise JobNotFoundError(name, "heartbeat monitor") from None

    def __iter__(self) -> Iterator[Job]:
        with self._lock:
            return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)

    def beat(self, name: str, at: datetime) -> None:
        self.job(name)
        with self._lock:
            last = self._beats.get(name)
            if last is None or at > last:  # a late, older beat changes nothing
                self._beats[name] = at

    def status(self, name: str) -> enum.StrEnum:
        return self.job(name).status

    def silent(self, before: datetime) -> list[tuple[str, datetime | None]]:
        out: list[tuple[str, datetime | None]] = []
        with self._lock:
            for name, job in list(self._jobs.items()):
                if job.is_terminal:
                    del self._jobs[name]
                    self._beats.pop(name, None)
                elif job.is_active and self._beats[name] < before:
                    out.append((name, self._beats[name]))
        return out

    def fire(self, name: str, event: str, *, at: datetime, reason: str) -> None:
        self.job(name).fire(event, at=at, reason=reason, source=SOURCE)


class StoreJobs:
    """Jobs in a :class:`~jobfsm.store.JobStore`, their beats kept in its ``heartbeat_at``.

    Beats are written to the store (``store.beat``), so every process sharing
    the database sees them: a monitor in one process notices an executor in
    another that stopped beating.
    """

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.lifecycle = store.lifecycle

    def beat(self, name: str, at: datetime) -> None:
        self.store.beat(name, at=at)

    def status(self, name: str) -> enum.StrEnum:
        return self.store.status(name)

    def silent(self, before: datetime) -> list[tuple[str, datetime | None]]:
        # One indexed query per active status: terminal jobs (most of a store,
        # and never beating) are not read at all.
        return [
            (row.name, row.heartbeat_at)
            for status in self.lifecycle.statuses
            if status in self.lifecycle.active
            for row in self.store.jobs(status=status, heartbeat_before=before)
        ]

    def fire(self, name: str, event: str, *, at: datetime, reason: str) -> None:
        self.store.fire(name, event, at=at, reason=reason, source=SOURCE)


class HeartbeatMonitor:
    """Fires ``lose_heartbeat`` at jobs that stopped beating, ``resume`` when they beat again.

    Args:
        jobs: What to watch: a :class:`~jobfsm.store.JobStore` (beats are kept
            in the database, shared by every process using it), any
            :class:`WatchedJobs`, or nothing for in-memory jobs added with
            :meth:`watch`.
        timeout: How long an active job may stay silent (seconds or a ``timedelta``).
        clock: Returns the current time (aware, or naive UTC); every time the
            monitor records or compares comes from it. Default: the UTC wall clock.
        lose_event: The event fired at a silent job.
        resume_event: The event fired when a job that lost its heartbeat beats again.

    A job the monitor has never seen beat (a stored job with no heartbeat yet)
    is given ``timeout`` from the first ``check`` that sees it.
    """

    def __init__(
        self,
        jobs: WatchedJobs | JobStore | None = None,
        *,
        timeout: float | timedelta,
        clock: Callable[[], datetime] = _utc_now,
        lose_event: str = "lose_heartbeat",
        resume_event: str = "resume",
    ) -> None:
        if not isinstance(timeout, timedelta):
            timeout = timedelta(seconds=timeout)
        if timeout <= timedelta(0):
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.timeout = timeout
        self.clock = clock
        self.jobs: WatchedJobs
        if jobs is None:
            self.jobs = MemoryJobs()
        elif isinstance(jobs, JobStore):
            self.jobs = StoreJobs(jobs)
        else:
            self.jobs = jobs
        self.lose_event = lose_event
        self.resume_event = resume_event
        self._first_seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The monitor clock's current time, aware UTC."""
        return _aware(self.clock(), "the clock's time")

    def watch(self, job: Job) -> Job:
        """Watch an in-memory *job*; now counts as its first beat. Returns the job.

        Raises:
            TypeError: the monitor watches something else than in-memory jobs.
            ValueError: the job has no name, or another job has its name.
        """
        if not isinstance(self.jobs, MemoryJobs):
            raise TypeError(
                f"this monitor watches {type(self.jobs).__name__}; add jobs there instead"
            )
        self.jobs.add(job, self.now())
        return job

    def beat(self, name: str, at: datetime | None = None) -> enum.StrEnum | None:
        """Record a heartbeat of *name*; a job that is NotResponding is resumed.

        A beat stamped before the job was given up (a late one) resumes nothing.

        Returns:
            The status the job was resumed to, or ``None`` when it needed no resume.

        Raises:
            JobNotFoundError: no such job.
        """
        when = self.now() if at is None else _aware(at, "at")
        self.jobs.beat(name, when)
        lifecycle = self.jobs.lifecycle
        status = self.jobs.status(name)
        if self.resume_event not in lifecycle.table[status]:
            return None
        try:
            self.jobs.fire(name, self.resume_event, at=when, reason="a heartbeat arrived")
        except IllegalTransitionError:
            return None  # moved on meanwhile (resumed by another beat, canceled, ...)
        except TimeWentBackwardsError:
            return None  # a late beat, sent before the job was given up: no sign of life since
        return self.jobs.status(name)

    def check(self, now: datetime | None = None) -> tuple[str, ...]:
        """Fire ``lose_heartbeat`` at every active job silent for longer than ``timeout``.

        Returns:
            The names of the jobs it fired at, sorted.
        """
        now = self.now() if now is None else _aware(now, "now")
        before = now - self.timeout
        lost: list[str] = []
        with self._lock:
            seen = set()
            for name, last in self.jobs.silent(before):
                seen.add(name)
                if last is None:
                    # Never beat: its silence counts from the first check that saw it.
                    last = self._first_seen.setdefault(name, now)
                    if last >= before:
                        continue
                try:
                    self.jobs.fire(
                        name,
                        self.lose_event,
                        at=now,
                        reason=f"no heartbeat for {self.timeout} (last: {last.isoformat()})",
                    )
                except (IllegalTransitionError, JobNotFoundError, TimeWentBackwardsError):
                    # Moved on or removed since the query (a transition later than
                    # `now` is a sign of life too).
                    continue
                lost.append(name)
            for name in list(self._first_seen):
                if name not in seen:
                    del self._first_seen[name]
        return tuple(sorted(lost))

    async def run_async(self, interval: float, *, stop: asyncio.Event | None = None) -> None:
        """Call :meth:`check` every *interval* seconds until *stop* is set or the task is
        cancelled (each check runs in a worker thread, so a store's I/O does not block
        the event loop). A check that raises is logged and the loop goes on.
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                _log.exception("heartbeat check failed")
            with contextlib.suppress(TimeoutError):  # the interval passed without a stop
                await asyncio.wait_for(stop.wait(), interval)

    def start_thread(
        self, interval: float, *, on_check: Callable[[tuple[str, ...]], object] | None = None
    ) -> HeartbeatThread:
        """Start a daemon thread that calls :meth:`check` every *interval* seconds."""
        runner = HeartbeatThread(self, interval, on_check=on_check)
        runner.start()
        return runner


class HeartbeatThread(threading.Thread):
    """A thread calling ``monitor.check()`` every *interval* seconds until :meth:`stop`.

    ``on_check`` receives each check's result; ``errors`` counts checks that
    raised (each is logged, and the thread goes on). Also a context manager.
    """

    def __init__(
        self,
        monitor: HeartbeatMonitor,
        interval: float,
        *,
        on_check: Callable[[tuple[str, ...]], object] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        super().__init__(name="jobfsm-heartbeat", daemon=True)
        self.monitor = monitor
        self.interval = interval
        self.on_check = on_check
        self.errors = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                lost = self.monitor.check()
                if self.on_check is not None:
                    self.on_check(lost)
            except Exception:
                self.errors += 1
                _log.exception("heartbeat check failed")
            self._stop_event.wait(self.interval)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for it (a check in progress finishes first)."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)

    def __enter__(self) -> HeartbeatThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
