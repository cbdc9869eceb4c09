"""The ``jobfsm`` command line: a thin shell over the library.

``main(argv)`` parses arguments, calls the library and returns the exit
status; it is the only code in jobfsm that prints. Exit status: 0 no
violations, 1 violations found, 2 input or usage error (an input error wins
over violations).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["EXIT_INPUT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "main", "run"]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT_ERROR = 2


#: The exit statuses, as ``--help`` lists them.
EXIT_CODES_HELP = f"""exit status:
  {EXIT_OK}  no violations (an empty log included)
  {EXIT_VIOLATIONS}  violations found (validate), or a job that did not complete (run)
  {EXIT_INPUT_ERROR}  bad input or usage (wins over violations)"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's lines and shows each option's default in its help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default not in (None, False, argparse.SUPPRESS)
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` always returns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.format_usage()}jobfsm: error: {message}")


class _UsageError(Exception):
    pass


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="jobfsm",
        description="Validate job status traces and draw the run lifecycle.",
        epilog=EXIT_CODES_HELP,
    )
    from jobfsm import __version__

    parser.add_argument(
        "--version", action="version", version=f"jobfsm {__version__}", help="show the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    from jobfsm import cli_diagram, cli_validate  # they import this module

    cli_validate.add_commands(sub)
    cli_diagram.add_commands(sub)
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


# -- shared by the subcommands ------------------------------------------------


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


def _one_line(exc: BaseException) -> str:
    """The error as one line (OS errors as ``file: reason``)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
