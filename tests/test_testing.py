"""The testing kit (jobfsm.testing): its strategies keep their promises, its model finds bugs."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import find as find_shrunk
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventLog,
    EventSpec,
    IllegalTransitionError,
    JobStatus,
    JobStore,
    Lifecycle,
    LifecycleAssertionError,
    Reason,
    UnknownStatusError,
    UnreachableStatusError,
    profiles,
    validate_events,
    validate_trace,
)
from jobfsm.cli import main
from jobfsm.testing import (
    LifecycleModel,
    LogText,
    Planted,
    Trace,
    assert_follows,
    event_logs,
    event_sequences,
    events,
    jobs,
    lifecycles,
    run_model,
    statuses,
    traces,
)
from tests.stores import target  # noqa: F401 - a fixture: a store per backend

REPO = Path(__file__).resolve().parents[1]
MODES = ("strict", "observed")
T = TypeVar("T")
L = DEFAULT_LIFECYCLE
# Nested runs (a model inside @given, a lifecycle per example) are the point of some tests.
def find(strategy: st.SearchStrategy[T], condition: Callable[[T], bool]) -> T:
    """An example satisfying *condition*, unshrunk (shrinking is what takes time here)."""
    return find_shrunk(
        strategy, condition, settings=settings(phases=[Phase.generate], max_examples=1000)
    )


def nested(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck)
    )


def test_without_hypothesis_the_import_names_the_extra() -> None:
    """With Hypothesis missing, importing the kit fails with the install command; jobfsm works."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import jobfsm; assert 'hypothesis' not in sys.modules or not sys.modules['hypothesis']\n"
        "try:\n    import jobfsm.testing\n"
        "except ImportError as exc:\n    print(exc)\nelse:\n    print('imported')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "jobfsm.testing needs Hypothesis, which is not installed: pip install 'jobfsm[testing]'"
    )


# -- statuses, events, sequences ----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(status=statuses(), event=events())
def test_statuses_and_events_come_from_the_lifecycle(status: JobStatus, event: str) -> None:
    """statuses() draws enum members, events() event names, of the default lifecycle."""
    assert status in L.statuses
    assert isinstance(status, JobStatus)
    assert event in L.event_names


@settings(max_examples=80, deadline=None)
@given(sequence=event_sequences())
def test_legal_event_sequences_are_accepted_by_a_real_job(sequence: list[str]) -> None:
    """Every event of a legal sequence is accepted, in order, by a CommandJob."""
    job = CommandJob(command="python train.py")
    for event in sequence:
        job.fire(event)
    assert [h.event for h in job.history] == sequence


@settings(max_examples=80, deadline=None)
@given(sequence=event_sequences(legal=False))
def test_illegal_event_sequences_hold_a_refused_event(sequence: list[str]) -> None:
    """A real job refuses at least one event of an illegal sequence (and assert_follows fails)."""
    job = CommandJob(command="python train.py")
    refused = 0
    for event in sequence:
        try:
            job.fire(event)
        except IllegalTransitionError:
            refused += 1
    assert refused >= 1
    with pytest.raises(LifecycleAssertionError, match="is refused at"):
        assert_follows(sequence)


# -- traces ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_valid_traces_validate_clean_in_their_mode(mode: str, data: st.DataObject) -> None:
    """A valid trace starts at the initial status and is clean, even requiring the initial."""
    trace = data.draw(traces(mode=mode))  # type: ignore[arg-type]
    assert trace.mode == mode
    assert trace.planted == ()
    assert trace.statuses[0] is JobStatus.NOT_STARTED
    assert validate_trace(trace, mode=trace.mode, require_initial=True).ok


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_invalid_traces_hold_exactly_the_planted_violations(
    mode: str, data: st.DataObject
) -> None:
    """validate_trace reports the planted violations, no more, no fewer, in order."""
    trace = data.draw(traces(mode=mode, valid=False))  # type: ignore[arg-type]
    assert 1 <= len(trace.planted) <= 3
    report = validate_trace(trace, mode=trace.mode)
    assert tuple(Planted.of(v) for v in report.violations) == trace.planted


def test_planted_violations_include_both_kinds_and_jumps_after_terminal() -> None:
    """The strategy does produce each plantable reason, and jumps out of terminal statuses."""
    find(traces(valid=False), lambda t: {p.reason for p in t.planted} == set(Reason) & {
        Reason.ILLEGAL_TRANSITION, Reason.UNKNOWN_STATUS})  # fmt: skip
    found = find(
        traces(mode="observed", valid=False),
        lambda t: any(
            p.reason is Reason.ILLEGAL_TRANSITION and t.statuses[p.index - 1] in L.terminal
            for p in t.planted
        ),
    )
    assert validate_trace(found, mode="observed").violations[0].message.endswith(
        "is terminal: no status may follow it"
    )


@nested(40)
@given(lifecycle=lifecycles(), data=st.data())
def test_traces_of_random_lifecycles_hold_exactly_their_plants(
    lifecycle: Lifecycle, data: st.DataObject
) -> None:
    """On any valid lifecycle, traces are clean or hold exactly the planted violations."""
    mode = data.draw(st.sampled_from(MODES))
    trace = data.draw(traces(lifecycle, mode=mode, valid=data.draw(st.booleans())))
    report = validate_trace(trace, mode=mode, lifecycle=lifecycle)
    assert tuple(Planted.of(v) for v in report.violations) == trace.planted


# -- lifecycles and jobs ------------------------------------------------------------


@nested(60)
@given(lifecycle=lifecycles())
def test_generated_lifecycles_pass_the_definition_checks(lifecycle: Lifecycle) -> None:
    """Rebuilt from their fields, generated lifecycles are equal and have no problem."""
    again = Lifecycle(
        name=lifecycle.name,
        states=lifecycle.states,
        initial=lifecycle.initial,
        terminal=lifecycle.terminal,
        events=lifecycle.events,
        active=lifecycle.active,
        attention=lifecycle.attention,
        descriptions=dict(lifecycle.descriptions),
    )
    assert again == lifecycle
    initial = lifecycle.status(lifecycle.initial)
    assert set(lifecycle.statuses) == {initial} | lifecycle.reachable[initial]
    for status in lifecycle.non_terminal:
        assert lifecycle.reachable[status] & lifecycle.terminal


@nested(40)
@given(lifecycle=lifecycles())
def test_generated_lifecycles_round_trip_through_lifecycle_files(lifecycle: Lifecycle) -> None:
    """to_file then from_file gives the lifecycle back (an empty description is left out)."""
    text = io.StringIO()
    lifecycle.to_file(text)
    again = Lifecycle.from_file(io.StringIO(text.getvalue()))
    assert again == lifecycle
    assert dict(again.descriptions) == {s: d for s, d in lifecycle.descriptions.items() if d}


@pytest.mark.parametrize("name", profiles.names())
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_traces_of_every_builtin_profile_hold_exactly_their_plants(
    name: str, data: st.DataObject
) -> None:
    """On each built-in profile, in both modes, traces validate clean or as planted."""
    lifecycle = profiles.resolve(name)
    mode = data.draw(st.sampled_from(MODES))
    trace = data.draw(traces(lifecycle, mode=mode, valid=data.draw(st.booleans())))
    report = validate_trace(trace, mode=mode, lifecycle=lifecycle)
    assert tuple(Planted.of(v) for v in report.violations) == trace.planted


@pytest.mark.parametrize("name", profiles.names())
def test_model_passes_jobs_of_every_builtin_profile(name: str) -> None:
    """jobfsm's Job follows each built-in profile under the model."""
    lifecycle = profiles.resolve(name)
    run_model(
        lambda: JobAdapter(lifecycle),
        lifecycle,
        max_examples=10,
        steps=20,
        refusals=IllegalTransitionError,
    )


def test_generated_lifecycles_include_multi_destination_events() -> None:
    """Some generated events have several destinations from one source, like resume."""
    found = find(
        lifecycles(),
        lambda lc: any(len(dests) > 1 for evs in lc.table.values() for dests in evs.values()),
    )
    assert len(found.states) >= 2


@nested(40)
@given(lifecycle=lifecycles(), data=st.data())
def test_jobs_follow_their_lifecycle(lifecycle: Lifecycle, data: st.DataObject) -> None:
    """A generated job's history is a legal walk from the initial status to its status."""
    job = data.draw(jobs(lifecycle))
    assert job.lifecycle == lifecycle
    assert job.name
    if job.history:
        assert_follows(job.history, lifecycle, require_initial=True)
        assert job.history[-1].to is job.status
    else:
        assert job.status == lifecycle.initial


# -- event logs ---------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mode"), list(itertools.product(("jsonl", "csv"), MODES)))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_event_logs_report_exactly_what_was_planted(
    fmt: str, mode: str, data: st.DataObject
) -> None:
    """validate_events reads the log text and finds its planted violations and bad lines."""
    anomalies = data.draw(st.booleans())
    log = data.draw(event_logs(format=fmt, mode=mode, anomalies=anomalies))  # type: ignore[arg-type]
    report = validate_events(EventLog(io.StringIO(log.text), log.format), mode=log.mode)
    assert tuple(Planted.of(v) for v in report.violations) == log.planted
    assert tuple(error.line for error in report.input_errors) == log.malformed
    assert (report.jobs, report.events) == (log.jobs, log.events)
    assert report.ok is not anomalies


@settings(max_examples=30, deadline=None)
@given(log=st.sampled_from(MODES).flatmap(
    lambda mode: event_logs(format="csv", mode=mode, anomalies=True)  # type: ignore[arg-type]
))  # fmt: skip
def test_the_cli_reports_the_planted_anomalies_of_a_log_file(log: LogText) -> None:
    """`jobfsm validate --format json` on the log file reports the planted anomalies.

    The exit status is 2 when a line is malformed (bad input), else 1 (violations).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_text(log.text, encoding="utf-8")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["validate", str(path), "--mode", log.mode, "--format", "json"])
    assert code == (2 if log.malformed else 1)
    report = json.loads(out.getvalue())
    got = [(v["job"], v["index"], v["line"], v["reason"]) for v in report["violations"]]
    assert got == [(p.job, p.index, p.line, str(p.reason)) for p in log.planted]
    assert [e["line"] for e in report["input_errors"]] == list(log.malformed)


def test_event_logs_interleave_jobs_and_plant_backwards_times() -> None:
    """Logs interleave several jobs, and anomalies include a time going backwards."""
    log = find(
        event_logs(anomalies=True),
        lambda log: any(p.reason is Reason.TIME_WENT_BACKWARDS for p in log.planted)
        and log.jobs > 1,
    )
    assert log.text.count("\n") >= 2


# -- assert_follows -------------------------------------------------------------------


def test_assert_follows_passes_and_returns_the_report() -> None:
    """Legal statuses, events and histories pass; observed mode allows missed statuses."""
    assert assert_follows(["NotStarted", "Starting", "Preparing"]).ok
    assert assert_follows(["Starting", "Running", "Completed"], mode="observed").gaps
    assert assert_follows(["start", "prepare", "queue"]).events == 4
    job = CommandJob(command="python train.py")
    job.start()
    job.fail()
    assert assert_follows(job.history, require_terminal=True).ok


def test_assert_follows_fails_with_the_validators_report() -> None:
    """The failure lists every violation with its index, pair, reason and allowed statuses."""
    with pytest.raises(LifecycleAssertionError) as info:
        assert_follows(["Starting", "Running", "Completed", "Runing"])
    err = info.value
    assert isinstance(err, AssertionError)
    assert [v.reason for v in err.report.violations] == [
        Reason.ILLEGAL_TRANSITION,
        Reason.ILLEGAL_TRANSITION,
        Reason.UNKNOWN_STATUS,
    ]
    assert str(err).splitlines() == [
        "the statuses do not follow 'Azure ML job' (strict mode): 3 violations in "
        "[Starting, Running, Completed, Runing]",
        "  index 1: Starting -> Running: illegal-transition: no event leads from Starting to "
        "Running (observed mode would assume Preparing, Queued were skipped) "
        "(allowed: Provisioning, Preparing, CancelRequested, Failed, NotResponding)",
        "  index 2: Running -> Completed: illegal-transition: no event leads from Running to "
        "Completed (observed mode would assume Finalizing was skipped) "
        "(allowed: Finalizing, CancelRequested, Failed, NotResponding)",
        "  index 3: Completed -> Runing: unknown-status: 'Runing' is not a status of "
        "'Azure ML job'; did you mean 'Running'? (allowed: none)",
    ]


def test_assert_follows_names_the_first_refused_event() -> None:
    """Events are replayed from the initial status; a refused one is named with its index."""
    with pytest.raises(LifecycleAssertionError) as info:
        assert_follows(["start", "run"])
    assert info.value.event == "run"
    assert info.value.from_ == "Starting"
    assert str(info.value).startswith("event 1 ('run') is refused at Starting")
    assert str(info.value).endswith("(statuses so far: NotStarted -> Starting)")


def test_assert_follows_refuses_mixed_items() -> None:
    """History entries and strings cannot be mixed; items must be strings or entries."""
    job = CommandJob(command="x")
    job.start()
    with pytest.raises(TypeError, match="all history entries"):
        assert_follows([job.history[0], "Running"])
    with pytest.raises(TypeError, match="strings or history entries"):
        assert_follows(["NotStarted", 3])  # type: ignore[list-item]


# -- LifecycleModel ---------------------------------------------------------------------


class JobAdapter:
    """jobfsm's own Job, driven through the adapter protocol."""

    def __init__(self, lifecycle: Lifecycle = L) -> None:
        self.job = CommandJob(command="python train.py", lifecycle=lifecycle)

    def fire(self, event: str) -> None:
        self.job.fire(event)

    def status(self) -> str:
        return self.job.status


class StoreAdapter:
    """One job in a JobStore (a SQLite file): every event is a load, fire and write back."""

    def __init__(self, path: Path | str, lifecycle: Lifecycle = L) -> None:
        self.store = JobStore(path, lifecycle=lifecycle)
        self.lifecycle = lifecycle
        self.names = (f"job{n}" for n in itertools.count())
        self.name = ""

    def reset(self) -> None:
        self.name = next(self.names)
        self.store.add(CommandJob(name=self.name, command="x", lifecycle=self.lifecycle))

    def fire(self, event: str) -> None:
        self.store.fire(self.name, event)

    def status(self) -> str:
        return self.store.get(self.name).status


FINISHED = ("Completed", "Failed", "Canceled")
ACTIVE = ("Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing")


class Scheduler:
    """A hand-written scheduler of the default lifecycle; *bug* plants one mistake."""

    MOVES: ClassVar[dict[tuple[str, str], str]] = {
        ("NotStarted", "start"): "Starting",
        ("Starting", "provision"): "Provisioning",
        ("Starting", "prepare"): "Preparing",
        ("Provisioning", "prepare"): "Preparing",
        ("Preparing", "queue"): "Queued",
        ("Queued", "run"): "Running",
        ("Running", "finalize"): "Finalizing",
        ("Finalizing", "complete"): "Completed",
        ("CancelRequested", "complete"): "Completed",
        ("CancelRequested", "cancel"): "Canceled",
    }

    def __init__(self, bug: str = "") -> None:
        self.bug = bug
        self.reset()

    def reset(self) -> None:
        self.current, self.before = "NotStarted", ""

    def fire(self, event: str) -> None:
        now = self.current
        moves = dict(self.MOVES)
        if self.bug == "rerun":
            moves["Completed", "run"] = "Running"
        if self.bug == "lost-race":
            del moves["CancelRequested", "complete"]
        if (now, event) in moves:
            new = moves[now, event]
        elif event == "fail" and now not in FINISHED:
            new = "Failed"
        elif event == "request_cancel" and now not in (*FINISHED, "CancelRequested"):
            new = "CancelRequested"
        elif event == "lose_heartbeat" and now in ACTIVE:
            new = "NotResponding"
        elif event == "resume" and now == "NotResponding":
            new = "Running" if self.bug == "resume-running" else self.before
        else:
            raise RuntimeError(f"{event} is not allowed at {now}")
        self.before, self.current = now, new

    def status(self) -> str:
        return self.current


def test_model_passes_jobfsms_own_job() -> None:
    """jobfsm's Job follows its lifecycle under the model (refusals: IllegalTransitionError)."""
    run_model(JobAdapter, max_examples=60, refusals=IllegalTransitionError)


def test_model_passes_the_job_store(target: str) -> None:  # noqa: F811
    """JobStore (SQLite and PostgreSQL), one reset adapter for all runs, follows it too."""
    adapter = StoreAdapter(target)
    try:
        run_model(adapter, max_examples=15, refusals=IllegalTransitionError)
    finally:
        adapter.store.close()


@nested(6)
@given(lifecycle=lifecycles())
def test_model_passes_job_and_store_on_random_lifecycles(lifecycle: Lifecycle) -> None:
    """Job and JobStore follow any valid lifecycle, multi-destination events included."""
    run_model(lambda: JobAdapter(lifecycle), lifecycle, max_examples=6, steps=15)
    with tempfile.TemporaryDirectory() as folder:
        store = StoreAdapter(Path(folder) / "jobs.db", lifecycle)
        run_model(store, lifecycle, max_examples=2, steps=10, refusals=IllegalTransitionError)
        store.store.close()


def observe_refusals(trace: Trace, lifecycle: Lifecycle) -> tuple[Planted, ...]:
    """Replay a trace with Job.observe; where it refuses a status, as planted violations.

    After a refused (unreachable) status the job is put at that status, as the
    validator goes on from the status actually seen.
    """
    job = CommandJob(name="observed", command="x", lifecycle=lifecycle)
    found = []
    for index, status in enumerate(trace):
        try:
            job.observe(status)
        except UnknownStatusError:
            found.append(Planted(index, Reason.UNKNOWN_STATUS))
        except UnreachableStatusError:
            found.append(Planted(index, Reason.ILLEGAL_TRANSITION))
            job.restore(status)
    return tuple(found)


@settings(max_examples=100, deadline=None)
@given(trace=st.booleans().flatmap(lambda valid: traces(mode="observed", valid=valid)))
def test_job_observe_refuses_exactly_what_observed_validation_reports(trace: Trace) -> None:
    """Job.observe accepts a valid observed trace and refuses exactly its planted statuses."""
    assert observe_refusals(trace, L) == trace.planted


@nested(25)
@given(lifecycle=lifecycles(), data=st.data())
def test_job_observe_agrees_with_validation_on_random_lifecycles(
    lifecycle: Lifecycle, data: st.DataObject
) -> None:
    """The same on random lifecycles (one observed-status rule for both)."""
    trace = data.draw(traces(lifecycle, mode="observed", valid=data.draw(st.booleans())))
    assert observe_refusals(trace, lifecycle) == trace.planted


def test_model_passes_a_correct_scheduler() -> None:
    """The hand-written scheduler without a planted bug passes."""
    run_model(Scheduler, max_examples=60)


NO_EXPLAIN = [phase for phase in Phase if phase is not Phase.explain]


def test_model_finds_a_planted_bug_and_shrinks_it() -> None:
    """A scheduler that forgets CancelRequested -> Completed fails with the shortest run."""
    with pytest.raises(LifecycleAssertionError) as info:
        run_model(
            lambda: Scheduler("lost-race"),
            settings=settings(
                max_examples=100, derandomize=True, database=None, deadline=None, phases=NO_EXPLAIN
            ),
        )
    err = info.value
    assert (err.event, err.from_, err.expected, err.actual) == (
        "complete",
        "CancelRequested",
        "Completed",
        None,
    )
    assert str(err).startswith(
        "the system refused 'complete' at CancelRequested, which the lifecycle allows "
        "(it leads to Completed): RuntimeError: complete is not allowed at CancelRequested"
    )
    steps = [line for line in getattr(err, "__notes__", []) if line.startswith("state")]
    assert steps == [
        "state = AzureMlJobModel()",
        "state.request_cancel()",
        "state.complete()",
        "state.teardown()",
    ]


@pytest.mark.parametrize(
    ("bug", "message"),
    [
        ("rerun", "the system accepted 'run' at Completed, which the lifecycle refuses"),
        ("resume-running", "the system is at Running after 'resume' from NotResponding, where "),
    ],
)
def test_model_finds_accepted_illegal_events_and_wrong_targets(bug: str, message: str) -> None:
    """Accepting an event from a terminal status, or resuming elsewhere, fails the model."""
    with pytest.raises(LifecycleAssertionError) as info:
        run_model(
            lambda: Scheduler(bug),
            settings=settings(
                max_examples=200, derandomize=True, database=None, deadline=None,
                phases=[Phase.generate],  # found is enough here: shrinking is the costly part
            ),
        )  # fmt: skip
    assert str(info.value).startswith(message)


def test_model_without_reset_or_factory_is_refused() -> None:
    """An adapter instance without reset() cannot start each test case afresh: TypeError."""
    with pytest.raises(TypeError, match=r"has no reset\(\) method"):
        run_model(JobAdapter(), max_examples=1)
    with pytest.raises(TypeError, match="lacks fire"):
        run_model(lambda: object(), max_examples=1)


def test_model_reports_a_status_the_lifecycle_lacks() -> None:
    """A system reporting a misspelled status fails at the start, naming the statuses."""

    class Misspelled(Scheduler):
        def status(self) -> str:
            return "Not Started"

    with pytest.raises(LifecycleAssertionError, match="reports status 'Not Started'"):
        run_model(Misspelled, max_examples=5)


def test_model_rule_names_avoid_the_machines_own() -> None:
    """Events named like a method of the machine get a fire_ prefix; others keep their name."""
    clash = Lifecycle(
        name="clash",
        states=["New", "Done"],
        initial="New",
        terminal=["Done"],
        events=[EventSpec("teardown", "New", "Done"), EventSpec("finish", "New", "Done")],
    )
    machine = LifecycleModel(clash, JobAdapter)
    assert machine.__name__ == "ClashModel"
    assert callable(machine.fire_teardown)
    assert callable(machine.finish)
    run_model(lambda: JobAdapter(clash), clash, max_examples=10)


#: The model's TestCase is collected by pytest like any test class.
TestSchedulerModel = LifecycleModel(L, Scheduler).TestCase
TestSchedulerModel.settings = settings(max_examples=20, stateful_step_count=20, deadline=None)


def test_docs_counterexample_is_what_hypothesis_prints() -> None:
    """docs/testing.md's toy scheduler fails as the page shows, with the printed steps."""
    from tests.test_docs import _section, python_blocks

    page = REPO / "docs" / "testing.md"
    namespace: dict[str, object] = {"__name__": "docs:testing.md"}
    for line, code in python_blocks(page)[:2]:  # the scheduler, and the run expecting failure
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)
    failure = namespace["info"].value  # type: ignore[attr-defined]
    printed = [f"{type(failure).__module__}.{type(failure).__name__}: {failure}"]
    printed += [note for note in getattr(failure, "__notes__", []) if note.startswith("state")]
    shown = _section(page.read_text(encoding="utf-8"), "counterexample").splitlines()
    # The heading between message and steps is worded differently by Hypothesis versions.
    assert shown[0] == "```text"
    assert shown[-1] == "```"
    assert [shown[1], *shown[3:-1]] == printed
