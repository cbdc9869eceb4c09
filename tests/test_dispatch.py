"""Event dispatch as the engine's fast path must keep it: statuses, history, errors, rollback.

The engine stores history as compact records and hands single-destination
moves to transitions without a condition; these tests hold the observable
behaviour to the lifecycle table (a plain dict oracle).
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventSpec,
    HistoryEntry,
    IllegalTransitionError,
    JobStatus,
    Lifecycle,
    UnknownEventError,
    add_observer,
    remove_observer,
    set_compiled_dispatch,
)
from tests.strategies import event_names

TABLE = DEFAULT_LIFECYCLE.table


def _job() -> CommandJob:
    return CommandJob(name="job", experiment_name="exp", command="echo")


def _flap(job: CommandJob, errors: list[BaseException]) -> None:
    """Lose and regain the heartbeat 300 times; refusals are other threads winning."""
    for _ in range(300):
        for event in ("lose_heartbeat", "resume"):
            try:
                job.fire(event)
            except IllegalTransitionError:
                pass  # another thread got there first
            except BaseException as exc:  # pragma: no cover - reported by the caller
                errors.append(exc)


@settings(max_examples=200, deadline=None)
@given(st.lists(event_names, max_size=40))
def test_fire_follows_the_table(events: list[str]) -> None:
    """Any event sequence: allowed events move as the table says, others change nothing."""
    job = _job()
    status = JobStatus.NOT_STARTED
    held_before: JobStatus | None = None
    expected: list[tuple[JobStatus, JobStatus, str]] = []
    for event in events:
        dests = TABLE[status].get(event)
        if dests is None:
            with pytest.raises(IllegalTransitionError) as exc:
                job.fire(event)
            assert (exc.value.from_, exc.value.event) == (status, event)
            assert exc.value.allowed == tuple(TABLE[status])
        else:
            target = dests[0] if len(dests) == 1 else held_before
            assert target is not None  # resume is only reachable after lose_heartbeat
            assert job.fire(event) is target
            expected.append((status, target, event))
            held_before, status = status, target
        assert job.status is status
        assert [(e.from_, e.to, e.event) for e in job.history] == expected
    stamps = [entry.at for entry in job.history]
    assert all(at.tzinfo is UTC for at in stamps)
    assert stamps == sorted(stamps)


def test_history_entries_are_utc_history_entries() -> None:
    """Each applied event reads back as a HistoryEntry stamped in UTC at the time it ran."""
    job = _job()
    before = datetime.now(UTC)
    job.start()
    (entry,) = job.history
    assert isinstance(entry, HistoryEntry)
    assert entry == HistoryEntry(JobStatus.NOT_STARTED, JobStatus.STARTING, "start", entry.at)
    assert before.replace(microsecond=0) <= entry.at <= datetime.now(UTC)


def test_unknown_event_is_reported_as_such() -> None:
    """An event the lifecycle lacks raises UnknownEventError, not an illegal move."""
    job = _job()
    with pytest.raises(UnknownEventError):
        job.fire("explode")
    assert job.status is JobStatus.NOT_STARTED
    assert job.history == ()


@pytest.mark.parametrize("steps", [0, 3])
def test_raising_observer_rolls_back_to_an_equal_job(steps: int) -> None:
    """An observer that raises leaves the job equal to what it was, first event included."""
    job, twin = _job(), _job()
    for event in ("start", "prepare", "queue")[:steps]:
        job.fire(event)
    twin.restore(job.status, job.history)
    assert job == twin

    def refuse(_job: object, _entry: HistoryEntry) -> None:
        raise RuntimeError("refused")

    job.add_observer(refuse)
    event = job.allowed_events[0]
    with pytest.raises(RuntimeError, match="refused"):
        job.fire(event)
    assert job == twin
    assert job.history == twin.history


def test_observer_sees_the_recorded_entry() -> None:
    """An observer receives the job and the entry just added to its history."""
    seen: list[tuple[JobStatus, HistoryEntry]] = []
    job = _job()
    job.add_observer(lambda j, entry: seen.append((j.status, entry)))
    job.start()
    job.prepare()
    assert [status for status, _ in seen] == [JobStatus.STARTING, JobStatus.PREPARING]
    assert [entry for _, entry in seen] == list(job.history)


def test_restored_job_equals_the_fired_one() -> None:
    """A job restored from another's status and history compares equal to it."""
    job = _job()
    for event in ("start", "provision", "lose_heartbeat", "resume"):
        job.fire(event)
    copy = _job()
    copy.restore(job.status, job.history)
    assert copy == job
    assert copy.history == job.history
    assert "HistoryEntry(" in repr(copy)


def test_concurrent_events_keep_the_history_a_chain() -> None:
    """Threads racing on one job never interleave a move: history stays a chain of edges."""
    job = _job()
    job.start()
    job.prepare()
    errors: list[BaseException] = []

    threads = [threading.Thread(target=_flap, args=(job, errors)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = job.history
    for before, after in itertools.pairwise(history):
        assert after.from_ is before.to
        assert after.to in TABLE[after.from_][after.event]
    assert history[-1].to is job.status


def test_failed_submission_takes_the_defaults_back() -> None:
    """A refused first event leaves name and experiment unset; a later one applies them."""
    job = CommandJob(command="echo")

    def refuse(_job: object, _entry: HistoryEntry) -> None:
        raise RuntimeError("refused")

    job.add_observer(refuse)
    with pytest.raises(RuntimeError):
        job.start()
    assert (job.name, job.experiment_name, job.status) == (None, None, JobStatus.NOT_STARTED)
    job.remove_observer(refuse)
    job.start()
    assert job.name
    assert job.experiment_name


def _outcome(job: CommandJob, event: str, to: str | None) -> tuple[object, ...]:
    """What a caller can observe of one fire: result or error, status, history."""
    try:
        result: object = job.fire(event, to=to)
    except (IllegalTransitionError, UnknownEventError, ValueError) as err:
        result = (type(err), str(err))
    history = [(e.from_, e.to, e.event) for e in job.history]
    return result, job.status, history


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            event_names | st.sampled_from(["bogus"]),
            st.none() | st.sampled_from([s.value for s in JobStatus]),
        ),
        max_size=40,
    )
)
def test_compiled_dispatch_is_indistinguishable(steps: list[tuple[str, str | None]]) -> None:
    """With compiled dispatch on, every fire gives the same result, status, history, error."""
    from jobfsm import set_compiled_dispatch

    plain, compiled = _job(), _job()
    try:
        for event, to in steps:
            set_compiled_dispatch(False)
            expected = _outcome(plain, event, to)
            set_compiled_dispatch(True)
            assert _outcome(compiled, event, to) == expected
    finally:
        set_compiled_dispatch(False)


def test_compiled_dispatch_defers_to_transitions_when_observed() -> None:
    """Observers still run (and can veto) with compiled dispatch on."""
    from jobfsm import set_compiled_dispatch

    seen: list[str] = []
    job = _job()
    job.add_observer(lambda j, e: seen.append(e.event))
    set_compiled_dispatch(True)
    try:
        job.start()
        job.prepare()
    finally:
        set_compiled_dispatch(False)
    assert seen == ["start", "prepare"]


# -- multi-destination events, custom lifecycles, threads, asyncio ---------------

# States spelled with spaces, hyphens and Python keywords; `release` has two
# destinations and can be entered from a status that is not one of them.
ODD = Lifecycle(
    name="odd names",
    states=["Not Started", "in-progress", "class", "on hold", "None", "done"],
    initial="Not Started",
    terminal=["done"],
    events=[
        EventSpec("go", "Not Started", "in-progress"),
        EventSpec("step", "in-progress", "class"),
        EventSpec("hold", ["Not Started", "in-progress", "class"], "on hold"),
        EventSpec("release", "on hold", ["in-progress", "class"]),
        EventSpec("idle", "class", "None"),
        EventSpec("finish", ["class", "None"], "done"),
    ],
)


def test_default_target_not_among_the_destinations_is_named() -> None:
    """A multi-destination event whose previous status is not a target says which it was."""
    job = CommandJob(lifecycle=ODD)
    job.fire("hold")
    with pytest.raises(IllegalTransitionError, match="held before, 'Not Started', is not one of"):
        job.fire("release")
    assert job.status == "on hold"
    assert job.fire("release", to="class") == "class"


def test_multi_destination_default_returns_to_the_previous_status() -> None:
    """Without to=, a multi-destination event goes back to the status held before."""
    job = CommandJob(lifecycle=ODD)
    for event in ("go", "step", "hold"):
        job.fire(event)
    assert job.fire("release") is ODD.status_enum.CLASS


def test_compiled_dispatch_of_a_custom_lifecycle_under_threads() -> None:
    """Compiled dispatch of a custom lifecycle keeps each job's history a chain across threads."""
    jobs = [CommandJob(lifecycle=ODD, name=f"j{i}", experiment_name="e") for i in range(4)]
    errors: list[BaseException] = []

    def drive(job: CommandJob) -> None:
        for _ in range(200):
            for event in ("go", "hold", "release", "hold", "release"):
                try:
                    job.fire(event)
                except IllegalTransitionError:
                    pass  # another thread moved it first
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
            job.restore("Not Started")

    set_compiled_dispatch(True, ODD)
    try:
        threads = [threading.Thread(target=drive, args=(jobs[i % 4],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        set_compiled_dispatch(False, ODD)
    assert errors == []
    for job in jobs:
        for before, after in itertools.pairwise(job.history):
            assert after.from_ is before.to


def test_observers_added_and_removed_while_other_threads_fire() -> None:
    """Observers come and go during events: no error, and one kept throughout sees every move."""
    job = _job()
    job.start()
    job.prepare()
    kept: list[str] = []
    job.add_observer(lambda j, e: kept.append(e.event))
    errors: list[BaseException] = []
    done = threading.Event()

    def churn() -> None:
        def noop(_job: object, _entry: HistoryEntry) -> None:
            pass

        while not done.is_set():
            job.add_observer(noop)
            add_observer(noop)
            job.remove_observer(noop)
            remove_observer(noop)

    churner = threading.Thread(target=churn)
    churner.start()
    flappers = [threading.Thread(target=_flap, args=(job, errors)) for _ in range(3)]
    for thread in flappers:
        thread.start()
    for thread in flappers:
        thread.join()
    done.set()
    churner.join()
    assert errors == []
    assert kept == [entry.event for entry in job.history[2:]]


def test_afire_waits_off_the_event_loop_while_another_thread_holds_the_job() -> None:
    """afire on a job locked by another thread lets the loop run on, then applies the event."""
    import asyncio

    job = _job()
    entered, release = threading.Event(), threading.Event()

    def block_first(_job: object, entry: HistoryEntry) -> None:
        if entry.event == "start":
            entered.set()
            release.wait(60)  # only a guard against hanging the suite on a regression

    job.add_observer(block_first)
    holder = threading.Thread(target=job.start)
    holder.start()
    entered.wait()

    async def main() -> object:
        task = asyncio.create_task(job.afire("prepare"))
        await asyncio.sleep(0)
        assert not task.done()  # the lock is held: it waits in a worker thread
        release.set()  # reached only because the loop is not blocked
        return await task

    assert asyncio.run(main()) is JobStatus.PREPARING
    holder.join()
    assert [e.event for e in job.history] == ["start", "prepare"]


def test_a_vetoed_event_undoes_a_restore_made_by_an_observer() -> None:
    """Rollback puts back the job's own history even if an observer restored another one."""
    job = _job()
    job.start()
    before = (job.status, job.history)

    def reset(j: CommandJob, _entry: HistoryEntry) -> None:
        j.restore("NotStarted")

    def veto(_job: object, _entry: HistoryEntry) -> None:
        raise RuntimeError("refused")

    job.add_observer(reset)
    job.add_observer(veto)
    with pytest.raises(RuntimeError):
        job.prepare()
    assert (job.status, job.history) == before
