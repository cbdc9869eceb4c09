"""Markdown documentation generated from a :class:`~jobfsm.lifecycle.Lifecycle` value.

:func:`lifecycle_markdown` writes the status table, the event table and the
Mermaid diagram of a lifecycle; :func:`refresh_markdown` replaces the marked
sections of a Markdown text with freshly generated ones, so hand-written prose
and generated tables live in the same file without drifting apart. Sections
about an event log name it in their markers
(``<!-- processmap:examples/events.jsonl:start -->``, likewise ``stats`` and
``timeline``; paths relative to the current directory) and hold its process
map, its ``jobfsm stats`` report or the Mermaid timeline of all its jobs.

``python -m jobfsm.docgen FILE...`` refreshes files in place (atomically).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from jobfsm.diagram_groups import grouped_view
from jobfsm.diagrams import to_mermaid
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

if TYPE_CHECKING:
    from jobfsm.eventlog import EventLog

__all__ = [
    "LOG_SECTIONS",
    "SECTIONS",
    "diagram_section",
    "lifecycle_markdown",
    "mermaid_block",
    "processmap_section",
    "profile_markdown",
    "refresh_markdown",
    "stats_section",
    "timeline_section",
]


def _cell(text: str) -> str:
    # A pipe would end the table cell; a newline would end the row.
    return " ".join(text.replace("|", "\\|").split())


def _kinds(lifecycle: Lifecycle, state: str) -> str:
    kinds = [
        kind
        for kind, members in (
            ("initial", {lifecycle.initial}),
            ("active", lifecycle.active),
            ("attention", lifecycle.attention),
            ("terminal", lifecycle.terminal),
        )
        if state in members
    ]
    return ", ".join(kinds)


def mermaid_block(lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """The lifecycle's Mermaid diagram as a fenced ```` ```mermaid ```` block."""
    return f"```mermaid\n{to_mermaid(lifecycle)}```\n"


def lifecycle_markdown(lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """Return the status table, event table and diagram of *lifecycle* as Markdown.

    Args:
        lifecycle: The lifecycle to document.
    """
    lines = [
        f"Lifecycle **{_cell(lifecycle.name)}**: {len(lifecycle.states)} statuses, "
        f"{len(lifecycle.event_names)} events, "
        f"{len({(e.source, e.dest) for e in lifecycle.edges})} (source, destination) edges.",
        "",
        "### Statuses",
        "",
        "| status | enum member | kind | events allowed (→ destination) | meaning |",
        "|---|---|---|---|---|",
    ]
    for status in lifecycle.statuses:
        moves = "; ".join(
            f"`{event}` → {', '.join(_cell(d) for d in dests)}"
            for event, dests in lifecycle.table[status].items()
        )
        lines.append(
            f"| `{_cell(str(status))}` | `{status.name}` | {_kinds(lifecycle, status)} "
            f"| {moves or 'none (absorbing)'} | {_cell(lifecycle.descriptions.get(status, ''))} |"
        )
    lines += ["", "### Events", "", "| event | from | to | meaning |", "|---|---|---|---|"]
    for name in lifecycle.event_names:
        specs = [spec for spec in lifecycle.events if spec.name == name]
        sources = dict.fromkeys(s for spec in specs for s in spec.sources)
        dests = dict.fromkeys(d for spec in specs for d in spec.dests)
        meaning = " ".join(spec.description for spec in specs if spec.description)
        lines.append(
            f"| `{name}` | {', '.join(map(_cell, sources))} ({len(sources)}) "
            f"| {', '.join(map(_cell, dests))} | {_cell(meaning)} |"
        )
    lines += ["", "### Diagram", "", _grouping_note(lifecycle), "", mermaid_block(lifecycle)]
    return "\n".join(lines)


def _grouping_note(lifecycle: Lifecycle) -> str:
    """What the grouped view did, in one sentence with its arrow counts."""
    view = grouped_view(lifecycle)
    pairs = len({(e.source, e.dest) for e in lifecycle.edges})
    boxes = ", ".join(f"*{g.label}*" for g in view.groups) or "none"
    return (
        f"Statuses that share an exit are drawn in one box and the exit once "
        f"(boxes: {boxes}), so the diagram draws {len(view.arrows)} arrows "
        f"for the {pairs} (source, destination) edges; `jobfsm diagram --full` "
        "draws one arrow per edge."
    )


def diagram_section(lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """A legend, then :func:`mermaid_block` (the README's diagram section)."""
    legend = (
        f"Generated from the lifecycle value `{lifecycle.name}` "
        "(blue: active, orange: needs attention, grey: terminal; "
        "regenerate with `python -m jobfsm.docgen README.md`). " + _grouping_note(lifecycle)
    )
    return f"{legend}\n\n{mermaid_block(lifecycle)}"


def profile_markdown(name: str) -> str:
    """The generated part of a built-in profile's documentation.

    Its sources, its tables and diagram (:func:`lifecycle_markdown`), its
    aliases and its mapping onto another lifecycle.
    """
    from jobfsm.profiles import profile_path, resolve

    lifecycle = resolve(name)
    lines = [f"Profile `{name}` (file `jobfsm/profiles/{profile_path(name).name}`). Sources:", ""]
    lines += [f"- <{source}>" for source in lifecycle.sources]
    lines += ["", lifecycle_markdown(lifecycle)]
    if lifecycle.aliases:
        lines += ["### Aliases", "", "| spelling | read as |", "|---|---|"]
        lines += [f"| `{_cell(a)}` | `{_cell(s)}` |" for a, s in lifecycle.aliases.items()]
        lines.append("")
    mapping = lifecycle.maps_to
    if mapping is not None:
        target = _cell(mapping.target.name)
        lines += [
            f"### In {target} terms",
            "",
            f"Mapped onto `{mapping.ref}`; the mapping is checked when the profile loads.",
            "",
            f"| status | {target} status |",
            "|---|---|",
        ]
        lines += [f"| `{_cell(s)}` | `{_cell(t)}` |" for s, t in mapping.statuses]
        lines.append("")
    return "\n".join(lines)


_PROFILE_SECTION = re.compile(
    r"(<!-- profile:([A-Za-z0-9_.-]+):start -->\n).*?(<!-- profile:\2:end -->)", re.DOTALL
)

#: Marker name -> generator of that section's content, for :func:`refresh_markdown`.
SECTIONS: dict[str, Callable[[Lifecycle], str]] = {
    "lifecycle": lifecycle_markdown,
    "diagram": diagram_section,
}


def _log(path: str) -> EventLog:
    from jobfsm.eventlog import EventLog

    fmt: Literal["jsonl", "csv"] = "csv" if path.lower().endswith(".csv") else "jsonl"
    return EventLog(path, fmt, name=path)


def processmap_section(path: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """The process map of the log at *path*, as ``jobfsm diagram --log`` prints it."""
    from jobfsm import processmap

    pm = processmap.process_map(
        _log(path), lifecycle, title=f"{os.path.basename(path)}: process map"
    )
    return f"```mermaid\n{processmap.to_mermaid(pm)}```\n"


def stats_section(path: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """The ``jobfsm stats`` report of the log at *path*, as a console block."""
    from jobfsm.stats import stats_text, time_in_status

    report = stats_text(time_in_status(_log(path), lifecycle), path)
    return f"```console\n$ jobfsm stats {path}\n{report}```\n"


def timeline_section(path: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """The Mermaid timeline of every job of the log at *path*, in order of appearance."""
    from jobfsm import timeline
    from jobfsm.logscan import LogScan

    scan = LogScan(_log(path), lifecycle)
    for _ in scan:
        pass
    bars = timeline.timelines(_log(path), list(scan.jobs), lifecycle)
    title = f"{os.path.basename(path)}: timeline"
    return f"```mermaid\n{timeline.to_gantt(bars, lifecycle, title=title)}```\n"


#: Marker name -> generator of a section about the event log named in the marker.
LOG_SECTIONS: dict[str, Callable[[str, Lifecycle], str]] = {
    "processmap": processmap_section,
    "stats": stats_section,
    "timeline": timeline_section,
}


def refresh_markdown(text: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> str:
    """Replace every ``<!-- NAME:start -->``/``<!-- NAME:end -->`` section of :data:`SECTIONS`,
    and every ``<!-- NAME:FILE:start -->`` section of :data:`LOG_SECTIONS`.

    ``<!-- profile:PROFILE:start -->`` sections get :func:`profile_markdown`.

    Text outside the markers is kept byte for byte; a file without markers is
    returned unchanged.

    Args:
        text: Markdown text.
        lifecycle: The lifecycle the sections describe.
    """
    for name, generate in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        content = generate(lifecycle)

        def fill(match: re.Match[str], content: str = content) -> str:
            return match.group(1) + content + match.group(2)

        text = pattern.sub(fill, text)
    for name, make in LOG_SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- {name}:([^\n]+?):start -->\n).*?(<!-- {name}:\2:end -->)", re.DOTALL
        )

        def fill_log(match: re.Match[str], make: Callable[[str, Lifecycle], str] = make) -> str:
            return match.group(1) + make(match.group(2), lifecycle) + match.group(3)

        text = pattern.sub(fill_log, text)

    def fill_profile(match: re.Match[str]) -> str:
        return match.group(1) + profile_markdown(match.group(2)) + match.group(3)

    return _PROFILE_SECTION.sub(fill_profile, text)


def _refresh_file(path: Path) -> None:
    old = path.read_text(encoding="utf-8")
    new = refresh_markdown(old)
    if new == old:
        return
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".jobfsm-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(new)
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh the generated sections of the Markdown files named in *argv*."""
    paths = list(sys.argv[1:] if argv is None else argv)
    for path in paths:
        _refresh_file(Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
