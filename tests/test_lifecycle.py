"""The lifecycle value: the default table, its properties and the definition checks."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    EventSpec,
    JobStatus,
    Lifecycle,
    LifecycleDefinitionError,
    UnknownEventError,
    UnknownStatusError,
)

SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"
L = DEFAULT_LIFECYCLE


def _spec_edges() -> set[tuple[str, str, str]]:
    """Read the authoritative edge table out of SPEC.md and expand its phrases."""
    if not SPEC.is_file():
        pytest.skip(f"SPEC.md not found at {SPEC}")
    text = SPEC.read_text(encoding="utf-8")
    states_line = re.search(r"States, in documented order: (.*?)\(exact", text, re.S)
    assert states_line, "SPEC.md no longer lists the states"
    states = re.findall(r"\w+", states_line.group(1))
    terminal = ["Completed", "Failed", "Canceled"]
    active = ["Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing"]
    non_terminal = [s for s in states if s not in terminal]

    def expand(cell: str) -> list[str]:
        cell = cell.strip()
        if cell.startswith("every non-terminal state except"):
            excluded = re.search(r"except (\w+)", cell).group(1)  # type: ignore[union-attr]
            return [s for s in non_terminal if s != excluded]
        if cell.startswith("every non-terminal state"):
            return non_terminal
        if cell.startswith(("every active state", "any active state")):
            return active
        return [s.strip() for s in cell.split(",")]

    edges = set()
    for row in re.finditer(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|$", text, re.M):
        event, sources, dests = row.groups()
        for source in expand(sources):
            for dest in expand(dests):
                edges.add((source, event, dest))
    return edges


def test_default_lifecycle_matches_the_spec_table() -> None:
    """The default lifecycle holds exactly the edges of the SPEC table (39 pairs)."""
    spec = _spec_edges()
    ours = {(str(e.source), e.event, str(e.dest)) for e in L.edges}
    assert ours == spec
    assert len({(s, d) for s, _, d in spec}) == 39


def test_states_are_the_azure_spellings_in_documented_order() -> None:
    """JobStatus values are the exact Azure spellings; members are UPPER_SNAKE_CASE."""
    assert [s.value for s in L.statuses] == [
        "NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running",
        "Finalizing", "CancelRequested", "Completed", "Failed", "Canceled", "NotResponding",
    ]  # fmt: skip
    assert JobStatus.NOT_STARTED == "NotStarted"
    assert JobStatus.CANCEL_REQUESTED.name == "CANCEL_REQUESTED"
    assert L.status_enum is JobStatus
    assert L.initial == JobStatus.NOT_STARTED


def test_terminal_states_are_absorbing() -> None:
    """No event leaves Completed, Failed or Canceled."""
    assert {str(s) for s in L.terminal} == {"Completed", "Failed", "Canceled"}
    for state in L.terminal:
        assert L.successors[state] == frozenset()
        assert L.allowed_events(state) == ()


def test_every_state_is_reachable_and_can_finish() -> None:
    """Every status is reachable from NotStarted; every non-terminal one reaches a terminal."""
    assert set(L.reachable[L.initial]) | {L.initial} == set(L.statuses)
    for state in L.non_terminal:
        assert L.reachable[state] & L.terminal


def test_not_responding_is_not_terminal_and_resumes_to_any_active_state() -> None:
    """NotResponding can go back to each of the six active statuses (and fail or cancel)."""
    assert JobStatus.NOT_RESPONDING not in L.terminal
    assert set(L.table[JobStatus.NOT_RESPONDING]["resume"]) == set(L.active)
    assert len(L.active) == 6


@given(st.sampled_from(list(JobStatus)), st.sampled_from(list(JobStatus)))
def test_reachability_is_the_closure_of_direct_edges(a: JobStatus, b: JobStatus) -> None:
    """b is reachable from a exactly when some chain of direct edges leads there."""
    frontier, seen = {a}, set()
    while frontier:
        nxt = {d for s in frontier for d in L.successors[s]} - seen
        seen |= nxt
        frontier = nxt
    assert (b in L.reachable[a]) == (b in seen)
    path = L.shortest_path(a, b)
    if a == b:
        assert path == ()
    elif b in seen:
        assert path is not None
        chain = [a, *path, b]
        assert all(y in L.successors[x] for x, y in itertools.pairwise(chain))
    else:
        assert path is None


def test_shortest_path_prefers_the_main_line_over_attention_states() -> None:
    """A poller that saw Starting then Running skipped Preparing and Queued, not a heartbeat."""
    assert L.shortest_path("Starting", "Running") == (JobStatus.PREPARING, JobStatus.QUEUED)
    assert L.shortest_path("Queued", "Running") == ()
    assert L.shortest_path("NotStarted", "Canceled") == (JobStatus.CANCEL_REQUESTED,)
    assert L.shortest_path("Completed", "Running") is None


def test_status_lookup_suggests_the_closest_spelling() -> None:
    """An unknown status names the known ones and the closest (Cancelled -> Canceled)."""
    with pytest.raises(UnknownStatusError) as info:
        L.status("Cancelled")
    assert info.value.suggestion == "Canceled"
    assert "did you mean 'Canceled'" in str(info.value)
    assert "'NotStarted'" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert L.status("Running") is JobStatus.RUNNING


def test_unknown_event_is_reported_with_known_events() -> None:
    """check_event names the known events and suggests the closest."""
    with pytest.raises(UnknownEventError, match="did you mean 'finalize'"):
        L.check_event("finalise")


def _broken(**overrides: object) -> Lifecycle:
    base: dict[str, object] = {
        "name": "tiny",
        "states": ("A", "B", "C"),
        "initial": "A",
        "terminal": ("C",),
        "events": (EventSpec("go", "A", "B"), EventSpec("end", "B", "C")),
    }
    base.update(overrides)
    return Lifecycle(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"initial": "Z"}, "initial state 'Z' is not one of the states"),
        ({"initial": ("A", "B")}, "initial must be exactly one state"),
        ({"terminal": ()}, "no terminal state"),
        ({"terminal": ("C", "Q")}, "terminal state 'Q' is not one of the states"),
        ({"states": ("A", "B", "C", "A")}, "state 'A' is listed twice"),
        (
            {"events": (EventSpec("go", "A", "B"), EventSpec("end", "B", "C"),
                        EventSpec("back", "C", "A"))},
            "event 'back' leaves terminal state 'C'",
        ),
        ({"events": (EventSpec("go", "A", "C"),)}, "state 'B' cannot be reached from 'A'"),
        (
            {"events": (EventSpec("go", "A", "B"), EventSpec("loop", "B", "A"),
                        EventSpec("end", "A", "C"))},
            "",
        ),
        ({"events": (EventSpec("go", "A", "B"),)}, "state 'B' cannot reach any terminal state"),
        ({"events": (EventSpec("go", "A", "X"), EventSpec("end", "B", "C"))},
         "event 'go': dest 'X' is not one of the states"),
        ({"events": (EventSpec("go-on", "A", "B"), EventSpec("end", "B", "C"))},
         "event name 'go-on' is not a Python identifier"),
        ({"events": (EventSpec("go", "A", "B"), EventSpec("go", "A", "B"),
                     EventSpec("end", "B", "C"))}, "edge A --go--> B is listed twice"),
    ],
)  # fmt: skip
def test_definition_checks_name_each_problem(overrides: dict[str, object], problem: str) -> None:
    """Each broken definition is rejected with a message naming its problem."""
    if not problem:  # a loop that can still finish is legal
        _broken(**overrides)
        return
    with pytest.raises(LifecycleDefinitionError) as info:
        _broken(**overrides)
    assert any(problem in p for p in info.value.problems), info.value.problems
    assert isinstance(info.value, ValueError)


def test_definition_reports_every_problem_at_once() -> None:
    """Several problems in one definition are all listed in one error."""
    with pytest.raises(LifecycleDefinitionError) as info:
        _broken(initial="Z", terminal=("C", "Q"), states=("A", "B", "C", "B"))
    assert len(info.value.problems) == 3
    assert "3 problem(s)" in str(info.value)


def test_extend_adds_paused_and_derives_a_new_enum() -> None:
    """Extending the default with Paused yields a checked lifecycle and its own enum."""
    paused = L.extend(
        name="with pause",
        states=["Paused"],
        events=[
            EventSpec("pause", "Running", "Paused"),
            EventSpec("unpause", "Paused", "Running"),
            EventSpec("fail", "Paused", "Failed"),
        ],
        attention=["Paused"],
    )
    assert paused.status_enum is not JobStatus
    assert paused.status_enum.PAUSED == "Paused"
    assert paused.status_enum.RUNNING == JobStatus.RUNNING
    assert "pause" in paused.allowed_events("Running")
    assert len(paused.edges) == len(L.edges) + 3
    assert paused.event_names.count("fail") == 1


def test_extend_rejects_a_trap_state() -> None:
    """A state added without a way out is reported by the definition checks."""
    with pytest.raises(LifecycleDefinitionError, match="'Paused' cannot reach any terminal"):
        L.extend(states=["Paused"], events=[EventSpec("pause", "Running", "Paused")])


def test_lifecycles_are_hashable_values() -> None:
    """Equal definitions are equal and hash alike (they share one machine)."""
    a = _broken()
    b = _broken()
    assert a == b
    assert hash(a) == hash(b)
    assert a != _broken(name="other")


@pytest.mark.parametrize("state", ["!!!", "Ä", "--"])
def test_a_state_without_an_enum_member_name_is_a_definition_error(state: str) -> None:
    """A state whose spelling gives no enum member name is reported when the lifecycle is built."""
    with pytest.raises(LifecycleDefinitionError, match=re.escape(repr(state))):
        Lifecycle(
            name="odd",
            states=[state, "b"],
            initial=state,
            terminal=["b"],
            events=[EventSpec("go", state, "b")],
        )


def test_lifecycles_copy_and_pickle() -> None:
    """A lifecycle is a value: copies are itself, pickles load equal and keep descriptions."""
    import copy
    import pickle

    assert copy.copy(L) is L
    assert copy.deepcopy(L) is L
    again = pickle.loads(pickle.dumps(L))
    assert again == L
    assert dict(again.descriptions) == dict(L.descriptions)


def _small(**changes: object) -> Lifecycle:
    definition: dict[str, object] = {
        "name": "small",
        "states": ["a", "b", "c"],
        "initial": "a",
        "terminal": ["c"],
        "events": [EventSpec("go", "a", "b"), EventSpec("end", "b", "c")],
    }
    definition.update(changes)
    return Lifecycle(**definition)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": None}, "name None must be a string"),
        ({"terminal": ["c", 3, "z"]}, "terminal state 3 is not one of the states"),
        (
            {"events": [EventSpec("go", ["a", 5, "q"], "b"), EventSpec("end", "b", "c")]},
            "event 'go': source 5 is not one of the states",
        ),
        (
            {"events": [EventSpec(None, "a", "b"), EventSpec("end", "b", "c")]},  # type: ignore[arg-type]
            "event name None is not a Python identifier",
        ),
        ({"events": [EventSpec("end", "b", "c"), "go"]}, "event 'go' is not an EventSpec"),
        ({"descriptions": {"z": "zed"}}, "description of 'z': not one of the states"),
        ({"descriptions": {"a": 3}}, "description of 'a' must be a string, got 3"),
    ],
)
def test_malformed_definitions_are_definition_errors(
    changes: dict[str, object], problem: str
) -> None:
    """Wrong types and unknown names in a definition are listed problems, not a TypeError."""
    with pytest.raises(LifecycleDefinitionError) as info:
        _small(**changes)
    assert problem in info.value.problems


def test_equal_lifecycles_share_their_status_enum() -> None:
    """A lifecycle built twice (or unpickled) has the same enum, so `is` checks keep working."""
    import pickle

    from jobfsm import CommandJob

    def build() -> Lifecycle:
        return L.extend(
            name="built twice",
            states=["Paused"],
            events=[EventSpec("pause", "Running", "Paused"), EventSpec("fail", "Paused", "Failed")],
        )

    first, second = build(), build()
    assert first == second
    assert second.status_enum is first.status_enum
    assert pickle.loads(pickle.dumps(first)).status_enum is first.status_enum
    job = CommandJob(lifecycle=first)
    assert CommandJob(lifecycle=second).status is job.status is second.status_enum.NOT_STARTED


def test_a_single_event_spec_is_accepted_as_the_events() -> None:
    """events= may be one EventSpec, as states and sources may be one string."""
    single = Lifecycle(
        name="one event",
        states=["a", "b"],
        initial="a",
        terminal="b",
        events=EventSpec("go", "a", "b"),
    )
    assert single.event_names == ("go",)


def test_is_terminal_and_is_active_follow_the_lifecycle() -> None:
    """Lifecycle.is_terminal / is_active answer from the value; unknown statuses raise."""
    L = DEFAULT_LIFECYCLE
    assert [s for s in L.statuses if L.is_terminal(s)] == ["Completed", "Failed", "Canceled"]
    assert [s for s in L.statuses if L.is_active(s)] == [
        "Starting", "Provisioning", "Preparing", "Queued", "Running", "Finalizing",
    ]  # fmt: skip
    assert not L.is_terminal("NotResponding")
    with pytest.raises(UnknownStatusError, match="Canceled"):
        L.is_terminal("Cancelled")
