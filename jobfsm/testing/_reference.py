"""The reference a system under test is compared with: a jobfsm job of the same lifecycle.

The testing kit never restates a rule of the lifecycle: what an event does
(including which destination a multi-destination event such as ``resume``
takes by default) is what jobfsm's own shared machine does with a job of the
lifecycle. This module makes such jobs and replays events on them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from jobfsm.errors import IllegalTransitionError
from jobfsm.job import CommandJob, Job
from jobfsm.lifecycle import Lifecycle

__all__ = ["reference_job", "try_fire"]


def reference_job(lifecycle: Lifecycle) -> Job:
    """A fresh job of *lifecycle* at its initial status (already named: no submission defaults)."""
    return CommandJob(name="reference", experiment_name="reference", lifecycle=lifecycle)


def try_fire(job: Job, event: str) -> enum.StrEnum | None:
    """Fire *event* at *job*: the new status, or ``None`` when the lifecycle refuses it."""
    try:
        return job.fire(event)
    except IllegalTransitionError:
        return None


def refused_events(job: Job, names: Iterable[str]) -> list[str]:
    """The events of *names* that the job's current status does not allow at all."""
    return [name for name in names if not job.can(name)]
