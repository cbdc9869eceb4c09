"""The observed-status rule, until the lifecycle value offers it.

TEMPORARY: replaced by ``Lifecycle.observe_steps`` (the one shared rule) once
it is available; this derives the same answer from ``shortest_path`` and the
lifecycle's table so that ``JobStore.observe`` works meanwhile.
"""

from __future__ import annotations

import enum

from jobfsm.errors import IllegalTransitionError
from jobfsm.lifecycle import Lifecycle

__all__ = ["observe_steps"]


def observe_steps(
    lifecycle: Lifecycle, source: enum.StrEnum, dest: enum.StrEnum, job: str | None
) -> tuple[tuple[str, enum.StrEnum], ...]:
    """The ``(event, new status)`` pairs leading from *source* to the observed *dest*.

    Raises:
        IllegalTransitionError: *dest* cannot be reached from *source*.
    """
    if source is dest:
        return ()
    between = lifecycle.shortest_path(source, dest)
    if between is None:
        raise IllegalTransitionError(
            job, source, "", tuple(lifecycle.table[source]), to=dest,
            reason=f"observed status {str(dest)!r} cannot be reached from {str(source)!r}",
        )  # fmt: skip
    steps: list[tuple[str, enum.StrEnum]] = []
    here = source
    for status in (*between, dest):
        event = next(e for e, dests in lifecycle.table[here].items() if status in dests)
        steps.append((event, status))
        here = status
    return tuple(steps)
