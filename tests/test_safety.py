"""Safety of what jobfsm writes and of submission: file modes, odd destinations,
a working folder that has gone away."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobfsm import CommandJob, JobFSMError, JobStatus
from jobfsm.cli import main
from jobfsm.errors import NoWorkingDirectoryError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def strict_umask() -> Iterator[None]:
    """umask 077 for the test (as a daemon might set after importing jobfsm)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def test_dump_respects_a_umask_set_after_import(tmp_path: Path, strict_umask: None) -> None:
    """A job file dumped under umask 077 is readable by its owner only."""
    path = tmp_path / "job.yml"
    CommandJob(command="echo", environment_variables={"TOKEN": "secret"}).dump(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_dump_under_the_usual_umask_is_world_readable(tmp_path: Path) -> None:
    """Under umask 022 the file gets the mode any new file would: 0644."""
    old = os.umask(0o022)
    try:
        CommandJob(command="echo").dump(tmp_path / "job.yml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "job.yml").stat().st_mode) == 0o644


def test_diagram_respects_the_umask(tmp_path: Path, strict_umask: None) -> None:
    """`jobfsm diagram -o` creates its file with the current umask too."""
    assert main(["diagram", "-o", str(tmp_path / "life.mmd")]) == 0
    assert stat.S_IMODE((tmp_path / "life.mmd").stat().st_mode) == 0o600


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _symlink(path: Path) -> None:
    (path.parent / "target.txt").write_text("keep me\n")
    path.symlink_to(path.parent / "target.txt")


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.txt")


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


@pytest.mark.parametrize("make", [_fifo, _symlink, _dangling, _socket])
def test_diagram_refuses_to_replace_anything_but_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object
) -> None:
    """-o naming a FIFO, a symlink or a socket is refused and the entry is left as is."""
    path = tmp_path / "out.mmd"
    make(path)  # type: ignore[operator]
    before = os.lstat(path)
    assert main(["diagram", "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert "regular file" in err
    assert str(path) in err
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    if (tmp_path / "target.txt").exists():
        assert (tmp_path / "target.txt").read_text() == "keep me\n"


def test_diagram_refuses_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o naming a device node (a null device made in the test folder, never the
    real /dev/null, which root could replace) is refused rather than replaced."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    assert main(["diagram", "-o", str(device)]) == 2
    assert "is a device" in capsys.readouterr().err
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_diagram_replaces_a_regular_file(tmp_path: Path) -> None:
    """An existing regular file is replaced, as before."""
    path = tmp_path / "out.mmd"
    path.write_text("old\n")
    assert main(["diagram", "-o", str(path)]) == 0
    assert "stateDiagram-v2" in path.read_text()


def test_start_in_a_deleted_folder_rolls_back(tmp_path: Path) -> None:
    """start() where the working folder was removed raises a JobFSMError saying why,
    and the job keeps no generated name (it is as before the call)."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys\n"
        "from jobfsm import CommandJob, JobFSMError\n"
        f"os.chdir({str(gone)!r}); os.rmdir({str(gone)!r})\n"
        "job = CommandJob(command='echo')\n"
        "try:\n"
        "    job.start()\n"
        "except JobFSMError as error:\n"
        "    assert isinstance(error, FileNotFoundError), type(error)\n"
        "    print(type(error).__name__, error)\n"
        "print(job.name, job.experiment_name, job.status)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.splitlines()
    assert first.startswith("NoWorkingDirectoryError")
    assert "experiment_name" in first
    assert second == "None None NotStarted"


def test_start_with_an_experiment_needs_no_folder(tmp_path: Path) -> None:
    """With experiment_name set, start() does not look at the working folder."""
    job = CommandJob(command="echo", experiment_name="exp")
    assert job.start() is JobStatus.STARTING
    assert issubclass(NoWorkingDirectoryError, JobFSMError)
