"""Every kind of Mermaid text jobfsm writes renders in the real Mermaid library.

All diagrams are rendered in one headless-Chromium run per test session (see
tests/mermaid_render.py); each test then checks its own result: no parse or render
error, and an SVG that shows the statuses. Skipped without Chromium and the mermaid
npm package, except in CI (``JOBFSM_REQUIRE_ALL=1``), where that is a failure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventSpec,
    Lifecycle,
    processmap,
    read_jsonl,
    timeline,
    to_mermaid,
)
from tests.mermaid_render import render_mermaid

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

CUSTOM = Lifecycle(
    name='odd "names"',
    states=["Not Started", "in-progress", "class", "end", 'Wait "x"', "done"],
    initial="Not Started",
    terminal=["done", "end"],
    active=["in-progress", "class"],
    attention=['Wait "x"'],
    events=[
        EventSpec("go", "Not Started", "in-progress"),
        EventSpec("to_class", "in-progress", "class"),
        EventSpec("wait", ["in-progress", "class"], 'Wait "x"'),
        EventSpec("wake", 'Wait "x"', ["in-progress", "class"]),
        EventSpec("finish", "class", "done"),
        EventSpec("stop", ["Not Started", "in-progress", "class", 'Wait "x"'], "end"),
    ],
)


POLLED = EXAMPLES + "/events-polled.jsonl"
CLEAN = EXAMPLES + "/events-clean.jsonl"
CLEAN_JOBS = ["calm_otter_4kx9q2lz7m", "brave_heron_8c2mw5rt0v", "sunny_comet_5hj2p8n4wf"]


def _job() -> CommandJob:
    job = CommandJob(command="x", name="run-42")
    for event in ("start", "prepare", "queue", "run", "lose_heartbeat", "resume", "finalize"):
        job.fire(event)
    return job


#: name -> (Mermaid text, labels its SVG must show)
DIAGRAMS: dict[str, Callable[[], tuple[str, set[str]]]] = {
    "lifecycle-grouped": lambda: (to_mermaid(), set(DEFAULT_LIFECYCLE.states) | {"Active"}),
    "lifecycle-full": lambda: (to_mermaid(full=True), set(DEFAULT_LIFECYCLE.states)),
    "job-grouped": lambda: (to_mermaid(job=_job()), {"run-42: Finalizing after 7 events"}),
    "job-full": lambda: (to_mermaid(job=_job(), full=True), {"Finalizing"}),
    "custom-grouped": lambda: (to_mermaid(CUSTOM), set(CUSTOM.states)),
    "custom-full": lambda: (to_mermaid(CUSTOM, full=True), set(CUSTOM.states)),
    "process-map": lambda: (
        processmap.to_mermaid(processmap.process_map(read_jsonl(POLLED))),
        set(DEFAULT_LIFECYCLE.states) | {"3x inferred", "1x · median 1m · illegal"},
    ),
    "timeline-gantt": lambda: (
        timeline.to_gantt(timeline.timelines(read_jsonl(CLEAN), CLEAN_JOBS)),
        set(CLEAN_JOBS) | {"NotResponding", "Provisioning", "Completed"},
    ),
}


def _doc_blocks() -> dict[str, Callable[[], tuple[str, set[str]]]]:
    """Every ```mermaid block of README.md and docs/*.md (GitHub renders them)."""
    import re

    root = Path(EXAMPLES).parent
    blocks = {}
    for path in sorted([root / "README.md", *(root / "docs").glob("*.md")]):
        found = re.findall(r"```mermaid\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)
        for number, text in enumerate(found, 1):
            name = f"{path.relative_to(root).as_posix()}#{number}"
            blocks[name] = lambda text=text: (text, set())
    return blocks


DIAGRAMS.update(_doc_blocks())


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Every diagram of DIAGRAMS, plus a broken one, rendered in one browser run."""
    made = {name: make() for name, make in DIAGRAMS.items()}
    made["broken"] = ("stateDiagram-v2\n    state \"x\" as {\n", set())
    results = render_mermaid([text for text, _ in made.values()])
    return {name: (result, made[name][1]) for name, result in zip(made, results, strict=True)}


def svg_text(svg: str) -> str:
    """All the text of an SVG (labels may sit in foreignObject HTML)."""
    root = ET.fromstring(svg.replace("<br>", "<br/>"))
    return " ".join(" ".join(node.itertext()) for node in root.iter())


@pytest.mark.parametrize("name", list(DIAGRAMS))
def test_mermaid_renders(name: str, rendered: dict[str, tuple[dict[str, Any], set[str]]]) -> None:
    """Mermaid parses and renders the text, and the picture names every status."""
    result, labels = rendered[name]
    assert result["ok"], result.get("error")
    text = svg_text(result["svg"])
    missing = {label for label in labels if label not in text}
    assert not missing, f"{name}: not in the rendered SVG: {missing}"


def test_a_broken_diagram_is_reported(
    rendered: dict[str, tuple[dict[str, Any], set[str]]],
) -> None:
    """The check can fail: Mermaid's parse error comes back instead of an SVG."""
    result, _ = rendered["broken"]
    assert not result["ok"]
    assert "Parse error" in result["error"] or "error" in result["error"].lower()
