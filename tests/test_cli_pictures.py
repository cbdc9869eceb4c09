"""The picture commands: `diagram --full`, `diagram --log`, `stats` and `timeline`.

Called through ``main([...])``; files are real files in a temporary folder.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from jobfsm import to_mermaid
from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_OK, main
from jobfsm.cli_pictures import parse_duration
from tests.conftest import needs_program

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def test_diagram_full_keeps_one_arrow_per_edge(capsys: pytest.CaptureFixture[str]) -> None:
    """--full prints the one-arrow-per-edge view; without it, the grouped view."""
    assert main(["diagram", "--full"]) == EXIT_OK
    assert capsys.readouterr().out == to_mermaid(full=True)
    assert main(["diagram"]) == EXIT_OK
    grouped = capsys.readouterr().out
    assert grouped == to_mermaid()
    assert "state \"Active\" as group_2 {" in grouped


def test_diagram_log_draws_the_process_map(capsys: pytest.CaptureFixture[str]) -> None:
    """diagram --log FILE prints the process map (Mermaid by default) of the log."""
    assert main(["diagram", "--log", str(EXAMPLES / "events-polled.jsonl")]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[3] == "flowchart TB"
    assert "events-polled.jsonl: process map: 4 jobs, 19 events" in out


@pytest.mark.parametrize("suffix", ["svg", "png", "dot", "mmd"])
def test_diagram_log_writes_every_format(suffix: str, tmp_path: Path) -> None:
    """-o picks the format from the suffix; SVG and PNG come from Graphviz."""
    if suffix in ("svg", "png"):
        needs_program("dot", install="apt-get install graphviz")
    out = tmp_path / f"map.{suffix}"
    log = str(EXAMPLES / "events-polled.csv")
    assert main(["diagram", "--log", log, "-o", str(out)]) == EXIT_OK
    data = out.read_bytes()
    start = {"svg": b"<?xml", "png": b"\x89PNG", "dot": b"digraph", "mmd": b"---"}[suffix]
    assert data.startswith(start)


def test_diagram_log_with_bad_lines_exits_2_but_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed line is an input error (exit 2, named on stderr); the map is still drawn."""
    log = tmp_path / "bad.jsonl"
    log.write_text(
        '{"job": "a", "status": "Starting"}\nnot json\n{"job": "a", "status": "Running"}\n'
    )
    assert main(["diagram", "--log", str(log)]) == EXIT_INPUT_ERROR
    captured = capsys.readouterr()
    assert "flowchart TB" in captured.out
    assert f"{log}:2: input error: not valid JSON" in captured.err


def test_stats_text_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    """stats prints a table, a JSON object or CSV rows with the same figures."""
    log = str(EXAMPLES / "events-polled.jsonl")
    assert main(["stats", log]) == EXIT_OK
    text = capsys.readouterr().out
    assert "4 jobs, 19 events, 1 unknown status; exact nearest-rank percentiles" in text
    assert "brave_heron_8c2mw5rt0v  Running  idle 20s" in text
    assert main(["stats", log, "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["exact"] is True
    assert {"status": "Completed", "jobs": 2, "p50": 180.0, "p90": 240.0} in data["terminals"]
    assert main(["stats", log, "--format", "csv"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    queued = next(r for r in rows if r["section"] == "status" and r["status"] == "Queued")
    assert (queued["jobs"], queued["p90"]) == ("2", "120.0")


def test_stats_stuck_after_and_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    """--stuck-after keeps the jobs idle for longer; --as-of moves the clock."""
    log = str(EXAMPLES / "events-polled.jsonl")
    assert main(["stats", log, "--stuck-after", "1m", "--format", "json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["open_jobs"] == []
    args = ["stats", log, "--stuck-after", "1h", "--as-of", "2024-05-01T12:00:00Z"]
    assert main([*args, "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert [(j["job"], j["idle"]) for j in data["open_jobs"]] == [
        ("brave_heron_8c2mw5rt0v", 3 * 3600 - 250.0)
    ]


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("30m", 1800.0), ("1h30m", 5400.0),
                          ("1d", 86400.0), ("2.5h", 9000.0)]
)  # fmt: skip
def test_durations_parse(text: str, seconds: float) -> None:
    """--stuck-after accepts plain seconds and d/h/m/s units."""
    assert parse_duration(text) == seconds


def test_bad_options_and_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A bad duration, a missing file, an unknown job or an unknown suffix: exit 2, one line."""
    log = str(EXAMPLES / "events-polled.jsonl")
    assert main(["stats", log, "--stuck-after", "soon"]) == EXIT_INPUT_ERROR
    assert "'soon' is not a duration" in capsys.readouterr().err
    assert main(["stats", str(tmp_path / "none.jsonl")]) == EXIT_INPUT_ERROR
    assert "cannot read" in capsys.readouterr().err
    assert main(["timeline", log, "--job", "ghost"]) == EXIT_INPUT_ERROR
    assert "no job 'ghost'" in capsys.readouterr().err
    odd = tmp_path / "log.txt"
    odd.write_text("")
    assert main(["stats", str(odd)]) == EXIT_INPUT_ERROR
    assert "--input-format" in capsys.readouterr().err
    assert main(["stats", log, "--as-of", "noon"]) == EXIT_INPUT_ERROR
    assert "--as-of" in capsys.readouterr().err


def test_timeline_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """timeline prints a Mermaid gantt; -o x.svg draws it with Graphviz."""
    log = str(EXAMPLES / "events-clean.jsonl")
    job = "calm_otter_4kx9q2lz7m"
    assert main(["timeline", log, "--job", job]) == EXIT_OK
    assert f"section {job}" in capsys.readouterr().out
    needs_program("neato", install="apt-get install graphviz")
    out = tmp_path / "t.svg"
    assert main(["timeline", log, "--job", job, "-o", str(out)]) == EXIT_OK
    assert job in out.read_text()


def test_log_cannot_be_combined_with_lifecycle_options(capsys: pytest.CaptureFixture[str]) -> None:
    """--log with --job or --full is a usage error (exit 2), not a silent choice."""
    log = str(EXAMPLES / "events-polled.jsonl")
    assert main(["diagram", "--log", log, "--full"]) == EXIT_INPUT_ERROR
    assert "--full draws the lifecycle" in capsys.readouterr().err
    assert main(["diagram", "--log", log, "--job", "x.yml"]) == EXIT_INPUT_ERROR
    assert "--job draws the lifecycle" in capsys.readouterr().err


def test_output_suffix_and_kind_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o x.jpg is refused like for the lifecycle diagram, and so is -o on a folder."""
    log = str(EXAMPLES / "events-polled.jsonl")
    assert main(["diagram", "--log", log, "-o", str(tmp_path / "map.jpg")]) == EXIT_INPUT_ERROR
    assert "cannot draw a .jpg file" in capsys.readouterr().err
    folder = tmp_path / "taken.mmd"
    folder.mkdir()
    assert main(["timeline", log, "--job", "calm_otter_4kx9q2lz7m", "-o", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_pictures_follow_the_lifecycle_option(capsys: pytest.CaptureFixture[str]) -> None:
    """--lifecycle NAME reads a profile's log in its own statuses, aliases included."""
    slurm = str(EXAMPLES / "profiles" / "slurm.jsonl")
    assert main(["stats", slurm, "--lifecycle", "slurm", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["unknown_statuses"] == 0  # "PD" is read as PENDING, like validate reads it
    assert {s["status"] for s in data["statuses"]} >= {"PENDING", "RUNNING", "COMPLETED"}
    assert main(["stats", slurm, "--format", "json"]) == EXIT_OK  # Azure ML: all unknown
    assert json.loads(capsys.readouterr().out)["unknown_statuses"] == data["events"]
    assert main(["diagram", "--log", slurm, "--lifecycle", "slurm"]) == EXIT_OK
    assert "PENDING<br/>5 entered" in capsys.readouterr().out  # one job was requeued
    assert main(["timeline", slurm, "--lifecycle", "slurm", "--job", "4711"]) == EXIT_OK
    assert "section 4711" in capsys.readouterr().out


def test_an_unknown_lifecycle_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --lifecycle is one line naming the built-in profiles (exit 2)."""
    log = str(EXAMPLES / "events-polled.jsonl")
    for command in (["stats", log], ["diagram", "--log", log], ["timeline", log, "--job", "x"]):
        assert main([*command, "--lifecycle", "nosuch"]) == EXIT_INPUT_ERROR
        assert "no lifecycle named 'nosuch'" in capsys.readouterr().err
