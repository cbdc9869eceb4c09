"""A command line that explains itself: help, version, one error prefix, hints,
limits on flooding, and reports that say what was checked."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jobfsm
from jobfsm import Reason
from jobfsm.cli import _build_parser, main

EVENTS = [
    {"job": "a", "status": "NotStarted"},
    {"job": "a", "status": "Starting"},
    {"job": "a", "status": "Running"},
    {"job": "b", "status": "Starting"},
    {"job": "b", "status": "Completed"},
]


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = _build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm --version` prints the version and exits 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"jobfsm {jobfsm.__version__}"


def test_help_lists_exit_codes_and_reason_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm --help` and `jobfsm validate --help` say what each exit status means,
    and validate's help lists every reason code."""
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    for code in ("0", "1", "2"):
        assert f"  {code}  " in top
    assert main(["validate", "--help"]) == 0
    text = capsys.readouterr().out
    assert "exit status" in text
    for reason in Reason:
        assert str(reason) in text


def test_every_option_has_help_with_its_default() -> None:
    """Every option of every subcommand has help text, and a default worth
    knowing is shown in it."""
    for name, sub in _subparsers().items():
        text = sub.format_help()
        for action in sub._actions:
            if not action.option_strings or action.dest == "help":
                continue
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            if action.default not in (None, False, argparse.SUPPRESS):
                default = action.default
                shown = f"{default:g}" if isinstance(default, float) else default
                assert f"default: {shown}" in " ".join(text.split()), (
                    f"{name} {action.option_strings[0]} does not show its default"
                )


def test_one_error_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every subcommand's errors start with `jobfsm: error:`."""
    assert main(["validate", str(tmp_path / "missing.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("jobfsm: error: ")
    assert main(["diagram", "--job", str(tmp_path / "missing.yml")]) == 2
    assert capsys.readouterr().err.startswith("jobfsm: error: ")
    assert main(["status", "--store", str(tmp_path / "none" / "x.db")]) != 0
    assert capsys.readouterr().err.startswith("jobfsm: error: ")


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".pdf", ".txt"])
def test_diagram_refuses_a_suffix_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """-o x.jpg without --format is refused (no Mermaid text in a .jpg), nothing written."""
    out = tmp_path / f"x{suffix}"
    assert main(["diagram", "-o", str(out)]) == 2
    assert "--format" in capsys.readouterr().err
    assert not out.exists()
    assert main(["diagram", "-o", str(out), "--format", "mermaid"]) == 0


def test_max_errors_stops_flooding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong --job-key makes every line an input error; --max-errors stops reading."""
    log = _jsonl(tmp_path / "log.jsonl", EVENTS * 100)
    assert main(["validate", str(log), "--job-key", "Job", "--max-errors", "3"]) == 2
    out = capsys.readouterr().out
    assert out.count("input error:") == 3
    assert "stopped after 3 input errors" in out


def test_max_errors_has_a_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --max-errors, at most 100 input errors are reported."""
    log = _jsonl(tmp_path / "log.jsonl", EVENTS * 100)
    assert main(["validate", str(log), "--job-key", "Job"]) == 2
    assert capsys.readouterr().out.count("input error:") == 100


def test_hint_for_a_json_array(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON array given as JSON Lines gets a hint to write one object per line."""
    log = tmp_path / "log.json"
    log.write_text(json.dumps(EVENTS, indent=2))
    assert main(["validate", str(log)]) == 2
    assert "JSON array" in capsys.readouterr().out


def test_hint_for_csv_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """CSV piped to stdin without --input-format csv gets a hint to pass it."""
    import io

    data = b"job,status\na,NotStarted\na,Starting\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    assert main(["validate", "-"]) == 2
    assert "--input-format csv" in capsys.readouterr().out


def test_hint_for_a_header_spelt_differently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A header `Job,Status` names the options that would read it."""
    log = tmp_path / "log.csv"
    log.write_text("Job,Status\na,NotStarted\n")
    assert main(["validate", str(log)]) == 2
    out = capsys.readouterr().out
    assert "--job-key Job" in out
    assert "--status-key Status" in out


def test_csv_values_are_trimmed_when_the_header_is_spaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`job, status` with values `a, Starting` reads the status 'Starting'."""
    log = tmp_path / "log.csv"
    log.write_text("job, status\na, NotStarted\na, Starting\n")
    assert main(["validate", str(log)]) == 0, capsys.readouterr().out


def test_json_report_says_what_was_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON report carries mode, lifecycle, file, gaps and counts by reason."""
    log = _jsonl(tmp_path / "log.jsonl", EVENTS)
    assert main(["validate", str(log), "--mode", "observed", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "observed"
    assert report["file"] == str(log)
    assert report["lifecycle"] == jobfsm.DEFAULT_LIFECYCLE.name
    assert report["counts"] == {str(r): 0 for r in Reason} | {"input_errors": 0}
    assert {"job": "a", "line": 3, "from": "Starting", "to": "Running"}.items() <= report["gaps"][
        0
    ].items()


def test_empty_log_is_reported_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty log says it is empty; it exits 0 (nothing broke a rule)."""
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    assert main(["validate", str(log)]) == 0
    assert "empty: no events" in capsys.readouterr().out
    assert main(["validate", str(log), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["empty"] is True


def test_progress_shows_percentage_and_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal, progress for a file shows the share read and the rate."""
    import jobfsm._validate_reading as reading
    import jobfsm.cli_validate as cli_validate

    monkeypatch.setattr(cli_validate, "_stderr_is_tty", lambda: True)
    monkeypatch.setattr(cli_validate, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(reading, "_PROGRESS_EVERY", 2)
    monkeypatch.setenv("JOBFSM_NO_NATIVE", "1")  # the reader's progress (test_native: the pass's)
    log = _jsonl(tmp_path / "log.jsonl", EVENTS * 4)
    assert main(["validate", str(log), "--mode", "observed"]) == 1  # the repeats go back
    err = capsys.readouterr().err
    assert re.search(r"jobfsm: \d+% \(\d+ events, [\d,]+ events/s\)", err), err


_LOG_BITS = st.sampled_from(
    [*'{}[],:"\n\r\t ab1\x00\xff', '"job"', '"status"', '"time"', '"Running"', '"Queued"',
     "job,status,time\n", "Job,Status\n", "2024-05-01T09:00:00Z", "9999-12-31T23:59:59-01:00",
     "\ufeff", "null", "1e999", "-0", '"\\ud800"']
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(_LOG_BITS, max_size=40).map("".join), st.sampled_from(["jsonl", "csv"]))
def test_validate_never_raises(
    tmp_path_factory: pytest.TempPathFactory, text: str, fmt: str
) -> None:
    """`jobfsm validate` exits 0, 1 or 2 for any log, never with an exception."""
    path = tmp_path_factory.mktemp("fuzz") / f"log.{fmt}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for mode in ("strict", "observed"):
        assert main(["validate", str(path), "--mode", mode, "--format", "json"]) in (0, 1, 2)
