"""A reference local executor: a ``CommandJob``'s command run as a subprocess on this machine.

It is the worked example of embedding jobfsm. The job is kept in a
:class:`~jobfsm.store.JobStore` and driven through the lifecycle as the
command goes: ``start``, ``prepare`` (the code folder is checked and the
command's ``${{inputs.x}}`` / ``${{outputs.x}}`` references are filled in),
``queue`` (until one of ``max_parallel`` slots is free: slots are file locks
shared by every executor using the same runs folder), ``run`` (the child is
started in the code folder with the job's environment variables),
``finalize`` (stdout and stderr are saved; ``log_files`` lists them), then
``complete`` or ``fail`` by exit code. :meth:`LocalExecutor.cancel` (the
command line calls it on Ctrl-C or SIGTERM) fires ``request_cancel``,
terminates the child's process group and fires ``cancel``. While the child
runs, its liveness is reported to a :class:`~jobfsm.heartbeat.HeartbeatMonitor`
when one is given. POSIX only (process groups and ``fcntl`` locks).
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from jobfsm.errors import IllegalTransitionError, JobRunError
from jobfsm.heartbeat import HeartbeatMonitor
from jobfsm.job import CommandJob, Job
from jobfsm.names import generate_name
from jobfsm.store import JobStore

__all__ = ["LocalExecutor", "RunResult", "check_runnable", "command_line"]

#: ``${{inputs.name}}`` and ``${{outputs.name}}``, as Azure ML writes them in commands.
_REFERENCE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
#: A path in an input that is a remote location, substituted as written.
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\\)")
#: Names of the log files, as keys of ``log_files``.
STDOUT, STDERR = "user_logs/std_log.txt", "user_logs/std_err.txt"
#: What the executor writes as ``source`` of the events it fires.
SOURCE = "jobfsm-run"


@attrs.frozen
class RunResult:
    """How a run ended.

    Args:
        name: The job's name in the store.
        status: Its final status (``Completed``, ``Failed`` or ``Canceled``).
        returncode: The command's exit status (negative: killed by that signal),
            or ``None`` when it never started.
        log_files: Log name -> path of the saved stdout and stderr.
        reason: Why it failed or was canceled (``None`` when it completed).
    """

    name: str
    status: enum.StrEnum
    returncode: int | None
    log_files: Mapping[str, str]
    reason: str | None = None


def check_runnable(job: Job) -> None:
    """Raise :class:`JobRunError` unless *job* is a command job with a command."""
    if not isinstance(job, CommandJob):
        raise JobRunError(f"only command jobs can run locally; this job is of type {job.type!r}")
    if not job.command or not isinstance(job.command, str):
        raise JobRunError(f"job {job.name!r} has no command to run")


def command_line(job: CommandJob, outputs_dir: Path | None = None) -> str:
    """The job's command with ``${{inputs.x}}`` and ``${{outputs.x}}`` filled in.

    An input is simple when it is a scalar, or a mapping with a ``value``,
    ``default`` or ``path`` (a local path is taken relative to the job's
    folder). An output becomes a folder under *outputs_dir*. Values are
    shell-quoted.

    Raises:
        JobRunError: no command, a reference to an input or output the job
            does not declare, or an input that is not simple.
    """
    check_runnable(job)

    def fill(match: re.Match[str]) -> str:
        kind, key = match.group(1), match.group(2)
        declared = job.inputs if kind == "inputs" else job.outputs
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise JobRunError(
                f"the command refers to {kind}.{key}, which the job does not declare "
                f"(declared {kind}: {known})"
            )
        if kind == "outputs":
            if outputs_dir is None:
                raise JobRunError(f"outputs.{key} needs a folder to write to")
            folder = outputs_dir / key
            folder.mkdir(parents=True, exist_ok=True)
            return shlex.quote(str(folder))
        return shlex.quote(_input_value(job, key, declared[key]))

    return _REFERENCE.sub(fill, str(job.command))


def _input_value(job: Job, key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        for field in ("value", "default"):
            if field in value and _scalar(value[field]):
                return _text(value[field])
        path = value.get("path")
        if isinstance(path, str):
            if _REMOTE.match(path) and not path.startswith("file:"):
                return path  # a datastore or URL: the command gets it as written
            local = Path(path.removeprefix("file:"))
            return str(local if local.is_absolute() else job.base_path / local)
    elif _scalar(value):
        return _text(value)
    raise JobRunError(
        f"input {key!r} is not simple enough to run locally ({value!r}); give a value, "
        "a default or a local path"
    )


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and value is not None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML wrote it
    return str(value)


class LocalExecutor:
    """Runs command jobs as local subprocesses, keeping their lifecycle in *store*.

    Args:
        store: Where jobs and their history are kept.
        runs_dir: Folder for each run's logs and outputs (``<runs_dir>/<name>/``)
            and the slot locks (``<runs_dir>/.slots/``).
        max_parallel: How many jobs may be running at once among all
            executors sharing *runs_dir*.
        monitor: Told that the job is alive (``monitor.beat``) every
            ``heartbeat_interval`` seconds while its command runs.
        heartbeat_interval: Seconds between two beats.
        grace: Seconds a canceled command gets after SIGTERM before SIGKILL.
        poll_interval: Seconds between two looks at the child and at a cancel
            request (this bounds how fast a cancel takes effect).
        on_status: Called with ``(name, status)`` after each event (progress).
    """

    def __init__(
        self,
        store: JobStore,
        *,
        runs_dir: str | os.PathLike[str] = "jobfsm-runs",
        max_parallel: int = 1,
        monitor: HeartbeatMonitor | None = None,
        heartbeat_interval: float = 5.0,
        grace: float = 10.0,
        poll_interval: float = 0.1,
        on_status: Callable[[str, enum.StrEnum], object] | None = None,
    ) -> None:
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be at least 1, got {max_parallel}")
        self.store = store
        self.runs_dir = Path(runs_dir)
        self.max_parallel = max_parallel
        self.monitor = monitor
        self.heartbeat_interval = heartbeat_interval
        self.grace = grace
        self.poll_interval = poll_interval
        self.on_status = on_status
        self._cancel = threading.Event()
        self._next_beat = 0.0

    def cancel(self) -> None:
        """Ask the run in progress to stop (safe from a signal handler or another thread).

        The request holds until that run ends (it ends ``Canceled``, or
        ``Completed``/``Failed`` if the command finished first).
        """
        self._cancel.set()

    def submit(self, job: CommandJob, *, name: str | None = None) -> str:
        """Add *job* to the store (named *name*, its own name, or a generated one).

        Raises:
            JobRunError: not a command job, or no command.
            JobStoreError: a job with that name is already stored.
        """
        check_runnable(job)
        name = name or job.name or generate_name()
        logs = self._logs(name)
        # log_files is service-owned (read-only), so it is set by making the stored copy.
        self.store.add(attrs.evolve(job, name=name, log_files=logs))  # type: ignore[call-arg]
        return name

    def run(self, job: CommandJob, *, name: str | None = None) -> RunResult:
        """Submit *job* and run it to a terminal status.

        Raises:
            JobRunError: the job cannot be run here (see :meth:`submit`).
            JobStoreError: the store cannot be written.
        """
        name = self.submit(job, name=name)
        self._next_beat = 0.0
        try:
            return self._run(name, job)
        finally:
            self._cancel.clear()  # a cancel request is for the run it interrupted

    def _run(self, name: str, job: CommandJob) -> RunResult:
        logs = self._logs(name)
        self._fire(name, "start")
        self._fire(name, "prepare")
        try:
            cwd = self._code_folder(job)
            folder = Path(logs[STDOUT]).parent.parent
            command = command_line(job, folder / "outputs")
        except JobRunError as exc:
            return self._end(name, "fail", None, logs, str(exc))
        self._fire(name, "queue")
        if self._cancel.is_set():
            return self._cancelled(name, None, logs)
        with self._slot(name) as slot:
            if slot is None:
                return self._cancelled(name, None, logs)
            return self._execute(name, job, command, cwd, logs)

    # -- steps ------------------------------------------------------------------

    def _logs(self, name: str) -> dict[str, str]:
        """Where the run of *name* writes its stdout and stderr."""
        folder = (self.runs_dir / name).resolve()
        return {STDOUT: str(folder / STDOUT), STDERR: str(folder / STDERR)}

    def _code_folder(self, job: CommandJob) -> Path:
        base = job.base_path
        if job.code is None:
            return base
        if not isinstance(job.code, str) or (
            _REMOTE.match(job.code) and not job.code.startswith("file:")
        ):
            raise JobRunError(f"code {job.code!r} is not a local folder")
        code = Path(job.code.removeprefix("file:"))
        folder = code if code.is_absolute() else base / code
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise JobRunError(f"code folder {folder} {what}")
        return folder

    def try_slot(self) -> IO[str] | None:
        """Take a free one of the ``max_parallel`` slots without waiting.

        A slot is an exclusive ``flock`` on ``<runs_dir>/.slots/slot-<i>.lock``,
        so executors in other processes (or other executors of this one)
        sharing *runs_dir* count against the same limit. Returns the open lock
        file (closing it frees the slot, and so does the process ending), or
        ``None`` when every slot is taken.
        """
        import fcntl  # POSIX; imported here so that importing jobfsm works everywhere

        folder = self.runs_dir / ".slots"
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(self.max_parallel):
            handle = open(folder / f"slot-{index}.lock", "a")  # noqa: SIM115 - the caller closes it
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None

    @contextlib.contextmanager
    def _slot(self, name: str) -> Iterator[IO[str] | None]:
        """Hold a slot until the block ends; ``None`` when canceled while waiting for one.

        The job beats while it waits: this executor is alive and holding it.
        """
        while (handle := self.try_slot()) is None:
            self._beat(name)
            if self._cancel.wait(self.poll_interval):
                yield None
                return
        with handle:
            yield handle

    def _execute(
        self, name: str, job: CommandJob, command: str, cwd: Path, logs: Mapping[str, str]
    ) -> RunResult:
        env = dict(os.environ)
        env.update({str(k): _text(v) for k, v in job.environment_variables.items()})
        env["JOBFSM_JOB_NAME"] = name
        Path(logs[STDOUT]).parent.mkdir(parents=True, exist_ok=True)
        with open(logs[STDOUT], "wb") as out, open(logs[STDERR], "wb") as err:
            try:
                # The job's command is a shell line, as on Azure ML.
                child = subprocess.Popen(
                    command, shell=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=err, start_new_session=True,
                )  # fmt: skip
            except OSError as exc:
                return self._end(name, "fail", None, logs, f"cannot start the command: {exc}")
            try:
                self._fire(name, "run")
                returncode, canceled = self._wait(name, child)
            finally:
                if child.poll() is None:  # an error on our side: leave no orphan behind
                    self._terminate(child)
        if canceled:
            if returncode == 0:
                return self._end(name, "complete", 0, logs)
            if returncode is not None and returncode < 0:
                return self._cancelled(name, returncode, logs, requested=True)
            return self._end(name, "fail", returncode, logs, f"exit status {returncode}")
        self._fire(name, "finalize")
        if returncode == 0:
            return self._end(name, "complete", 0, logs)
        reason = (
            f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        )
        return self._end(name, "fail", returncode, logs, reason)

    def _wait(self, name: str, child: subprocess.Popen[bytes]) -> tuple[int, bool]:
        """Wait for *child*; beat while it lives; on a cancel request terminate it."""
        while True:
            try:
                return child.wait(timeout=self.poll_interval), False
            except subprocess.TimeoutExpired:
                pass
            if self._cancel.is_set():
                self._fire(name, "request_cancel", reason="cancel requested")
                return self._terminate(child), True
            self._beat(name)

    def _beat(self, name: str) -> None:
        """Tell the monitor the job is alive, at most every ``heartbeat_interval`` seconds."""
        if self.monitor is not None and time.monotonic() >= self._next_beat:
            self.monitor.beat(name)  # resumes the job if a monitor had given it up
            self._next_beat = time.monotonic() + self.heartbeat_interval

    def _terminate(self, child: subprocess.Popen[bytes]) -> int:
        """SIGTERM the child's process group, then SIGKILL after ``grace`` seconds."""
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, sig)
            try:
                return child.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        return child.wait()  # pragma: no cover - SIGKILL cannot be refused

    def _cancelled(
        self, name: str, returncode: int | None, logs: Mapping[str, str], *, requested: bool = False
    ) -> RunResult:
        if not requested:
            self._fire(name, "request_cancel", reason="cancel requested")
        return self._end(name, "cancel", returncode, logs, "canceled")

    def _end(
        self,
        name: str,
        event: str,
        returncode: int | None,
        logs: Mapping[str, str],
        reason: str | None = None,
    ) -> RunResult:
        status = self._fire(name, event, reason=reason)
        return RunResult(name, status, returncode, dict(logs), reason)

    def _store_fire(self, name: str, event: str, reason: str | None) -> enum.StrEnum:
        return self.store.fire(name, event, reason=reason, source=SOURCE).status

    def _fire(self, name: str, event: str, *, reason: str | None = None) -> enum.StrEnum:
        try:
            status = self._store_fire(name, event, reason)
        except IllegalTransitionError:
            # A heartbeat monitor may have given the job up (NotResponding) while
            # it waited for a slot or ran; it is plainly alive: resume, then retry.
            held = self.store.status(name)
            if "resume" not in self.store.lifecycle.table[held]:
                raise
            self._store_fire(name, "resume", "the executor is alive")
            status = self._store_fire(name, event, reason)
        if self.on_status is not None:
            self.on_status(name, status)
        return status
