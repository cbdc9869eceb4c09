"""Small defects at the edges: odd paths and streams, padded values, a full disk,
attrs.evolve back to the default lifecycle."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from jobfsm import DEFAULT_LIFECYCLE, CommandJob, EventSpec, JobFSMError, load_job
from jobfsm.cli import main
from jobfsm.errors import JobDumpError, JobFileError, StreamNotWritableError

REPO = Path(__file__).resolve().parents[1]


def test_padded_time_values_keep_the_report_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Times padded with spaces or a carriage return do not split or garble a line."""
    log = tmp_path / "log.jsonl"
    rows = [
        {"job": "a", "status": "Running", "time": " 2024-05-01T09:00:00Z\r"},
        {"job": "a", "status": "Finalizing", "time": "2024-05-01T08:00:00Z \r"},
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["validate", str(log)]) == 1
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 2
    assert "time-went-backwards" in lines[0]
    assert "2024-05-01T08:00:00Z \\r" in lines[0]


def test_evolve_to_the_default_lifecycle() -> None:
    """attrs.evolve(job, lifecycle=DEFAULT_LIFECYCLE) gives a job of the default lifecycle."""
    # Engines are shared per lifecycle value, so compare lifecycles by value.
    held = DEFAULT_LIFECYCLE.extend(
        states=["Held"],
        events=[EventSpec("hold", "Queued", "Held"), EventSpec("release", "Held", "Queued")],
    )
    job = CommandJob(command="echo", lifecycle=held)
    assert attrs.evolve(job, lifecycle=DEFAULT_LIFECYCLE).lifecycle is DEFAULT_LIFECYCLE
    assert attrs.evolve(job).lifecycle == held
    assert attrs.evolve(job, command="x").lifecycle == held


def test_full_disk_error_names_the_destination(tmp_path: Path) -> None:
    """A write that fails (here: over the file size limit, as on a full disk) names
    the file asked for, not the temporary file, and leaves nothing behind."""
    dest = tmp_path / "job.yml"
    script = (
        "import resource, signal, sys\n"
        "from jobfsm import CommandJob\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))\n"
        "try:\n"
        f"    CommandJob(command='x' * 100).dump({str(dest)!r})\n"
        "except OSError as error:\n"
        "    print(error.filename)\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    filename, message = done.stdout.splitlines()
    assert filename == str(dest)
    assert ".tmp" not in message
    assert list(tmp_path.iterdir()) == []


def test_load_from_a_closed_stream() -> None:
    """A closed stream is a JobFileError, not a bare ValueError."""
    stream = io.StringIO("command: echo\n")
    stream.close()
    with pytest.raises(JobFileError, match="closed"):
        load_job(stream)


def test_dump_to_a_closed_stream() -> None:
    """A closed stream is a StreamNotWritableError, not a bare ValueError."""
    stream = io.StringIO()
    stream.close()
    with pytest.raises(StreamNotWritableError, match="closed"):
        CommandJob(command="echo").dump(stream)


def test_nul_in_a_path() -> None:
    """A path with a NUL character is a JobFSMError for load and dump alike."""
    with pytest.raises(JobFileError, match="NUL"):
        load_job("job\x00.yml")
    with pytest.raises(JobDumpError, match="NUL"):
        CommandJob(command="echo").dump("job\x00.yml")


def test_bytes_paths_work(tmp_path: Path) -> None:
    """A bytes path is a path (as for open()), for dump and load."""
    path = os.fsencode(tmp_path / "job.yml")
    CommandJob(command="echo").dump(path)  # type: ignore[arg-type]
    assert load_job(path).command == "echo"  # type: ignore[arg-type, attr-defined]


def test_not_a_source_is_a_type_error() -> None:
    """Something that is neither a path nor a stream is a TypeError saying what is."""
    with pytest.raises(TypeError, match="path or a readable text stream"):
        load_job(5)  # type: ignore[arg-type]
    assert issubclass(JobFileError, JobFSMError)
