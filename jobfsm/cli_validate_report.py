"""How ``jobfsm validate`` words its report: text lines, JSON, and hints about the input."""

from __future__ import annotations

import argparse
import heapq
import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobfsm._judge import Violation
    from jobfsm.eventlog import MalformedEvent
    from jobfsm.validate import Report

__all__ = ["hints", "json_report", "text_report"]


def hints(args: argparse.Namespace, input_format: str, head: bytes) -> list[str]:
    """Likely causes of input errors, from the first bytes of the input."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.lstrip().split("\n", 1)[0].strip()
    hints = []
    if input_format == "jsonl" and text.lstrip().startswith("["):
        hints.append(
            "the input looks like one JSON array; jobfsm reads JSON Lines, one object per "
            "line (convert with: jq -c '.[]' FILE)"
        )
    elif (
        input_format == "jsonl"
        and args.input_format is None
        and "," in first
        and not (first.startswith("{"))
    ):
        hints.append("the input looks like CSV; pass --input-format csv")
        input_format = "csv"
    if input_format == "csv" and first:
        header = [column.strip().strip('"') for column in first.split(",")]
        for option, key in (("--job-key", args.job_key), ("--status-key", args.status_key)):
            if key in header:
                continue
            near = [c for c in header if c.lower() == key.lower()]
            if near:
                hints.append(f"the header has {near[0]!r}: pass {option} {near[0]}")
    return hints


def json_report(
    args: argparse.Namespace,
    name: str,
    report: Report,
    stopped: bool,
    hints: list[str],
    lifecycle: str,
) -> dict[str, Any]:
    from jobfsm._judge import Reason

    counts = {str(reason): 0 for reason in Reason}
    for violation in report.violations:
        counts[str(violation.reason)] += 1
    counts["input_errors"] = len(report.input_errors)
    data = report.to_dict(lazy=True)
    data.update(
        {
            "file": name,
            "mode": report.mode,
            "lifecycle": lifecycle,
            "empty": report.events == 0 and not report.input_errors,
            "counts": counts,
            "gaps": [
                {
                    "job": gap.job,
                    "index": gap.index,
                    "line": gap.line,
                    "from": str(gap.from_),
                    "to": str(gap.to),
                    "skipped": [str(s) for s in gap.skipped],
                }
                for gap in report.gaps
            ],
            "stopped_after_errors": args.max_errors if stopped else None,
            "hints": hints,
        }
    )
    return data


def text_report(
    name: str, report: Report, stopped: bool = False, max_errors: int = 0
) -> Iterator[str]:
    """One line per violation or input error, in line order, then a summary.

    The lines are made as they are written: the violations are put in line
    order by reference (one small key each), never as a list of texts.
    """
    from jobfsm.eventlog import MalformedEvent

    errors: list[MalformedEvent | Violation] = sorted(report.input_errors, key=_line_key)
    violations: Sequence[MalformedEvent | Violation] = report.violations
    if any(_line_key(a) > _line_key(b) for a, b in itertools.pairwise(violations)):
        violations = tuple(sorted(violations, key=_line_key))  # stable: ties keep their order
    # An input error comes before a violation of the same line, as it is read first.
    for item in heapq.merge(errors, violations, key=_line_key):
        if isinstance(item, MalformedEvent):
            where = f"{name}:{item.line}" if item.line is not None else name
            yield _escaped(f"{where}: input error: {item.message}") + "\n"
            continue
        allowed = ", ".join(item.allowed) or "none"
        where = f"{name}:{item.line}" if item.line is not None else name
        job, to = _shown(item.job), _shown(item.to) if item.to else "-"
        yield (
            _escaped(
                f"{where}: job {job}: index {item.index}: {item.from_ or '-'} -> {to}: "
                f"{item.reason}: {item.message} (allowed: {allowed})"
            )
            + "\n"
        )
    scope = (
        f"{_plural(report.events, 'event')} of {_plural(report.jobs, 'job')}, {report.mode} mode"
    )
    if stopped:
        yield (
            f"{name}: stopped after {max_errors} input errors (--max-errors); the figures "
            "below cover the lines read until then\n"
        )
    if report.ok and report.events == 0:
        yield f"{name}: empty: no events to check\n"
        return
    if report.ok:
        yield f"{name}: ok: no violations ({scope})\n"
        return
    bad_jobs = len({v.job for v in report.violations})
    yield (
        f"{name}: {_plural(len(report.violations), 'violation')} in "
        f"{_plural(bad_jobs, 'job')}, {_plural(len(report.input_errors), 'input error')} "
        f"({scope})\n"
    )


def _line_key(item: MalformedEvent | Violation) -> int:
    return item.line or 0


def _escaped(text: str) -> str:
    """*text* with control characters (a CR in a padded time) written as escapes,
    so that each report line stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _shown(value: str | None) -> str:
    """*value* as is, or quoted when a line break or edge spaces would hide or split it."""
    if value is None:
        return "None"
    text = str(value)
    return text if text.isprintable() and text == text.strip() and text else repr(text)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
