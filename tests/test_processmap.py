"""Process maps of event logs: golden structure on the shipped logs, Graphviz for pictures."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from jobfsm import DEFAULT_LIFECYCLE, DiagramFormatError, JobStatus, read_csv, read_jsonl
from jobfsm.logscan import LogScan
from jobfsm.processmap import format_seconds, process_map, render, to_dot, to_mermaid
from tests.conftest import needs_program
from tests.strategies import logs

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples")

S = JobStatus


def arrows(pm: Any) -> dict[tuple[str | None, str], tuple[int, int, bool, float | None]]:
    return {
        (None if e.source is None else str(e.source), str(e.dest)): (
            e.observed, e.inferred, e.legal, e.median
        )
        for e in pm.edges
    }  # fmt: skip


def test_polled_log_map_counts_inferred_and_illegal_changes() -> None:
    """Every change of the polled example, with skipped statuses inferred along the path."""
    pm = process_map(read_jsonl(EXAMPLES + "/events-polled.jsonl"))
    assert arrows(pm) == {
        (None, "Starting"): (3, 0, True, None),
        (None, "Queued"): (1, 0, True, None),
        ("Starting", "Preparing"): (1, 2, True, 60.0),
        ("Preparing", "Queued"): (0, 3, True, None),
        ("Queued", "Running"): (1, 2, True, 60.0),
        ("Running", "Finalizing"): (1, 2, True, None),  # its only time went backwards
        ("Finalizing", "Completed"): (1, 2, True, 150.0),
        ("Queued", "CancelRequested"): (1, 0, True, 120.0),
        ("CancelRequested", "Canceled"): (1, 0, True, 120.0),
        ("Completed", "Running"): (1, 0, False, 60.0),
    }
    assert pm.entered[S.RUNNING] == 4
    assert S.PROVISIONING not in pm.entered
    assert not pm.inferred_states
    assert (pm.jobs, pm.events, pm.unknown) == (4, 19, 1)


def test_csv_and_jsonl_logs_give_the_same_map() -> None:
    """The same log in CSV and JSON Lines draws the same map."""
    a = process_map(read_jsonl(EXAMPLES + "/events-polled.jsonl"))
    b = process_map(read_csv(EXAMPLES + "/events-polled.csv", required=("job", "status")))
    assert arrows(a) == arrows(b)


def test_strict_mode_draws_skips_as_illegal() -> None:
    """In strict mode a change that skips statuses is an illegal arrow, nothing is inferred."""
    pm = process_map(read_jsonl(EXAMPLES + "/events-polled.jsonl"), mode="strict")
    found = arrows(pm)
    assert found[("Starting", "Running")][2] is False
    assert all(inferred == 0 for _, inferred, _, _ in found.values())


@settings(max_examples=40, deadline=None)
@given(logs())
def test_map_counts_every_change_once(rows: list[dict[str, Any]]) -> None:
    """Observed arrows add up to the jobs' changes; inferred steps follow the lifecycle."""
    pm = process_map(rows)
    changes = list(LogScan(rows))
    firsts = sum(e.observed for e in pm.edges if e.source is None)
    assert firsts == len({r["job"] for r in rows if r["status"] != "Bogus"})
    assert sum(pm.entered.values()) == len(changes)
    skips = [c for c in changes if c.kind == "skipped"]
    assert sum(e.observed for e in pm.edges) == len(changes) - len(skips)
    assert sum(e.inferred for e in pm.edges) == sum(len(c.skipped) + 1 for c in skips)
    legal = {(e.source, e.dest) for e in DEFAULT_LIFECYCLE.edges}
    for edge in pm.edges:
        if edge.inferred:
            assert (edge.source, edge.dest) in legal
        if edge.source is not None:
            assert edge.legal == ((edge.source, edge.dest) in legal)


def test_mermaid_flowchart_styles_each_arrow() -> None:
    """Width by frequency, dashes for inferred-only arrows, red for illegal, grey unseen."""
    text = to_mermaid(process_map(read_jsonl(EXAMPLES + "/events-polled.jsonl")))
    lines = text.splitlines()
    assert lines[3] == "flowchart TB"
    assert 's3 -.->|"3x inferred"| s4' in lines[lines.index("    start((start))") + 13 :][3]
    assert "    linkStyle 9 stroke:#c62828,stroke-width:2.7px" in lines
    assert "    class s0,s2,s9,s11 unseen" in lines
    assert sum(" linkStyle " in line for line in lines) == 10


def test_dot_is_read_by_graphviz_with_classes() -> None:
    """Graphviz reads the DOT: illegal arrows red, inferred dashed, unseen statuses greyed."""
    dot = needs_program("dot", install="apt-get install graphviz")
    text = to_dot(process_map(read_jsonl(EXAMPLES + "/events-polled.jsonl")))
    done = subprocess.run([dot, "-Tjson0"], input=text.encode(), capture_output=True, check=True)
    graph = json.loads(done.stdout)
    names = {o["_gvid"]: o["name"] for o in graph["objects"]}
    classes = {(names[e["tail"]], names[e["head"]]): e for e in graph["edges"]}
    assert classes[("Completed", "Running")]["class"] == "illegal"
    assert classes[("Completed", "Running")]["color"] == "#c62828"
    assert classes[("Preparing", "Queued")]["style"] == "dashed"
    nodes = {o["name"]: o for o in graph["objects"]}
    assert nodes["Provisioning"]["class"] == "state unseen"
    assert float(classes[("Starting", "Preparing")]["penwidth"]) > float(
        classes[("Queued", "CancelRequested")]["penwidth"]
    )


def test_svg_and_png_come_from_graphviz() -> None:
    """SVG names every status; PNG has the PNG signature; unknown formats are refused."""
    needs_program("dot", install="apt-get install graphviz")
    pm = process_map(read_jsonl(EXAMPLES + "/events-clean.jsonl"))
    root = ET.fromstring(render(pm, "svg"))
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert all(str(s) in text for s in DEFAULT_LIFECYCLE.statuses)
    assert render(pm, "png").startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DiagramFormatError):
        render(pm, "gif")


def test_format_seconds_reads_well() -> None:
    """Durations are short and exact enough for a label."""
    assert [format_seconds(x) for x in (0.25, 45, 60, 90, 3600, 3725, 90000)] == [
        "0.25s", "45s", "1m", "1m30s", "1h00m", "1h02m", "1d01h"
    ]  # fmt: skip


def test_a_custom_lifecycle_is_mapped_with_its_own_statuses() -> None:
    """process_map, time_in_status and timelines take the lifecycle the log follows."""
    from jobfsm import EventSpec, Lifecycle
    from jobfsm.stats import time_in_status
    from jobfsm.timeline import timelines

    batch = Lifecycle(
        name="batch",
        states=["new", "running", "held", "done", "failed"],
        initial="new",
        terminal=["done", "failed"],
        active=["running"],
        attention=["held"],
        events=[
            EventSpec("go", "new", "running"),
            EventSpec("hold", "running", "held"),
            EventSpec("release", "held", "running"),
            EventSpec("finish", "running", "done"),
            EventSpec("fail", ["new", "running", "held"], "failed"),
        ],
    )
    rows = [
        {"job": "a", "status": "new", "time": 0},
        {"job": "a", "status": "held", "time": 10},  # new -> held skips running
        {"job": "a", "status": "done", "time": 30},  # held -> done skips running
        {"job": "b", "status": "running", "time": 5},
        {"job": "b", "status": "new", "time": 6},  # illegal
    ]
    pm = process_map(rows, batch)
    found = {(str(e.source), str(e.dest)): (e.observed, e.inferred, e.legal) for e in pm.edges}
    assert found[("new", "running")] == (0, 1, True)
    assert found[("held", "running")] == (0, 1, True)
    assert found[("running", "new")] == (1, 0, False)
    stats = time_in_status(rows, batch)
    assert [(str(t.status), t.jobs, t.p50) for t in stats.terminals] == [
        ("done", 1, 30.0), ("failed", 0, None)
    ]  # fmt: skip
    assert [str(b.status) for b in timelines(rows, ["a"], batch)["a"]] == ["new", "held", "done"]
