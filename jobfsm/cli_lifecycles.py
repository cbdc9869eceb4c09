"""The command line's lifecycle parts: ``--lifecycle``/``--as`` and ``jobfsm lifecycles``.

``jobfsm lifecycles`` lists the built-in profiles; ``jobfsm lifecycles show
NAME`` prints one (a table, or its file as ``--format yaml``/``json``).
The helpers here also turn the ``--lifecycle NAME|FILE`` option of other
commands into a lifecycle, and write the notes about aliases a validation read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = ["add_lifecycle_option", "alias_notes", "lifecycle_from_args", "register"]

_EXIT_OK = 0
_EXIT_INPUT_ERROR = 2


class LifecycleOptionError(Exception):
    """A ``--lifecycle``/``--as`` value that cannot be used; the message says why."""


def add_lifecycle_option(parser: argparse.ArgumentParser, *, with_as: bool = False) -> None:
    """Add ``--lifecycle NAME|FILE`` (and, for validation, ``--as NAME|FILE``) to *parser*."""
    parser.add_argument(
        "--lifecycle",
        metavar="NAME|FILE",
        default=None,
        help="a built-in profile (see `jobfsm lifecycles`) or a lifecycle file (default: azureml)",
    )
    if with_as:
        parser.add_argument(
            "--as",
            dest="as_",
            metavar="NAME|FILE",
            default=None,
            help="report in the terms of the lifecycle this one maps to (e.g. azureml)",
        )


def lifecycle_from_args(args: argparse.Namespace) -> tuple[Lifecycle, Lifecycle | None]:
    """The lifecycle of ``--lifecycle``, and the ``--as`` target when one is asked for.

    Raises:
        LifecycleOptionError: an unknown name, a bad file, or an ``--as`` that
            is not the lifecycle's ``maps_to`` target.
    """
    from jobfsm.errors import JobFSMError
    from jobfsm.profiles import resolve

    try:
        lifecycle = resolve(args.lifecycle) if args.lifecycle else DEFAULT_LIFECYCLE
        target = resolve(args.as_) if getattr(args, "as_", None) else None
    except (JobFSMError, OSError) as exc:
        raise LifecycleOptionError(_one_line(exc)) from None
    if target is None or target == lifecycle:
        return lifecycle, None
    if lifecycle.maps_to is None or lifecycle.maps_to.target != target:
        where = (
            f"maps to {lifecycle.maps_to.target.name!r}"
            if lifecycle.maps_to is not None
            else "has no maps_to"
        )
        raise LifecycleOptionError(
            f"--as {args.as_}: lifecycle {lifecycle.name!r} {where}, "
            f"so it cannot be reported in {target.name!r} terms"
        )
    return lifecycle, target


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    head, *rest = str(exc).splitlines() or [type(exc).__name__]
    items = [line.strip().removeprefix("- ") for line in rest if line.strip()]
    return f"{head.rstrip(':')}: {'; '.join(items)}" if items else head


def alias_notes(name: str, report: Any) -> Iterator[str]:
    """One ``note:`` line per alias spelling the validation read."""
    for use in report.aliases:
        where = f"{name}:{use.line}" if use.line is not None else name
        times = "once" if use.count == 1 else f"{use.count} times"
        yield (
            f"{where}: note: {use.spelling!r} read as {str(use.status)!r} (an alias; "
            f"{times}, first for job {use.job})\n"
        )


# -- jobfsm lifecycles ------------------------------------------------------------


def register(sub: Any) -> None:
    """Add the ``lifecycles`` command to the subparsers *sub* of the main parser."""
    parser = sub.add_parser("lifecycles", help="list the built-in lifecycle profiles, or show one")
    actions = parser.add_subparsers(dest="action", parser_class=type(parser))
    show = actions.add_parser("show", help="print one lifecycle")
    show.add_argument("name", metavar="NAME|FILE")
    show.add_argument("--format", choices=("table", "yaml", "json"), default="table")
    parser.set_defaults(handler=_lifecycles)


def _lifecycles(args: argparse.Namespace) -> int:
    from jobfsm.errors import JobFSMError
    from jobfsm.profiles import names, profile_path, resolve

    if args.action != "show":
        rows = [("NAME", "STATUSES", "MAPS TO", "SOURCE")]
        for name in names():
            lc = resolve(name)
            target = lc.maps_to.ref if lc.maps_to is not None else "-"
            rows.append((name, str(len(lc.states)), target, lc.sources[0] if lc.sources else "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            sys.stdout.write("  ".join([*cells, row[3]]).rstrip() + "\n")
        return _EXIT_OK
    try:
        lifecycle = resolve(args.name)
    except (JobFSMError, OSError) as exc:
        print(f"jobfsm: error: {_one_line(exc)}", file=sys.stderr)
        return _EXIT_INPUT_ERROR
    if args.format == "table":
        sys.stdout.writelines(_table(lifecycle))
        return _EXIT_OK
    from jobfsm.lifecycle_file import lifecycle_text

    if args.format == "yaml" and args.name in names():
        sys.stdout.write(f"# built-in profile {args.name}: {profile_path(args.name)}\n")
    sys.stdout.write(lifecycle_text(lifecycle, args.format))
    return _EXIT_OK


def _table(lc: Lifecycle) -> Iterator[str]:
    """A plain-text description of *lc*: statuses, events, aliases, mapping, sources."""
    mapping = lc.maps_to
    yield f"{lc.name}: {len(lc.states)} statuses, {len(lc.event_names)} events\n"
    for source in lc.sources:
        yield f"source: {source}\n"
    yield "\n"
    head = ("STATUS", "KIND", "MAPS TO" if mapping else "", "MEANING")
    rows = [head]
    for status in lc.statuses:
        kinds = [
            kind
            for kind, members in (
                ("initial", {lc.initial}),
                ("active", lc.active),
                ("attention", lc.attention),
                ("terminal", lc.terminal),
            )
            if status in members
        ]
        mapped = str(mapping(status)) if mapping else ""
        rows.append((str(status), ",".join(kinds), mapped, lc.descriptions.get(status, "")))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False) if w]
        yield "  ".join([*cells, row[3]]).rstrip() + "\n"
    yield "\nEVENT  FROM -> TO\n"
    for spec in lc.events:
        yield f"{spec.name}  {', '.join(spec.sources)} -> {', '.join(spec.dests)}\n"
    if lc.aliases:
        yield "\nALIAS  STATUS\n"
        for alias, meant in lc.aliases.items():
            yield f"{alias}  {meant}\n"
    if mapping:
        yield f"\nmaps to: {mapping.ref or mapping.target.name} (checked: every edge is allowed)\n"
