"""``jobfsm diagram``: draw the lifecycle, or one job's path through it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from jobfsm import cli_pictures
from jobfsm.cli import EXIT_OK, _fail, _one_line, _stdout_to_devnull

__all__ = ["add_commands"]


def add_commands(sub: Any) -> None:
    """Register ``diagram`` (and ``lifecycles``) on the ``jobfsm`` subparsers."""
    from jobfsm import cli_lifecycles

    diagram = sub.add_parser("diagram", help="draw the lifecycle (or one job's path)")
    diagram.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        default=None,
        help="output format (default: from the -o suffix .mmd/.dot/.gv/.svg/.png, else mermaid)",
    )
    diagram.add_argument(
        "--job",
        metavar="JOB.yml",
        default=None,
        help="draw this job file's path through the lifecycle (default: the lifecycle alone)",
    )
    diagram.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write to FILE, atomically; a new name or a regular file only (default: stdout)",
    )
    cli_lifecycles.add_lifecycle_option(diagram)
    diagram.set_defaults(handler=_diagram)
    cli_lifecycles.register(sub)
    cli_pictures.register(sub, diagram, _diagram, _write_atomically)


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
    from jobfsm import cli_lifecycles
    from jobfsm.diagrams import render
    from jobfsm.errors import JobFSMError
    from jobfsm.yamlio import load_job

    fmt = args.format or _format_for(args.output)
    if fmt is None:
        suffix = os.path.splitext(args.output)[1]
        return _fail(
            f"{args.output}: cannot draw a {suffix} file; use a suffix "
            f"{'/'.join(_SUFFIX_FORMATS)} or pass --format (mermaid, dot, svg or png)"
        )
    if args.output is None and sys.stdout is None:  # started with stdout closed
        return _fail("standard output is closed; use -o FILE")
    if args.output is None and fmt == "png" and sys.stdout.isatty():
        # PNG bytes would garble the terminal; SVG is text and is printed.
        return _fail("refusing to write PNG to a terminal; use -o FILE or redirect stdout")
    if args.output is not None:
        refusal = _not_a_regular_file(args.output)
        if refusal:
            return _fail(f"{args.output}: {refusal}")
    try:
        lifecycle, _ = cli_lifecycles.lifecycle_from_args(args)
        job = None
        if args.job:
            job = load_job(args.job, lifecycle=lifecycle)
        data = render(fmt, lifecycle=lifecycle, job=job, full=args.full)
        if args.output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            _write_atomically(args.output, data)
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: quiet, as for `validate`.
        _stdout_to_devnull()
    except (JobFSMError, OSError, ValueError, cli_lifecycles.LifecycleOptionError) as exc:
        return _fail(_one_line(exc))
    return EXIT_OK


def _not_a_regular_file(path: str) -> str | None:
    """Why ``-o`` refuses *path*, or ``None``: only a new name or a regular file is
    replaced, never a symlink (or what it points at), a FIFO, a socket or a device."""
    import stat

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot check it: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a symbolic link" if stat.S_ISLNK(mode)
        else "a folder" if stat.S_ISDIR(mode)
        else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "a device"
    )  # fmt: skip
    return f"is {kind}; -o writes only a regular file or a new name (remove it or choose another)"


def _format_for(output: str | None) -> str | None:
    """The format named by the output file's suffix (Mermaid for stdout or no
    suffix), or ``None`` for a suffix jobfsm cannot write (``.jpg``)."""
    if output is None:
        return "mermaid"
    suffix = os.path.splitext(output)[1].lower()
    return _SUFFIX_FORMATS.get(suffix) if suffix else "mermaid"


def _write_atomically(path: str, data: bytes) -> None:
    """Write *data* to *path* through a temporary file renamed into place.

    A reader sees the old file or the new one, never a partial write; on
    failure the temporary file is removed and *path* is untouched.
    """
    import contextlib

    from jobfsm._files import create_temp

    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = create_temp(folder, path)  # the mode of a new file under the current umask
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError) and exc.errno is not None:
            # name the file the user asked for, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, path) from exc
        raise
