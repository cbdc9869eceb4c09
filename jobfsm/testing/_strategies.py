"""Hypothesis strategies derived from a lifecycle value.

Statuses, events, legal (and deliberately illegal) event sequences, status
traces with a known set of planted violations, random valid lifecycle
definitions and jobs walked to a random status. Every strategy reads the
lifecycle it is given; none lists statuses or edges of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import attrs
from hypothesis import assume
from hypothesis import strategies as st

from jobfsm._judge import Mode, Reason, Violation
from jobfsm.errors import IllegalTransitionError
from jobfsm.job import CommandJob, Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, EventSpec, Lifecycle
from jobfsm.testing._reference import reference_job, refused_events

__all__ = [
    "Planted",
    "Trace",
    "event_sequences",
    "events",
    "jobs",
    "lifecycles",
    "statuses",
    "traces",
]

#: The reasons :func:`traces` can plant (the others need ``require_*`` options or times).
PLANTABLE = (Reason.ILLEGAL_TRANSITION, Reason.UNKNOWN_STATUS)


@attrs.frozen
class Planted:
    """A violation a generated trace or log holds on purpose.

    It is what the validator must report: compare with
    ``[Planted.of(v) for v in report.violations]``.

    Args:
        index: 0-based position in the job's trace.
        reason: The rule broken.
        job: The job's key (event logs), ``None`` for a lone trace.
        line: The 1-based line in the log text (event logs), ``None`` for a trace.
    """

    index: int
    reason: Reason
    job: str | None = None
    line: int | None = None

    @classmethod
    def of(cls, violation: Violation) -> Planted:
        """The planted form of a violation the validator reported."""
        return cls(violation.index, violation.reason, violation.job, violation.line)


@attrs.frozen
class Trace:
    """Statuses of one job, oldest first, and the violations planted in them.

    Iterating a trace yields its statuses, so it can be passed to
    :func:`jobfsm.validate_trace` (with ``mode=trace.mode``) or to a parser.

    Args:
        statuses: Status enum members, and for planted ``unknown-status``
            violations the misspelled text.
        mode: The validation mode the trace is legal (or planted) for.
        planted: Exactly what ``validate_trace(trace, mode=trace.mode)`` reports.
    """

    statuses: tuple[str, ...]
    mode: Mode
    planted: tuple[Planted, ...] = ()

    def __iter__(self) -> Iterator[str]:
        return iter(self.statuses)

    def __len__(self) -> int:
        return len(self.statuses)


# -- statuses and events ------------------------------------------------------------


def statuses(lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> st.SearchStrategy[enum.StrEnum]:
    """Any status of *lifecycle* (an enum member)."""
    return st.sampled_from(lifecycle.statuses)


def events(lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> st.SearchStrategy[str]:
    """Any event name of *lifecycle*."""
    return st.sampled_from(lifecycle.event_names)


def _legal_step(draw: st.DrawFn, job: Job) -> str | None:
    """Fire an event the job accepts (drawn among its allowed ones); ``None`` when none is."""
    candidates = list(job.allowed_events)
    while candidates:
        event = draw(st.sampled_from(candidates))
        try:
            job.fire(event)
        except IllegalTransitionError:  # several destinations and no default target here
            candidates.remove(event)
            continue
        return event
    return None


@st.composite
def event_sequences(
    draw: st.DrawFn,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    legal: bool = True,
    max_size: int = 20,
) -> list[str]:
    """Event names fired one after another from the initial status.

    With ``legal=True`` every event is accepted where it is fired (the
    sequence stops early at a terminal status). With ``legal=False`` at least
    one event is refused by the status it is fired from; a refused event
    changes nothing, and the sequence goes on from the same status.
    Multi-destination events (``resume``) take jobfsm's default target.
    """
    job = reference_job(lifecycle)
    names = lifecycle.event_names
    if not legal and not names:
        raise ValueError(f"lifecycle {lifecycle.name!r} has no event: nothing can be refused")
    out: list[str] = []
    planted = False
    for _ in range(draw(st.integers(0, max_size))):
        refused = refused_events(job, names)
        if not legal and refused and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(refused)))
            planted = True
            continue
        event = _legal_step(draw, job)
        if event is None:
            break
        out.append(event)
    if not legal and not planted:
        refused = refused_events(job, names)
        assume(refused)  # only when every event is allowed where the walk stopped
        out.append(draw(st.sampled_from(refused)))
    return out


# -- traces ---------------------------------------------------------------------------


def _unknown_spelling(draw: st.DrawFn, lifecycle: Lifecycle) -> str:
    """A status-like text the lifecycle does not know (a typo of one of its statuses;
    never one of its aliases, which are other spellings it does know)."""
    status = str(draw(statuses(lifecycle)))
    how = draw(st.sampled_from(["lower", "upper", "drop", "double", "suffix"]))
    text = {
        "lower": status.lower(),
        "upper": status.upper(),
        "drop": status[:-1],
        "double": status + status[-1],
        "suffix": status + "ed",
    }[how]
    while not text.strip() or text in lifecycle.states or text in lifecycle.aliases:
        text += "x"
    return text


def _walk(
    draw: st.DrawFn, lifecycle: Lifecycle, start: enum.StrEnum, mode: Mode, max_steps: int
) -> list[enum.StrEnum]:
    """A legal stretch from *start* (included): edges, some repeats, and in observed mode
    some statuses missed (any status reachable from the previous one is legal there)."""
    order = {s: i for i, s in enumerate(lifecycle.statuses)}
    walk = [start]
    status = start
    for _ in range(draw(st.integers(0, max_steps))):
        nexts = sorted(lifecycle.successors[status], key=order.__getitem__)
        if not nexts:
            break
        status = draw(st.sampled_from(nexts))
        walk.append(status)
    if mode == "observed" and len(walk) > 2:
        # A poller misses statuses: drop some (never the first, which may be a planted jump).
        keep = draw(st.lists(st.booleans(), min_size=len(walk) - 1, max_size=len(walk) - 1))
        walk = [walk[0], *(s for s, k in zip(walk[1:], keep, strict=True) if k)]
    out: list[enum.StrEnum] = []
    for status in walk:
        out.append(status)
        if draw(st.integers(0, 7)) == 0:
            out.append(status)  # polled twice: a repeat is legal in both modes
    return out


def _illegal_after(lifecycle: Lifecycle, status: enum.StrEnum, mode: Mode) -> list[enum.StrEnum]:
    legal = lifecycle.reachable[status] if mode == "observed" else lifecycle.successors[status]
    return [s for s in lifecycle.statuses if s is not status and s not in legal]


def _to_terminal(draw: st.DrawFn, lifecycle: Lifecycle, status: enum.StrEnum) -> list[enum.StrEnum]:
    """A shortest legal route from *status* to a terminal status (excluding *status*)."""
    ends = [s for s in lifecycle.statuses if s in lifecycle.terminal]
    ends = [s for s in ends if s is status or s in lifecycle.reachable[status]]
    end = draw(st.sampled_from(ends))
    if end is status:
        return []
    return [*(lifecycle.shortest_path(status, end) or ()), end]


@st.composite
def traces(
    draw: st.DrawFn,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    mode: Mode = "strict",
    valid: bool = True,
    max_steps: int = 15,
) -> Trace:
    """One job's statuses from the initial status, legal in *mode* or with planted violations.

    A valid trace walks the lifecycle's edges (in observed mode, missing some
    statuses as a poller does), with some statuses repeated. An invalid one
    holds one to three planted violations, ``illegal-transition`` (a jump to a
    status the mode does not allow, after which the walk goes on legally) or
    ``unknown-status`` (a misspelled status inserted anywhere), and nothing
    else: ``Trace.planted`` is exactly what
    ``validate_trace(trace, mode=trace.mode)`` reports.

    Args:
        lifecycle: The lifecycle to walk.
        mode: ``"strict"`` or ``"observed"``.
        valid: Whether the trace is clean, or holds planted violations.
        max_steps: Most edges walked in each legal stretch.
    """
    if mode not in ("strict", "observed"):
        raise ValueError(f"mode must be 'strict' or 'observed', got {mode!r}")
    kinds = [] if valid else draw(st.lists(st.sampled_from(PLANTABLE), min_size=1, max_size=3))
    initial = lifecycle.status(lifecycle.initial)
    items: list[tuple[str, Reason | None]] = [
        (s, None) for s in _walk(draw, lifecycle, initial, mode, max_steps)
    ]
    for _ in range(kinds.count(Reason.ILLEGAL_TRANSITION)):
        last = lifecycle.status(items[-1][0])
        targets = _illegal_after(lifecycle, last, mode)
        if not targets:  # everything may follow here: finish first (a terminal allows nothing)
            route = _to_terminal(draw, lifecycle, last)
            items.extend((s, None) for s in route)
            last = route[-1] if route else last
            targets = _illegal_after(lifecycle, last, mode)
        jump = draw(st.sampled_from(targets))
        stretch = _walk(draw, lifecycle, jump, mode, max_steps)
        items.append((stretch[0], Reason.ILLEGAL_TRANSITION))
        items.extend((s, None) for s in stretch[1:])
    for _ in range(kinds.count(Reason.UNKNOWN_STATUS)):
        # Set aside by the validator, so it may go anywhere, even first.
        at = draw(st.integers(0, len(items)))
        items.insert(at, (_unknown_spelling(draw, lifecycle), Reason.UNKNOWN_STATUS))
    planted = tuple(Planted(i, reason) for i, (_, reason) in enumerate(items) if reason)
    return Trace(tuple(s for s, _ in items), mode, planted)


# -- lifecycles and jobs --------------------------------------------------------------

_STATUS_NAMES = st.from_regex(r"[A-Z][a-z]{1,7}([A-Z][a-z]{1,5})?", fullmatch=True)
_EVENT_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True)


def _reaches(succ: dict[str, set[str]], start: str, goal: set[str]) -> bool:
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node in goal:
            return True
        for nxt in succ[node] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return False


@st.composite
def lifecycles(
    draw: st.DrawFn, *, min_states: int = 2, max_states: int = 8, max_events: int = 6
) -> Lifecycle:
    """Random lifecycle definitions that pass the definition checks.

    Every status is reachable from the initial one and can reach a terminal
    one; terminal statuses have no way out. Events may share names across
    sources and have several destinations from one source (like ``resume``);
    some statuses are marked active or attention, some described.
    """
    if min_states < 2:
        raise ValueError("a lifecycle with events needs at least 2 states")
    names = draw(
        st.lists(_STATUS_NAMES, min_size=min_states, max_size=max_states, unique_by=str.lower)
    )
    initial, others = names[0], draw(st.permutations(names[1:]))
    terminal = set(others[: draw(st.integers(1, len(others)))])
    open_ = [s for s in names if s not in terminal]
    edges: set[tuple[str, str]] = set()
    reached = [initial]
    for state in draw(st.permutations(others)):  # a spanning tree from the initial state
        edges.add((draw(st.sampled_from([r for r in reached if r not in terminal])), state))
        reached.append(state)
    extra = st.tuples(st.sampled_from(open_), st.sampled_from(names))
    edges.update(draw(st.lists(extra, max_size=2 * len(names))))
    succ: dict[str, set[str]] = {s: set() for s in names}
    for source, dest in edges:
        succ[source].add(dest)
    for state in open_:
        if not _reaches(succ, state, terminal):
            end = draw(st.sampled_from(sorted(terminal)))
            edges.add((state, end))
            succ[state].add(end)
    event_names = draw(st.lists(_EVENT_NAMES, min_size=1, max_size=max_events, unique=True))
    specs = [
        EventSpec(draw(st.sampled_from(event_names)), source, dest)
        for source, dest in sorted(edges)
    ]
    marked = st.lists(st.sampled_from(open_), unique=True)
    return Lifecycle(
        name=draw(st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,15}", fullmatch=True)),
        states=names,
        initial=initial,
        terminal=terminal,
        events=draw(st.permutations(specs)),
        active=draw(marked),
        attention=draw(marked),
        descriptions=draw(st.dictionaries(st.sampled_from(names), st.text(max_size=20))),
    )


@st.composite
def jobs(draw: st.DrawFn, lifecycle: Lifecycle = DEFAULT_LIFECYCLE, *, max_events: int = 20) -> Job:
    """A :class:`~jobfsm.CommandJob` of *lifecycle*, named, moved by a legal event sequence."""
    fields: dict[str, Any] = {
        "name": draw(st.from_regex(r"[a-z][a-z0-9_]{2,20}", fullmatch=True)),
        "experiment_name": draw(st.sampled_from(["default", "nightly", "exp-1"])),
        "command": draw(st.sampled_from(["python train.py", "python score.py --fast"])),
        "tags": draw(st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.text())),
    }
    job = CommandJob(lifecycle=lifecycle, **fields)
    for event in draw(event_sequences(lifecycle, max_size=max_events)):
        job.fire(event)
    return job
