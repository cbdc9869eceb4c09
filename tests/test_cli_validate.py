"""Tests for ``jobfsm validate``: output, exit status, inputs, and the documented output."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_OK, EXIT_VIOLATIONS, main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CLEAN = "examples/events-clean.jsonl"
POLLED = "examples/events-polled.jsonl"
POLLED_CSV = "examples/events-polled.csv"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples are named relative to the repository, as in the docs."""
    monkeypatch.chdir(REPO)


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


# -- the shipped examples -------------------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "observed"])
def test_clean_example_exits_0(capsys: pytest.CaptureFixture[str], mode: str) -> None:
    """The clean example has several interleaved jobs, all legal, all ending terminal."""
    code, out, err = run(capsys, CLEAN, "--mode", mode, "--require-terminal")
    assert code == EXIT_OK
    assert out == f"{CLEAN}: ok: no violations (26 events of 4 jobs, {mode} mode)\n"
    assert err == ""


def test_polled_example_strict_reports_skips(capsys: pytest.CaptureFixture[str]) -> None:
    """In strict mode the skipped statuses are violations too; lines are file lines."""
    code, out, _ = run(capsys, POLLED)
    assert code == EXIT_VIOLATIONS
    lines = out.splitlines()
    assert lines[0].startswith(
        f"{POLLED}:5: job calm_otter_4kx9q2lz7m: index 1: Starting -> Running: "
        "illegal-transition: no event leads from Starting to Running"
    )
    assert lines[0].endswith(
        "(allowed: Provisioning, Preparing, CancelRequested, Failed, NotResponding)"
    )
    reasons = [line.split(": ")[4] for line in lines[:-1]]
    assert reasons.count("illegal-transition") == 6
    assert lines[-1] == (
        f"{POLLED}: 8 violations in 4 jobs, 0 input errors (19 events of 4 jobs, strict mode)"
    )


def test_polled_example_observed(capsys: pytest.CaptureFixture[str]) -> None:
    """Observed mode keeps the misspelling, the clock going back and Running after Completed."""
    code, out, _ = run(capsys, POLLED, "--mode", "observed")
    assert code == EXIT_VIOLATIONS
    got = [line.split(": ", 5)[:5] for line in out.splitlines()[:-1]]
    assert got == [
        [f"{POLLED}:15", "job quiet_maple_z7d3k9q1xb", "index 3",
         "CancelRequested -> Cancelled", "unknown-status"],
        [f"{POLLED}:16", "job sunny_comet_5hj2p8n4wf", "index 3",
         "Running -> Finalizing", "time-went-backwards"],
        [f"{POLLED}:17", "job brave_heron_8c2mw5rt0v", "index 4",
         "Completed -> Running", "illegal-transition"],
    ]  # fmt: skip
    assert "did you mean 'Canceled'?" in out


def test_csv_copy_gives_the_same_violations_one_line_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The CSV example has a header line; otherwise its report equals the JSONL one."""
    _, jsonl, _ = run(capsys, POLLED, "--mode", "observed", "--format", "json")
    code, csv_out, _ = run(capsys, POLLED_CSV, "--mode", "observed", "--format", "json")
    assert code == EXIT_VIOLATIONS
    from_jsonl, from_csv = json.loads(jsonl), json.loads(csv_out)
    for violation in from_jsonl["violations"]:
        violation["line"] += 1
        violation["message"] = re.sub(
            r"\(line (\d+)\)", lambda m: f"(line {int(m[1]) + 1})", violation["message"]
        )
    for gap in from_jsonl["gaps"]:
        gap["line"] += 1
    assert from_csv.pop("file") == str(POLLED_CSV)
    assert from_jsonl.pop("file") == str(POLLED)
    assert from_csv == from_jsonl


def test_json_report_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints one object with exactly the documented keys."""
    code, out, _ = run(capsys, POLLED, "--mode", "observed", "--format", "json")
    assert code == EXIT_VIOLATIONS
    report = json.loads(out)
    assert list(report) == [
        "ok", "jobs", "events", "violations", "input_errors", "file", "mode", "lifecycle",
        "empty", "counts", "gaps", "stopped_after_errors", "hints",
    ]  # fmt: skip
    assert (report["ok"], report["jobs"], report["events"]) == (False, 4, 19)
    assert report["input_errors"] == []
    first = report["violations"][0]
    assert list(first) == ["job", "index", "line", "from", "to", "reason", "message", "allowed"]
    assert first["from"] == "CancelRequested"
    assert first["allowed"] == ["Completed", "Failed", "Canceled"]


# -- options ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "observed"])
def test_require_initial_and_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: str
) -> None:
    """--require-initial and --require-terminal add not-initial and not-terminal."""
    path = write(
        tmp_path / "e.jsonl",
        '{"job": "a", "status": "NotStarted"}\n'
        '{"job": "b", "status": "Queued"}\n'
        '{"job": "a", "status": "Starting"}\n',
    )
    code, out, _ = run(capsys, path, "--mode", mode)
    assert code == EXIT_OK
    code, out, _ = run(capsys, path, "--mode", mode, "--require-initial", "--require-terminal")
    assert code == EXIT_VIOLATIONS
    assert [line.split(": ")[4] for line in out.splitlines()[:-1]] == [
        "not-initial",
        "not-terminal",
        "not-terminal",
    ]
    assert f"{path}:2: job b: index 0: - -> Queued: not-initial" in out
    assert f"{path}:3: job a: index 1: Starting -> -: not-terminal" in out


def test_custom_keys_and_input_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Other key names, and --input-format for a file whose extension says nothing."""
    path = write(
        tmp_path / "events.log",
        "run_id,state,ts\nr1,Completed,2024-05-01T10:00:00Z\nr1,Running,2024-05-01T09:00:00Z\n",
    )
    code, _, err = run(capsys, path)
    assert code == EXIT_INPUT_ERROR
    assert "--input-format" in err
    code, out, _ = run(
        capsys, path, "--input-format", "csv",
        "--job-key", "run_id", "--status-key", "state", "--time-key", "ts",
    )  # fmt: skip
    assert code == EXIT_VIOLATIONS
    assert f"{path}:3: job r1: index 1: Completed -> Running: time-went-backwards" in out
    assert f"{path}:3: job r1: index 1: Completed -> Running: illegal-transition" in out


def test_wrong_keys_in_csv_header(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A CSV without the status column is one input error at line 1, exit 2."""
    path = write(tmp_path / "e.csv", "job,state\na,Running\n")
    code, out, _ = run(capsys, path)
    assert code == EXIT_INPUT_ERROR
    assert out.splitlines()[0] == (
        f"{path}:1: input error: the CSV header has no column 'status' (columns: 'job', 'state')"
    )


# -- exit status and input errors ------------------------------------------------


def test_input_error_wins_over_violations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A malformed line gives exit 2 even with violations; the rest is still checked."""
    path = write(
        tmp_path / "e.jsonl",
        '{"job": "a", "status": "Completed"}\n{"job": "a", "status": "Running"}\n{oops\n',
    )
    code, out, _ = run(capsys, path)
    assert code == EXIT_INPUT_ERROR
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:2: job a: index 1: Completed -> Running")
    assert lines[1].startswith(f"{path}:3: input error: not valid JSON")
    assert (
        lines[2] == f"{path}: 1 violation in 1 job, 1 input error (2 events of 1 job, strict mode)"
    )
    code, out, _ = run(capsys, path, "--format", "json")
    report = json.loads(out)
    assert code == EXIT_INPUT_ERROR
    assert report["input_errors"] == [
        {"line": 3, "message": "not valid JSON: Expecting property name enclosed in double "
         "quotes (column 2)"}
    ]  # fmt: skip
    assert len(report["violations"]) == 1


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: str(tmp / "missing.jsonl"), "missing.jsonl: cannot read: No such file"),
        (lambda tmp: str(tmp), "is a directory"),
        (
            lambda tmp: (
                (tmp / "bad.jsonl").write_bytes(b'{"job": 1}\n\xff\xfe\n')
                and str(tmp / "bad.jsonl")
            ),
            "bad.jsonl:2: not UTF-8 text",
        ),
    ],
    ids=["missing", "directory", "undecodable"],
)
def test_unreadable_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: object, expected: str
) -> None:
    """Missing file, directory, bytes that are not UTF-8: one line on stderr, no output."""
    path = make(tmp_path)  # type: ignore[operator]
    code, out, err = run(capsys, path)
    assert code == EXIT_INPUT_ERROR
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("jobfsm: error: ")
    assert expected in err


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown mode is a usage error."""
    code, _, err = run(capsys, CLEAN, "--mode", "loose")
    assert code == EXIT_INPUT_ERROR
    assert "invalid choice" in err


# -- real processes ---------------------------------------------------------------


def python_m(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("timeout", 60)
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "jobfsm", *args], cwd=REPO, env=env, **kwargs,
    )  # fmt: skip


def test_stdin_in_a_real_process() -> None:
    """`python -m jobfsm validate -` reads the events piped to it."""
    data = (EXAMPLES / "events-polled.jsonl").read_bytes()
    done = python_m("validate", "-", "--mode", "observed", input=data)
    assert done.returncode == EXIT_VIOLATIONS
    out = done.stdout.decode()
    assert out.splitlines()[0].startswith("<stdin>:15: job quiet_maple_z7d3k9q1xb: index 3")
    assert out.splitlines()[-1].startswith("<stdin>: 3 violations in 3 jobs")
    assert done.stderr == b""


def test_stdin_csv_in_a_real_process() -> None:
    """Standard input can be CSV with --input-format csv."""
    data = (EXAMPLES / "events-polled.csv").read_bytes()
    done = python_m("validate", "-", "--input-format", "csv", "--mode", "observed", input=data)
    assert done.returncode == EXIT_VIOLATIONS
    assert done.stdout.decode().splitlines()[0].startswith("<stdin>:16: job quiet_maple")


def test_no_traceback_for_a_missing_file_in_a_real_process() -> None:
    """The console entry point prints one line and exits 2."""
    done = python_m("validate", "no/such/file.jsonl")
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stderr.decode() == (
        "jobfsm: error: no/such/file.jsonl: cannot read: No such file or directory\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    """A long run shows progress on a terminal's stderr, and nothing when stderr is a pipe."""
    import pty

    data = b'{"job": "a", "status": "Running"}\n' * 200_001
    piped = python_m("validate", "-", input=data)
    assert piped.returncode == EXIT_OK
    assert piped.stderr == b""
    leader, follower = pty.openpty()
    try:
        done = python_m("validate", "-", input=data, stderr=follower)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    assert done.returncode == EXIT_OK
    assert b"jobfsm: 200,000 events read" in seen
    assert done.stdout.decode().startswith("<stdin>: ok: no violations (200001 events")


# -- the documented output is the real output ---------------------------------------

CONSOLE = re.compile(r"```console\n(.*?)```", re.S)


def documented_runs() -> list[tuple[str, str, str]]:
    """(document, command, printed output) for each `$ jobfsm validate` with output shown."""
    runs = []
    for doc in ("README.md", "docs/validation.md", "docs/scale.md"):
        for block in CONSOLE.findall((REPO / doc).read_text(encoding="utf-8")):
            lines = block.splitlines(keepends=True)
            if not lines or not lines[0].startswith("$ jobfsm validate") or len(lines) < 2:
                continue
            runs.append((doc, lines[0][2:].strip(), "".join(lines[1:])))
    return runs


def test_docs_show_examples() -> None:
    """The README, docs/validation.md and docs/scale.md show validate examples with output."""
    docs = {doc for doc, _, _ in documented_runs()}
    assert docs == {"README.md", "docs/validation.md", "docs/scale.md"}
    assert len(documented_runs()) >= 5


@pytest.mark.parametrize(("doc", "command", "shown"), documented_runs())
def test_documented_output_is_real(
    capsys: pytest.CaptureFixture[str], doc: str, command: str, shown: str
) -> None:
    """Each output block in the docs is exactly what the command prints."""
    argv = shlex.split(command)
    assert argv[:2] == ["jobfsm", "validate"]
    main(argv[1:])
    out, _ = capsys.readouterr()
    assert out == shown, f"{doc}: the output of `{command}` changed"


def test_readme_setup_command_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's first set-up command validates the clean example with exit 0."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"&& (jobfsm validate [^\n]+)", readme)
    assert command is not None
    argv = shlex.split(command[1])
    assert main(argv[1:]) == EXIT_OK
    capsys.readouterr()


def test_interrupt_exits_130_without_a_traceback() -> None:
    """Ctrl-C while the command waits for input ends it with status 130 and one line."""
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "jobfsm", "validate", "-"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(b'{"job": "a", "status": "NotStarted"}\n')
    process.stdin.flush()
    time.sleep(2)  # let it start and block on the open pipe
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.decode().strip() == "jobfsm: interrupted"


# -- edge cases found in review -----------------------------------------------------


def test_values_with_line_breaks_stay_on_one_report_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A status or job holding a line break or edge spaces is quoted, so each violation
    stays one line of the text report."""
    path = write(
        tmp_path / "e.jsonl",
        '{"job": "a\\nb", "status": "Queued"}\n{"job": "a\\nb", "status": "Run\\nning"}\n'
        '{"job": "c", "status": " Queued "}\n',
    )
    code, out, _ = run(capsys, path)
    assert code == EXIT_VIOLATIONS
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}:2: job 'a\\nb': index 1: Queued -> 'Run\\nning': ")
    assert lines[1].startswith(f"{path}:3: job c: index 0: - -> ' Queued ': unknown-status")


def test_stdin_that_is_not_utf8_names_the_line() -> None:
    """Bytes that are not UTF-8 on standard input: one line naming the line, exit 2."""
    data = b'{"job": "a", "status": "Queued"}\n' * 3000 + b'{"job": "\xff"}\n'
    done = python_m("validate", "-", input=data)
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stdout == b""
    assert done.stderr.decode().startswith("jobfsm: error: <stdin>:3001: not UTF-8 text")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_read_once(tmp_path: Path) -> None:
    """A named pipe is opened once: a writer that writes and leaves is read in full
    (opening it twice would lose the data and wait for a writer forever)."""
    import threading

    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    data = (EXAMPLES / "events-polled.jsonl").read_bytes()

    def writer() -> None:
        try:
            with open(fifo, "wb") as stream:
                stream.write(data)
        except BrokenPipeError:
            pass

    for _ in range(3):
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            done = python_m(
                "validate",
                str(fifo),
                "--input-format",
                "jsonl",
                "--mode",
                "observed",
                timeout=20,
            )
        finally:
            if thread.is_alive():  # release a writer still waiting for a reader
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            thread.join()
        assert done.returncode == EXIT_VIOLATIONS
        assert (
            done.stdout.decode().splitlines()[-1].endswith("(19 events of 4 jobs, observed mode)")
        )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line_and_exit_2() -> None:
    """A full disk (or any write error) on stdout gives one line on stderr, no traceback."""
    with open("/dev/full", "wb") as full:
        done = python_m("validate", POLLED, stdout=full)
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stderr.decode() == (
        "jobfsm: error: cannot write the report: No space left on device\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="closes a file descriptor before exec")
def test_closed_stdin() -> None:
    """With standard input closed, a FILE is still read, and `-` is a one-line error."""
    done = python_m("validate", CLEAN, preexec_fn=lambda: os.close(0))
    assert done.returncode == EXIT_OK
    assert done.stderr == b""
    done = python_m("validate", "-", preexec_fn=lambda: os.close(0))
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stderr.decode() == "jobfsm: error: <stdin>: cannot read: standard input is closed\n"


@pytest.mark.skipif(sys.platform == "win32", reason="closes a file descriptor before exec")
def test_closed_stdout_is_one_line_and_exit_2() -> None:
    """With standard output closed, the report cannot be written: one line, exit 2."""
    done = python_m("validate", CLEAN, preexec_fn=lambda: os.close(1))
    assert done.returncode == EXIT_INPUT_ERROR
    assert done.stderr.decode() == (
        "jobfsm: error: cannot write the report: standard output is closed\n"
    )
