"""The ``jobfsm run``, ``jobfsm status`` and ``jobfsm history`` commands.

``run`` hands a job file to the :class:`~jobfsm.executor.LocalExecutor` and
turns Ctrl-C and SIGTERM into a cancel request; ``status`` and ``history``
read the job store. Exit status: 0 the job completed (or the store was read),
1 the job failed or was canceled, 2 bad input (a job file or store that
cannot be used, a job that is not stored).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_OK, _one_line
from jobfsm.cli_lifecycles import add_lifecycle_option

__all__ = ["EXIT_JOB_FAILED", "add_commands"]

#: The job ended Failed or Canceled.
EXIT_JOB_FAILED = 1
DEFAULT_STORE = "jobfsm.db"


def add_commands(sub: Any) -> None:
    """Register ``run``, ``status`` and ``history`` on the ``jobfsm`` subparsers."""
    run = sub.add_parser("run", help="run a command job here, tracking it in a job store")
    run.add_argument("job", metavar="JOB.yml", help="a command job file")
    _store_option(run)
    run.add_argument(
        "--runs",
        default="jobfsm-runs",
        metavar="DIR",
        help="folder for each run's logs and outputs (default: jobfsm-runs)",
    )
    run.add_argument(
        "--max-parallel",
        type=int,
        default=1,
        metavar="N",
        help="jobs running at once among runs sharing --runs (default: 1)",
    )
    run.add_argument("--name", default=None, help="name to store the job under")
    run.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="silence after which a job is NotResponding (default: 60)",
    )
    run.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    run.set_defaults(handler=_run)  # fmt: skip

    status = sub.add_parser("status", help="show the stored jobs (or one) and their status")
    status.add_argument("name", nargs="?", default=None, help="one job (default: all)")
    _store_option(status)
    add_lifecycle_option(status)
    status.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    status.set_defaults(handler=_status)

    history = sub.add_parser("history", help="show a stored job's history")
    history.add_argument("name")
    _store_option(history)
    add_lifecycle_option(history)
    history.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    history.set_defaults(handler=_history)


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=DEFAULT_STORE, metavar="FILE",
                        help=f"the job store (default: {DEFAULT_STORE} here)")  # fmt: skip


def _fail(message: str) -> int:
    print(f"jobfsm: error: {message}", file=sys.stderr)
    return EXIT_INPUT_ERROR


# -- run ----------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from jobfsm.errors import JobFSMError
    from jobfsm.executor import LocalExecutor, check_runnable
    from jobfsm.heartbeat import HeartbeatMonitor
    from jobfsm.store import JobStore
    from jobfsm.yamlio import load_job

    if args.max_parallel < 1:
        return _fail(f"--max-parallel must be at least 1, got {args.max_parallel}")
    if args.heartbeat_timeout <= 0:
        return _fail(f"--heartbeat-timeout must be positive, got {args.heartbeat_timeout}")
    try:
        job = load_job(args.job)
        check_runnable(job)
    except (JobFSMError, OSError) as exc:
        return _fail(_one_line(exc))
    try:
        store = JobStore(args.store)
    except (JobFSMError, OSError) as exc:
        return _fail(_one_line(exc))
    with store:

        def progress(name: str, status: object) -> None:
            print(f"jobfsm: {name}: {status}", file=sys.stderr, flush=True)

        executor = LocalExecutor(
            store,
            runs_dir=args.runs,
            max_parallel=args.max_parallel,
            monitor=HeartbeatMonitor(store, timeout=args.heartbeat_timeout),
            on_status=progress,
        )
        with _cancel_on_signals(executor.cancel):
            try:
                result = executor.run(job, name=args.name)  # type: ignore[arg-type]
            except (JobFSMError, OSError) as exc:
                return _fail(_one_line(exc))
    if args.format == "json":
        print(json.dumps({
            "name": result.name, "status": str(result.status),
            "returncode": result.returncode, "reason": result.reason,
            "log_files": dict(result.log_files),
        }))  # fmt: skip
    else:
        how = f" ({result.reason})" if result.reason else ""
        print(f"{result.name}: {result.status}{how}")
        for log, path in result.log_files.items():
            print(f"  {log}: {path}")
    return EXIT_OK if result.status == "Completed" else EXIT_JOB_FAILED


class _cancel_on_signals:
    """Within the block, SIGINT and SIGTERM call *cancel* instead of stopping the process."""

    def __init__(self, cancel: Any) -> None:
        self.cancel = cancel
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, lambda signum, frame: self.cancel())

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


# -- status and history -----------------------------------------------------------------


def _open_store(path: str, args: argparse.Namespace | None = None) -> Any:
    """The store at *path*, with the lifecycle of ``--lifecycle`` when *args* has one."""
    from jobfsm.cli_lifecycles import LifecycleOptionError, lifecycle_from_args
    from jobfsm.store import JobStore

    if not Path(path).is_file():
        raise _NoStore(f"{path}: no job store here (run a job first, or pass --store FILE)")
    if args is None or getattr(args, "lifecycle", None) is None:
        return JobStore(path)
    try:
        lifecycle, _ = lifecycle_from_args(args)
    except LifecycleOptionError as exc:
        raise _NoStore(str(exc)) from None
    return JobStore(path, lifecycle=lifecycle)


class _NoStore(Exception):
    pass


def _status(args: argparse.Namespace) -> int:
    from jobfsm.errors import JobFSMError

    try:
        with _open_store(args.store, args) as store:
            if args.name is None:
                # The rows alone (no job documents): one query however many jobs.
                rows = [_summary(row) for row in store.jobs()]
            else:
                job = store.get(args.name)
                # Its row is among those at its status (a narrower query than all).
                row = next(r for r in store.jobs(status=job.status) if r.name == args.name)
                rows = [{**_summary(row), "log_files": dict(job.log_files or {})}]
    except (_NoStore, JobFSMError, OSError) as exc:
        return _fail(_one_line(exc))
    if args.format == "json":
        print(json.dumps(rows[0] if args.name is not None else rows))
    elif args.name is not None:
        for key, value in rows[0].items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
            print(f"{key}: {value if value is not None else '-'}")
    else:
        for line in _table([(r["name"], r["status"], r["type"], r["updated"])
                            for r in rows], ("NAME", "STATUS", "TYPE", "UPDATED")):  # fmt: skip
            print(line)
    return EXIT_OK


def _summary(row: Any) -> dict[str, Any]:
    """The JSON form of a store row (``JobStore.jobs``)."""
    beat = row.heartbeat_at
    return {
        "name": row.name,
        "status": str(row.status),
        "type": row.type,
        "updated": _utc(row.updated_at),
        "heartbeat": None if beat is None else _utc(beat),
    }


def _utc(at: Any) -> str:
    return str(at.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def _history(args: argparse.Namespace) -> int:
    from jobfsm._yamldoc import history_to_list
    from jobfsm.errors import JobFSMError

    try:
        with _open_store(args.store, args) as store:
            entries = history_to_list(store.get(args.name).history)
    except (_NoStore, JobFSMError, OSError) as exc:
        return _fail(_one_line(exc))
    if args.format == "json":
        print(json.dumps(entries))
        return EXIT_OK
    rows = []
    for e in entries:
        notes = "; ".join(
            text
            for text in (
                "inferred" if e.get("inferred") else "",
                e.get("reason") or "",
                f"by {e['source']}" if e.get("source") else "",
            )
            if text
        )
        rows.append((e["at"], e["from"], e["to"], e["event"], notes))
    for line in _table(rows, ("AT", "FROM", "TO", "EVENT", "NOTES")):
        print(line)
    return EXIT_OK


def _table(rows: Sequence[tuple[Any, ...]], header: tuple[str, ...]) -> Iterator[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        yield "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
