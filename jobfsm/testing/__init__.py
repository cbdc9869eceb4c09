"""A testing kit for systems that follow a lifecycle: Hypothesis strategies and a model test.

Install it with ``pip install 'jobfsm[testing]'`` (it needs Hypothesis). It offers:

- strategies derived from a lifecycle value: :func:`statuses`, :func:`events`,
  :func:`event_sequences`, :func:`traces` (valid, or with planted violations
  the validator must report), :func:`lifecycles` (random valid definitions),
  :func:`jobs` and :func:`event_logs` (interleaved JSONL or CSV logs);
- :func:`LifecycleModel`, a ``RuleBasedStateMachine`` that drives a system
  through an :class:`Adapter` and compares it with the lifecycle after every
  event, and :func:`run_model` to run one in a plain test;
- :func:`assert_follows`, an assertion that fails with the validator's report.

The pytest plugin (``jobfsm.pytest_plugin``, registered when jobfsm is
installed) adds the ``jobfsm_lifecycle`` and ``jobfsm_check`` fixtures.
"""

try:
    import hypothesis  # noqa: F401 - the kit is built on it
except ImportError as exc:  # pragma: no cover - tested in a subprocess
    raise ImportError(
        "jobfsm.testing needs Hypothesis, which is not installed: pip install 'jobfsm[testing]'"
    ) from exc

from jobfsm.testing._asserts import assert_follows
from jobfsm.testing._logs import LogText, event_logs
from jobfsm.testing._model import Adapter, LifecycleModel, run_model
from jobfsm.testing._strategies import (
    Planted,
    Trace,
    event_sequences,
    events,
    jobs,
    lifecycles,
    statuses,
    traces,
)

__all__ = [
    "Adapter",
    "LifecycleModel",
    "LogText",
    "Planted",
    "Trace",
    "assert_follows",
    "event_logs",
    "event_sequences",
    "events",
    "jobs",
    "lifecycles",
    "run_model",
    "statuses",
    "traces",
]
