"""``jobfsm validate``: check an event log against the lifecycle and report."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from jobfsm import cli_validate_report
from jobfsm._validate_reading import PROGRESS_MIN_BYTES, Position, Reading
from jobfsm.cli import (
    EXIT_INPUT_ERROR,
    EXIT_OK,
    EXIT_VIOLATIONS,
    _fail,
    _stderr_is_tty,
    _stdout_to_devnull,
)

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.validate import Report

__all__ = ["add_commands"]


def add_commands(sub: Any) -> None:
    """Register ``validate`` on the ``jobfsm`` subparsers."""
    from jobfsm import cli_lifecycles
    from jobfsm._judge import Reason
    from jobfsm.cli import EXIT_CODES_HELP, HelpFormatter

    reasons = "\n".join(f"  {reason}" for reason in Reason)
    validate = sub.add_parser(
        "validate",
        help="check observed statuses against the lifecycle",
        description="Check each job's statuses in an event log against the lifecycle.",
        epilog=f"{EXIT_CODES_HELP}\n\nreason codes of violations:\n{reasons}",
        formatter_class=HelpFormatter,
    )
    validate.add_argument(
        "file", help="event log (JSON Lines, CSV, a Parquet file or folder), or - for stdin"
    )
    validate.add_argument(
        "--mode",
        choices=("strict", "observed"),
        default="strict",
        help="strict: every pair of statuses is an edge; observed: polled statuses, "
        "skipped ones allowed",
    )
    validate.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format"
    )
    validate.add_argument(
        "--input-format",
        choices=("jsonl", "csv", "parquet"),
        default=None,
        help="log format (default: from the suffix .jsonl/.ndjson/.json/.csv/.parquet/.pq, "
        "a folder of Parquet files is parquet; stdin: jsonl)",
    )
    validate.add_argument("--job-key", default="job", help="field naming the job")
    validate.add_argument("--status-key", default="status", help="field holding the status")
    validate.add_argument("--time-key", default="time", help="field holding the time, if any")
    validate.add_argument(
        "--require-initial",
        action="store_true",
        help="a job's first status must be the initial one (default: off)",
    )
    validate.add_argument(
        "--require-terminal",
        action="store_true",
        help="a job's last status must be terminal (default: off)",
    )
    validate.add_argument(
        "--max-errors",
        type=int,
        default=100,
        metavar="N",
        help="stop reading after N input errors (0: no limit)",
    )
    cli_lifecycles.add_lifecycle_option(validate, with_as=True)
    validate.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="processes reading a JSON Lines file (default: one per core for files of "
        "32 MiB or more, else 1; stdin, CSV and Parquet are read by one)",
    )
    validate.set_defaults(handler=_validate)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _validate(args: argparse.Namespace) -> int:
    from jobfsm.eventlog import text_stream

    if sys.stdout is None:  # started with its standard output closed
        return _fail("cannot write the report: standard output is closed")
    stdin = args.file == "-"
    name = "<stdin>" if stdin else args.file
    size: int | None = None
    if stdin:
        if sys.stdin is None:  # started with its standard input closed
            return _fail(f"{name}: cannot read: standard input is closed")
        binary: IO[bytes] = sys.stdin.buffer
    else:
        if args.input_format == "parquet" or (
            args.input_format is None
            and (_input_format(args.file) == "parquet" or _parquet_folder(args.file))
        ):
            return _validate_columnar(args, name)
        if os.path.isdir(args.file):
            return _fail(f"{name}: is a directory, not an event log (nor a Parquet folder)")
        try:
            # Opened once, here: a missing file fails before any output, and a
            # named pipe is not lost to a second open.
            binary = open(args.file, "rb")  # noqa: SIM115 - closed below
            info = os.fstat(binary.fileno())
            size = info.st_size
            # Only a regular file is split between workers (a pipe cannot be reopened).
            args.regular_file = stat.S_ISREG(info.st_mode)
        except OSError as exc:
            return _fail(f"{name}: cannot read: {exc.strerror or exc}")
    try:
        head = binary.peek(_PEEK_BYTES)[:_PEEK_BYTES] if hasattr(binary, "peek") else b""
    except (OSError, ValueError):
        head = b""
    try:
        return _validate_stream(args, name, text_stream(binary), size, Position(binary, head))
    finally:
        if not stdin:
            binary.close()


def _validate_stream(
    args: argparse.Namespace, name: str, source: IO[str], size: int | None, where: Position
) -> int:
    """Validate the event log read from *source* and print the report."""
    from jobfsm import cli_lifecycles
    from jobfsm.errors import EventLogError
    from jobfsm.eventlog import EventLog

    if args.max_errors < 0:
        return _fail(f"--max-errors must be 0 (no limit) or more, got {args.max_errors}")
    input_format = args.input_format or _input_format(args.file)
    if input_format is None:
        return _fail(
            f"{name}: cannot tell the format from the file name; "
            "pass --input-format jsonl, csv or parquet"
        )
    if input_format not in ("jsonl", "csv"):  # Parquet is read from a path, not a stream
        return _fail(f"{name}: Parquet cannot be read from a stream; pass a file or a folder")
    try:
        lifecycle, as_target = cli_lifecycles.lifecycle_from_args(args)
    except cli_lifecycles.LifecycleOptionError as exc:
        return _fail(str(exc))
    log = EventLog(source, input_format, required=(args.job_key, args.status_key), name=name)
    show_progress = _stderr_is_tty() and (size is None or size >= PROGRESS_MIN_BYTES)
    reading = Reading(log, args, size if show_progress else None, where, show_progress)
    if input_format == "jsonl" and getattr(args, "regular_file", False) and size is not None:
        try:
            whole = _validate_natively(args, size, lifecycle, show_progress)
        finally:
            if show_progress:
                _clear_progress()
        if whole is None:
            whole = _validate_on_workers(args, name, size, lifecycle)
        if whole is not None:  # `log` was not read: this report is the whole one
            hints = cli_validate_report.hints(args, input_format, where.head)
            return _print_report(args, name, whole, reading, hints, lifecycle, as_target)
    try:
        report = _validated(reading, args, lifecycle)
    except EventLogError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{name}: cannot read: {exc.strerror or exc}")
    finally:
        if show_progress:
            _clear_progress()
    hints = cli_validate_report.hints(args, input_format, where.head)
    return _print_report(args, name, report, reading, hints, lifecycle, as_target)


def _validate_natively(
    args: argparse.Namespace, size: int, lifecycle: Lifecycle, show_progress: bool
) -> Report | None:
    """The report of the compiled pass (see jobfsm._nativecheck), else ``None``."""
    import time

    from jobfsm import _nativecheck
    from jobfsm._validate_reading import show_progress as show

    if not _nativecheck.available():
        return None
    started = time.monotonic()

    def progress(offset: int, events: int) -> None:
        show(events, time.monotonic() - started, offset, size)

    return _nativecheck.check_file(
        args.file,
        _workers_for(args, size),
        progress=progress if show_progress else None,
        **_options(args, lifecycle),
    )


def _workers_for(args: argparse.Namespace, size: int) -> int:
    """``--workers``, or by default one per core for a large file (threads or processes)."""
    from jobfsm import _workers

    return args.workers if args.workers is not None else _workers.default_workers(size)


def _clear_progress() -> None:
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()


def _validate_on_workers(
    args: argparse.Namespace, name: str, size: int, lifecycle: Lifecycle
) -> Report | None:
    """The report of worker processes, or ``None`` when one process must read the file.

    One process reads it when the workers met ``--max-errors`` input errors
    (where one process stops reading then is its own affair) or read another
    spelling of a status (counted per spelling, by one reader).
    """
    from jobfsm import _workers

    workers = _workers_for(args, size)
    if workers < 2:
        return None
    report: Report | None = _workers.validate_file(
        args.file, workers, name=name, **_options(args, lifecycle)
    )
    if report is None or report.aliases:
        return None
    if args.max_errors and len(report.input_errors) >= args.max_errors:
        return None
    return report


def _validate_columnar(args: argparse.Namespace, name: str) -> int:
    """Validate a Parquet file or folder (row numbers stand for lines) and print the report."""
    import io

    from jobfsm import cli_lifecycles
    from jobfsm.columnar import read_parquet
    from jobfsm.errors import EventLogError, MissingExtraError

    if args.max_errors < 0:
        return _fail(f"--max-errors must be 0 (no limit) or more, got {args.max_errors}")
    try:
        lifecycle, as_target = cli_lifecycles.lifecycle_from_args(args)
    except cli_lifecycles.LifecycleOptionError as exc:
        return _fail(str(exc))
    if not os.path.exists(args.file):
        return _fail(f"{name}: cannot read: No such file or directory")
    show_progress = _stderr_is_tty()
    try:
        # Only the columns validation reads are decoded; a missing one is one input error.
        log = read_parquet(args.file, name=name).select(
            [args.job_key, args.status_key, args.time_key],
            required=(args.job_key, args.status_key),
        )
        reading = Reading(log, args, None, Position(io.BytesIO(), b""), show_progress)
        report = _validated(reading, args, lifecycle)
    except (EventLogError, MissingExtraError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{name}: cannot read: {exc.strerror or exc}")
    finally:
        if show_progress:
            _clear_progress()
    return _print_report(args, name, report, reading, [], lifecycle, as_target)


def _validated(reading: Reading, args: argparse.Namespace, lifecycle: Lifecycle) -> Report:
    """The report of the events *reading* hands out, by the command line's options."""
    from jobfsm.validate import validate_events

    return validate_events(reading, **_options(args, lifecycle))


def _options(args: argparse.Namespace, lifecycle: Lifecycle) -> dict[str, Any]:
    """The validation options the command line gives, for one process and workers alike."""
    return {
        "mode": args.mode,
        "lifecycle": lifecycle,
        "require_initial": args.require_initial,
        "require_terminal": args.require_terminal,
        "job_key": args.job_key,
        "status_key": args.status_key,
        "time_key": args.time_key,
        "keep_gaps": args.format == "json",
    }


def _print_report(
    args: argparse.Namespace,
    name: str,
    report: Report,
    reading: Reading,
    hints: list[str],
    lifecycle: Lifecycle,
    as_target: object,
) -> int:
    """Print *report* (with the log's own input errors) as text or JSON; return the status.

    With *as_target* (``--as``), the report is translated into the terms of
    *lifecycle*'s mapping target.
    """
    from jobfsm import cli_lifecycles

    # The wrapper hides the log's own input errors from validate_events.
    errors = sorted([*report.input_errors, *reading.log.errors], key=lambda e: e.line or 0)
    if args.max_errors and len(errors) > args.max_errors:
        reading.stopped = True
    if reading.stopped:
        errors = errors[: args.max_errors]
    report = attrs.evolve(report, input_errors=tuple(errors))
    if as_target is not None:
        from jobfsm.mapping import translate_report

        report = translate_report(report, lifecycle)
    if not report.input_errors:
        hints = []
    try:
        if args.format == "json":
            data = cli_validate_report.json_report(
                args, name, report, reading.stopped, hints, lifecycle.name
            )
            # Written as it is made: the violations become dictionaries one at a
            # time, so a large report is never held twice.
            sys.stdout.writelines(json.JSONEncoder(indent=2).iterencode(data))
            sys.stdout.write("\n")
        else:
            sys.stdout.writelines(cli_lifecycles.alias_notes(name, report))
            sys.stdout.writelines(
                cli_validate_report.text_report(name, report, reading.stopped, args.max_errors)
            )
            sys.stdout.writelines(f"{name}: hint: {hint}\n" for hint in hints)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: not an error worth a traceback.
        _stdout_to_devnull()
    except OSError as exc:
        _stdout_to_devnull()
        return _fail(f"cannot write the report: {exc.strerror or exc}")
    if report.input_errors:
        return EXIT_INPUT_ERROR
    return EXIT_VIOLATIONS if report.violations else EXIT_OK


_PEEK_BYTES = 4096

_FORMATS: dict[str, Literal["jsonl", "csv", "parquet"]] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _input_format(file: str) -> Literal["jsonl", "csv", "parquet"] | None:
    if file == "-":
        return "jsonl"
    return _FORMATS.get(os.path.splitext(file)[1].lower())


def _parquet_folder(path: str) -> bool:
    """Whether *path* is a folder holding a Parquet file (at any depth)."""
    for _, _, files in os.walk(path):
        if any(_FORMATS.get(os.path.splitext(f)[1].lower()) == "parquet" for f in files):
            return True
    return False
