"""Diagrams derived from a lifecycle value: Mermaid, DOT, and SVG/PNG through real Graphviz.

Expected edges, states and markers are always derived from the lifecycle value, never
typed by hand. Mermaid is read back with a small parser of the statements we emit; DOT is
read back by Graphviz itself (``dot -Tjson0``).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    DiagramFormatError,
    DiagramRenderError,
    EventSpec,
    GraphvizNotFoundError,
    Job,
    JobFSMError,
    JobStatus,
    Lifecycle,
    render,
    to_dot,
    to_mermaid,
)
from jobfsm.diagrams import DIAGRAM_FORMATS, graph_of
from tests.conftest import needs_dot
from tests.strategies import walks

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A custom lifecycle: a state whose name is not an identifier, one with a quote, and two
# events sharing one (source, dest) edge.
CUSTOM = DEFAULT_LIFECYCLE.extend(
    name="with hold",
    states=["On Hold", 'Wait "x"'],
    attention=["On Hold"],
    events=[
        EventSpec("hold", "Running", "On Hold"),
        EventSpec("release", "On Hold", "Running"),
        EventSpec("abort", "On Hold", "Failed"),
        EventSpec("fail", ["On Hold", 'Wait "x"'], "Failed"),
        EventSpec("wait", "On Hold", 'Wait "x"'),
    ],
)


def expected_edges(lifecycle: Lifecycle) -> dict[tuple[str, str], str]:
    """(source, dest) -> the joined event label, from the lifecycle's edges."""
    labels: dict[tuple[str, str], list[str]] = {}
    for edge in lifecycle.edges:
        labels.setdefault((str(edge.source), str(edge.dest)), []).append(edge.event)
    return {pair: " / ".join(events) for pair, events in labels.items()}


def walk_job(events: list[str], lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> Job:
    job = CommandJob(command="python train.py", name="job-1", lifecycle=lifecycle)
    for event in events:
        job.fire(event)
    return job


# -- a reader for the Mermaid we emit -------------------------------------------------

_TRANSITION = re.compile(r"^    (\S+) --> (\S+)(?: : (.+))?$")
_STATE_ALIAS = re.compile(r'^    state "(.*)" as (\S+)$')


def parse_mermaid(text: str) -> dict[str, Any]:
    """Front matter, transitions, start/end markers and classes of a stateDiagram-v2."""
    assert text.startswith("---\n"), "front matter first"
    _, front, body = text.split("---\n", 2)
    lines = body.splitlines()
    assert lines[0] == "stateDiagram-v2"
    names: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    starts: list[str] = []
    ends: list[str] = []
    classes: dict[str, set[str]] = {}
    class_defs: set[str] = set()
    notes: list[str] = []
    for line in lines[1:]:
        if alias := _STATE_ALIAS.match(line):
            names[alias.group(2)] = alias.group(1).replace("#quot;", '"')
        elif line.startswith("    classDef "):
            class_defs.add(line.split()[1])
        elif line.startswith("    class "):
            _, members, kind = line.split()
            classes[kind] = {names.get(m, m) for m in members.split(",")}
        elif line.startswith("    note "):
            notes.append(line.strip())
        elif match := _TRANSITION.match(line):
            source, dest, label = match.groups()
            if source == "[*]":
                starts.append(names.get(dest, dest))
            elif dest == "[*]":
                ends.append(names.get(source, source))
            else:
                edges.append((names.get(source, source), names.get(dest, dest), label or ""))
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    return {
        "front": yaml.safe_load(front),
        "edges": edges,
        "starts": starts,
        "ends": ends,
        "classes": classes,
        "class_defs": class_defs,
        "notes": notes,
    }


def graphviz_json(dot_text: str) -> dict[str, Any]:
    """Graphviz's own reading of *dot_text* (fails when Graphviz rejects it)."""
    done = subprocess.run(
        ["dot", "-Tjson0"], input=dot_text.encode(), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def dot_edges(graph: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    names = {obj["_gvid"]: obj["name"] for obj in graph["objects"]}
    return [(names[e["tail"]], names[e["head"]], e) for e in graph.get("edges", [])]


# -- Mermaid -------------------------------------------------------------------------


def test_mermaid_has_every_edge_once_with_its_events() -> None:
    """Each (source, dest) pair of the lifecycle is one arrow labelled with its events."""
    parsed = parse_mermaid(to_mermaid(full=True))
    found = [(s, d) for s, d, _ in parsed["edges"]]
    expected = expected_edges(DEFAULT_LIFECYCLE)
    assert len(expected) == 39
    assert len(found) == len(set(found)) == 39
    assert {(s, d): label for s, d, label in parsed["edges"]} == expected


def test_mermaid_marks_start_and_terminal_states() -> None:
    """One start arrow into the initial state, one end arrow out of each terminal state."""
    parsed = parse_mermaid(to_mermaid(full=True))
    assert parsed["starts"] == [DEFAULT_LIFECYCLE.initial]
    assert sorted(parsed["ends"]) == sorted(DEFAULT_LIFECYCLE.terminal)
    assert len(parsed["ends"]) == 3


def test_mermaid_front_matter_is_a_yaml_title() -> None:
    """The diagram starts with a YAML front matter mapping holding the title."""
    parsed = parse_mermaid(to_mermaid(full=True))
    assert parsed["front"] == {"title": f"{DEFAULT_LIFECYCLE.name} lifecycle"}


def test_mermaid_classes_follow_the_lifecycle_sets() -> None:
    """terminal / active / attention classes are defined and hold exactly those states."""
    parsed = parse_mermaid(to_mermaid(full=True))
    lc = DEFAULT_LIFECYCLE
    assert parsed["classes"] == {
        "terminal": set(lc.terminal),
        "active": set(lc.active),
        "attention": set(lc.attention),
    }
    assert parsed["class_defs"] == set(parsed["classes"])


def test_mermaid_is_deterministic_in_lifecycle_order() -> None:
    """Output is byte-identical across calls and arrows follow the lifecycle's edge order."""
    first = to_mermaid(full=True)
    assert first == to_mermaid(DEFAULT_LIFECYCLE, full=True)
    order = [(s, d) for s, d, _ in parse_mermaid(first)["edges"]]
    assert order == list(expected_edges(DEFAULT_LIFECYCLE))


# -- DOT -----------------------------------------------------------------------------


def test_dot_lists_every_edge_once() -> None:
    """The DOT text has one statement per (source, dest) pair, events joined in its label."""
    text = to_dot(full=True)
    statements = re.findall(r'^    "([^"]+)" -> "([^"]+)" \[label="([^"]*)"', text, re.MULTILINE)
    assert {(s, d): label for s, d, label in statements} == expected_edges(DEFAULT_LIFECYCLE)
    assert len(statements) == 39
    assert to_dot(full=True) == text


@needs_dot
def test_graphviz_reads_the_same_graph() -> None:
    """Graphviz accepts the DOT and finds the 39 edges, the start point and 3 double circles."""
    graph = graphviz_json(to_dot(full=True))
    nodes = {obj["name"]: obj for obj in graph["objects"]}
    starts = [name for name, obj in nodes.items() if obj.get("shape") == "point"]
    assert len(starts) == 1
    edges = dot_edges(graph)
    assert [(t, h) for t, h, _ in edges if t == starts[0]] == [(starts[0], "NotStarted")]
    labelled = {(t, h): e["label"] for t, h, e in edges if t != starts[0]}
    assert len(edges) == 40
    assert labelled == expected_edges(DEFAULT_LIFECYCLE)
    terminal = {name for name, obj in nodes.items() if obj.get("shape") == "doublecircle"}
    assert terminal == set(DEFAULT_LIFECYCLE.terminal)
    assert set(nodes) - {starts[0]} == set(DEFAULT_LIFECYCLE.states)
    for state in DEFAULT_LIFECYCLE.states:
        kind = graph_of().kind(DEFAULT_LIFECYCLE.status(state))
        assert nodes[state]["class"] == f"state {kind}".strip()


# -- SVG and PNG ---------------------------------------------------------------------


@needs_dot
def test_svg_is_drawn_by_graphviz_with_every_state() -> None:
    """render('svg') is well-formed SVG naming all 12 states, with CSS classes kept."""
    svg = render("svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(DEFAULT_LIFECYCLE.states) <= texts
    assert len(DEFAULT_LIFECYCLE.states) == 12
    assert b'class="node state terminal"' in svg


@needs_dot
def test_png_has_the_png_signature() -> None:
    """render('png') returns a PNG image."""
    png = render("png")
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000


def test_text_formats_render_as_utf8() -> None:
    """render() of the text formats is the emitters' text, encoded."""
    assert render("mermaid") == to_mermaid().encode()
    assert render("dot") == to_dot().encode()
    assert render("mermaid", full=True) == to_mermaid(full=True).encode()
    assert render("dot", full=True) == to_dot(full=True).encode()
    assert DIAGRAM_FORMATS == ("mermaid", "dot", "svg", "png")


def test_unknown_format_is_refused() -> None:
    """An unknown format raises a ValueError naming the supported ones."""
    with pytest.raises(DiagramFormatError) as info:
        render("gif")
    assert isinstance(info.value, ValueError)
    assert info.value.supported == DIAGRAM_FORMATS
    assert "'svg'" in str(info.value)


# -- without Graphviz ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_missing_graphviz_raises_with_install_hint(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no `dot` on PATH, SVG/PNG raise GraphvizNotFoundError saying how to install it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GraphvizNotFoundError) as info:
        render(fmt)
    err = info.value
    assert isinstance(err, JobFSMError)
    assert isinstance(err, FileNotFoundError)
    assert err.executable == "dot"
    assert err.format == fmt
    assert "apt-get install graphviz" in str(err)
    assert "brew install graphviz" in str(err)


def test_text_formats_need_no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mermaid and DOT are produced without Graphviz."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert render("mermaid").startswith(b"---\n")
    assert render("dot").startswith(b"digraph ")


def test_failing_graphviz_raises_render_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `dot` that exits non-zero gives DiagramRenderError with its stderr."""
    fake = tmp_path / "dot"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stderr.write('Error: out of ink\\n')\nsys.exit(3)\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DiagramRenderError) as info:
        render("svg")
    assert info.value.returncode == 3
    assert "out of ink" in str(info.value)
    assert isinstance(info.value, RuntimeError)


# -- a job's diagram -----------------------------------------------------------------


def test_job_mermaid_marks_status_and_path() -> None:
    """A job's Mermaid diagram numbers the arrows it took and marks its current status."""
    job = walk_job(["start", "prepare", "queue", "run", "lose_heartbeat", "resume"])
    text = to_mermaid(job=job, full=True)
    assert text != to_mermaid(full=True)
    parsed = parse_mermaid(text)
    assert parsed["classes"]["current"] == {"Running"}
    assert parsed["classes"]["visited"] == {
        "NotStarted",
        "Starting",
        "Preparing",
        "Queued",
        "NotResponding",
    }
    assert parsed["notes"] == ["note right of Running : current status"]
    labels = {(s, d): label for s, d, label in parsed["edges"]}
    assert labels[("Queued", "Running")] == "run (step 4)"
    assert labels[("NotResponding", "Running")] == "resume (step 6)"
    assert labels[("Starting", "Provisioning")] == "provision"
    assert "job-1" in parsed["front"]["title"]
    assert "Running" in parsed["front"]["title"]
    # The same edges as the plain diagram, only annotated.
    assert [(s, d) for s, d, _ in parsed["edges"]] == list(expected_edges(DEFAULT_LIFECYCLE))


def test_repeated_edges_list_every_step() -> None:
    """An edge taken twice carries both step numbers."""
    job = walk_job(["start", "lose_heartbeat", "resume", "lose_heartbeat", "resume"])
    parsed = parse_mermaid(to_mermaid(job=job, full=True))
    labels = {(s, d): label for s, d, label in parsed["edges"]}
    assert labels[("Starting", "NotResponding")] == "lose_heartbeat (steps 2, 4)"
    assert labels[("NotResponding", "Starting")] == "resume (steps 3, 5)"


@needs_dot
def test_job_dot_highlights_path_and_status() -> None:
    """In DOT, the job's edges are class 'path' and its status is class 'current'."""
    job = walk_job(["start", "prepare", "queue", "request_cancel", "cancel"])
    text = to_dot(job=job, full=True)
    assert text != to_dot(full=True)
    graph = graphviz_json(text)
    nodes = {obj["name"]: obj for obj in graph["objects"]}
    assert nodes["Canceled"]["class"] == "state current"
    assert nodes["Canceled"]["shape"] == "doublecircle"
    assert nodes["Queued"]["class"] == "state visited"
    path = {(t, h) for t, h, e in dot_edges(graph) if e.get("class") == "path"}
    assert path == {(str(h.from_), str(h.to)) for h in job.history}
    assert render("svg", job=job, full=True).count(b'class="node state current"') == 1


@settings(max_examples=30, deadline=None)
@given(walks(max_steps=12))
def test_job_path_is_the_history(walk: list[JobStatus]) -> None:
    """For any legal walk, the numbered arrows are exactly the steps the job took."""
    job = CommandJob(command="x", name="walker")
    for source, dest in itertools.pairwise(walk):
        event = next(
            e.event for e in DEFAULT_LIFECYCLE.edges if (e.source, e.dest) == (source, dest)
        )
        job.fire(event, to=dest if event == "resume" else None)
    graph = graph_of(job=job)
    steps = sorted((n, (str(e.source), str(e.dest))) for e in graph.edges for n in e.steps)
    assert [pair for _, pair in steps] == [(str(a), str(b)) for a, b in itertools.pairwise(walk)]
    assert graph.current == walk[-1]
    assert parse_mermaid(to_mermaid(job=job, full=True))["classes"]["current"] == {str(walk[-1])}


def test_job_of_another_lifecycle_is_refused() -> None:
    """Drawing a job against a lifecycle it does not follow raises ValueError."""
    job = walk_job(["start"], lifecycle=CUSTOM)
    with pytest.raises(ValueError, match="with hold"):
        to_mermaid(DEFAULT_LIFECYCLE, job, full=True)
    # Without a lifecycle, the job's own is drawn.
    assert graph_of(job=job).lifecycle is CUSTOM


# -- custom lifecycles ---------------------------------------------------------------


def test_custom_lifecycle_draws_its_extra_states_in_mermaid() -> None:
    """Extra states get safe Mermaid ids, and shared edges join their events."""
    parsed = parse_mermaid(to_mermaid(CUSTOM, full=True))
    labels = {(s, d): label for s, d, label in parsed["edges"]}
    assert labels == expected_edges(CUSTOM)
    assert labels[("Running", "On Hold")] == "hold"
    assert labels[("On Hold", "Failed")] == "abort / fail"
    assert parsed["classes"]["attention"] == {"CancelRequested", "NotResponding", "On Hold"}
    assert parsed["front"] == {"title": "with hold lifecycle"}


@needs_dot
def test_custom_lifecycle_draws_its_extra_states_in_dot_and_svg() -> None:
    """Graphviz reads the custom lifecycle's DOT (quotes escaped) and draws the new states."""
    graph = graphviz_json(to_dot(CUSTOM, full=True))
    names = {obj["name"] for obj in graph["objects"]}
    assert {"On Hold", 'Wait "x"'} <= names
    labelled = {(t, h): e["label"] for t, h, e in dot_edges(graph) if t != "__start__"}
    assert labelled == expected_edges(CUSTOM)
    svg_texts = {
        t.text
        for t in ET.fromstring(render("svg", CUSTOM, full=True)).iter("{http://www.w3.org/2000/svg}text")
    }
    assert {"On Hold", 'Wait "x"'} <= svg_texts


def test_paused_extension_from_the_docs_draws_itself() -> None:
    """DEFAULT_LIFECYCLE.extend(states=['Paused'], ...) appears in both text formats."""
    paused = DEFAULT_LIFECYCLE.extend(
        states=["Paused"],
        events=[
            EventSpec("pause", "Running", "Paused"),
            EventSpec("unpause", "Paused", "Running"),
            EventSpec("fail", "Paused", "Failed"),
        ],
    )
    assert ("Running", "Paused", "pause") in parse_mermaid(to_mermaid(paused, full=True))["edges"]
    assert '"Paused" -> "Running" [label="unpause"];' in to_dot(paused, full=True)
    assert "Paused" not in to_mermaid(full=True)


# -- committed files -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [("lifecycle.mmd", "mermaid"), ("lifecycle.dot", "dot")])
def test_committed_diagrams_are_current(name: str, fmt: str) -> None:
    """diagrams/lifecycle.{mmd,dot} equal a fresh generation (the grouped view)."""
    committed = (REPO / "diagrams" / name).read_bytes()
    assert committed == render(fmt), (
        f"diagrams/{name} is out of date; regenerate with: "
        f"python -m jobfsm diagram -o diagrams/{name}"
    )


def test_committed_svg_draws_every_state() -> None:
    """diagrams/lifecycle.svg is an SVG naming every state (Graphviz versions vary, so no byte
    comparison; regenerate with: python -m jobfsm diagram -o diagrams/lifecycle.svg)."""
    root = ET.parse(REPO / "diagrams" / "lifecycle.svg").getroot()
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(DEFAULT_LIFECYCLE.states) <= texts


def test_mermaid_ids_never_collide_with_state_names() -> None:
    """Keywords and non-word names get aliases that no other state already uses."""
    tricky = DEFAULT_LIFECYCLE.extend(
        states=["On Hold", "state_12", "end"],
        events=[
            EventSpec("hold", "Running", ["On Hold", "state_12", "end"]),
            EventSpec("fail", ["On Hold", "state_12", "end"], "Failed"),
        ],
    )
    text = to_mermaid(tricky, full=True)
    assert '    state "On Hold" as state_12_\n' in text
    assert '    state "end" as state_14\n' in text
    parsed = parse_mermaid(text)
    assert {(s, d): label for s, d, label in parsed["edges"]} == expected_edges(tricky)


# A lifecycle built from scratch whose states are Mermaid and Python keywords, have
# spaces and hyphens, or look like the generated ids.
SCRATCH = Lifecycle(
    name="from scratch",
    states=["Not Started", "in-progress", "class", "end", "None", "state_1", "done"],
    initial="Not Started",
    terminal=["done", "end"],
    active=["in-progress"],
    attention=["None"],
    events=[
        EventSpec("go", "Not Started", "in-progress"),
        EventSpec("to_class", "in-progress", "class"),
        EventSpec("idle", ["in-progress", "class"], "None"),
        EventSpec("wake", "None", ["in-progress", "class"]),
        EventSpec("odd", "class", "state_1"),
        EventSpec("finish", ["class", "state_1"], "done"),
        EventSpec("stop", ["Not Started", "in-progress", "class", "None", "state_1"], "end"),
    ],
)


def test_a_scratch_lifecycle_with_awkward_names_draws_and_documents() -> None:
    """Keywords, spaces, hyphens and id look-alikes survive Mermaid, DOT and the docs table."""
    from jobfsm.docgen import lifecycle_markdown

    job = walk_job(["go", "to_class", "idle", "wake"], SCRATCH)
    assert job.status == "class"
    text = to_mermaid(SCRATCH, job, full=True)
    parsed = parse_mermaid(text)
    drawn = {(s, d): label.split(" (step")[0] for s, d, label in parsed["edges"]}
    assert drawn == expected_edges(SCRATCH)
    ids = [line.split()[0] for line in text.splitlines()[4:] if " --> " in line]
    assert {"class", "end"}.isdisjoint(ids)  # keywords get an alias; the edges above map back
    assert parsed["starts"] == ["Not Started"]
    assert sorted(parsed["ends"]) == ["done", "end"]
    if shutil.which("dot"):
        graph = graphviz_json(to_dot(SCRATCH, job, full=True))
        drawn_dot = {(t, h) for t, h, _ in dot_edges(graph) if "__" not in t + h}
        assert drawn_dot == set(expected_edges(SCRATCH))
    table = lifecycle_markdown(SCRATCH)
    for state in SCRATCH.status_enum:
        assert f"| `{state}` | `{state.name}` |" in table
