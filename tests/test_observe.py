"""Applying polled statuses (Job.observe, Lifecycle.observe_steps) and the richer history."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

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
    TimeWentBackwardsError,
    UnknownStatusError,
    UnreachableStatusError,
    validate_trace,
)
from tests.strategies import statuses

L = DEFAULT_LIFECYCLE
S = JobStatus
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def submitted() -> CommandJob:
    job = CommandJob(name="j", experiment_name="e")
    job.fire("start", at=T0)
    return job


# -- Lifecycle.observe_steps: the one rule -----------------------------------------


def test_observe_steps_for_a_repeat_an_edge_and_a_gap() -> None:
    """() for the same status, one pair for an edge, a shortest path's events otherwise."""
    assert L.observe_steps("Running", "Running") == ()
    assert L.observe_steps("Queued", "Running") == (("run", S.RUNNING),)
    assert L.observe_steps("Starting", "Running") == (
        ("prepare", S.PREPARING),
        ("queue", S.QUEUED),
        ("run", S.RUNNING),
    )
    assert L.observe_steps("Running", "Canceled") == (
        ("request_cancel", S.CANCEL_REQUESTED),
        ("cancel", S.CANCELED),
    )


def test_observe_steps_from_not_responding() -> None:
    """NotResponding -> an active status is resume to it; anything else goes through resume
    or the direct edge (fail, request_cancel)."""
    assert L.observe_steps("NotResponding", "Queued") == (("resume", S.QUEUED),)
    assert L.observe_steps("NotResponding", "Completed") == (
        ("resume", S.FINALIZING),
        ("complete", S.COMPLETED),
    )
    assert L.observe_steps("NotResponding", "Failed") == (("fail", S.FAILED),)


def test_observe_steps_refuses_unreachable_and_unknown_statuses() -> None:
    """Unreachable: UnreachableStatusError (an IllegalTransitionError) naming the status;
    unknown: UnknownStatusError with the closest spelling."""
    with pytest.raises(IllegalTransitionError) as info:
        L.observe_steps("Completed", "Running", job="j")
    assert isinstance(info.value, UnreachableStatusError)
    assert "'Running'" in str(info.value)
    assert "'Completed' is terminal" in str(info.value)
    assert (info.value.from_, info.value.to, info.value.reachable) == (S.COMPLETED, S.RUNNING, ())
    with pytest.raises(UnknownStatusError) as unknown:
        L.observe_steps("Running", "Cancelled")
    assert unknown.value.suggestion == "Canceled"


def test_observe_steps_match_shortest_path_and_reachable() -> None:
    """For every pair, observe_steps passes through shortest_path and exists iff reachable."""
    for a, b in itertools.product(L.statuses, repeat=2):
        if a is b:
            assert L.observe_steps(a, b) == ()
        elif b in L.reachable[a]:
            steps = L.observe_steps(a, b)
            assert tuple(s for _, s in steps[:-1]) == L.shortest_path(a, b)
            assert steps[-1][1] is b
            here = a
            for event, dest in steps:  # every step is an edge of the lifecycle
                assert dest in L.table[here][event]
                here = dest
        else:
            with pytest.raises(UnreachableStatusError):
                L.observe_steps(a, b)


def test_observe_steps_follow_a_custom_lifecycle() -> None:
    """The rule is derived from the lifecycle value: an extra state gets routes too."""
    paused = L.extend(
        states=["Paused"],
        events=[
            EventSpec("pause", "Running", "Paused"),
            EventSpec("unpause", "Paused", "Running"),
            EventSpec("fail", "Paused", "Failed"),
        ],
    )
    status = paused.status_enum
    assert paused.observe_steps("Queued", "Paused") == (
        ("run", status("Running")),
        ("pause", status("Paused")),
    )


# -- Job.observe ---------------------------------------------------------------------


def test_observe_fires_the_inferred_steps_and_marks_them() -> None:
    """A gap fires each event, all entries inferred except the last, with at and source."""
    job = submitted()
    seen = T0 + timedelta(minutes=3)
    added = job.observe("Running", at=seen, source="poller")
    assert job.status is S.RUNNING
    assert [(e.event, e.to, e.inferred) for e in added] == [
        ("prepare", S.PREPARING, True),
        ("queue", S.QUEUED, True),
        ("run", S.RUNNING, False),
    ]
    assert {e.at for e in added} == {seen}
    assert {e.source for e in added} == {"poller"}
    assert job.history[-3:] == added


def test_observe_the_same_status_changes_nothing() -> None:
    """A repeated status returns () and adds no history."""
    job = submitted()
    before = job.history
    assert job.observe(S.STARTING) == ()
    assert job.history == before


def test_observe_an_edge_is_not_inferred() -> None:
    """A direct edge fires one event, not marked inferred."""
    job = submitted()
    (entry,) = job.observe("Preparing")
    assert (entry.event, entry.inferred) == ("prepare", False)


def test_observe_resumes_a_job_that_was_not_responding() -> None:
    """NotResponding -> Queued is resume(to=Queued), even when Running was held before."""
    job = submitted()
    job.observe("Running")
    job.lose_heartbeat()
    (entry,) = job.observe("Queued")
    assert (entry.event, entry.to) == ("resume", S.QUEUED)


def test_observe_from_not_started_submits() -> None:
    """Observing from NotStarted applies the submission defaults like start does."""
    job = CommandJob()
    job.observe("Queued")
    assert job.name
    assert job.experiment_name
    assert [e.event for e in job.history] == ["start", "prepare", "queue"]


def test_observe_an_unreachable_status_changes_nothing() -> None:
    """Completed -> Running is refused; status and history stay as they were."""
    job = submitted()
    job.observe("Completed")
    before = job.history
    with pytest.raises(UnreachableStatusError, match="job 'j': observed status 'Running'"):
        job.observe("Running")
    assert job.status is S.COMPLETED
    assert job.history == before


def test_a_raising_observer_rolls_back_every_step() -> None:
    """Observers see each applied step; one that raises undoes all of them."""
    job = CommandJob()
    seen: list[str] = []

    def observer(j: object, entry: HistoryEntry) -> None:
        seen.append(entry.event)
        if entry.event == "queue":
            raise RuntimeError("refused")

    job.add_observer(observer)
    with pytest.raises(RuntimeError, match="refused"):
        job.observe("Running")
    assert seen == ["start", "prepare", "queue"]
    assert job.status is S.NOT_STARTED
    assert job.history == ()
    assert job.name is None
    assert job.experiment_name is None
    job.remove_observer(observer)
    job.observe("Running")
    assert job.status is S.RUNNING


def test_aobserve_applies_like_observe() -> None:
    """aobserve is observe for coroutines."""
    job = submitted()
    added = asyncio.run(job.aobserve("Running", source="poller"))
    assert [e.event for e in added] == ["prepare", "queue", "run"]
    assert job.status is S.RUNNING


@settings(max_examples=200, deadline=None)
@given(st.lists(statuses | st.sampled_from(["Cancelled", "Paused"]), max_size=12))
def test_observe_accepts_exactly_what_observed_validation_accepts(trace: list[str]) -> None:
    """Feeding a trace to observe (from its first status) fails at exactly the statuses
    validate_trace(mode='observed') reports, and the skipped statuses are the gaps."""
    report = validate_trace(trace, mode="observed")
    flagged = {v.index for v in report.violations}
    gaps = {g.index: g for g in report.gaps}
    job = CommandJob(name="j", experiment_name="e")
    known = [i for i, s in enumerate(trace) if s in L.states]
    if known:  # put the job at the first known status (validation lets a trace start anywhere)
        job.observe(trace[known[0]])
    for index, status in enumerate(trace):
        if index in known[:1]:
            continue
        before = job.history
        try:
            added = job.observe(status)
        except (UnreachableStatusError, UnknownStatusError):
            assert index in flagged
            assert job.history == before
            if status in L.states:  # validation goes on from the status actually seen
                job = CommandJob(name="j", experiment_name="e")
                job.observe(status)
            continue
        assert index not in flagged
        skipped = tuple(e.to for e in added[:-1])
        assert skipped == (gaps[index].skipped if index in gaps else ())


# -- richer history: at, reason, source ------------------------------------------------


def test_fire_records_at_reason_and_source() -> None:
    """fire(at=, reason=, source=) lands in the history entry; plain fires keep defaults."""
    job = submitted()
    job.fire("prepare", at=T0, reason="image built", source="builder")
    local = timezone(timedelta(hours=2))
    job.fire("queue", at=datetime(2024, 5, 1, 16, 0, tzinfo=local))
    job.fire("run", at=datetime(2024, 5, 1, 15, 0))  # naive: UTC
    start, prepare, queue, run = job.history
    assert (start.at, start.inferred, start.reason, start.source) == (T0, False, None, None)
    assert (prepare.reason, prepare.source) == ("image built", "builder")
    assert queue.at == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    assert queue.at.tzinfo is UTC
    assert run.at == datetime(2024, 5, 1, 15, 0, tzinfo=UTC)


def test_time_going_backwards_is_refused() -> None:
    """An at earlier than the previous entry raises TimeWentBackwardsError (a ValueError);
    nothing changes."""
    job = submitted()
    with pytest.raises(ValueError, match="before") as info:
        job.fire("prepare", at=T0 - timedelta(seconds=1))
    assert isinstance(info.value, TimeWentBackwardsError)
    assert (info.value.at, info.value.previous) == (T0 - timedelta(seconds=1), T0)
    with pytest.raises(TimeWentBackwardsError):
        job.observe("Running", at=T0 - timedelta(days=1))
    assert job.status is S.STARTING
    assert len(job.history) == 1
    job.fire("prepare", at=T0)  # the same time is fine


def test_bad_at_reason_and_source_are_type_errors() -> None:
    """at must be a datetime, reason and source strings."""
    job = submitted()
    with pytest.raises(TypeError, match="at must be a datetime"):
        job.fire("prepare", at="2024-05-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reason must be a string"):
        job.fire("prepare", reason=3)  # type: ignore[arg-type]
    assert job.status is S.STARTING


def test_restore_keeps_inferred_reason_and_source() -> None:
    """restore accepts the new fields; copies and pickles keep them."""
    import copy
    import pickle

    job = submitted()
    job.observe("Running", source="poller")
    clone = CommandJob(name="j", experiment_name="e")
    clone.restore(job.status, job.history)
    assert clone.history == job.history
    assert pickle.loads(pickle.dumps(job)).history == job.history
    assert copy.deepcopy(job).history == job.history


def test_afire_passes_at_reason_and_source() -> None:
    """afire takes the same keywords as fire."""
    job = submitted()
    asyncio.run(job.afire("prepare", reason="r", source="s"))
    assert (job.history[-1].reason, job.history[-1].source) == ("r", "s")


def test_compiled_dispatch_records_the_extras() -> None:
    """The opt-in compiled path records at/reason/source like the transitions path."""
    from jobfsm import set_compiled_dispatch

    set_compiled_dispatch(True)
    try:
        job = submitted()
        job.fire("prepare", reason="r", source="s", at=T0)
        assert job.history[-1] == HistoryEntry(S.STARTING, S.PREPARING, "prepare", T0, False,
                                               "r", "s")  # fmt: skip
    finally:
        set_compiled_dispatch(False)


def test_history_extras_round_trip_through_the_store(tmp_path: Path) -> None:
    """inferred, reason, source and given times survive a JobStore, as added and as fired."""
    from jobfsm import JobStore

    job = submitted()
    job.observe("Running", at=T0 + timedelta(minutes=1), source="poller")
    with JobStore(tmp_path / "jobs.db") as store:
        store.add(job)
        assert store.get("j").history == job.history
        assert [e.inferred for e in store.get("j").history] == [False, True, True, False]
