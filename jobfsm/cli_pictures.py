"""The picture commands of the command line: ``diagram --full``, ``diagram --log``,
``stats`` and ``timeline``.

:func:`register` adds them to the parser built by :mod:`jobfsm.cli`, which
stays the only entry point. Like the rest of the CLI, the handlers return an
exit status (0 ok, 2 input or usage error: a malformed line still gives the
picture or report, with the errors on stderr) and print no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Literal

from jobfsm.cli_lifecycles import LifecycleOptionError, add_lifecycle_option, lifecycle_from_args

if TYPE_CHECKING:
    from jobfsm.eventlog import EventLog, MalformedEvent
    from jobfsm.lifecycle import Lifecycle

__all__ = ["parse_duration", "register"]

Handler = Callable[[argparse.Namespace], int]
Writer = Callable[[str, bytes], None]

_EXIT_OK = 0
_EXIT_INPUT_ERROR = 2
_PICTURE_FORMATS = ("mermaid", "dot", "svg", "png")
_LOG_FORMATS: dict[str, Literal["jsonl", "csv"]] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
}
_SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot"}
_SUFFIXES |= {".svg": "svg", ".png": "png"}


def register(
    sub: Any, diagram: argparse.ArgumentParser, draw_lifecycle: Handler, write_file: Writer
) -> None:
    """Add the picture options to ``diagram`` and the ``stats``/``timeline`` subcommands.

    Args:
        sub: The subparsers action of the ``jobfsm`` parser.
        diagram: The ``diagram`` subcommand's parser.
        draw_lifecycle: Its handler, called when no log is given.
        write_file: Writes bytes to a path atomically (the CLI's ``-o``).
    """
    diagram.add_argument(
        "--full",
        action="store_true",
        help="one arrow per (source, destination) pair instead of the grouped view (default: off)",
    )
    diagram.add_argument(
        "--log", metavar="FILE", default=None, help="draw the process map of an event log"
    )
    _log_options(diagram, with_file=False)

    def diagram_handler(args: argparse.Namespace) -> int:
        if args.log is None:
            return draw_lifecycle(args)
        if args.job or args.full:
            option = "--job" if args.job else "--full"
            return _fail(f"{option} draws the lifecycle; it cannot be combined with --log")
        return _process_map(args, write_file)

    diagram.set_defaults(handler=diagram_handler)

    stats = sub.add_parser("stats", help="time in status, durations and stuck jobs of a log")
    _log_options(stats, with_file=True)
    stats.add_argument(
        "--format", choices=("text", "json", "csv"), default="text", help="report format"
    )
    stats.add_argument(
        "--stuck-after",
        metavar="DURATION",
        type=parse_duration,
        default=None,
        help="list only unfinished jobs idle for longer (90s, 30m, 2h, 1d, 1h30m)",
    )
    stats.add_argument(
        "--as-of",
        metavar="TIME",
        default=None,
        help="measure idleness up to TIME (ISO-8601 or seconds; default: the log's latest)",
    )
    add_lifecycle_option(stats)
    stats.set_defaults(handler=_stats)

    timeline = sub.add_parser("timeline", help="one bar per status of some jobs of a log")
    _log_options(timeline, with_file=True)
    timeline.add_argument(
        "--job",
        dest="jobs",
        metavar="NAME",
        action="append",
        required=True,
        help="a job of the log to draw (repeat for several)",
    )
    timeline.add_argument(
        "--format",
        choices=_PICTURE_FORMATS,
        default=None,
        help="output format (default: from the -o suffix .mmd/.dot/.gv/.svg/.png, else mermaid)",
    )
    timeline.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write to FILE, atomically; a new name or a regular file only (default: stdout)",
    )
    add_lifecycle_option(timeline)
    timeline.set_defaults(handler=lambda args: _timeline(args, write_file))


def _log_options(parser: argparse.ArgumentParser, *, with_file: bool) -> None:
    """The event-log options of ``validate``, for the commands that read a log."""
    if with_file:
        parser.add_argument("file", help="event log (JSON Lines or CSV), or - for stdin")
    parser.add_argument(
        "--mode",
        choices=("strict", "observed"),
        default="observed",
        help="observed: a change may skip statuses (drawn as inferred); "
        "strict: a change that is not an edge is illegal",
    )
    parser.add_argument(
        "--input-format",
        choices=("jsonl", "csv"),
        default=None,
        help="log format (default: from the suffix .jsonl/.ndjson/.json/.csv; stdin: jsonl)",
    )
    parser.add_argument("--job-key", default="job", help="field naming the job")
    parser.add_argument("--status-key", default="status", help="field holding the status")
    parser.add_argument("--time-key", default="time", help="field holding the time, if any")


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?"
                       r"(?:(\d+(?:\.\d+)?)s)?$")  # fmt: skip


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``30m``, ``2h``, ``1d`` or ``1h30m``.

    Raises:
        argparse.ArgumentTypeError: anything else.
    """
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if not value or match is None:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a duration (examples: 90, 90s, 30m, 2h, 1d, 1h30m)"
            ) from None
        days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = days * 86_400 + hours * 3_600 + minutes * 60 + secs
    if not seconds >= 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (must be >= 0)")
    return seconds


# -- reading a log -------------------------------------------------------------------


class _InputError(Exception):
    """A log that cannot be opened or read; the message is printed as is."""


def _events(args: argparse.Namespace, file: str) -> Iterator[EventLog]:
    """Yield the event log of *file* (``-``: stdin) once, closing the file afterwards."""
    from jobfsm.eventlog import EventLog, text_stream

    name = "<stdin>" if file == "-" else file
    fmt: Literal["jsonl", "csv"] | None = args.input_format or (
        "jsonl" if file == "-" else _LOG_FORMATS.get(os.path.splitext(file)[1].lower())
    )
    if fmt is None:
        raise _InputError(
            f"{name}: cannot tell the format from the file name; "
            "pass --input-format jsonl or --input-format csv"
        )
    if file == "-":
        if sys.stdin is None:
            raise _InputError(f"{name}: cannot read: standard input is closed")
        stream: IO[str] = text_stream(sys.stdin.buffer)
    else:
        if os.path.isdir(file):
            raise _InputError(f"{name}: is a directory, not an event log")
        try:
            stream = text_stream(open(file, "rb"))  # noqa: SIM115 - closed below
        except OSError as exc:
            raise _InputError(f"{name}: cannot read: {exc.strerror or exc}")
    try:
        yield EventLog(stream, fmt, required=(args.job_key, args.status_key), name=name)
    finally:
        if file != "-":
            stream.close()


def _run(args: argparse.Namespace, file: str, work: Callable[[EventLog, Lifecycle], int]) -> int:
    """Open the log, run *work* on it with the ``--lifecycle`` (Azure ML's by default),
    and turn option, input and reading errors into exit 2."""
    from jobfsm.errors import JobFSMError

    try:
        lifecycle, _ = lifecycle_from_args(args)
    except LifecycleOptionError as exc:
        return _fail(str(exc))
    try:
        for log in _events(args, file):
            return work(log, lifecycle)
    except _InputError as exc:
        return _fail(str(exc))
    except (JobFSMError, KeyError) as exc:
        return _fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    except OSError as exc:
        return _fail(f"{file}: {exc.strerror or exc}")
    return _EXIT_INPUT_ERROR  # pragma: no cover - _events yields once


def _fail(message: str) -> int:
    print(f"jobfsm: error: {' '.join(message.split())}", file=sys.stderr)
    return _EXIT_INPUT_ERROR


def _report_input_errors(name: str, errors: tuple[MalformedEvent, ...] | list[Any]) -> int:
    for error in errors:
        where = f"{name}:{error.line}" if error.line is not None else name
        print(f"{where}: input error: {error.message}", file=sys.stderr)
    return _EXIT_INPUT_ERROR if errors else _EXIT_OK


def _output(args: argparse.Namespace, data: bytes, write_file: Writer) -> int:
    """Write *data* to ``-o FILE`` (atomically) or stdout; refuse PNG to a terminal."""
    if args.output is not None:
        from jobfsm.cli_diagram import _not_a_regular_file

        refusal = _not_a_regular_file(args.output)
        if refusal:
            return _fail(f"{args.output}: {refusal}")
        write_file(args.output, data)
        return _EXIT_OK
    if sys.stdout is None:
        return _fail("standard output is closed; use -o FILE")
    if data.startswith(b"\x89PNG") and sys.stdout.isatty():
        return _fail("refusing to write PNG to a terminal; use -o FILE or redirect stdout")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return _EXIT_OK


def _picture_format(args: argparse.Namespace) -> str | None:
    """``--format``, else the ``-o`` suffix's format (Mermaid for stdout or no suffix);
    ``None`` for a suffix no picture is written as (``.jpg``)."""
    if args.format:
        return str(args.format)
    if args.output is None:
        return "mermaid"
    suffix = os.path.splitext(args.output)[1].lower()
    return _SUFFIXES.get(suffix) if suffix else "mermaid"


def _bad_suffix(args: argparse.Namespace) -> int:
    suffix = os.path.splitext(args.output)[1]
    return _fail(
        f"{args.output}: cannot draw a {suffix} file; use a suffix "
        f"{'/'.join(_SUFFIXES)} or pass --format (mermaid, dot, svg or png)"
    )


# -- the commands --------------------------------------------------------------------


def _process_map(args: argparse.Namespace, write_file: Writer) -> int:
    from jobfsm import processmap

    fmt = _picture_format(args)
    if fmt is None:
        return _bad_suffix(args)

    def work(log: EventLog, lifecycle: Lifecycle) -> int:
        pm = processmap.process_map(
            log,
            lifecycle,
            mode=args.mode,
            job_key=args.job_key,
            status_key=args.status_key,
            time_key=args.time_key or None,
            title=f"{os.path.basename(log.name)}: process map",
        )
        status = _output(args, processmap.render(pm, fmt), write_file)
        return max(status, _report_input_errors(log.name, pm.input_errors))

    return _run(args, args.log, work)


def _timeline(args: argparse.Namespace, write_file: Writer) -> int:
    from jobfsm import timeline

    fmt = _picture_format(args)
    if fmt is None:
        return _bad_suffix(args)

    def work(log: EventLog, lifecycle: Lifecycle) -> int:
        bars = timeline.timelines(
            log,
            args.jobs,
            lifecycle,
            mode=args.mode,
            job_key=args.job_key,
            status_key=args.status_key,
            time_key=args.time_key,
        )
        title = f"{os.path.basename(log.name)}: timeline"
        data = timeline.render(bars, fmt, lifecycle, title=title)
        return max(_output(args, data, write_file), _report_input_errors(log.name, log.errors))

    return _run(args, args.file, work)


def _stats(args: argparse.Namespace) -> int:
    from jobfsm.stats import stats_csv, stats_text, time_in_status
    from jobfsm.validate import _time_value

    as_of: float | None = None
    if args.as_of is not None:
        try:
            moment = _time_value(args.as_of)
        except ValueError as exc:
            return _fail(f"--as-of: {exc}")
        as_of = moment.timestamp() if isinstance(moment, datetime) else moment

    def work(log: EventLog, lifecycle: Lifecycle) -> int:
        stats = time_in_status(
            log,
            lifecycle,
            mode=args.mode,
            job_key=args.job_key,
            status_key=args.status_key,
            time_key=args.time_key or None,
            stuck_after=args.stuck_after,
            as_of=as_of,
        )
        if args.format == "json":
            text = json.dumps(stats.to_dict(), indent=2) + "\n"
        elif args.format == "csv":
            text = stats_csv(stats)
        else:
            text = stats_text(stats, log.name)
        sys.stdout.write(text)
        sys.stdout.flush()
        return _report_input_errors(log.name, stats.input_errors)

    return _run(args, args.file, work)
