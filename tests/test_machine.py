"""Real jobs driven by Hypothesis against a plain dict oracle built from the edge table."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    HistoryEntry,
    IllegalTransitionError,
    Job,
    JobStatus,
)

L = DEFAULT_LIFECYCLE

# The oracle: (status value, event) -> list of destination values, nothing more.
ORACLE: dict[tuple[str, str], list[str]] = {}
for _edge in L.edges:
    ORACLE.setdefault((_edge.source.value, _edge.event), []).append(_edge.dest.value)


class _Model:
    """What the oracle expects of one job."""

    def __init__(self) -> None:
        self.status = "NotStarted"
        self.before = ""  # status held before the current one
        self.events: list[str] = []


class LifecycleMachine(RuleBasedStateMachine):
    """Random events on random jobs; every outcome must match the dict oracle."""

    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[int, _Model] = {}
        self.live: list[CommandJob] = []

    @rule(target=jobs)
    def new_job(self) -> CommandJob:
        job = CommandJob(name=f"job{len(self.live)}", experiment_name="e")
        self.models[id(job)] = _Model()
        self.live.append(job)
        return job

    @rule(
        job=jobs,
        event=st.sampled_from(L.event_names),
        to=st.none() | st.sampled_from([s.value for s in JobStatus]),
    )
    def fire(self, job: CommandJob, event: str, to: str | None) -> None:
        target = to
        model = self.models[id(job)]
        dests = ORACLE.get((model.status, event))
        expected: str | None
        if dests is None:
            expected = None
        elif target is not None:
            expected = target if target in dests else None
        elif len(dests) == 1:
            expected = dests[0]
        else:
            expected = model.before if model.before in dests else None
        try:
            job.fire(event, to=target)
        except IllegalTransitionError as err:
            # The oracle decides whether a refusal is expected, so pytest.raises cannot.
            assert expected is None, f"{model.status} --{event}--> {target}: refused: {err}"  # noqa: PT017
            assert err.from_ == model.status  # noqa: PT017
            return
        assert expected is not None, f"{model.status} --{event}--> accepted, oracle refuses"
        assert job.status == expected
        model.before, model.status = model.status, expected
        model.events.append(event)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def observer_failure_changes_nothing(self, data: st.DataObject) -> None:
        job = data.draw(st.sampled_from(self.live))
        model = self.models[id(job)]
        allowed = [e for (s, e), ds in ORACLE.items() if s == model.status and len(ds) == 1]
        if not allowed:
            return
        event = data.draw(st.sampled_from(sorted(allowed)))

        def boom(job: Job, entry: HistoryEntry) -> None:
            raise KeyError("observer failed")

        job.add_observer(boom)
        try:
            job.fire(event)
        except KeyError:
            pass
        else:
            raise AssertionError("the observer's exception was swallowed")
        finally:
            job.remove_observer(boom)

    @invariant()
    def jobs_match_their_models(self) -> None:
        for job in self.live:
            model = self.models[id(job)]
            assert job.status == model.status
            assert [h.event for h in job.history] == model.events
            pairs = zip(job.history, job.history[1:], strict=False)
            assert all(a.to == b.from_ for a, b in pairs)
            if job.history:
                assert job.history[0].from_ == L.initial
                assert job.history[-1].to == job.status
            assert job.allowed_events == tuple(
                e for e in L.event_names if (model.status, e) in ORACLE
            )


LifecycleMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40)
TestLifecycleMachine = LifecycleMachine.TestCase


def test_transitions_hooks_the_engine_overrides_are_there() -> None:
    """The engine overrides hooks of transitions 0.9: the installed version still has them."""
    import inspect

    import transitions
    from transitions import Machine, State

    major, minor = (int(part) for part in transitions.__version__.split(".")[:2])
    assert (major, minor) == (0, 9), "check jobfsm.machine's overrides before allowing it"
    for owner, name, params in (
        (Machine, "get_state", ["self", "state"]),
        (Machine, "get_model_state", ["self", "model"]),
        (Machine, "set_state", ["self", "state", "model"]),
        (Machine, "callbacks", ["self", "funcs", "event_data"]),
        (State, "enter", ["self", "event_data"]),
        (State, "exit", ["self", "event_data"]),
    ):
        assert list(inspect.signature(getattr(owner, name)).parameters) == params


def test_the_shared_machine_names_states_by_spelling_and_jobs_keep_members() -> None:
    """The machine's states are the spellings; after an event the job holds the enum member."""
    from jobfsm import CommandJob, JobStatus
    from jobfsm.machine import engine_for

    machine = engine_for(DEFAULT_LIFECYCLE).machine
    assert set(machine.states) == {s.value for s in JobStatus}
    job = CommandJob(name="j", experiment_name="e")
    job.start()
    assert type(job.status) is JobStatus
    assert job.status is JobStatus.STARTING
    assert machine.get_state(JobStatus.RUNNING) is machine.states["Running"]


def test_state_callbacks_still_run_through_transitions() -> None:
    """A state with enter/exit callbacks goes through transitions' own enter and exit."""
    from jobfsm import CommandJob
    from jobfsm.machine import engine_for

    machine = engine_for(DEFAULT_LIFECYCLE).machine
    seen: list[str] = []
    state = machine.states["Preparing"]
    state.add_callback("enter", lambda event_data: seen.append("enter"))
    state.add_callback("exit", lambda event_data: seen.append("exit"))
    try:
        job = CommandJob(name="j", experiment_name="e")
        job.start()
        job.prepare()
        job.queue()
    finally:
        state.on_enter.clear()
        state.on_exit.clear()
    assert seen == ["enter", "exit"]
