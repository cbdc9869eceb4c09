"""The grouped (default) view: which statuses share a box, which arrows are drawn.

Golden tests on structure, not pixels: the groups and arrows of the Azure ML lifecycle
are spelled out once here; for other lifecycles the view is checked against the
lifecycle's own edges (every edge stands behind exactly one arrow, and a group's arrow
is true of every status in the box). DOT is read back by Graphviz itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, CommandJob, EventSpec, JobStatus, Lifecycle, to_dot
from jobfsm import to_mermaid as mermaid
from jobfsm.diagram_groups import Group, GroupedView, grouped_view
from tests.conftest import needs_program

S = JobStatus
ACTIVE = frozenset(DEFAULT_LIFECYCLE.active)
NOT_FINISHED = frozenset(DEFAULT_LIFECYCLE.non_terminal)


def ends(view: GroupedView) -> list[tuple[str, str, str]]:
    """Arrows as (source, dest, events) with groups named by their label."""

    def name(node: object) -> str:
        return f"[{node.label}]" if isinstance(node, Group) else str(node)

    return [(name(a.source), name(a.dest), " / ".join(a.events)) for a in view.arrows]


def check_view(lifecycle: Lifecycle) -> GroupedView:
    """Invariants of any grouped view; returns it."""
    view = grouped_view(lifecycle)
    drawn = [edge for arrow in view.arrows for edge in arrow.edges]
    assert sorted(drawn) == sorted(tuple(e) for e in lifecycle.edges), "each edge once"
    for arrow in view.arrows:
        sources = arrow.source.members if isinstance(arrow.source, Group) else {arrow.source}
        dests = arrow.dest.members if isinstance(arrow.dest, Group) else {arrow.dest}
        # A box's arrow is true of every status in it (and into a box: of every target).
        for event in arrow.events:
            expected = {(s, event, d) for s in sources for d in dests}
            assert expected <= {tuple(e) for e in lifecycle.edges}
        assert {(s, d) for s, _, d in arrow.edges} == {(s, d) for s in sources for d in dests}
    for a in view.groups:
        assert not a.members & lifecycle.terminal
        for b in view.groups:
            assert a.members <= b.members or b.members <= a.members or not a.members & b.members
        parent = next((g for g in view.groups if g.key == a.parent), None)
        if parent is not None:
            assert a.members < parent.members
    pairs = {(a.source, a.dest) for a in view.arrows}
    assert len(pairs) == len(view.arrows), "one arrow per pair of ends"
    assert view.spine[0] == lifecycle.initial
    assert view.spine[-1] in lifecycle.terminal
    return view


def test_azureml_groups_are_computed_from_the_shared_exits() -> None:
    """Two boxes: the active statuses, inside every unfinished status but CancelRequested."""
    view = check_view(DEFAULT_LIFECYCLE)
    outer, inner = view.groups
    assert outer.members == NOT_FINISHED - {S.CANCEL_REQUESTED}
    assert outer.label == "Not finished except CancelRequested"
    assert outer.parent is None
    assert inner.members == ACTIVE
    assert inner.label == "Active"
    assert inner.parent == outer.key


def test_azureml_default_view_draws_15_arrows_instead_of_39() -> None:
    """The golden list of arrows: shared exits drawn once, from the box."""
    view = check_view(DEFAULT_LIFECYCLE)
    outer = "[Not finished except CancelRequested]"
    assert ends(view) == [
        ("NotStarted", "Starting", "start"),
        ("Starting", "Provisioning", "provision"),
        ("Starting", "Preparing", "prepare"),
        ("Provisioning", "Preparing", "prepare"),
        ("Preparing", "Queued", "queue"),
        ("Queued", "Running", "run"),
        ("Running", "Finalizing", "finalize"),
        ("Finalizing", "Completed", "complete"),
        ("CancelRequested", "Completed", "complete"),
        (outer, "Failed", "fail"),
        ("CancelRequested", "Failed", "fail"),
        (outer, "CancelRequested", "request_cancel"),
        ("CancelRequested", "Canceled", "cancel"),
        ("[Active]", "NotResponding", "lose_heartbeat"),
        ("NotResponding", "[Active]", "resume"),
    ]
    full = {(e.source, e.dest) for e in DEFAULT_LIFECYCLE.edges}
    assert (len(view.arrows), len(full)) == (15, 39)


def test_spine_is_the_main_line_without_attention_statuses() -> None:
    """Initial status to Completed by the shortest path avoiding attention statuses."""
    view = grouped_view(DEFAULT_LIFECYCLE)
    assert view.spine == (
        S.NOT_STARTED, S.STARTING, S.PREPARING, S.QUEUED, S.RUNNING, S.FINALIZING, S.COMPLETED
    )  # fmt: skip
    assert [a.events for a in view.arrows if a.spine] == [
        ("start",), ("prepare",), ("queue",), ("run",), ("finalize",), ("complete",)
    ]  # fmt: skip


def test_a_custom_lifecycle_is_grouped_the_same_way() -> None:
    """A lifecycle with a new attention status and shared exits gets its own boxes."""
    custom = Lifecycle(
        name="batch",
        states=["new", "waiting", "running", "held", "done", "failed", "killed"],
        initial="new",
        terminal=["done", "failed", "killed"],
        active=["waiting", "running"],
        attention=["held"],
        events=[
            EventSpec("submit", "new", "waiting"),
            EventSpec("run", "waiting", "running"),
            EventSpec("finish", "running", "done"),
            EventSpec("hold", ["waiting", "running"], "held"),
            EventSpec("release", "held", ["waiting", "running"]),
            EventSpec("fail", ["new", "waiting", "running", "held"], "failed"),
            EventSpec("kill", ["new", "waiting", "running", "held"], "killed"),
        ],
    )
    view = check_view(custom)
    assert [(g.label, sorted(g.members)) for g in view.groups] == [
        ("Not finished", ["held", "new", "running", "waiting"]),
        ("Active", ["running", "waiting"]),
    ]
    assert ("[Not finished]", "failed", "fail") in ends(view)
    assert ("[Not finished]", "killed", "kill") in ends(view)
    assert ("[Active]", "held", "hold") in ends(view)
    assert ("held", "[Active]", "release") in ends(view)


def test_small_shared_exits_stay_single_arrows() -> None:
    """A box must remove at least two arrows: two statuses sharing one exit are not boxed."""
    tiny = Lifecycle(
        name="tiny",
        states=["a", "b", "c", "end"],
        initial="a",
        terminal=["end"],
        events=[
            EventSpec("go", "a", "b"),
            EventSpec("go", "b", "c"),
            EventSpec("stop", ["b", "c"], "end"),
        ],
    )
    view = check_view(tiny)
    assert view.groups == ()
    assert len(view.arrows) == 4


@st.composite
def lifecycles(draw: st.DrawFn) -> Lifecycle:
    """Random valid lifecycles: a chain to a terminal status plus random shared exits."""
    size = draw(st.integers(3, 8))
    names = [f"s{i}" for i in range(size)] + ["ok", "ko"]
    events = [EventSpec(f"step{i}", names[i], names[i + 1]) for i in range(size - 1)]
    events.append(EventSpec("finish", names[size - 1], "ok"))
    for number in range(draw(st.integers(0, 4))):
        sources = draw(st.sets(st.sampled_from(names[:size]), min_size=1))
        dest = draw(st.sampled_from(names))
        sources.discard(dest)
        if sources:
            events.append(EventSpec(f"extra{number}", sorted(sources), dest))
    events.append(EventSpec("fail", names[:size], "ko"))
    attention = draw(st.sets(st.sampled_from(names[1:size]), max_size=2))
    return Lifecycle(
        name="random",
        states=names,
        initial="s0",
        terminal=["ok", "ko"],
        events=events,
        active=names[1:size],
        attention=attention,
    )


@settings(max_examples=40, deadline=None)
@given(lifecycles())
def test_any_lifecycle_view_keeps_every_edge_and_only_true_boxes(lifecycle: Lifecycle) -> None:
    """For random lifecycles the invariants hold and the view never draws more arrows."""
    view = check_view(lifecycle)
    assert len(view.arrows) <= len({(e.source, e.dest) for e in lifecycle.edges})


# -- Mermaid composite states --------------------------------------------------------

_BLOCK = re.compile(r'^( *)state "(.*)" as (\S+) \{$')


def mermaid_boxes(text: str) -> dict[str, set[str]]:
    """Composite-state label -> the ids declared anywhere inside it."""
    boxes: dict[str, set[str]] = {}
    stack: list[tuple[str, int]] = []
    for line in text.splitlines():
        if match := _BLOCK.match(line):
            stack.append((match.group(2), len(match.group(1))))
            boxes[match.group(2)] = set()
        elif line.strip() == "}":
            stack.pop()
        elif stack and " --> " not in line and line.strip():
            name = line.split(" as ")[-1].strip() if line.strip().startswith("state ") else line
            for label, _ in stack:
                boxes[label].add(name.strip())
    return boxes


def test_mermaid_default_view_has_composite_states_and_15_arrows() -> None:
    """Boxes hold their statuses; a box's exit is one arrow from the box's id."""
    text = mermaid()
    boxes = mermaid_boxes(text)
    assert boxes["Not finished except CancelRequested"] >= {str(s) for s in NOT_FINISHED} - {
        "CancelRequested"
    }
    assert boxes["Active"] == {str(s) for s in ACTIVE}
    assert set(boxes["Legend"]) == {
        "legend_active", "legend_attention", "legend_terminal", "legend_arrows"
    }  # fmt: skip
    arrows = [line.strip() for line in text.splitlines() if " --> " in line and "[*]" not in line]
    assert len(arrows) == 15
    assert "group_1 --> Failed : fail" in arrows
    assert "NotResponding --> group_2 : resume (any)" in arrows
    assert text == mermaid(DEFAULT_LIFECYCLE)
    assert len(mermaid(full=True).splitlines()) > len(text.splitlines()) - 20


def test_one_job_view_numbers_its_steps_on_the_grouped_arrows() -> None:
    """A job's failure is numbered on the box's fail arrow; the title counts its events."""
    job = CommandJob(command="x", name="run-42")
    for event in ("start", "prepare", "queue", "run", "lose_heartbeat", "fail"):
        job.fire(event)
    text = mermaid(job=job)
    assert "title: 'run-42: Failed after 6 events'" in text
    assert "group_1 --> Failed : fail (step 6)" in text
    assert "group_2 --> NotResponding : lose_heartbeat (step 5)" in text
    assert "class Failed current" in text


# -- DOT clusters, read back by Graphviz ------------------------------------------------


def graphviz_layout(text: str) -> dict[str, Any]:
    """Graphviz's laid-out graph (``dot -Tjson``)."""
    dot = needs_program("dot", install="apt-get install graphviz")
    done = subprocess.run([dot, "-Tjson"], input=text.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Warning" not in done.stderr, done.stderr.decode()
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_dot_clusters_spine_and_terminal_rank() -> None:
    """Clusters hold the groups, the spine is one straight column, terminals share a rank."""
    graph = graphviz_layout(to_dot())
    objects = graph["objects"]
    nodes = {o["name"]: o for o in objects if "nodes" not in o and "subgraphs" not in o}
    names = {o["_gvid"]: o["name"] for o in objects}
    clusters = {o["label"]: {names[n] for n in o.get("nodes", [])} for o in objects if "nodes" in o}
    assert clusters["Active"] == {str(s) for s in ACTIVE}
    assert clusters["Not finished except CancelRequested"] == {
        str(s) for s in NOT_FINISHED - {S.CANCEL_REQUESTED}
    }
    assert graph["compound"] == "true"
    x = {name: float(o["pos"].split(",")[0]) for name, o in nodes.items()}
    y = {name: float(o["pos"].split(",")[1]) for name, o in nodes.items()}
    spine = [str(s) for s in grouped_view(DEFAULT_LIFECYCLE).spine]
    assert len({x[name] for name in spine}) == 1, "the main line is straight"
    assert [y[name] for name in spine] == sorted((y[name] for name in spine), reverse=True)
    assert len({y[str(s)] for s in DEFAULT_LIFECYCLE.terminal}) == 1, "terminals on one rank"
    assert max(y[str(s)] for s in DEFAULT_LIFECYCLE.non_terminal) > y["Completed"]
    edges = [(names[e["tail"]], names[e["head"]], e) for e in graph["edges"]]
    drawn = [e for e in edges if not e[0].startswith(("legend", "__"))]
    assert len(drawn) == 15
    exits = {(e.get("ltail"), h, e["label"]) for _, h, e in drawn if e.get("ltail")}
    assert ("cluster_group_1", "Failed", "fail") in exits
    assert ("cluster_group_2", "NotResponding", "lose_heartbeat") in exits
    assert [e.get("lhead") for _, _, e in drawn if e.get("lhead")] == ["cluster_group_2"]


def test_dot_job_view_dims_the_arrows_not_taken() -> None:
    """The job's arrows are class 'path'; every other arrow is dimmed."""
    job = CommandJob(command="x", name="run-7")
    for event in ("start", "prepare", "queue", "run", "finalize", "complete"):
        job.fire(event)
    graph = graphviz_layout(to_dot(job=job))
    names = {o["_gvid"]: o["name"] for o in graph["objects"]}
    drawn = [e for e in graph["edges"] if not names[e["tail"]].startswith(("legend", "__"))]
    path = [e for e in drawn if e.get("class") == "path"]
    assert len(path) == 6
    assert all(e["color"] == "#c4c4c4" for e in drawn if e.get("class") != "path")
    assert graph["label"] == "run-7: Completed after 6 events"


def test_every_built_in_profile_gets_the_grouped_view() -> None:
    """Each vendor profile keeps every edge behind one arrow; none draws more than its pairs."""
    from jobfsm.profiles import names, resolve

    saved = 0
    for name in names():
        lifecycle = resolve(name)
        view = check_view(lifecycle)
        pairs = len({(e.source, e.dest) for e in lifecycle.edges})
        assert len(view.arrows) <= pairs, name
        saved += pairs - len(view.arrows)
    assert saved > 0
