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
    diagram.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid")
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


def _diagram(args: argparse.Namespace) -> int:
    raise NotImplementedError("diagram")
