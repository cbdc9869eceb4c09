"""HeartbeatMonitor over in-memory jobs and over a JobStore, driven by an injected clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jobfsm import (
    CommandJob,
    HeartbeatMonitor,
    HistoryEntry,
    Job,
    JobNotFoundError,
    JobStatus,
    JobStore,
)
from jobfsm.heartbeat import SOURCE, MemoryJobs
from tests.stores import target  # noqa: F401 - the fixture, once per backend

S = JobStatus
# Hang guards for the runner tests: how long to wait for a thread or task that
# should react at once. They bound a failure, they do not measure anything.
GUARD = 30.0


class Clock:
    """A clock that moves only when told. It starts a day ahead of the wall clock,
    so the events the tests fire for real (stamped now) are all in its past."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def job_at(name: str, *events: str) -> CommandJob:
    job = CommandJob(name=name, experiment_name="e")
    for event in events:
        job.fire(event)
    return job


RUNNING = ("start", "prepare", "queue", "run")
QUEUED = ("start", "prepare", "queue")


@pytest.fixture
def clock() -> Clock:
    return Clock()


# -- in-memory jobs --------------------------------------------------------------------


def test_check_fires_lose_heartbeat_at_silent_active_jobs(clock: Clock) -> None:
    """Only active jobs silent for longer than timeout lose their heartbeat; the
    entry records the monitor's time, a reason and the monitor as source."""
    monitor = HeartbeatMonitor(timeout=60, clock=clock)
    beating = monitor.watch(job_at("beating", *RUNNING))
    silent = monitor.watch(job_at("silent", *QUEUED))
    waiting = monitor.watch(job_at("waiting"))  # NotStarted: not active
    clock.advance(30)
    monitor.beat("beating")
    clock.advance(31)
    assert monitor.check() == ("silent",)
    assert silent.status is S.NOT_RESPONDING
    assert beating.status is S.RUNNING
    assert waiting.status is S.NOT_STARTED
    entry = silent.history[-1]
    assert (entry.event, entry.at, entry.source) == ("lose_heartbeat", clock.now, SOURCE)
    assert "no heartbeat" in (entry.reason or "")
    assert monitor.check() == ()  # already NotResponding: nothing more to do


def test_exactly_timeout_is_not_silent(clock: Clock) -> None:
    """A job whose last beat is exactly timeout old is still alive."""
    monitor = HeartbeatMonitor(timeout=timedelta(seconds=10), clock=clock)
    monitor.watch(job_at("a", *RUNNING))
    clock.advance(10)
    assert monitor.check() == ()
    assert monitor.check(now=clock.now + timedelta(microseconds=1)) == ("a",)


def test_a_beat_resumes_a_job_that_was_not_responding(clock: Clock) -> None:
    """A beat from a NotResponding job resumes it to the status held before."""
    monitor = HeartbeatMonitor(timeout=5, clock=clock)
    job = monitor.watch(job_at("q", *QUEUED))
    clock.advance(6)
    monitor.check()
    assert monitor.beat("q") is S.QUEUED
    assert job.status is S.QUEUED
    assert (job.history[-1].event, job.history[-1].source) == ("resume", SOURCE)
    assert monitor.beat("q") is None  # already back: nothing to resume
    clock.advance(4)
    assert monitor.check() == ()  # the beat counts from when it arrived


def test_late_beats_do_not_move_the_last_beat_back(clock: Clock) -> None:
    """A beat stamped earlier than the last one changes nothing."""
    monitor = HeartbeatMonitor(timeout=10, clock=clock)
    monitor.watch(job_at("a", *RUNNING))
    clock.advance(8)
    monitor.beat("a")
    monitor.beat("a", at=clock.now - timedelta(seconds=8))
    clock.advance(8)
    assert monitor.check() == ()


def test_a_late_beat_does_not_resume(clock: Clock) -> None:
    """A beat stamped before the job was given up is no sign of life since: no resume."""
    monitor = HeartbeatMonitor(timeout=60, clock=clock)
    job = monitor.watch(job_at("late", *RUNNING))
    clock.advance(61)
    assert monitor.check() == ("late",)
    assert monitor.beat("late", at=clock.now - timedelta(seconds=30)) is None
    assert job.status is S.NOT_RESPONDING
    assert monitor.beat("late") is S.RUNNING


def test_terminal_jobs_are_dropped(clock: Clock) -> None:
    """A watched job that finished is forgotten at the next check."""
    jobs = MemoryJobs()
    monitor = HeartbeatMonitor(jobs, timeout=1, clock=clock)
    job = monitor.watch(job_at("done", *RUNNING))
    job.fail()
    clock.advance(2)
    assert monitor.check() == ()
    assert len(jobs) == 0
    with pytest.raises(JobNotFoundError):
        monitor.beat("done")


def test_watch_refuses_unnamed_and_duplicate_jobs(clock: Clock) -> None:
    """A watched job needs a unique name; unknown names are JobNotFoundError."""
    monitor = HeartbeatMonitor(timeout=1, clock=clock)
    with pytest.raises(ValueError, match="needs a name"):
        monitor.watch(CommandJob())
    monitor.watch(job_at("a"))
    with pytest.raises(ValueError, match="already watched"):
        monitor.watch(job_at("a"))
    with pytest.raises(JobNotFoundError, match="'b'"):
        monitor.beat("b")
    with pytest.raises(ValueError, match="positive"):
        HeartbeatMonitor(timeout=0)


# -- over a JobStore ---------------------------------------------------------------------


@pytest.fixture
def store(target: str) -> Iterator[JobStore]:  # noqa: F811 - the fixture imported above
    """A fresh store, once per backend (SQLite, PostgreSQL)."""
    with JobStore(target) as store:
        yield store


def test_monitor_over_a_store(store: JobStore, clock: Clock) -> None:
    """Stored jobs: a job never seen beating gets timeout from the first check that
    sees it; a beat resumes a NotResponding job; the store holds the results."""
    for name, events in (("a", RUNNING), ("b", QUEUED), ("c", ())):
        store.add(job_at(name, *events))
    monitor = HeartbeatMonitor(store, timeout=60, clock=clock)
    assert monitor.check() == ()  # first sight: their silence starts now
    clock.advance(30)
    monitor.beat("a")
    clock.advance(31)
    assert monitor.check() == ("b",)
    assert store.status("b") is S.NOT_RESPONDING
    assert store.status("a") is S.RUNNING
    entry = store.get("b").history[-1]
    assert (entry.event, entry.at, entry.source) == ("lose_heartbeat", clock.now, SOURCE)
    assert monitor.beat("b") is S.QUEUED
    assert store.status("b") is S.QUEUED
    with pytest.raises(JobNotFoundError):
        monitor.beat("missing")


def test_stored_beats_are_shared_by_monitors(store: JobStore, clock: Clock) -> None:
    """Beats live in the store's heartbeat_at column: a monitor in another process (here,
    another monitor object) sees the beats the first one recorded."""
    store.add(job_at("a", *RUNNING))
    store.add(job_at("b", *RUNNING))
    writer = HeartbeatMonitor(store, timeout=60, clock=clock)
    writer.beat("a")
    writer.beat("b")
    clock.advance(50)
    writer.beat("a")
    assert {row.name: row.heartbeat_at for row in store.jobs()} == {
        "a": clock.now,
        "b": clock.now - timedelta(seconds=50),
    }
    clock.advance(20)
    reader = HeartbeatMonitor(store, timeout=60, clock=clock)  # never saw a beat itself
    assert reader.check() == ("b",)


# -- runners -----------------------------------------------------------------------------


def test_thread_runner_checks_until_stopped(clock: Clock) -> None:
    """start_thread calls check every interval; stop() ends the thread."""
    monitor = HeartbeatMonitor(timeout=1, clock=clock)
    job = monitor.watch(job_at("t", *RUNNING))
    clock.advance(2)
    fired = threading.Event()
    results: list[tuple[str, ...]] = []

    def on_check(lost: tuple[str, ...]) -> None:
        results.append(lost)
        if lost:
            fired.set()

    with monitor.start_thread(0.01, on_check=on_check) as runner:
        assert fired.wait(GUARD)
    assert not runner.is_alive()
    assert job.status is S.NOT_RESPONDING
    assert ("t",) in results
    assert runner.errors == 0


class _Flaky(MemoryJobs):
    """In-memory jobs whose first query fails, as a database that is briefly down."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def silent(self, before: datetime) -> list[tuple[str, datetime | None]]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database is down")
        return super().silent(before)


def test_thread_runner_survives_a_failing_check(clock: Clock) -> None:
    """A check that raises is counted and logged; the next one runs."""
    monitor = HeartbeatMonitor(_Flaky(), timeout=1, clock=clock)
    monitor.watch(job_at("t", *RUNNING))
    clock.advance(2)
    fired = threading.Event()
    with monitor.start_thread(0.01, on_check=lambda lost: lost and fired.set()) as runner:
        assert fired.wait(GUARD)
    assert runner.errors == 1


def test_async_runner_checks_until_stopped(clock: Clock) -> None:
    """run_async checks every interval and returns when stop is set."""
    monitor = HeartbeatMonitor(timeout=1, clock=clock)
    job = monitor.watch(job_at("t", *RUNNING))
    clock.advance(2)

    async def main() -> None:
        lost = asyncio.Event()
        loop = asyncio.get_running_loop()

        def observer(j: Job, entry: HistoryEntry) -> None:  # runs in the check's thread
            loop.call_soon_threadsafe(lost.set)

        job.add_observer(observer)
        stop = asyncio.Event()
        task = asyncio.create_task(monitor.run_async(0.01, stop=stop))
        await asyncio.wait_for(lost.wait(), GUARD)
        stop.set()
        await asyncio.wait_for(task, GUARD)

    asyncio.run(main())
    assert job.status is S.NOT_RESPONDING


def test_async_runner_stops_when_cancelled(clock: Clock) -> None:
    """Cancelling the task ends it cleanly."""
    monitor = HeartbeatMonitor(timeout=1, clock=clock)

    async def main() -> bool:
        task = asyncio.create_task(monitor.run_async(3600))
        await asyncio.sleep(0)  # let it start and park in its wait
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert asyncio.run(main())
