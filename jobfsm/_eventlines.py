"""The line-level pieces of reading an event log: one line, one row, one input error.

:class:`~jobfsm.eventlog.EventLog` hands each JSON line that is not plain to
the helpers here (the C scanner, ``json.loads`` and the wording of its
errors), and yields the batches the fast decoder read whole as
:class:`CleanBatch`. :func:`text_stream` makes the text stream whose bytes the
fast reader may read directly. The row helpers (the text a job is known by,
the message for a row that is not an event) serve the validation loops,
whatever the rows come from.

None of this needs the reader's state, so it lives apart from the reader
class. :class:`MalformedEvent` is defined here because both sides make it;
its public home, where reprs, pickles and the documentation name it, is
:mod:`jobfsm.eventlog`, which re-exports the names used elsewhere.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import IO, Any

import attrs


@attrs.frozen
class MalformedEvent:
    """A line (or event) that could not be read; an input error, not a violation.

    Args:
        line: 1-based line in the file (``None`` for events given without lines).
        message: What is wrong and what was expected.
    """

    __module__ = "jobfsm.eventlog"  # where it is documented, and pickled from

    line: int | None
    message: str


def _decoding_line(exc: UnicodeDecodeError, lines_read: int) -> int | None:
    """The line of a text stream holding the bytes that failed to decode.

    A text stream decodes a chunk at a time and hands out every line before
    it first, so the bad line is the next one plus the line ends (``\n``,
    ``\r\n`` or ``\r``, as the stream splits lines) in the chunk before the
    bad byte.
    """
    if not isinstance(exc.object, bytes):  # pragma: no cover - text streams decode bytes
        return None
    before = exc.object[: exc.start]
    ends = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
    return lines_read + 1 + ends


def _fast_errors() -> tuple[type[BaseException], ...]:
    from jobfsm._fastjson import ERRORS

    return ERRORS


#: The C scanner behind json.loads, called directly to skip its per-call checks.
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_FAILED = object()


def _parse_line(text: str, number: int, errors: list[MalformedEvent], opens_file: bool) -> Any:
    """The object on one JSON line, as the reading loop of EventLog reads it, or _FAILED."""
    try:
        row, end = _SCAN(text, 0)
    except (StopIteration, ValueError, RecursionError):
        end = -1
    if end < 0 or text[end:] != "\n":
        if number == 1 and opens_file and text.startswith("\ufeff"):
            text = text[1:]  # a stream decoded as UTF-8 kept the byte order mark
        row = _load_line(text, number, errors)
        if row is _FAILED:
            return row
    if type(row) is not dict:
        errors.append(MalformedEvent(number, f"expected a JSON object, got {type(row).__name__}"))
        return _FAILED
    return row


def _load_line(text: str, number: int, errors: list[MalformedEvent]) -> Any:
    """``json.loads(text)``; on failure record why (blank lines are skipped), return _FAILED."""
    try:
        return json.loads(text)
    except ValueError as exc:
        if text.strip():
            detail = (
                f"{exc.msg} (column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else str(exc)
            )
            errors.append(MalformedEvent(number, f"not valid JSON: {detail}"))
    except RecursionError:
        errors.append(MalformedEvent(number, "not valid JSON: nested too deeply"))
    return _FAILED


class CleanBatch(zip):  # type: ignore[type-arg]
    """``(line, row)`` pairs of consecutive lines, every one read by the fast decoder."""

    __slots__ = ("first", "size")

    def __new__(cls, first: int, rows: list[Any]) -> CleanBatch:
        batch: CleanBatch = super().__new__(  # type: ignore[assignment]
            cls, range(first, first + len(rows)), rows, strict=True
        )
        batch.first, batch.size = first, len(rows)
        return batch

    first: int
    size: int


class _LogText(io.TextIOWrapper):
    """A text stream made by :func:`text_stream`: the fast reader may read its bytes directly."""


def text_stream(binary: IO[bytes], *, opens_file: bool = True) -> IO[str]:
    """Wrap a binary stream (such as ``sys.stdin.buffer``) the way files are opened."""
    return _LogText(binary, encoding="utf-8-sig" if opens_file else "utf-8", newline="")


# -- rows ------------------------------------------------------------------------


def job_text(job: object) -> str:
    """The text a job is known by, so that job ``1`` and job ``"1"`` are one job.

    Raises:
        TypeError: *job* is neither a string nor a number (booleans are not numbers here).
    """
    if isinstance(job, str | int | float) and not isinstance(job, bool):
        return str(job)
    raise TypeError(f"a job key must be a string or a number, got {job!r}")


def _where(line: int | None, count: int) -> str:
    return "" if line is not None else f"event {count + 1}: "


def malformed(
    line: int | None, count: int, row: Any, job_key: str, status_key: str
) -> MalformedEvent:
    where = _where(line, count)
    if getattr(row, "_jobfsm_event", False):  # a line the fast decoder read
        row = {job_key: row.job, status_key: row.status}
    if not isinstance(row, Mapping):
        return MalformedEvent(line, f"{where}expected a mapping, got {type(row).__name__}")
    keys = ", ".join(repr(str(k)) for k in row) or "none"
    for key in (job_key, status_key):
        if key not in row:
            return MalformedEvent(line, f"{where}missing key {key!r} (keys: {keys})")
    job, status = row[job_key], row[status_key]
    if job == "" or not isinstance(job, str | int | float) or isinstance(job, bool):
        return MalformedEvent(
            line, f"{where}{job_key!r} must be a non-empty string or number, got {job!r}"
        )
    return MalformedEvent(line, f"{where}{status_key!r} must be a non-empty string, got {status!r}")
