"""Creating jobs and firing their events: jobfsm against what a user would write instead.

Two comparisons, each timed interleaved in one process (see ``common``):

1. **Creating jobs**: ``CommandJob`` against a plain attrs record with the
   same constructor fields, all defaulting to ``None`` (the anchor: what a
   user would write to hold a job's fields), timed with the garbage collector
   on while 100,000 objects of the subject's kind are alive (a scheduler's
   steady state); then with the collector off, and beside them a
   ``transitions.Machine`` per object, a shared ``Machine`` with
   ``add_model`` and a python-statemachine instance; then the bytes each job
   keeps allocated against the record's.
2. **Firing the happy path** (start, prepare, queue, run, finalize, complete):
   ``Job.fire`` (history and per-job lock included), for jobs created with a
   name and for unnamed jobs (which ``start`` names), against raw
   module-level ``transitions`` dispatch (the anchor:
   ``machine.events[name].trigger(obj)`` on a plain machine with the same
   states as plain strings, ``model_attribute="status"``, the same edges and
   no callbacks), a ``transitions.Machine`` per object and python-statemachine.

Every machine here is generated from ``DEFAULT_LIFECYCLE``: the same 12 states
and 39 edges for every subject.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
from statemachine import State, StateMachine
from transitions import Machine

from benchmarks.common import (
    Comparison,
    Subject,
    anchored_rows,
    bytes_per_object,
    compare,
    memory_row,
    time_row,
)
from jobfsm import DEFAULT_LIFECYCLE, CommandJob, set_compiled_dispatch

__all__ = ["HAPPY_PATH", "measure"]

LIFECYCLE = DEFAULT_LIFECYCLE
HAPPY_PATH = ("start", "prepare", "queue", "run", "finalize", "complete")

# What a scheduler passes when it makes a job. Name and experiment are given so
# that `start` does not read the current directory; the unnamed jobs of the
# dispatch comparison leave both out, so that `start` names them.
JOB_ARGS: dict[str, Any] = {
    "name": "train_model_1",
    "experiment_name": "bench",
    "command": "python train.py",
    "environment": "azureml:env:1",
    "compute": "cpu-cluster",
}
UNNAMED_ARGS = {k: v for k, v in JOB_ARGS.items() if k not in ("name", "experiment_name")}

CREATE_TARGET = 1.1  # x a plain attrs record of the same fields, GC on, 100,000 alive
OVERHEAD_TARGET = 64.0  # bytes per job over that record
DISPATCH_TARGET = 1.0  # x raw module-level transitions dispatch, string states
ALIVE = 100_000  # objects of each subject's kind kept alive while creating more


# -- the subjects ----------------------------------------------------------------


def _record_class(*, slots: bool) -> type:
    """A plain attrs record of CommandJob's constructor fields, every one defaulting to None.

    Derived from ``CommandJob``'s own fields so that the two cannot drift:
    every field the constructor takes (by its public name), minus the
    lifecycle; the status, history, lock and observer slots are the FSM part
    being measured. ``None`` defaults are what a user would write: the
    record makes no dictionaries either.
    """
    fields = {
        field.alias: attrs.field(default=None)
        for field in attrs.fields(CommandJob)
        if field.init and field.alias != "engine"
    }
    return attrs.make_class(
        "JobRecord" if slots else "JobRecordDict", fields, slots=slots, kw_only=True
    )


BareJob = _record_class(slots=True)
# transitions sets trigger methods on its model, which slotted classes refuse.
BareDictJob = _record_class(slots=False)


def _transition_specs() -> list[dict[str, Any]]:
    return [{"trigger": e.event, "source": e.source, "dest": e.dest} for e in LIFECYCLE.edges]


def _machine(model: object | None, **extra: Any) -> Machine:
    """A plain transitions machine of the lifecycle: no callbacks, no auto transitions."""
    return Machine(
        model=model,
        states=list(LIFECYCLE.status_enum),
        initial=LIFECYCLE.status(LIFECYCLE.initial),
        transitions=_transition_specs(),
        auto_transitions=False,
        **extra,
    )


#: The raw anchor: one module-level machine with plain string states, the
#: model passed per call.
RAW_MACHINE = Machine(
    model=None,
    states=[str(status) for status in LIFECYCLE.statuses],
    initial=str(LIFECYCLE.initial),
    transitions=[
        {"trigger": e.event, "source": str(e.source), "dest": str(e.dest)} for e in LIFECYCLE.edges
    ],
    auto_transitions=False,
    model_attribute="status",
)


class PlainModel:
    """The smallest model raw dispatch needs: one status slot holding a string."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status = str(LIFECYCLE.initial)


def _identifier(status: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in status).lstrip("_")


def chart_event(event: str) -> str:
    """The python-statemachine attribute of *event* (``prepare`` is one of its own)."""
    return f"{event}_" if hasattr(StateMachine, event) else event


CHART_HAPPY_PATH = tuple(map(chart_event, HAPPY_PATH))


@functools.cache
def statechart_class() -> type[StateMachine]:
    """A python-statemachine class generated from the lifecycle (built once)."""
    states = {
        status: State(
            value=str(status),
            initial=status == LIFECYCLE.initial,
            final=status in LIFECYCLE.terminal,
        )
        for status in LIFECYCLE.statuses
    }
    namespace: dict[str, Any] = {_identifier(s): state for s, state in states.items()}
    for event in LIFECYCLE.event_names:
        moves = [states[e.source].to(states[e.dest]) for e in LIFECYCLE.edges if e.event == event]
        namespace[chart_event(event)] = functools.reduce(lambda a, b: a | b, moves)
    return type("JobLifecycleChart", (StateMachine,), namespace)


def _jobfsm_job() -> object:
    return CommandJob(**JOB_ARGS)


def _unnamed_job() -> object:
    return CommandJob(**UNNAMED_ARGS)


def _finished_job() -> object:
    job = CommandJob(**JOB_ARGS)
    for event in HAPPY_PATH:
        job.fire(event)
    return job


def _bare_job() -> object:
    return BareJob(**JOB_ARGS)


def _per_object_machine() -> object:
    job = BareDictJob(**JOB_ARGS)
    _machine(job)
    return job


def _statechart() -> object:
    return statechart_class()()


def _time_rows(
    bench: str,
    per: str,
    anchor: str,
    fast: Comparison,
    slow: Comparison,
    targets: dict[str, float],
) -> list[dict[str, Any]]:
    """Rows of one benchmark: the anchor, then every subject with its ratio.

    Subjects timed with the anchor get the median of per-round ratios; the
    slow ones, timed in a comparison of their own, the ratio of the medians.
    """
    anchor_s = fast.median[anchor]
    rows = anchored_rows(bench, fast, anchor, per, targets)
    for name, seconds in slow.median.items():
        rows.append(time_row(bench, name, seconds, per, anchor=anchor, ratio=seconds / anchor_s))
    return rows


# -- creation ----------------------------------------------------------------------


def _create(factory: Callable[[], object], count: int) -> Subject:
    def run(_: None) -> list[object]:
        return [factory() for _ in range(count)]

    return (lambda: None, run)


def _create_shared(count: int) -> Subject:
    def run(machine: Machine) -> None:
        for _ in range(count):
            machine.add_model(BareDictJob(**JOB_ARGS))

    return (lambda: _machine(None), run)


def _alive(factory: Callable[[], object], count: int) -> Subject:
    """Create *count* objects while ALIVE of the same kind are alive, the collector on."""
    population = [factory() for _ in range(ALIVE)]

    def run(_: None) -> list[object]:
        population.extend(factory() for _ in range(count))
        del population[ALIVE:]
        return population

    return (lambda: None, run)


def _measure_creation(quick: bool) -> list[dict[str, Any]]:
    global ALIVE
    many, few, repeat = (20, 5, 2) if quick else (10_000, 100, 15)
    if quick:
        ALIVE = 100
    anchor = "attrs record, same fields, None defaults"
    bench = f"create a job (GC on, {ALIVE:,} alive)"
    alive = compare(
        {anchor: _alive(_bare_job, many), "jobfsm CommandJob": _alive(_jobfsm_job, many)},
        per=many,
        repeat=repeat,
        gc_on=True,
    )
    rows = anchored_rows(bench, alive, anchor, "job", {"jobfsm CommandJob": CREATE_TARGET})
    bench = "create a job (GC off)"
    fast = compare(
        {anchor: _create(_bare_job, many), "jobfsm CommandJob": _create(_jobfsm_job, many)},
        per=many,
        repeat=repeat,
    )
    # Building a Machine or a chart costs a fraction of a millisecond: fewer
    # objects, fewer repeats.
    slow = compare(
        {
            "python-statemachine instance": _create(_statechart, few),
            "transitions Machine per object": _create(_per_object_machine, few),
            "transitions shared Machine + add_model": _create_shared(few),
        },
        per=few,
        repeat=max(2, repeat // 4),
    )
    rows += _time_rows(bench, "job", anchor, fast, slow, {})

    count = 20 if quick else 5_000
    mem = "bytes kept per job"
    sizes = {
        anchor: bytes_per_object(_bare_job, count),
        "jobfsm CommandJob": bytes_per_object(_jobfsm_job, count),
        "python-statemachine instance": bytes_per_object(_statechart, max(2, count // 25)),
        "transitions Machine per object": bytes_per_object(
            _per_object_machine, max(2, count // 50)
        ),
    }
    rows.append(memory_row(mem, anchor, sizes[anchor], "B/job"))
    for name, nbytes in sizes.items():
        if name != anchor:
            rows.append(
                memory_row(mem, name, nbytes, "B/job", anchor=anchor, anchor_bytes=sizes[anchor])
            )
    rows.append(
        memory_row(
            "FSM overhead per job",
            "jobfsm CommandJob minus the record",
            sizes["jobfsm CommandJob"] - sizes[anchor],
            "B/job",
            target=OVERHEAD_TARGET,
        )
    )
    # After its events a job also holds its lock and its history records.
    rows.append(
        memory_row(
            "bytes kept per job after the happy path",
            "jobfsm CommandJob (lock + 6 history records)",
            bytes_per_object(_finished_job, count),
            "B/job",
            anchor=anchor,
            anchor_bytes=sizes[anchor],
        )
    )
    return rows


# -- dispatch ----------------------------------------------------------------------


def _fire_all(jobs: list[Any]) -> None:
    for job in jobs:
        for event in HAPPY_PATH:
            job.fire(event)


def _compiled_all(jobs: list[Any]) -> None:
    set_compiled_dispatch(True)
    try:
        _fire_all(jobs)
    finally:
        set_compiled_dispatch(False)


def _methods_all(jobs: list[Any]) -> None:
    for job in jobs:
        job.start()
        job.prepare()
        job.queue()
        job.run()
        job.finalize()
        job.complete()


def _raw_all(models: list[PlainModel]) -> None:
    events = RAW_MACHINE.events
    for model in models:
        for event in HAPPY_PATH:
            events[event].trigger(model)


def _model_methods_all(models: list[Any]) -> None:
    for model in models:
        for event in HAPPY_PATH:
            getattr(model, event)()


def _send_all(charts: list[Any]) -> None:
    for chart in charts:
        for event in CHART_HAPPY_PATH:
            chart.send(event)


def _measure_dispatch(quick: bool) -> list[dict[str, Any]]:
    # Many short samples: on a shared machine, a burst of noise spoils a few
    # samples of every subject, not one subject's only sample.
    many, few, repeat = (10, 3, 2) if quick else (200, 30, 61)
    steps = len(HAPPY_PATH)
    fast = compare(
        {
            "raw transitions, module-level Machine, string states": (
                lambda: [PlainModel() for _ in range(many)],
                _raw_all,
            ),
            "jobfsm Job.fire(name)": (lambda: [_jobfsm_job() for _ in range(many)], _fire_all),
            "jobfsm Job.fire(name), unnamed jobs": (
                lambda: [_unnamed_job() for _ in range(many)],
                _fire_all,
            ),
            "jobfsm job.start(), ... methods": (
                lambda: [_jobfsm_job() for _ in range(many)],
                _methods_all,
            ),
            "jobfsm Job.fire(name), compiled dispatch (opt-in)": (
                lambda: [_jobfsm_job() for _ in range(many)],
                _compiled_all,
            ),
        },
        per=many * steps,
        repeat=repeat,
    )
    # Their setup (a Machine or a chart per job) is slow: fewer jobs, fewer samples.
    slow = compare(
        {
            "transitions Machine per object": (
                lambda: [_per_object_machine() for _ in range(few)],
                _model_methods_all,
            ),
            "python-statemachine send(name)": (
                lambda: [_statechart() for _ in range(few)],
                _send_all,
            ),
        },
        per=few * steps,
        repeat=max(2, repeat // 4),
    )
    bench = "fire one event (happy path)"
    anchor = "raw transitions, module-level Machine, string states"
    targets = dict.fromkeys(
        ("jobfsm Job.fire(name)", "jobfsm Job.fire(name), unnamed jobs"), DISPATCH_TARGET
    )
    return _time_rows(bench, "event", anchor, fast, slow, targets)


def measure(quick: bool = False) -> list[dict[str, Any]]:
    """Time job creation and event dispatch; rows as described in ``benchmarks.common``.

    Args:
        quick: tiny sizes and two repeats (a smoke run; the figures mean little).
    """
    return _measure_creation(quick) + _measure_dispatch(quick)
