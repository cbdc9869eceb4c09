"""`jobfsm diagram`: formats, atomic output files, job files, and errors without tracebacks.

Called through ``main([...])`` and, where the process matters (PATH, a terminal, the
module entry point), as a real ``python -m jobfsm`` subprocess.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import jobfsm.yamlio
from jobfsm import CommandJob, render, to_dot, to_mermaid
from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_OK, main
from tests.conftest import needs_dot

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
needs_load_job = pytest.mark.skipif(
    not hasattr(jobfsm.yamlio, "load_job"), reason="jobfsm.yamlio.load_job is not available"
)


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m jobfsm ARGS`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "jobfsm", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def without_graphviz(tmp_path: Path) -> dict[str, str]:
    """The current environment with PATH pointing at an empty folder."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(empty)}


def test_default_is_mermaid_on_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """With no option the lifecycle's Mermaid text goes to stdout, nothing to stderr."""
    assert main(["diagram"]) == EXIT_OK
    out, err = capsysbinary.readouterr()
    assert out == to_mermaid().encode()
    assert err == b""


def test_dot_on_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """--format dot prints the DOT text."""
    assert main(["diagram", "--format", "dot"]) == EXIT_OK
    assert capsysbinary.readouterr().out == to_dot().encode()


@needs_dot
def test_svg_and_png_on_redirected_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Binary formats go to stdout's byte stream when it is not a terminal."""
    assert main(["diagram", "--format", "png"]) == EXIT_OK
    assert capsysbinary.readouterr().out.startswith(PNG_SIGNATURE)
    assert main(["diagram", "--format", "svg"]) == EXIT_OK
    assert b"<svg" in capsysbinary.readouterr().out


@needs_dot
@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("out.mmd", lambda data: data == to_mermaid().encode()),
        ("out.gv", lambda data: data == to_dot().encode()),
        ("out.svg", lambda data: b"<svg" in data and b"NotResponding" in data),
        ("out.png", lambda data: data.startswith(PNG_SIGNATURE)),
        ("out", lambda data: data == to_mermaid().encode()),
    ],
)
def test_output_format_follows_the_suffix(
    name: str, check: Callable[[bytes], bool], tmp_path: Path
) -> None:
    """Without --format, -o FILE's suffix picks the format (Mermaid without a suffix)."""
    target = tmp_path / name
    assert main(["diagram", "-o", str(target)]) == EXIT_OK
    assert check(target.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "no temporary file is left"


def test_explicit_format_wins_over_the_suffix(tmp_path: Path) -> None:
    """--format dot -o x.mmd writes DOT: an explicit choice is obeyed."""
    target = tmp_path / "x.mmd"
    assert main(["diagram", "--format", "dot", "-o", str(target)]) == EXIT_OK
    assert target.read_text(encoding="utf-8") == to_dot()


def test_output_replaces_an_existing_file_with_normal_permissions(tmp_path: Path) -> None:
    """-o replaces an existing file whole, and the new file is readable like any other."""
    target = tmp_path / "lifecycle.mmd"
    target.write_text("old\n" * 10_000)
    assert main(["diagram", "-o", str(target)]) == EXIT_OK
    assert target.read_text(encoding="utf-8") == to_mermaid()
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_output_folder_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output path in a missing folder exits 2 with one line naming that path."""
    target = tmp_path / "nowhere" / "out.mmd"
    assert main(["diagram", "-o", str(target)]) == EXIT_INPUT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert str(target) in err
    assert not target.parent.exists()


def test_bad_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --format exits 2 listing the choices."""
    assert main(["diagram", "--format", "gif"]) == EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert "invalid choice: 'gif'" in err
    assert "mermaid" in err


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_missing_graphviz_exits_2_with_hint_and_leaves_the_file(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without `dot` on PATH: exit 2, an install hint, and the existing output untouched."""
    target = tmp_path / f"keep.{fmt}"
    target.write_bytes(b"previous picture")
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    assert main(["diagram", "--format", fmt, "-o", str(target)]) == EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "apt-get install graphviz" in err
    assert "brew install graphviz" in err
    assert target.read_bytes() == b"previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_missing_job_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--job with a file that cannot be read exits 2 with one line and no output."""
    missing = tmp_path / "missing.yml"
    assert main(["diagram", "--job", str(missing)]) == EXIT_INPUT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("jobfsm: error: ")
    assert err.count("\n") == 1


@needs_load_job
def test_job_file_draws_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--job JOB.yml draws the loaded job: its status is marked, its steps numbered."""
    job = CommandJob(command="python train.py", name="run-42")
    job.start()
    job.prepare()
    job.queue()
    job.run()
    path = tmp_path / "run-42.yml"
    job.dump(path)
    assert main(["diagram", "--job", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out != to_mermaid()
    assert "class Running current" in out
    assert "Queued --> Running : run (step 4)" in out


@needs_load_job
def test_malformed_job_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A job file that is not valid YAML exits 2 with one line naming the file."""
    path = tmp_path / "broken.yml"
    path.write_text("type: command\nstatus: [unclosed\n")
    assert main(["diagram", "--job", str(path)]) == EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "broken.yml" in err


# -- real processes ------------------------------------------------------------------


@needs_dot
def test_module_entry_point_renders_svg() -> None:
    """`python -m jobfsm diagram --format svg` prints the same SVG as render('svg')."""
    done = run_module("diagram", "--format", "svg")
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout == render("svg")
    assert done.stderr == b""


def test_module_without_graphviz_exits_2_without_traceback(tmp_path: Path) -> None:
    """With PATH an empty folder, the process exits 2 with the install hint, no traceback."""
    done = run_module("diagram", "--format", "png", env=without_graphviz(tmp_path))
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stdout == b""
    assert b"Traceback" not in done.stderr
    assert b"apt-get install graphviz" in done.stderr


def test_png_is_not_written_to_a_terminal() -> None:
    """On a real terminal, PNG without -o is refused (exit 2) instead of printing bytes."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jobfsm", "diagram", "--format", "png"],
            cwd=REPO,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(follower)
    try:
        printed = os.read(leader, 4096)
    except OSError:  # Linux reports EIO once the terminal has no writer
        printed = b""
    finally:
        os.close(leader)
    assert done.returncode == EXIT_INPUT_ERROR
    assert b"refusing to write PNG to a terminal" in done.stderr
    assert PNG_SIGNATURE not in printed


def test_failed_rename_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o naming a folder fails with one line, and the temporary file is cleaned up."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["diagram", "-o", str(folder)]) == EXIT_INPUT_ERROR
    assert capsys.readouterr().err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]
    assert list(folder.iterdir()) == []


def test_output_naming_a_folder_names_that_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o naming a folder: the error names the folder given, not a temporary file."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["diagram", "-o", str(folder)]) == EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"jobfsm: error: {folder}: ")
    assert ".tmp" not in err


def test_closed_pipe_is_not_an_error() -> None:
    """A reader that stops early (`| head -1`) ends the command quietly, as for validate."""
    process = subprocess.Popen(
        [sys.executable, "-m", "jobfsm", "diagram", "--format", "dot"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # the reader is gone before anything is written
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == EXIT_OK
    assert err == b""


def test_closed_stdout_is_one_line_and_exit_2() -> None:
    """With standard output closed and no -o, the diagram cannot be written: one line."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "diagram"],
        cwd=REPO,
        capture_output=False,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        timeout=120,
        check=False,
    )
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stderr.decode() == "jobfsm: error: standard output is closed; use -o FILE\n"
