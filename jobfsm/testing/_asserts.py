"""``assert_follows``: a plain assertion that statuses (or events) follow a lifecycle."""

from __future__ import annotations

from collections.abc import Iterable

from jobfsm._judge import Mode
from jobfsm.errors import IllegalTransitionError, LifecycleAssertionError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.testing._reference import reference_job
from jobfsm.validate import Report, validate_trace

__all__ = ["assert_follows"]


def _line(report: Report) -> list[str]:
    lines = []
    for v in report.violations:
        allowed = ", ".join(v.allowed) or "none"
        lines.append(
            f"  index {v.index}: {v.from_ or '-'} -> {v.to if v.to is not None else '-'}: "
            f"{v.reason}: {v.message} (allowed: {allowed})"
        )
    return lines


def assert_follows(
    items: Iterable[str | HistoryEntry],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    mode: Mode = "strict",
    require_initial: bool = False,
    require_terminal: bool = False,
) -> Report:
    """Assert that *items* follow *lifecycle*; return the validator's report.

    *items* are statuses (enum members or spellings, oldest first), a job's
    ``history`` (its :class:`~jobfsm.HistoryEntry` values), or event names
    fired one after another from the initial status (when every item is an
    event name and none a status). Statuses are checked by
    :func:`jobfsm.validate_trace` in *mode*; events are replayed on a job of
    the lifecycle.

    Raises:
        LifecycleAssertionError: listing every violation of the validator's
            report (``err.report``), or naming the first refused event.
    """
    given = list(items)
    if given and all(isinstance(item, HistoryEntry) for item in given):
        entries = [item for item in given if isinstance(item, HistoryEntry)]
        statuses: list[str] = [entries[0].from_, *(entry.to for entry in entries)]
    elif any(isinstance(item, HistoryEntry) for item in given):
        raise TypeError("items must be all history entries, or all statuses or event names")
    else:
        statuses = [item for item in given if isinstance(item, str)]
        if len(statuses) != len(given):
            raise TypeError(f"items must be strings or history entries, got {given!r}")
        names = set(lifecycle.event_names)
        if statuses and all(s in names and s not in lifecycle.states for s in statuses):
            statuses = _replay(statuses, lifecycle)
            require_initial = True
    report = validate_trace(
        statuses,
        mode=mode,
        lifecycle=lifecycle,
        require_initial=require_initial,
        require_terminal=require_terminal,
    )
    if not report.ok:
        count = len(report.violations)
        trace = ", ".join(str(s) for s in statuses)
        raise LifecycleAssertionError(
            "\n".join(
                [
                    f"the statuses do not follow {lifecycle.name!r} ({mode} mode): "
                    f"{count} violation{'' if count == 1 else 's'} in [{trace}]",
                    *_line(report),
                ]
            ),
            report=report,
        )
    return report


def _replay(events: list[str], lifecycle: Lifecycle) -> list[str]:
    """The statuses *events* lead through from the initial status; raise at a refused one."""
    job = reference_job(lifecycle)
    statuses: list[str] = [job.status]
    for index, event in enumerate(events):
        before = job.status
        try:
            statuses.append(job.fire(event))
        except IllegalTransitionError as exc:
            path = " -> ".join(str(s) for s in statuses)
            raise LifecycleAssertionError(
                f"event {index} ({event!r}) is refused at {before} by {lifecycle.name!r}: "
                f"{exc} (statuses so far: {path})",
                event=event,
                from_=str(before),
            ) from None
    return statuses
