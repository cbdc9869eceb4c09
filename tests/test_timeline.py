"""Timelines of a few jobs: bars from the log, a Mermaid gantt, SVG/PNG through Graphviz."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jobfsm import DiagramFormatError, JobStatus, read_jsonl
from jobfsm.timeline import render, timelines, to_gantt
from tests.conftest import needs_program

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

LOG = EXAMPLES + "/events-clean.jsonl"
CALM = "calm_otter_4kx9q2lz7m"
BRAVE = "brave_heron_8c2mw5rt0v"
T0 = 1714554000.0  # 2024-05-01T09:00:00Z


def test_bars_follow_the_jobs_statuses() -> None:
    """One bar per status held, from its first event to the next status; the end is a mark."""
    bars = timelines(read_jsonl(LOG), [BRAVE, CALM])
    assert list(bars) == [BRAVE, CALM]
    calm = [(str(b.status), b.start - T0, b.end - T0) for b in bars[CALM]]
    assert calm == [
        ("Starting", 0, 60), ("Preparing", 60, 120), ("Queued", 120, 180),
        ("Running", 180, 240), ("Finalizing", 240, 300), ("Completed", 300, 300),
    ]  # fmt: skip
    brave = [b.status for b in bars[BRAVE]]
    assert brave.count(JobStatus.RUNNING) == 2
    assert JobStatus.NOT_RESPONDING in brave


def test_unknown_jobs_are_named() -> None:
    """Asking for a job that is not in the log raises KeyError naming it and the known ones."""
    with pytest.raises(KeyError, match=r"no job 'ghost'.*calm_otter"):
        timelines(read_jsonl(LOG), ["ghost"])


def test_jobs_without_times_cannot_be_drawn() -> None:
    """A job whose events have no times raises KeyError saying so."""
    rows = [{"job": "a", "status": "Starting"}, {"job": "a", "status": "Running"}]
    with pytest.raises(KeyError, match="no event with a time"):
        timelines(rows, ["a"])


def test_gantt_has_a_section_per_job_and_tags_by_kind() -> None:
    """Active statuses are active tasks, attention ones critical, terminal ones milestones."""
    text = to_gantt(timelines(read_jsonl(LOG), [CALM, BRAVE]))
    lines = text.splitlines()
    assert "gantt" in lines
    assert f"    section {CALM}" in lines
    assert f"    section {BRAVE}" in lines
    assert "    Starting : active, 2024-05-01 09:00:00, 2024-05-01 09:01:00" in lines
    assert "    Completed : milestone, 2024-05-01 09:05:00, 2024-05-01 09:05:00" in lines
    assert any(line.startswith("    NotResponding : crit, ") for line in lines)


def test_svg_and_png_are_drawn_by_graphviz() -> None:
    """neato -n2 draws the pinned boxes: the SVG names the jobs; PNG has its signature."""
    needs_program("neato", install="apt-get install graphviz")
    bars = timelines(read_jsonl(LOG), [CALM, BRAVE])
    root = ET.fromstring(render(bars, "svg"))
    text = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert CALM in text
    assert BRAVE in text
    assert "Provisioning" in text
    classes = [g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert classes.count("node bar terminal") == 2
    assert render(bars, "png").startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DiagramFormatError):
        render(bars, "gif")
