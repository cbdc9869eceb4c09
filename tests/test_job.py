"""Job objects: construction, read-only attributes, events, history, observers, restore."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventSpec,
    GenericJob,
    HistoryEntry,
    IllegalTransitionError,
    InvalidHistoryError,
    Job,
    JobService,
    JobServiceType,
    JobStatus,
    PipelineJob,
    ReadOnlyAttributeError,
    SweepJob,
    UnknownEventError,
    UnknownStatusError,
    add_observer,
    generate_name,
    remove_observer,
)
from jobfsm.names import SUFFIX_ALPHABET
from tests.strategies import events_for, walks

L = DEFAULT_LIFECYCLE
S = JobStatus


def job_at(status: JobStatus) -> CommandJob:
    """A job put at *status* through real events along a shortest route."""
    job = CommandJob(name="j")
    path = [*(L.shortest_path(L.initial, status) or ()), status]
    for step in path if status != L.initial else []:
        event = next(e for e, ds in L.table[job.status].items() if step in ds)
        job.fire(event, to=step if len(L.table[job.status][event]) > 1 else None)
    assert job.status is status
    return job


# -- construction ---------------------------------------------------------------


def test_job_base_class_cannot_be_instantiated() -> None:
    """Job() raises TypeError naming the concrete classes."""
    with pytest.raises(TypeError, match="CommandJob, PipelineJob, SweepJob"):
        Job()


def test_constructor_keeps_extra_keyword_arguments() -> None:
    """Unknown keyword arguments are kept in extras; known ones become fields."""
    job = CommandJob(command="python train.py", compute="cpu", queue_settings={"tier": "low"})
    assert job.command == "python train.py"
    assert job.compute == "cpu"
    assert job.extras == {"queue_settings": {"tier": "low"}}
    assert job.type == "command"
    assert job.status is S.NOT_STARTED
    assert job.history == ()


def test_each_concrete_class_has_its_type() -> None:
    """CommandJob, PipelineJob, SweepJob and GenericJob report their Azure type."""
    assert PipelineJob(jobs={"a": {}}).type == "pipeline"
    assert SweepJob(trial={"command": "x"}).type == "sweep"
    generic = GenericJob(type="automl", task="classification")
    assert generic.type == "automl"
    assert generic.extras == {"task": "classification"}


def test_generic_job_requires_a_type() -> None:
    """GenericJob without type is a TypeError, like any missing argument."""
    with pytest.raises(TypeError, match="type"):
        GenericJob()  # type: ignore[call-arg]


def test_services_accept_objects_and_mappings() -> None:
    """services maps names to JobService; mappings are converted, kinds are an enum."""
    job = CommandJob(
        services={
            "studio": JobService(job_service_type="Studio", endpoint="https://studio/x"),
            "ssh": {"job_service_type": "ssh", "nodes": "all", "port": 22},
        }
    )
    assert job.services["ssh"].job_service_type is JobServiceType.SSH
    assert job.services["ssh"].nodes == "all"
    assert job.studio_url == "https://studio/x"
    with pytest.raises(ValueError, match="'all' or None"):
        JobService(nodes="some")
    with pytest.raises(ValueError, match="bogus"):
        JobService(job_service_type="bogus")
    with pytest.raises(ValueError, match=r"TCP port number \(1-65535\), got 'abc'"):
        JobService(port="abc")  # type: ignore[arg-type]
    assert JobService(port=8888).port == 8888


@pytest.mark.parametrize(
    "attribute",
    ["status", "type", "id", "base_path", "creation_context", "log_files", "studio_url",
     "history", "lifecycle"],
)  # fmt: skip
def test_read_only_attributes_refuse_assignment(attribute: str) -> None:
    """Assigning a service-owned attribute raises ReadOnlyAttributeError with a hint."""
    job = CommandJob()
    with pytest.raises(ReadOnlyAttributeError, match=f"'{attribute}' is read-only: ") as info:
        setattr(job, attribute, "x")
    assert isinstance(info.value, AttributeError)
    assert job.status is S.NOT_STARTED


def test_base_path_is_the_current_folder_unless_given(tmp_path: Path) -> None:
    """base_path defaults to the current directory; a given folder is kept as a Path."""
    assert CommandJob().base_path == Path.cwd()
    assert CommandJob(base_path=str(tmp_path)).base_path == tmp_path


def test_id_and_studio_url() -> None:
    """assign_id builds the ARM id; studio_url is derived from it without a Studio service."""
    job = CommandJob(name="calm_otter_1234567890")
    with pytest.raises(ValueError, match="needs a name"):
        CommandJob().assign_id("sub", "rg", "ws")
    arm = job.assign_id("sub", "rg", "ws")
    assert arm == (
        "/subscriptions/sub/resourceGroups/rg/providers/"
        "Microsoft.MachineLearningServices/workspaces/ws/jobs/calm_otter_1234567890"
    )
    assert job.id == arm
    assert job.studio_url == (
        "https://ml.azure.com/runs/calm_otter_1234567890"
        "?wsid=/subscriptions/sub/resourcegroups/rg/workspaces/ws"
    )
    assert CommandJob().studio_url is None


def test_generated_names_have_the_documented_shape() -> None:
    """Names are adjective_noun_ plus 10 characters of the suffix alphabet."""
    pattern = re.compile(rf"^[a-z]+_[a-z]+_[{SUFFIX_ALPHABET}]{{10}}$")
    names = {generate_name() for _ in range(200)}
    assert all(pattern.match(n) for n in names)
    assert len(names) == 200


def test_submission_applies_name_and_experiment_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start() names the job and sets experiment_name from the folder without spaces."""
    folder = tmp_path / "my project 2"
    folder.mkdir()
    monkeypatch.chdir(folder)
    job = CommandJob()
    assert job.name is None
    assert job.experiment_name is None  # a loaded or new job keeps what it says
    job.start()
    assert job.experiment_name == "myproject2"
    assert job.name
    assert re.match(r"^[a-z]+_[a-z]+_\w{10}$", job.name)
    named = CommandJob(name="given", experiment_name="exp")
    named.start()
    assert (named.name, named.experiment_name) == ("given", "exp")


def test_experiment_default_is_default_at_the_filesystem_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a folder with an empty name the experiment is called Default."""
    monkeypatch.chdir("/")
    job = CommandJob()
    job.start()
    assert job.experiment_name == "Default"


# -- events ---------------------------------------------------------------------


def test_every_event_has_a_typed_method() -> None:
    """Job has exactly one method per event of the default lifecycle."""
    for event in L.event_names:
        assert callable(getattr(CommandJob, event)), event


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("event", list(L.event_names))
def test_state_event_grid(status: JobStatus, event: str) -> None:
    """Each of the 12 x 12 (status, event) pairs does what the lifecycle table says."""
    job = job_at(status)
    before = job.history
    dests = L.table[status].get(event)
    if dests is None:
        with pytest.raises(IllegalTransitionError) as info:
            getattr(job, event)()
        assert (info.value.from_, info.value.event) == (status, event)
        assert info.value.allowed == L.allowed_events(status)
        assert job.status is status
        assert job.history == before
        assert not job.can(event)
        return
    assert job.can(event)
    assert event in job.allowed_events
    for dest in dests:
        probe = job_at(status)
        probe.restore(status, before)
        probe.fire(event, to=dest)
        assert probe.status is dest
        assert probe.history[-1].from_ is status
        assert probe.history[-1].to is dest
        assert probe.history[-1].event == event


def test_illegal_event_message_lists_allowed_events() -> None:
    """The error names the job, the event, the status and the allowed events."""
    job = job_at(S.QUEUED)
    with pytest.raises(IllegalTransitionError) as info:
        job.finalize()
    message = str(info.value)
    assert message == (
        "job 'j': event 'finalize' is not allowed from 'Queued' "
        "(allowed events: 'run', 'fail', 'request_cancel', 'lose_heartbeat')"
    )
    assert isinstance(info.value, RuntimeError)
    assert info.value.job == "j"


def test_terminal_status_allows_nothing() -> None:
    """From a terminal status the error says so."""
    job = job_at(S.COMPLETED)
    with pytest.raises(IllegalTransitionError, match=r"\(terminal: no events allowed\)"):
        job.run()
    assert job.allowed_events == ()


def test_unknown_event_name() -> None:
    """fire() and can() with a name the lifecycle lacks raise UnknownEventError."""
    with pytest.raises(UnknownEventError, match="did you mean 'start'"):
        CommandJob().fire("strat")
    with pytest.raises(UnknownEventError, match="did you mean 'start'"):
        CommandJob().can("strat")


def test_history_records_each_event_in_utc() -> None:
    """history holds (from, to, event, at) for every applied event, oldest first."""
    job = CommandJob()
    t0 = datetime.now(UTC)
    for event in ("start", "provision", "prepare", "queue", "run", "finalize", "complete"):
        job.fire(event)
    assert [h.event for h in job.history] == [
        "start", "provision", "prepare", "queue", "run", "finalize", "complete",
    ]  # fmt: skip
    assert [h.to for h in job.history][-1] is S.COMPLETED
    assert all(h.at.tzinfo is UTC and h.at >= t0 for h in job.history)
    assert all(a.to is b.from_ for a, b in zip(job.history, job.history[1:], strict=False))


def test_resume_returns_to_the_status_held_before() -> None:
    """resume() goes back to the active status the job had before NotResponding."""
    job = job_at(S.QUEUED)
    job.lose_heartbeat()
    assert job.resume() is S.QUEUED
    job.lose_heartbeat()
    assert job.resume(to=S.RUNNING) is S.RUNNING


def test_resume_to_a_non_active_status_is_refused() -> None:
    """resume(to=...) only accepts active statuses; the job stays NotResponding."""
    job = job_at(S.RUNNING)
    job.lose_heartbeat()
    with pytest.raises(IllegalTransitionError, match="'resume' from 'NotResponding' leads to"):
        job.resume(to=S.COMPLETED)
    with pytest.raises(UnknownStatusError):
        job.resume(to="Sleeping")
    assert job.status is S.NOT_RESPONDING


def test_resume_without_known_previous_status_needs_a_target() -> None:
    """A job restored at NotResponding without history must be told where to resume."""
    job = CommandJob()
    job.restore(S.NOT_RESPONDING)
    with pytest.raises(IllegalTransitionError, match="pass to= one of"):
        job.resume()
    assert job.resume(to="Running") is S.RUNNING


def test_custom_lifecycle_drives_jobs() -> None:
    """A job built with an extended lifecycle fires its extra events by name."""
    paused = L.extend(
        states=["Paused"],
        events=[EventSpec("pause", "Running", "Paused"), EventSpec("unpause", "Paused", "Running")],
    )
    job = CommandJob(lifecycle=paused)
    for event in ("start", "prepare", "queue", "run", "pause"):
        job.fire(event)
    assert job.status == "Paused"
    assert job.status is paused.status_enum.PAUSED
    assert job.lifecycle is paused
    assert job.allowed_events == ("unpause",)
    with pytest.raises(UnknownEventError):
        CommandJob().fire("pause")


# -- observers ------------------------------------------------------------------


def test_job_observer_sees_each_change() -> None:
    """A job observer is called with the job and the new history entry."""
    seen: list[tuple[str, str]] = []
    job = CommandJob()
    job.add_observer(lambda j, e: seen.append((e.event, j.status)))
    job.start()
    job.prepare()
    assert seen == [("start", S.STARTING), ("prepare", S.PREPARING)]
    assert CommandJob().start() is S.STARTING  # other jobs are not observed
    assert len(seen) == 2


def test_lifecycle_observer_sees_every_job() -> None:
    """add_observer() without a job watches every job of the lifecycle until removed."""
    seen: list[str] = []

    def observer(job: Job, entry: HistoryEntry) -> None:
        seen.append(f"{job.name}:{entry.event}")

    add_observer(observer)
    try:
        CommandJob(name="a").start()
        CommandJob(name="b").start()
    finally:
        remove_observer(observer)
    CommandJob(name="c").start()
    assert seen == ["a:start", "b:start"]


def test_failing_observer_leaves_the_job_unchanged() -> None:
    """An observer that raises undoes status, history and submission defaults."""
    job = CommandJob()

    def refuse(job: Job, entry: HistoryEntry) -> None:
        raise RuntimeError("database down")

    job.add_observer(refuse)
    with pytest.raises(RuntimeError, match="database down"):
        job.start()
    assert job.status is S.NOT_STARTED
    assert job.history == ()
    assert job.name is None
    assert job.experiment_name is None
    job.remove_observer(refuse)
    job.start()
    assert job.status is S.STARTING


def test_failing_observer_mid_life_rolls_back_only_that_event() -> None:
    """Earlier history survives a rolled-back event."""
    job = job_at(S.QUEUED)
    before = job.history
    job.add_observer(lambda j, e: (_ for _ in ()).throw(ValueError("nope")))
    with pytest.raises(ValueError, match="nope"):
        job.run()
    assert job.status is S.QUEUED
    assert job.history == before


# -- restore --------------------------------------------------------------------


def test_restore_fires_no_observer_and_keeps_history() -> None:
    """restore() puts a job at a status with its history and calls nobody."""
    source = job_at(S.RUNNING)
    calls: list[object] = []

    def observer(job: Job, entry: HistoryEntry) -> None:
        calls.append(entry)

    add_observer(observer)
    try:
        copy = CommandJob(name="j", experiment_name=source.experiment_name)
        copy.add_observer(observer)
        copy.restore("Running", source.history)
    finally:
        remove_observer(observer)
    assert calls == []
    assert copy == source
    copy.finalize()
    assert copy.status is S.FINALIZING


def test_restore_rejects_histories_the_lifecycle_cannot_produce() -> None:
    """A history with a non-edge, a gap or a wrong end is refused; the job is untouched."""
    at = datetime.now(UTC)
    job = CommandJob()
    bad_edge = [HistoryEntry(S.NOT_STARTED, S.RUNNING, "run", at)]
    with pytest.raises(InvalidHistoryError, match="entry 0: NotStarted --run--> Running"):
        job.restore(S.RUNNING, bad_edge)
    gap = [
        HistoryEntry(S.NOT_STARTED, S.STARTING, "start", at),
        HistoryEntry(S.PREPARING, S.QUEUED, "queue", at),
    ]
    with pytest.raises(InvalidHistoryError, match="entry 1: starts at Preparing"):
        job.restore(S.QUEUED, gap)
    with pytest.raises(InvalidHistoryError, match="ends at Starting but the status is Running"):
        job.restore(S.RUNNING, gap[:1])
    with pytest.raises(UnknownStatusError, match="did you mean 'Canceled'"):
        job.restore("Cancelled")
    assert job.status is S.NOT_STARTED
    assert job.history == ()


# -- concurrency ----------------------------------------------------------------


def test_threads_racing_on_the_same_event_apply_it_once() -> None:
    """Many threads firing the same event at the same jobs: each job moves exactly once."""
    jobs = [CommandJob(name=f"j{i}") for i in range(50)]
    applied = [0] * len(jobs)
    refused = [0] * len(jobs)
    barrier = threading.Barrier(8)
    count_lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        for index, job in enumerate(jobs):
            try:
                job.start()
            except IllegalTransitionError:
                with count_lock:
                    refused[index] += 1
            else:
                with count_lock:
                    applied[index] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert applied == [1] * len(jobs)
    assert refused == [7] * len(jobs)
    assert all(len(job.history) == 1 and job.status is S.STARTING for job in jobs)


def test_threads_walking_different_jobs_do_not_interfere() -> None:
    """Independent jobs driven from different threads all finish with full histories."""
    happy = ("start", "provision", "prepare", "queue", "run", "finalize", "complete")
    jobs = [CommandJob() for _ in range(40)]

    def walk(chunk: list[CommandJob]) -> None:
        for job in chunk:
            for event in happy:
                job.fire(event)

    threads = [threading.Thread(target=walk, args=(jobs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(job.status is S.COMPLETED and len(job.history) == len(happy) for job in jobs)


def test_afire_applies_events_from_coroutines() -> None:
    """afire() works in asyncio code, also while another thread holds the job's lock."""

    async def scenario() -> list[JobStatus]:
        job = CommandJob()
        first = await job.afire("start")
        lock = job._get_lock()
        holder_ready = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with lock:
                holder_ready.set()
                release.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        holder_ready.wait(5)
        pending = asyncio.ensure_future(job.afire("prepare"))
        await asyncio.sleep(0.05)
        assert not pending.done()  # waiting in a worker thread, the loop still runs
        release.set()
        second = await pending
        holder.join()
        return [first, second]

    assert asyncio.run(scenario()) == [S.STARTING, S.PREPARING]


def test_afire_raises_the_same_errors() -> None:
    """afire() refuses illegal events like fire()."""
    with pytest.raises(IllegalTransitionError):
        asyncio.run(CommandJob().afire("run"))


# -- the shared machine -----------------------------------------------------------


def test_one_machine_per_lifecycle_and_no_registered_models() -> None:
    """Jobs share their lifecycle's machine and are never added to it as models."""
    from jobfsm.machine import engine_for

    engine = engine_for(L)
    jobs = [CommandJob() for _ in range(100)]
    for job in jobs:
        job.start()
    assert engine_for(L) is engine
    assert engine.machine.models == []
    assert not engine.machine.auto_transitions
    assert all(job._engine is engine for job in jobs)


def test_only_the_machine_module_imports_transitions() -> None:
    """transitions is an implementation detail of jobfsm.machine."""
    package = Path(__file__).resolve().parents[1] / "jobfsm"
    importers = [
        path.name
        for path in package.rglob("*.py")
        if re.search(r"^\s*(from|import) transitions", path.read_text(), re.M)
    ]
    assert importers == ["machine.py"]


def test_jobs_are_attrs_classes_with_slots() -> None:
    """Jobs are slotted attrs classes (no per-instance __dict__)."""
    assert attrs.has(CommandJob)
    assert not hasattr(CommandJob(), "__dict__")


# -- copies, pickling, evolve ----------------------------------------------------

_PAUSABLE = DEFAULT_LIFECYCLE.extend(
    name="pausable for copies",
    states=["Paused"],
    events=[EventSpec("pause", "Running", "Paused"), EventSpec("fail", "Paused", "Failed")],
)


def _running(lifecycle: object = DEFAULT_LIFECYCLE) -> CommandJob:
    job = CommandJob(name="c", experiment_name="e", tags={"k": "v"}, lifecycle=lifecycle)
    for event in ("start", "prepare", "queue", "run"):
        job.fire(event)
    return job


def test_a_shallow_copy_has_its_own_history() -> None:
    """Events fired at copy.copy(job) leave the original's status and history alone."""
    import copy

    job = _running()
    before = job.history
    twin = copy.copy(job)
    assert twin == job
    twin.finalize()
    assert job.status is S.RUNNING
    assert job.history == before
    assert len(twin.history) == len(before) + 1


@pytest.mark.parametrize("lifecycle", [DEFAULT_LIFECYCLE, _PAUSABLE], ids=["default", "custom"])
def test_jobs_deepcopy_and_pickle(lifecycle: object) -> None:
    """deepcopy and pickle keep fields, lifecycle, status and history; the copy fires on."""
    import copy
    import pickle

    job = _running(lifecycle)
    job.add_observer(lambda j, e: None)  # observers (often closures) are not carried over
    for twin in (copy.deepcopy(job), pickle.loads(pickle.dumps(job))):
        assert twin == job
        assert twin is not job
        assert twin.lifecycle == job.lifecycle
        assert twin.status is job.status
        assert twin._observers is None
        assert twin.tags == job.tags
        assert twin.tags is not job.tags
        twin.fire("pause" if lifecycle is _PAUSABLE else "finalize")
        assert job.status == "Running"
        assert twin.status != "Running"


def test_a_job_pickles_for_another_process(tmp_path: Path) -> None:
    """A pickled job of a custom lifecycle loads in a fresh interpreter and fires there."""
    import pickle
    import subprocess
    import sys

    (tmp_path / "job.pickle").write_bytes(pickle.dumps(_running(_PAUSABLE)))
    code = (
        "import pickle, sys; job = pickle.load(open(sys.argv[1], 'rb')); "
        "print(job.status, job.fire('pause'), len(job.history), job.lifecycle.name)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "job.pickle")],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert out.stdout.split() == ["Running", "Paused", "5", "pausable", "for", "copies"]


def test_attrs_evolve_keeps_the_lifecycle_and_adds_no_extras() -> None:
    """attrs.evolve(job, ...) makes an unsubmitted job of the same lifecycle and fields."""
    job = _running(_PAUSABLE)
    other = attrs.evolve(job, name="other")
    assert other.name == "other"
    assert other.tags == job.tags
    assert other.lifecycle is job.lifecycle
    assert other.extras == {}
    assert other.status is other.lifecycle.status("NotStarted")
    assert other.history == ()


def test_jobs_of_different_lifecycles_are_not_equal() -> None:
    """Equal fields, status and history do not make jobs equal when their lifecycles differ."""
    assert CommandJob(name="n") == CommandJob(name="n")
    assert CommandJob(name="n") != CommandJob(name="n", lifecycle=_PAUSABLE)


# -- restore: times --------------------------------------------------------------


def test_restore_takes_naive_times_as_utc_and_converts_aware_ones() -> None:
    """History times come back aware and in UTC, as live events record them."""
    from datetime import timedelta, timezone

    naive = datetime(2024, 5, 1, 12, 0)
    plus_two = datetime(2024, 5, 1, 14, 1, tzinfo=timezone(timedelta(hours=2)))
    job = CommandJob(name="a", experiment_name="e")
    job.restore(
        "Preparing",
        [
            HistoryEntry(S.NOT_STARTED, S.STARTING, "start", naive),
            HistoryEntry(S.STARTING, S.PREPARING, "prepare", plus_two),
        ],
    )
    assert [h.at for h in job.history] == [
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 1, tzinfo=UTC),
    ]
    assert all(h.at.tzinfo is UTC for h in job.history)


def test_restore_rejects_a_time_that_is_not_a_datetime() -> None:
    """A history entry whose time is not a datetime is refused, naming the entry."""
    job = CommandJob()
    bad = HistoryEntry(S.NOT_STARTED, S.STARTING, "start", "2024-05-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidHistoryError, match=r"'2024-05-01'.*datetime") as info:
        job.restore("Starting", [bad])
    assert info.value.index == 0
    assert job.status is S.NOT_STARTED


# -- re-entrancy and interrupts --------------------------------------------------


def test_an_observer_may_fire_on_the_same_job() -> None:
    """An observer's own event is applied after the outer one; fire returns the final status."""
    job = CommandJob(name="r", experiment_name="e")
    job.add_observer(lambda j, e: j.fire("prepare") if e.event == "start" else None)
    assert job.start() is S.PREPARING
    assert [h.event for h in job.history] == ["start", "prepare"]


def test_vetoing_an_event_also_undoes_what_its_observers_fired() -> None:
    """When a later observer raises, the outer event and the nested one are both undone."""
    job = CommandJob(name="r", experiment_name="e")
    job.add_observer(lambda j, e: j.fire("prepare") if e.event == "start" else None)

    def veto(j: Job, entry: HistoryEntry) -> None:
        if entry.event == "start":
            raise ConnectionError("store is down")

    job.add_observer(veto)
    with pytest.raises(ConnectionError):
        job.start()
    assert job.status is S.NOT_STARTED
    assert job.history == ()


def test_keyboard_interrupt_in_an_observer_rolls_back() -> None:
    """A BaseException from an observer undoes the change and the submission defaults."""
    job = CommandJob()

    def interrupt(j: Job, entry: HistoryEntry) -> None:
        raise KeyboardInterrupt

    job.add_observer(interrupt)
    with pytest.raises(KeyboardInterrupt):
        job.start()
    assert job.status is S.NOT_STARTED
    assert job.history == ()
    assert job.name is None
    assert job.experiment_name is None


def test_bad_services_name_the_service_and_the_valid_values() -> None:
    """An unknown service type lists the valid ones; a non-mapping service is named."""
    with pytest.raises(ValueError, match=r"'bogus'.*valid: .*'ssh'.*'Studio'"):
        JobService(job_service_type="bogus")
    with pytest.raises(TypeError, match=r"service 'web' must be a JobService or a mapping"):
        CommandJob(services={"web": "https://x"})


@pytest.mark.parametrize("event", [None, 123])
def test_an_event_that_is_not_a_string_is_an_unknown_event(event: object) -> None:
    """fire() with a non-string event raises UnknownEventError listing the events."""
    job = CommandJob()
    with pytest.raises(UnknownEventError, match=r"unknown event .* \(known events: 'start'"):
        job.fire(event)  # type: ignore[arg-type]
    assert job.status is S.NOT_STARTED


def test_restore_names_an_entry_that_is_not_a_history_entry() -> None:
    """restore() refuses history items that are not HistoryEntry values, naming the index."""
    job = CommandJob()
    with pytest.raises(InvalidHistoryError, match="not a HistoryEntry") as info:
        job.restore("Starting", [("NotStarted", "Starting", "start", datetime.now(UTC))])  # type: ignore[list-item]
    assert info.value.index == 0


def test_removing_an_observer_that_was_not_added_says_so() -> None:
    """remove_observer of an unknown observer raises ValueError naming it and its target."""

    def stranger(_job: Job, _entry: HistoryEntry) -> None:
        pass

    job = CommandJob(name="etl")
    with pytest.raises(ValueError, match=r"stranger.* is not an observer of job 'etl'"):
        job.remove_observer(stranger)
    with pytest.raises(
        ValueError, match=r"stranger.* is not an observer of lifecycle 'Azure ML job'"
    ):
        remove_observer(stranger)


@settings(max_examples=60, deadline=None)
@given(walks())
def test_pickled_jobs_equal_the_original_on_any_walk(walk: list[JobStatus]) -> None:
    """Along any legal walk, a pickled job equals the original and fires like it."""
    import pickle

    job = CommandJob(name="w", experiment_name="e")
    for event, target in events_for(walk):
        job.fire(event, to=target)
    twin = pickle.loads(pickle.dumps(job))
    assert twin == job
    assert twin.history == job.history
    assert twin.allowed_events == job.allowed_events
    for event in job.allowed_events[:1]:
        to = job.lifecycle.table[job.status][event][0]
        assert twin.fire(event, to=to) is job.fire(event, to=to)


def test_attrs_evolve_can_change_the_lifecycle() -> None:
    """attrs.evolve(job, lifecycle=...) gives a job of that lifecycle, with no engine in extras."""
    job = CommandJob(name="n")
    moved = attrs.evolve(job, lifecycle=_PAUSABLE)
    assert moved.lifecycle == _PAUSABLE
    assert moved.extras == {}
    assert moved.status is _PAUSABLE.status_enum.NOT_STARTED


def test_job_is_terminal_and_is_active() -> None:
    """job.is_terminal / job.is_active follow the job's status."""
    job = CommandJob()
    assert not job.is_active
    assert not job.is_terminal
    job.start()
    assert job.is_active
    job.fail()
    assert job.is_terminal
    assert not job.is_active


def test_observers_work_as_decorators() -> None:
    """jobfsm.add_observer and job.add_observer return the observer, so both decorate."""
    seen: list[str] = []
    job = CommandJob()

    @job.add_observer
    def on_job(j: Job, entry: HistoryEntry) -> None:
        seen.append(f"job:{entry.event}")

    @add_observer
    def on_all(j: Job, entry: HistoryEntry) -> None:
        if j is job:
            seen.append(f"all:{entry.event}")

    @add_observer(lifecycle=DEFAULT_LIFECYCLE)
    def on_lifecycle(j: Job, entry: HistoryEntry) -> None:
        if j is job:
            seen.append(f"lifecycle:{entry.event}")

    try:
        job.start()
    finally:
        remove_observer(on_all)
        remove_observer(on_lifecycle)
    assert seen == ["all:start", "lifecycle:start", "job:start"]
    assert callable(on_job)


def test_async_observers_are_refused() -> None:
    """An async def observer is refused when added; one returning an awaitable undoes
    the change it was called for."""
    from jobfsm import AsyncObserverError

    async def notify(j: Job, entry: HistoryEntry) -> None:
        pass

    class Notifier:
        async def __call__(self, j: Job, entry: HistoryEntry) -> None:
            pass

    job = CommandJob()
    for observer in (notify, Notifier()):
        with pytest.raises(AsyncObserverError, match="coroutine function"):
            job.add_observer(observer)
        with pytest.raises(TypeError, match="plain functions"):
            add_observer(observer)
    job.add_observer(lambda j, entry: notify(j, entry))
    with pytest.raises(AsyncObserverError, match="returned an awaitable"):
        job.start()
    assert job.status is JobStatus.NOT_STARTED
    assert job.history == ()


# -- constructor keywords that are almost fields ----------------------------------


@pytest.mark.parametrize(
    ("cls", "keyword", "field"),
    [
        (CommandJob, "comand", "command"),
        (CommandJob, "enviroment", "environment"),
        (CommandJob, "Command", "command"),
        (PipelineJob, "job", "jobs"),
        (SweepJob, "objectiv", "objective"),
        (GenericJob, "tag", "tags"),
    ],
)
def test_keyword_one_edit_from_a_field_is_a_type_error(
    cls: type[Job], keyword: str, field: str
) -> None:
    """A keyword one edit away from a field raises TypeError naming the field,
    instead of landing silently in extras."""
    kwargs: dict[str, Any] = {keyword: "x"}
    if cls is GenericJob:
        kwargs["type"] = "automl"
    with pytest.raises(TypeError, match=f"did you mean '{field}'") as caught:
        cls(**kwargs)
    assert "extras=" in str(caught.value)


@pytest.mark.parametrize("keyword", ["status", "history", "studio_url", "type"])
def test_keyword_naming_a_read_only_attribute_is_a_type_error(keyword: str) -> None:
    """status=, history=, ... raise TypeError with the read-only hint."""
    with pytest.raises(TypeError, match=f"'{keyword}' is read-only"):
        CommandJob(command="echo", **{keyword: "x"})


def test_other_keywords_and_explicit_extras_are_kept() -> None:
    """A keyword far from every field is an extra; extras= may hold anything."""
    job = CommandJob(command="echo", queue_settings={"tier": "spot"}, extras={"comand": 1})
    assert job.extras == {"comand": 1, "queue_settings": {"tier": "spot"}}
    assert GenericJob(type="automl", task="classification").extras == {"task": "classification"}
