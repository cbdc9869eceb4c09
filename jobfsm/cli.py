"""The ``jobfsm`` command line: a thin shell over the library.

``main(argv)`` parses arguments, calls the library and returns the exit
status; it is the only code in jobfsm that prints. Exit status: 0 no
violations, 1 violations found, 2 input or usage error (an input error wins
over violations).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal, NoReturn

import attrs

if TYPE_CHECKING:
    from jobfsm.validate import Report

__all__ = ["EXIT_INPUT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "main", "run"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` always returns."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.format_usage()}{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="jobfsm",
        description="Validate job status traces and draw the run lifecycle.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = sub.add_parser("validate", help="check observed statuses against the lifecycle")
    validate.add_argument("file", help="event log (JSON Lines or CSV), or - for stdin")
    validate.add_argument("--mode", choices=("strict", "observed"), default="strict")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--input-format", choices=("jsonl", "csv"), default=None)
    validate.add_argument("--job-key", default="job")
    validate.add_argument("--status-key", default="status")
    validate.add_argument("--time-key", default="time")
    validate.add_argument("--require-initial", action="store_true")
    validate.add_argument("--require-terminal", action="store_true")
    validate.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="processes reading a JSON Lines file (default: one per core for files of "
        "32 MiB or more, else 1; stdin and CSV are read by one)",
    )
    validate.set_defaults(handler=_validate)

    diagram = sub.add_parser("diagram", help="draw the lifecycle (or one job's path)")
    diagram.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        default=None,
        help="output format (default: from the -o suffix .mmd/.dot/.gv/.svg/.png, else mermaid)",
    )
    diagram.add_argument("--job", metavar="JOB.yml", default=None)
    diagram.add_argument("-o", "--output", metavar="FILE", default=None)
    diagram.set_defaults(handler=_diagram)

    from jobfsm.cli_run import add_commands  # run, status, history (cli_run imports this module)

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default ``sys.argv[1:]``); return the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT_ERROR
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        result: int = args.handler(args)
    except KeyboardInterrupt:
        print("jobfsm: interrupted", file=sys.stderr)
        return 130  # the shell's convention for SIGINT
    return result


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())


# -- validate ------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from jobfsm.eventlog import text_stream

    if sys.stdout is None:  # started with its standard output closed
        return _fail("cannot write the report: standard output is closed")
    stdin = args.file == "-"
    name = "<stdin>" if stdin else args.file
    size: int | None = None  # of a regular file: only those are split between workers
    if stdin:
        if sys.stdin is None:  # started with its standard input closed
            return _fail(f"{name}: cannot read: standard input is closed")
        binary: IO[bytes] = sys.stdin.buffer
    else:
        if os.path.isdir(args.file):
            return _fail(f"{name}: is a directory, not an event log")
        try:
            # Opened once, here: a missing file fails before any output, and a
            # named pipe is not lost to a second open.
            binary = open(args.file, "rb")  # noqa: SIM115 - closed below
            info = os.fstat(binary.fileno())
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
        except OSError as exc:
            return _fail(f"{name}: cannot read: {exc.strerror or exc}")
    try:
        return _validate_stream(args, name, text_stream(binary), size)
    finally:
        if not stdin:
            binary.close()


def _validate_stream(args: argparse.Namespace, name: str, source: IO[str], size: int | None) -> int:
    """Validate the event log read from *source* and print the report."""
    from jobfsm.errors import EventLogError
    from jobfsm.eventlog import EventLog
    from jobfsm.validate import validate_events

    input_format: Literal["jsonl", "csv"] | None = args.input_format or _input_format(args.file)
    if input_format is None:
        return _fail(
            f"{name}: cannot tell the format from the file name; "
            "pass --input-format jsonl or --input-format csv"
        )
    if input_format == "jsonl" and size is not None:
        report = _validate_on_workers(args, name, size)
        if report is not None:
            return _print_report(args, name, report)
    log = EventLog(source, input_format, required=(args.job_key, args.status_key), name=name)
    show_progress = _stderr_is_tty() and (size is None or size >= _PROGRESS_MIN_BYTES)
    events = _with_progress(log) if show_progress else log
    try:
        report = validate_events(
            events,
            mode=args.mode,
            require_initial=args.require_initial,
            require_terminal=args.require_terminal,
            job_key=args.job_key,
            status_key=args.status_key,
            time_key=args.time_key,
        )
    except EventLogError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{name}: cannot read: {exc.strerror or exc}")
    finally:
        if show_progress:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
    if events is not log:  # the progress wrapper hid the log's own input errors
        merged = sorted([*report.input_errors, *log.errors], key=lambda e: e.line or 0)
        report = attrs.evolve(report, input_errors=tuple(merged))
    return _print_report(args, name, report)


def _validate_on_workers(args: argparse.Namespace, name: str, size: int) -> Report | None:
    """The report of worker processes, or ``None`` when one process must read the file."""
    from jobfsm import _workers

    workers = args.workers if args.workers is not None else _workers.default_workers(size)
    if workers < 2:
        return None
    from jobfsm.lifecycle import DEFAULT_LIFECYCLE

    report: Report | None = _workers.validate_file(
        args.file,
        workers,
        name=name,
        mode=args.mode,
        lifecycle=DEFAULT_LIFECYCLE,
        require_initial=args.require_initial,
        require_terminal=args.require_terminal,
        job_key=args.job_key,
        status_key=args.status_key,
        time_key=args.time_key,
        keep_gaps=False,
    )
    return report


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _print_report(args: argparse.Namespace, name: str, report: Report) -> int:
    """Print *report* in the chosen format; return the exit status."""
    try:
        if args.format == "json":
            sys.stdout.writelines(_json_report(report))
        else:
            sys.stdout.writelines(_text_report(name, report))
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


#: Files at least this large show progress on a terminal (stdin always does).
_PROGRESS_MIN_BYTES = 16 * 1024 * 1024
_PROGRESS_EVERY = 200_000

_FORMATS: dict[str, Literal["jsonl", "csv"]] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
}


def _input_format(file: str) -> Literal["jsonl", "csv"] | None:
    if file == "-":
        return "jsonl"
    return _FORMATS.get(os.path.splitext(file)[1].lower())


def _stdout_to_devnull() -> None:
    """Point stdout at the null device, so that the final flush at exit cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(message: str) -> int:
    print(f"jobfsm: error: {message}", file=sys.stderr)
    return EXIT_INPUT_ERROR


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _with_progress(events: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """Pass *events* through, writing a running count to stderr now and then."""
    for count, item in enumerate(events, 1):
        if count % _PROGRESS_EVERY == 0:
            sys.stderr.write(f"\rjobfsm: {count:,} events read")
            sys.stderr.flush()
        yield item


def _json_report(report: Report) -> Iterator[str]:
    """``json.dumps(report.to_dict(), indent=2)`` and a newline, written as it is made.

    The violations are turned into dictionaries one at a time, so a log full
    of violations does not hold a second copy of them as dictionaries and text.
    """
    data = report.to_dict(lazy=True)
    yield from json.JSONEncoder(indent=2).iterencode(data)
    yield "\n"


def _text_report(name: str, report: Report) -> Iterator[str]:
    """One line per violation or input error, in line order, then a summary.

    Lines are made as they are written: the input errors, then the
    violations, each in line order (on one line, in the order found), are
    merged lazily.
    """

    def errors() -> Iterator[tuple[int, str]]:
        for error in sorted(report.input_errors, key=lambda e: e.line or 0):
            where = f"{name}:{error.line}" if error.line is not None else name
            yield error.line or 0, f"{where}: input error: {error.message}\n"

    def violations() -> Iterator[tuple[int, str]]:
        for v in sorted(report.violations, key=lambda v: v.line or 0):
            allowed = ", ".join(v.allowed) or "none"
            where = f"{name}:{v.line}" if v.line is not None else name
            job, to = _shown(v.job), _shown(v.to) if v.to else "-"
            yield (
                v.line or 0,
                f"{where}: job {job}: index {v.index}: {v.from_ or '-'} -> {to}: "
                f"{v.reason}: {v.message} (allowed: {allowed})\n",
            )

    # On equal lines merge() takes the earlier iterable first: errors, as before.
    for _, text in heapq.merge(errors(), violations(), key=lambda item: item[0]):
        yield text
    scope = (
        f"{_plural(report.events, 'event')} of {_plural(report.jobs, 'job')}, {report.mode} mode"
    )
    if report.ok:
        yield f"{name}: ok: no violations ({scope})\n"
        return
    bad_jobs = len({v.job for v in report.violations})
    yield (
        f"{name}: {_plural(len(report.violations), 'violation')} in "
        f"{_plural(bad_jobs, 'job')}, {_plural(len(report.input_errors), 'input error')} "
        f"({scope})\n"
    )


def _shown(value: str | None) -> str:
    """*value* as is, or quoted when a line break or edge spaces would hide or split it."""
    if value is None:
        return "None"
    text = str(value)
    return text if text.isprintable() and text == text.strip() and text else repr(text)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# -- diagram -------------------------------------------------------------------

_SUFFIX_FORMATS = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
    ".svg": "svg",
    ".png": "png",
}


def _diagram(args: argparse.Namespace) -> int:
    """Draw the lifecycle (or one job's path) to stdout or, atomically, to ``-o FILE``."""
    # Imports stay local to this command so that `validate` never pays for them.
    from jobfsm.diagrams import render
    from jobfsm.errors import JobFSMError
    from jobfsm.yamlio import load_job

    fmt = args.format or _format_for(args.output)
    if args.output is None and sys.stdout is None:  # started with stdout closed
        print("jobfsm diagram: standard output is closed; use -o FILE", file=sys.stderr)
        return EXIT_INPUT_ERROR
    if args.output is None and fmt == "png" and sys.stdout.isatty():
        # PNG bytes would garble the terminal; SVG is text and is printed.
        print(
            "jobfsm diagram: refusing to write PNG to a terminal; use -o FILE or redirect stdout",
            file=sys.stderr,
        )
        return EXIT_INPUT_ERROR
    try:
        job = None
        if args.job:
            job = load_job(args.job)
        data = render(fmt, job=job)
        if args.output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            _write_atomically(args.output, data)
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: quiet, as for `validate`.
        _stdout_to_devnull()
    except (JobFSMError, OSError, ValueError) as exc:
        print(f"jobfsm diagram: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return EXIT_OK


def _format_for(output: str | None) -> str:
    """The format named by the output file's suffix, else Mermaid."""
    import os

    if output is None:
        return "mermaid"
    return _SUFFIX_FORMATS.get(os.path.splitext(output)[1].lower(), "mermaid")


def _one_line(exc: BaseException) -> str:
    """The error as one line (OS errors as ``file: reason``)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _write_atomically(path: str, data: bytes) -> None:
    """Write *data* to *path* through a temporary file renamed into place.

    A reader sees the old file or the new one, never a partial write; on
    failure the temporary file is removed and *path* is untouched.
    """
    import contextlib
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".jobfsm-", suffix=".tmp")
    except OSError as exc:  # name the file the user asked for, not the temporary one
        raise type(exc)(exc.errno, exc.strerror, path) from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError) and exc.errno is not None:
            # name the file the user asked for, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, path) from exc
        raise
