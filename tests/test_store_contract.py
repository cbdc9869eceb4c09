"""The job store contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from jobfsm import (
    Applied,
    CommandJob,
    IllegalTransitionError,
    Job,
    JobFSMError,
    JobNotFoundError,
    JobStatus,
    JobStore,
    JobStoreError,
    TransitionIdReusedError,
    UnknownEventError,
    UnknownStatusError,
    VersionConflictError,
    add_observer,
    remove_observer,
)
from jobfsm.store._model import display_target
from tests.stores import target  # noqa: F401 - the parametrized fixture

S = JobStatus
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture
def store(target: str) -> JobStore:  # noqa: F811 - the fixture imported above
    """A new, empty store of each backend."""
    with JobStore(target) as opened:
        yield opened  # type: ignore[misc]


def _snapshot(store: JobStore, name: str) -> tuple[object, ...]:
    return (store.version(name), store.status(name), store.history(name), len(store))


def test_fire_returns_what_it_applied(store: JobStore) -> None:
    """fire returns status, version and the entry it added; the store keeps them."""
    store.add(CommandJob(name="a", command="echo hi", tags={"team": "x"}))
    first = store.fire("a", "start", at=T0, reason="submitted", source="test")
    assert isinstance(first, Applied)
    assert (first.status, first.version, first.replayed) == (S.STARTING, 2, False)
    assert first == "Starting"  # an Applied compares equal to its status
    assert str(first) == "Starting"
    (entry,) = first.entries
    assert (entry.from_, entry.to, entry.event) == (S.NOT_STARTED, S.STARTING, "start")
    assert (entry.at, entry.reason, entry.source) == (T0, "submitted", "test")
    assert not entry.inferred
    store.fire("a", "prepare")
    assert store.version("a") == 3
    assert store.status("a") is S.PREPARING
    job = store.get("a")
    assert job.status is S.PREPARING
    assert job.history == store.history("a")
    assert [h.event for h in job.history] == ["start", "prepare"]
    assert (job.command, job.tags) == ("echo hi", {"team": "x"})


def test_jobs_survive_a_new_store_object(target: str) -> None:  # noqa: F811
    """What one store object wrote, another opened later reads back equal."""
    with JobStore(target) as store:
        job = CommandJob(name="train", command="python train.py", properties={"k": [1, 2]})
        store.add(job)
        store.fire("train", "start")
        before = store.get("train")
    with JobStore(target) as again:
        assert again.get("train") == before
        assert again.version("train") == 2


def test_expected_version_refuses_a_stale_write(store: JobStore) -> None:
    """A version other than the stored one raises VersionConflictError with the facts."""
    store.add(CommandJob(name="a"))
    store.fire("a", "start", expected_version=1)
    with pytest.raises(VersionConflictError) as info:
        store.fire("a", "prepare", expected_version=1)
    error = info.value
    assert (error.name, error.expected, error.actual, error.status) == ("a", 1, 2, S.STARTING)
    assert isinstance(error, JobStoreError)
    assert store.version("a") == 2
    assert store.fire("a", "prepare", expected_version=2).version == 3


def test_transition_id_replays_the_first_result(store: JobStore) -> None:
    """The same transition id returns the first Applied with replayed=True, writing nothing;
    the same id for another request is refused; ids are per job."""
    store.add(CommandJob(name="a"))
    store.add(CommandJob(name="b"))
    first = store.fire("a", "start", transition_id="t-1", at=T0)
    store.fire("a", "prepare")
    again = store.fire("a", "start", transition_id="t-1")
    assert again.replayed
    assert (again.status, again.version, again.entries) == (S.STARTING, 2, first.entries)
    assert store.version("a") == 3
    with pytest.raises(TransitionIdReusedError, match="'t-1'") as info:
        store.fire("a", "fail", transition_id="t-1")
    assert "'start'" in str(info.value)
    assert "'fail'" in str(info.value)
    assert store.version("a") == 3
    assert not store.fire("b", "start", transition_id="t-1").replayed
    # A replay wins over a stale expected_version: a retry sends the version it read.
    assert store.fire("a", "start", transition_id="t-1", expected_version=1).replayed


def test_time_of_a_transition(store: JobStore) -> None:
    """at= is recorded (naive taken as UTC); a time before the last transition is refused."""
    store.add(CommandJob(name="a"))
    store.fire("a", "start", at=T0.replace(tzinfo=None))
    assert store.history("a")[0].at == T0
    with pytest.raises(ValueError, match="before") as info:
        store.fire("a", "prepare", at=T0 - timedelta(microseconds=1))
    assert isinstance(info.value, JobFSMError)
    assert store.version("a") == 2
    store.fire("a", "prepare", at=T0)  # the same time is allowed
    with pytest.raises(TypeError, match="datetime"):
        store.fire("a", "queue", at="2026-01-01")  # type: ignore[arg-type]


def test_resume_returns_to_the_status_held_before(store: JobStore) -> None:
    """An event with several destinations picks the status held before, or to=."""
    store.add(CommandJob(name="a"))
    for event in ("start", "prepare", "queue", "lose_heartbeat"):
        store.fire("a", event)
    assert store.fire("a", "resume").status is S.QUEUED
    store.fire("a", "lose_heartbeat")
    assert store.fire("a", "resume", to="Running").status is S.RUNNING
    with pytest.raises(IllegalTransitionError, match="'Completed'"):
        store.fire("a", "finalize", to="Completed")


def test_observe_applies_the_lifecycle_path(store: JobStore) -> None:
    """observe fires the shortest path's events in one transaction; the same status
    writes nothing; an unreachable one is refused."""
    store.add(CommandJob(name="a"))
    applied = store.observe("a", "Running", at=T0, transition_id="poll-1")
    assert applied.status is S.RUNNING
    assert [(e.event, e.to) for e in applied.entries] == [
        ("start", S.STARTING), ("prepare", S.PREPARING), ("queue", S.QUEUED), ("run", S.RUNNING),
    ]  # fmt: skip
    assert [e.inferred for e in applied.entries] == [True, True, True, False]
    assert store.history("a") == applied.entries == store.get("a").history
    assert {e.at for e in applied.entries} == {T0}
    assert applied.version == 5
    assert store.observe("a", "Running") == Applied(S.RUNNING, 5)
    assert store.observe("a", "Running", transition_id="poll-1") == Applied(
        S.RUNNING, 5, True, applied.entries
    )
    with pytest.raises(TransitionIdReusedError):
        store.observe("a", "Completed", transition_id="poll-1")
    store.fire("a", "lose_heartbeat")
    assert store.observe("a", "Finalizing").entries[0].event == "resume"
    store.observe("a", "Completed")
    with pytest.raises(IllegalTransitionError, match="'Running'"):
        store.observe("a", "Running")
    assert store.status("a") is S.COMPLETED


def test_delete_and_the_container_protocol(store: JobStore) -> None:
    """delete removes job and history; in, len and iteration see the stored names."""
    for name in ("b", "a", "c"):
        store.add(CommandJob(name=name))
    assert (len(store), list(store), "a" in store, "z" in store, 5 in store) == (
        3, ["a", "b", "c"], True, False, False,
    )  # fmt: skip
    store.fire("a", "start")
    with pytest.raises(VersionConflictError):
        store.delete("a", expected_version=1)
    store.delete("a", expected_version=2)
    assert "a" not in store
    assert len(store) == 2
    with pytest.raises(JobNotFoundError):
        store.delete("a")
    store.add(CommandJob(name="a"))  # the name is free again, with a new history
    assert store.history("a") == ()
    assert store.version("a") == 1


def test_queries_by_status_and_age(store: JobStore) -> None:
    """jobs() filters by status, last transition and last heartbeat in the database."""
    for name in ("a", "b", "c"):
        store.add(CommandJob(name=name))
    store.fire("a", "start", at=T0)
    store.fire("b", "start", at=T0 + timedelta(hours=1))
    store.beat("a", T0)
    store.beat("b", T0 + timedelta(hours=2))
    store.beat("b", T0)  # an older beat does not move it back
    assert [r.name for r in store.jobs(status="Starting")] == ["a", "b"]
    assert store.names("NotStarted") == ["c"]
    later = T0 + timedelta(minutes=30)
    assert [r.name for r in store.jobs(status="Starting", updated_before=later)] == ["a"]
    assert [r.name for r in store.jobs(heartbeat_before=later)] == ["a", "c"]
    (row,) = store.jobs(status=S.STARTING, heartbeat_before=later)
    assert (row.name, row.status, row.version, row.heartbeat_at, row.updated_at) == (
        "a", S.STARTING, 2, T0, T0,
    )  # fmt: skip
    assert store.counts() == {S.STARTING: 2, S.NOT_STARTED: 1}
    assert store.version("a") == 2  # a heartbeat is not a transition
    with pytest.raises(JobNotFoundError):
        store.beat("ghost")
    with pytest.raises(UnknownStatusError, match="'Cancelled'"):
        store.jobs(status="Cancelled")


def test_add_refuses_a_second_job_of_the_same_name(store: JobStore) -> None:
    """add stores a job's existing history; a name already stored is refused."""
    job = CommandJob(name="a")
    job.fire("start")
    assert store.add(job).version == 2
    assert store.history("a") == job.history
    with pytest.raises(JobStoreError, match="'a' is already stored"):
        store.add(CommandJob(name="a"))
    assert store.version("a") == 2


BAD_CALLS = {
    "unknown job": (lambda s: s.fire("ghost", "start"), JobNotFoundError, ["'ghost'"]),
    "unknown event": (lambda s: s.fire("a", "strat"), UnknownEventError, ["'a'", "'strat'"]),
    "illegal event": (lambda s: s.fire("a", "run"), IllegalTransitionError, ["'a'", "'run'"]),
    "unknown to": (
        lambda s: s.fire("a", "resume", to="Paused"), UnknownStatusError, ["'a'", "'Paused'"],
    ),
    "stale version": (
        lambda s: s.fire("a", "prepare", expected_version=1), VersionConflictError,
        ["'a'", "1", "2"],
    ),
    "reused id": (
        lambda s: s.fire("a", "fail", transition_id="t"), TransitionIdReusedError,
        ["'a'", "'t'", "'fail'"],
    ),
    "time backwards": (
        lambda s: s.fire("a", "prepare", at=T0 - timedelta(days=1)), ValueError,
        ["'a'", "2026-01-01"],
    ),
    "unknown observed status": (
        lambda s: s.observe("a", "Cancelled"), UnknownStatusError, ["'a'", "'Canceled'"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_input_names_store_job_and_values_and_writes_nothing(
    store: JobStore, case: str
) -> None:
    """Each bad call raises a JobFSMError subclass naming the store, the job and the
    values, and leaves the store as it was."""
    call, error, words = BAD_CALLS[case]
    store.add(CommandJob(name="a"))
    store.fire("a", "start", transition_id="t", at=T0)
    before = _snapshot(store, "a")
    with pytest.raises(error) as info:
        call(store)
    assert isinstance(info.value, JobFSMError)
    message = str(info.value)
    assert display_target(str(store)) in message
    for word in words:
        assert word in message
    assert _snapshot(store, "a") == before


def test_lifecycle_observers_run_and_may_refuse(store: JobStore) -> None:
    """Observers added with add_observer see the stored job after each new entry;
    one that raises leaves the row unchanged."""
    seen: list[tuple[str, object, int]] = []

    def watch(job: Job, entry: object) -> None:
        seen.append((job.name, job.status, len(job.history)))  # type: ignore[arg-type]

    def refuse(job: Job, entry: object) -> None:
        raise RuntimeError("no")

    store.add(CommandJob(name="a"))
    add_observer(watch)
    try:
        store.observe("a", "Preparing")
    finally:
        remove_observer(watch)
    assert seen == [("a", S.STARTING, 1), ("a", S.PREPARING, 2)]
    add_observer(refuse)
    try:
        with pytest.raises(RuntimeError, match="no"):
            store.fire("a", "queue")
    finally:
        remove_observer(refuse)
    assert (store.status("a"), store.version("a")) == (S.PREPARING, 3)


@contextmanager
def _lock_held(where: str, name: str) -> Iterator[None]:
    """Another connection holds the write lock on job *name* (SQLite: the whole file)."""
    if where.startswith("postgresql"):
        import psycopg

        from tests.stores import POSTGRES_URL

        schema = where.rsplit("schema=", 1)[1]
        with psycopg.connect(POSTGRES_URL) as other:
            other.execute(f'SET search_path TO "{schema}"')
            other.execute("SELECT 1 FROM jobs WHERE name = %s FOR UPDATE", (name,))
            yield
            other.rollback()
        return
    other = sqlite3.connect(where, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_writer_waits_for_a_held_lock_and_gives_up_after_timeout(target: str) -> None:  # noqa: F811
    """A fire waits while another connection holds the lock and succeeds once it is
    released; when the lock is held longer than timeout it raises JobStoreError
    saying so, and writes nothing."""
    with JobStore(target) as store:
        store.add(CommandJob(name="a"))
    impatient = JobStore(target, timeout=0.3)
    with _lock_held(target, "a"):
        with pytest.raises(JobStoreError, match=r"more than 0\.3 s") as info:
            impatient.fire("a", "start")
        assert "nothing was written" in str(info.value)
        patient = JobStore(target, timeout=60)
        results: list[object] = []
        waiter = threading.Thread(target=lambda: results.append(patient.fire("a", "start")))
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive()  # still waiting for the lock
    waiter.join(60)
    assert [getattr(r, "version", r) for r in results] == [2]
    assert impatient.version("a") == 2


def test_get_during_writes_sees_a_consistent_job(target: str) -> None:  # noqa: F811
    """get() while another thread keeps firing always loads a job whose history
    ends at its status (the two are read consistently)."""
    with JobStore(target) as store:
        store.add(CommandJob(name="a"))
        store.observe("a", "Running")
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        writer = JobStore(target)
        try:
            for _ in range(60):
                running = writer.status("a") is S.RUNNING
                writer.fire("a", "lose_heartbeat" if running else "resume")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    reader = JobStore(target)
    loads = 0
    while not done.is_set() or loads == 0:
        job = reader.get("a")
        assert job.history[-1].to is job.status
        loads += 1
    thread.join()
    assert errors == []
    assert reader.version("a") == 65


def test_normal_durability_keeps_what_it_returned(target: str) -> None:  # noqa: F811
    """durability='normal' (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit
    off) stores and reads back like the default."""
    with JobStore(target, durability="normal") as store:
        store.add(CommandJob(name="a"))
        store.fire("a", "start")
    with JobStore(target) as store:
        assert store.version("a") == 2
    with pytest.raises(ValueError, match="'fast'"):
        JobStore(target, durability="fast")


def test_a_store_of_a_newer_layout_is_refused(target: str) -> None:  # noqa: F811
    """A store whose recorded layout is newer than this jobfsm reads is refused
    with a message saying to upgrade, and left as it was."""
    with JobStore(target) as store:
        store.add(CommandJob(name="a"))
    if target.startswith("postgresql"):
        import psycopg

        from tests.stores import POSTGRES_URL

        schema = target.rsplit("schema=", 1)[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
            db.execute(f"UPDATE \"{schema}\".jobfsm_meta SET value = '99'")
    else:
        with sqlite3.connect(target) as db:
            db.execute("UPDATE jobfsm_meta SET value = '99'")
        db.close()
    with pytest.raises(JobStoreError, match="newer jobfsm") as info:
        JobStore(target)
    assert "schema 99" in str(info.value)
