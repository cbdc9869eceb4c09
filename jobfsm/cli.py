"""The ``jobfsm`` command line: a thin shell over the library.

``main(argv)`` parses arguments, calls the library and returns the exit
status; it is the only code in jobfsm that prints. Exit status: 0 no
violations, 1 violations found, 2 input or usage error (an input error wins
over violations).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["EXIT_INPUT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "main", "run"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` always returns."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: error: {message}")


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
    result: int = args.handler(args)
    return result


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())


# -- validate ------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    raise NotImplementedError("validate")


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
    import importlib

    from jobfsm.diagrams import render
    from jobfsm.errors import JobFSMError

    fmt = args.format or _format_for(args.output)
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
            # The YAML layer is only loaded when a job file is given.
            load_job = getattr(importlib.import_module("jobfsm.yamlio"), "load_job", None)
            if load_job is None:
                raise JobFSMError("reading job files needs jobfsm.yamlio.load_job")
            job = load_job(args.job)
        data = render(fmt, job=job)
        if args.output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            _write_atomically(args.output, data)
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
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
