"""Model-based testing of a user's system against a lifecycle (Hypothesis stateful).

:func:`LifecycleModel` builds a ``RuleBasedStateMachine`` whose rules fire
events at the system under test through a small adapter, and at a reference
job of the lifecycle (jobfsm's own machine, the model). After every event the
system must have done what the model did: accepted it and moved to the same
status, or refused it and stayed where it was. Hypothesis then shrinks a
failing run to a short list of events.
"""

from __future__ import annotations

import enum
import keyword
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from hypothesis import Phase
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from jobfsm.errors import IllegalTransitionError, LifecycleAssertionError
from jobfsm.job import Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.testing._reference import reference_job

__all__ = ["Adapter", "LifecycleModel", "run_model"]


@runtime_checkable
class Adapter(Protocol):
    """How the model drives the system under test.

    ``fire(event)`` applies a lifecycle event to the system's one job under
    test and raises to refuse it; ``status()`` reads the job's current status
    (a status enum member or its spelling). An adapter may also have a
    ``reset()`` method, which puts the system back to a new job at the
    initial status; without it, pass a factory (such as the adapter class)
    to :func:`LifecycleModel` so that each test case gets a new adapter.
    """

    def fire(self, event: str, /) -> object: ...

    def status(self) -> object: ...


AdapterSource = Adapter | Callable[[], Adapter]


def _fresh(source: AdapterSource) -> Adapter:
    """An adapter at the initial status: a reset one, or a new one from the factory."""
    if isinstance(source, type) or not isinstance(source, Adapter):
        made = source()
        if not isinstance(made, Adapter):
            raise TypeError(
                f"the adapter factory returned {made!r}, which lacks fire(event) and status()"
            )
        return made
    reset = getattr(source, "reset", None)
    if not callable(reset):
        raise TypeError(
            f"adapter {source!r} has no reset() method: give LifecycleModel a factory "
            "(e.g. the adapter class) so each test case starts from a new adapter"
        )
    reset()
    return source


class _ModelMachine(RuleBasedStateMachine):
    """Compares the system's answer to each event with the reference job's."""

    lifecycle: Lifecycle = DEFAULT_LIFECYCLE
    adapter_source: AdapterSource
    refusals: tuple[type[BaseException], ...] = (Exception,)

    def __init__(self) -> None:
        super().__init__()
        self.model: Job = reference_job(self.lifecycle)
        self.system: Adapter = _fresh(type(self).adapter_source)
        self._compare(None, None)

    def _status(self) -> str:
        got = self.system.status()
        text = str(got) if isinstance(got, str | enum.Enum) else repr(got)
        if text not in self.lifecycle.states:
            known = ", ".join(self.lifecycle.states)
            raise LifecycleAssertionError(
                f"the system reports status {got!r}, which {self.lifecycle.name!r} does not "
                f"have (known statuses: {known})",
                actual=text,
            )
        return text

    def _compare(self, event: str | None, before: str | None) -> None:
        actual, expected = self._status(), str(self.model.status)
        if actual != expected:
            where = "at the start" if event is None else f"after {event!r} from {before}"
            raise LifecycleAssertionError(
                f"the system is at {actual} {where}, where the lifecycle is at {expected}",
                event=event,
                from_=before,
                expected=expected,
                actual=actual,
            )

    def fire_event(self, event: str) -> None:
        before = str(self.model.status)
        try:
            self.model.fire(event)
            refusal: IllegalTransitionError | None = None
        except IllegalTransitionError as exc:
            refusal = exc
        expected = None if refusal else str(self.model.status)
        try:
            self.system.fire(event)
        except self.refusals as exc:
            if refusal is None:
                raise LifecycleAssertionError(
                    f"the system refused {event!r} at {before}, which the lifecycle allows "
                    f"(it leads to {expected}): {type(exc).__name__}: {exc}",
                    event=event,
                    from_=before,
                    expected=expected,
                ) from exc
        else:
            if refusal is not None:
                raise LifecycleAssertionError(
                    f"the system accepted {event!r} at {before}, which the lifecycle refuses "
                    f"({refusal}); the system is now at {self._status()}",
                    event=event,
                    from_=before,
                    actual=self._status(),
                )
        self._compare(event, before)


def _event_rule(event: str, method: str) -> Callable[..., None]:
    """A rule firing *event*, enabled where the model allows it; printed ``state.<method>()``."""

    def fire(self: _ModelMachine) -> None:
        self.fire_event(event)

    fire.__name__ = fire.__qualname__ = method
    allowed = precondition(lambda self: self.model.can(event))
    return allowed(rule()(fire))


def _any_event_rule(lifecycle: Lifecycle) -> Callable[..., None]:
    """A rule firing any event, allowed or not (printed as ``state.fire(event=...)``)."""

    def fire(self: _ModelMachine, event: str) -> None:
        self.fire_event(event)

    return rule(event=st.sampled_from(lifecycle.event_names))(fire)


def LifecycleModel(
    lifecycle: Lifecycle,
    adapter: AdapterSource,
    *,
    refusals: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    name: str | None = None,
) -> type[RuleBasedStateMachine]:
    """A ``RuleBasedStateMachine`` subclass testing a system against *lifecycle*.

    The machine has one rule per event, enabled where the lifecycle allows the
    event, and a ``fire(event=...)`` rule that fires any event, so that
    illegal ones are tried too. Use its ``TestCase`` as a test class, or run
    it with :func:`run_model`.

    Args:
        lifecycle: The lifecycle the system should follow.
        adapter: An :class:`Adapter` with a ``reset()`` method, or a factory
            making a new adapter (at the initial status) for each test case.
        refusals: The exceptions by which the adapter's ``fire`` refuses an
            event (any exception by default). Any other exception fails the test.
        name: The class name Hypothesis prints in counterexamples.

    Raises:
        LifecycleAssertionError: (from the test) the system accepted an event
            the lifecycle refuses, refused one it allows, or reached another status.
    """
    caught = refusals if isinstance(refusals, tuple) else (refusals,)
    namespace: dict[str, Any] = {
        "lifecycle": lifecycle,
        "adapter_source": staticmethod(adapter) if callable(adapter) else adapter,
        "refusals": caught,
        "fire": _any_event_rule(lifecycle),
    }
    taken = set(dir(_ModelMachine)) | set(namespace)
    for event in lifecycle.event_names:
        method = event if event not in taken and not keyword.iskeyword(event) else f"fire_{event}"
        namespace[method] = _event_rule(event, method)
    label = name or "".join(w.capitalize() for w in lifecycle.name.split() if w.isalnum())
    cls_name = name or f"{label or 'Lifecycle'}Model"
    return type(cls_name, (_ModelMachine,), namespace)


def run_model(
    adapter: AdapterSource,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    max_examples: int = 50,
    steps: int = 30,
    refusals: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    derandomize: bool = False,
    settings: Settings | None = None,
) -> None:
    """Run a :func:`LifecycleModel` of *lifecycle* against *adapter* now (in a plain test).

    Args:
        adapter: As for :func:`LifecycleModel`.
        lifecycle: The lifecycle the system should follow.
        max_examples: How many runs Hypothesis tries (each up to *steps* events).
        steps: Most events fired in one run.
        refusals: As for :func:`LifecycleModel`.
        derandomize: Try the same runs every time (for CI), with no example database.
        settings: Hypothesis settings to use instead of the three options above
            (by default there is no ``explain`` phase, which is slow on state machines).

    Raises:
        LifecycleAssertionError: the shrunk counterexample's failure.
    """
    machine = LifecycleModel(lifecycle, adapter, refusals=refusals)
    if settings is None:
        # No explain phase: on a state machine it costs more than finding and
        # shrinking the counterexample, which is all the report needs.
        settings = Settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=derandomize,
            phases=[phase for phase in Phase if phase is not Phase.explain],
        )
    run_state_machine_as_test(machine, settings=settings)  # type: ignore[no-untyped-call]
