"""The local executor and ``jobfsm run/status/history``, with real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jobfsm import CommandJob, JobStatus, JobStore, load_job
from jobfsm.cli import main
from jobfsm.errors import JobRunError
from jobfsm.executor import STDERR, STDOUT, LocalExecutor, command_line

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
# Hang guard for waiting on another process: bounds a failure, measures nothing.
GUARD = 60.0
S = JobStatus


def write_job(folder: Path, command: str, *, code: str | None = "src", extra: str = "") -> Path:
    """A command job file in *folder* (with its code folder unless code is None)."""
    folder.mkdir(parents=True, exist_ok=True)
    if code is not None:
        (folder / code).mkdir(exist_ok=True)
    lines = ["type: command", f"command: {json.dumps(command)}"]
    if code is not None:
        lines.append(f"code: {code}")
    path = folder / "job.yml"
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(extra), encoding="utf-8")
    return path


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll *condition* until it holds (the guard only stops a hung test)."""
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def events(store: JobStore, name: str) -> list[str]:
    return [e.event for e in store.get(name).history]


def py(code: str) -> str:
    """A shell command running *code* with this interpreter."""
    return f"{PY} -c {json.dumps(code)}"


# -- through the command line ------------------------------------------------------------


def test_run_a_job_that_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command runs in the code folder with the job's environment variables and
    inputs; the job walks the whole happy path; stdout is saved and listed in log_files."""
    (tmp_path / "job" / "src").mkdir(parents=True)
    (tmp_path / "job" / "src" / "here.txt").write_text("in the code folder")
    job_file = write_job(
        tmp_path / "job",
        py("import os,sys; print(open('here.txt').read(), os.environ['GREETING'], sys.argv[1:])")
        + " ${{inputs.n}} ${{inputs.words}}",
        extra="""\
        environment_variables:
          GREETING: hello
        inputs:
          n: 3
          words: two words
        """,
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(job_file), "--name", "ok"]) == 0
    out = capsys.readouterr()
    assert "ok: Completed" in out.out
    assert "ok: Running" in out.err  # progress on stderr
    with JobStore(tmp_path / "jobfsm.db") as store:
        assert events(store, "ok") == ["start", "prepare", "queue", "run", "finalize", "complete"]
        logs = store.get("ok").log_files or {}
    assert Path(logs[STDOUT]).read_text() == ("in the code folder hello ['3', 'two words']\n")
    assert Path(logs[STDERR]).read_text() == ""

    assert main(["status", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["name"], row["status"], row["type"]) == ("ok", "Completed", "command")
    assert main(["history", "ok", "--format", "json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [h["event"] for h in history][-1] == "complete"
    assert main(["history", "ok"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["AT", "FROM", "TO", "EVENT", "NOTES"]
    assert len(table) == 7
    assert main(["status", "ok"]) == 0
    assert "status: Completed" in capsys.readouterr().out


def test_run_a_job_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-zero exit status ends Failed after finalize; exit 1; stderr is saved."""
    job_file = write_job(tmp_path, py("import sys; sys.stderr.write('boom'); sys.exit(3)"))
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(job_file), "--name", "bad"]) == 1
    assert "bad: Failed (exit status 3)" in capsys.readouterr().out
    with JobStore(tmp_path / "jobfsm.db") as store:
        assert events(store, "bad")[-2:] == ["finalize", "fail"]
        assert Path((store.get("bad").log_files or {})[STDERR]).read_text() == "boom"


def test_run_a_job_whose_code_folder_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing code folder fails the job while Preparing; the command never runs."""
    job_file = write_job(tmp_path, py("open('ran', 'w')"), code=None, extra="code: nowhere\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(job_file), "--name", "lost"]) == 1
    assert "code folder" in capsys.readouterr().out
    with JobStore(tmp_path / "jobfsm.db") as store:
        assert events(store, "lost") == ["start", "prepare", "fail"]
    assert not (tmp_path / "ran").exists()


def test_cancel_a_running_job_with_sigterm(tmp_path: Path) -> None:
    """SIGTERM to `jobfsm run` once the command runs: request_cancel, the command is
    terminated, cancel; exit 1."""
    pid_file = tmp_path / "pid"
    job_file = write_job(
        tmp_path / "job",
        "exec "
        + py(
            f"import os,time; open({str(pid_file)!r},'w').write(str(os.getpid())); "
            f"time.sleep(600); open({str(tmp_path / 'finished')!r},'w')"
        ),
    )
    store_path = tmp_path / "jobs.db"
    runner = subprocess.Popen(
        [PY, "-m", "jobfsm", "run", str(job_file), "--name", "long", "--store", str(store_path),
         "--runs", str(tmp_path / "runs")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def running() -> bool:
            assert runner.poll() is None, runner.communicate()
            if not pid_file.exists() or not store_path.exists():
                return False
            with JobStore(store_path) as store:
                return "long" in store.names() and store.get("long").status is S.RUNNING

        wait_until(running)
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=GUARD)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 1, err
    assert "long: Canceled" in out
    with JobStore(store_path) as store:
        assert events(store, "long")[-3:] == ["run", "request_cancel", "cancel"]
    with pytest.raises(ProcessLookupError):  # the command was terminated and reaped
        os.kill(int(pid_file.read_text()), 0)
    assert not (tmp_path / "finished").exists()


def test_bad_input_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A job file that cannot run, a missing store or job: one line on stderr, exit 2."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipe.yml").write_text("type: pipeline\njobs: {}\n")
    assert main(["run", "pipe.yml"]) == 2
    assert "only command jobs" in capsys.readouterr().err
    assert main(["run", "missing.yml"]) == 2
    assert main(["status"]) == 2
    assert "no job store" in capsys.readouterr().err
    job_file = write_job(tmp_path, "true")
    assert main(["run", str(job_file), "--name", "once"]) == 0
    assert main(["run", str(job_file), "--name", "once"]) == 2
    assert "already stored" in capsys.readouterr().err
    assert main(["history", "nobody"]) == 2
    assert "no job named 'nobody'" in capsys.readouterr().err
    assert main(["run", str(job_file), "--max-parallel", "0"]) == 2


# -- the library ---------------------------------------------------------------------------


def test_command_line_fills_in_simple_inputs_and_outputs(tmp_path: Path) -> None:
    """Scalars, value/default and local paths (relative to the job's folder) are filled
    in, quoted; outputs become folders; anything else is a JobRunError."""
    job = CommandJob(
        command="run ${{inputs.a}} ${{ inputs.b }} ${{inputs.c}} ${{inputs.d}} ${{outputs.o}}",
        inputs={"a": "x y", "b": {"type": "integer", "default": 5},
                "c": {"type": "uri_folder", "path": "data"},
                "d": {"type": "uri_file", "path": "azureml://datastores/x/paths/y"}},
        outputs={"o": {"type": "uri_folder"}},
        base_path=tmp_path,
    )  # fmt: skip
    line = command_line(job, tmp_path / "out")
    assert line == (
        f"run 'x y' 5 {tmp_path / 'data'} azureml://datastores/x/paths/y {tmp_path / 'out' / 'o'}"
    )
    assert (tmp_path / "out" / "o").is_dir()
    with pytest.raises(JobRunError, match=r"inputs.zz, which the job does not declare"):
        command_line(CommandJob(command="x ${{inputs.zz}}", inputs={"a": 1}))
    with pytest.raises(JobRunError, match="not simple"):
        command_line(CommandJob(command="x ${{inputs.a}}", inputs={"a": {"type": "mltable"}}))


def test_slots_are_shared_by_executors_of_one_runs_folder(tmp_path: Path) -> None:
    """max_parallel slots are file locks: while they are all held (here by another
    executor), no executor of the same runs folder gets one."""
    with JobStore(tmp_path / "jobs.db") as store:
        one = LocalExecutor(store, runs_dir=tmp_path / "runs", max_parallel=2)
        other = LocalExecutor(store, runs_dir=tmp_path / "runs", max_parallel=2)
        first, second = one.try_slot(), one.try_slot()
        assert first is not None
        assert second is not None
        assert other.try_slot() is None
        second.close()
        third = other.try_slot()
        assert third is not None
        for handle in (first, third):
            handle.close()


def test_max_parallel_slots_make_a_second_run_wait(tmp_path: Path) -> None:
    """With one slot, a second executor sharing the runs folder waits in Queued until
    the first job is done (its command checks the first one's marker)."""
    gate, marker = tmp_path / "gate", tmp_path / "first-done"
    first = write_job(tmp_path / "first", f"{PY} wait.py")
    (tmp_path / "first" / "src" / "wait.py").write_text(
        f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n"
        f"open({str(marker)!r}, 'w')\n"
    )
    second = write_job(
        tmp_path / "second",
        py(f"import os,sys; sys.exit(0 if os.path.exists({str(marker)!r}) else 7)"),
    )
    results = {}
    with JobStore(tmp_path / "jobs.db") as store:

        def run(name: str, path: Path) -> None:
            executor = LocalExecutor(store, runs_dir=tmp_path / "runs", poll_interval=0.02)
            results[name] = executor.run(load_job(path), name=name)  # type: ignore[arg-type]

        threads = [threading.Thread(target=run, args=("first", first))]
        threads[0].start()
        wait_until(lambda: "first" in store.names() and store.get("first").status is S.RUNNING)
        threads.append(threading.Thread(target=run, args=("second", second)))
        threads[1].start()
        wait_until(lambda: "second" in store.names() and store.get("second").status is S.QUEUED)
        gate.touch()
        for thread in threads:
            thread.join(GUARD)
    assert results["first"].status is S.COMPLETED
    assert results["second"].status is S.COMPLETED, results["second"]


def test_a_running_command_beats_and_resumes_a_job_given_up(tmp_path: Path) -> None:
    """While the command runs, the executor beats its monitor: a job another monitor
    marked NotResponding comes back to Running, and then completes normally."""
    from jobfsm import HeartbeatMonitor

    gate = tmp_path / "gate"
    job_file = write_job(tmp_path, f"{PY} wait.py")
    (tmp_path / "src" / "wait.py").write_text(
        f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n"
    )
    results = {}
    with JobStore(tmp_path / "jobs.db") as store:
        executor = LocalExecutor(
            store,
            runs_dir=tmp_path / "runs",
            monitor=HeartbeatMonitor(store, timeout=60),
            heartbeat_interval=0.01,
            poll_interval=0.01,
        )

        def run() -> None:
            results["r"] = executor.run(load_job(job_file), name="beating")  # type: ignore[arg-type]

        thread = threading.Thread(target=run)
        thread.start()
        try:
            wait_until(
                lambda: "beating" in store.names() and store.get("beating").status is S.RUNNING
            )
            store.fire("beating", "lose_heartbeat")  # as a monitor elsewhere would
            wait_until(lambda: events(store, "beating")[-1] == "resume")
            assert store.get("beating").status is S.RUNNING
        finally:
            gate.touch()
            thread.join(GUARD)
    assert results["r"].status is S.COMPLETED
    assert events(store, "beating")[-2:] == ["finalize", "complete"]


def test_finishing_while_not_responding_resumes_first(tmp_path: Path) -> None:
    """A command that ends while a monitor holds the job NotResponding (no beat came in
    between) still ends the job by exit status: resume, finalize, complete."""
    gate = tmp_path / "gate"
    job_file = write_job(tmp_path, f"{PY} wait.py")
    (tmp_path / "src" / "wait.py").write_text(
        f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n"
    )
    results = {}
    with JobStore(tmp_path / "jobs.db") as store:
        executor = LocalExecutor(store, runs_dir=tmp_path / "runs", poll_interval=0.01)

        def run() -> None:
            results["r"] = executor.run(load_job(job_file), name="quiet")  # type: ignore[arg-type]

        thread = threading.Thread(target=run)
        thread.start()
        try:
            wait_until(lambda: "quiet" in store.names() and store.get("quiet").status is S.RUNNING)
            store.fire("quiet", "lose_heartbeat")
        finally:
            gate.touch()
            thread.join(GUARD)
    assert results["r"].status is S.COMPLETED
    assert events(store, "quiet")[-4:] == ["lose_heartbeat", "resume", "finalize", "complete"]
