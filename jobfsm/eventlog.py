"""Read event logs (JSON Lines or CSV) lazily, line by line.

A reader yields ``(line, row)`` pairs, ``line`` being the 1-based line where the
event starts. A malformed line (not JSON, not an object, a CSV row with the
wrong number of fields) does not stop reading: it is recorded in
:attr:`EventLog.errors` and the next line is read. Only a file that is not
UTF-8 text stops reading, with :class:`~jobfsm.errors.EventLogError`.

The reading of one line, the input errors and the row helpers the validation
loops use live in :mod:`jobfsm._eventlines`; they are re-exported here.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Literal

from jobfsm._eventlines import (
    _FAILED,
    _SCAN,
    MalformedEvent,
    _decoding_line,
    _fast_errors,
    _load_line,
    _LogText,
    _parse_line,
)
from jobfsm._eventlines import CleanBatch as CleanBatch
from jobfsm._eventlines import job_text as job_text
from jobfsm._eventlines import malformed as malformed
from jobfsm._eventlines import text_stream as text_stream
from jobfsm.errors import EventLogError

__all__ = ["EventLog", "MalformedEvent", "read_csv", "read_jsonl"]

Source = str | os.PathLike[str] | IO[str]


class EventLog:
    """An event log read lazily: iterate for ``(line, row)`` pairs.

    Iterating opens the file (a path) or reads the stream, and closes a file it
    opened when done. Malformed lines are appended to :attr:`errors` while
    iterating.

    Args:
        source: A path, or an open text stream (for CSV, opened with ``newline=""``).
        format: ``"jsonl"`` or ``"csv"``.
        required: For CSV, columns the header must have; when one is missing
            the header is reported once and no row is read.
        name: How messages name the source (default: the path, or ``<stream>``).
    """

    def __init__(
        self,
        source: Source,
        format: Literal["jsonl", "csv"],
        *,
        required: Sequence[str] = (),
        name: str | None = None,
        opens_file: bool = True,
    ) -> None:
        if format not in ("jsonl", "csv"):
            raise ValueError(f"format must be 'jsonl' or 'csv', got {format!r}")
        self.source = source
        self.format = format
        self.required = tuple(required)
        if name is None:
            name = os.fspath(source) if isinstance(source, str | os.PathLike) else "<stream>"
        self.name = name
        self.errors: list[MalformedEvent] = []
        #: Lines read by the last pass (blank and malformed ones included).
        self.lines_read = 0
        # Whether the stream starts the file (a byte order mark may open it),
        # as opposed to a segment of a file read by a worker.
        self._opens_file = opens_file
        self._lines_read = 0  # CSV lines read before a decoding error

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return self._read()

    def pairs(
        self, job_key: str, status_key: str, time_key: str | None
    ) -> tuple[Iterator[tuple[int, Any]], type | None]:
        """``(line, row)`` pairs for validation, and the type of the rows decoded fast.

        With the optional fast decoder installed, a JSON line whose job,
        status and time are plain (strings, numbers) is read by it into an
        object with ``job``, ``status`` and ``time`` attributes; every other
        line is read by the standard library, as :meth:`__iter__` does.
        """
        fast = self._fast_decoder(job_key, status_key, time_key)
        if fast is None:
            return self._read(), None
        if self._reads_blocks():
            return itertools.chain.from_iterable(self._chunks(fast[0])), fast[1]
        return self._read(fast[0]), fast[1]

    def batches(
        self, job_key: str, status_key: str, time_key: str | None
    ) -> tuple[Iterator[Iterable[tuple[int, Any]]] | None, type | None]:
        """The pairs of :meth:`pairs` in batches (a block of the file each), where it reads so.

        A batch the fast decoder read whole is a :class:`CleanBatch`: no line
        of it was malformed. ``(None, None)`` when the log is not read in
        blocks (no fast decoder, a CSV log, a stream of text).
        """
        fast = self._fast_decoder(job_key, status_key, time_key) if self._reads_blocks() else None
        if fast is None:
            return None, None
        return self._chunks(fast[0]), fast[1]

    def _fast_decoder(
        self, job_key: str, status_key: str, time_key: str | None
    ) -> tuple[Callable[[str], Any], type] | None:
        """The fast decoder for a JSON Lines log worth it, else ``None``."""
        if self.format != "jsonl" or not self._worth_a_fast_reader():
            return None
        from jobfsm import _fastjson  # imports msgspec: only for logs worth it

        return _fastjson.decoder(job_key, status_key, time_key)

    def _reads_blocks(self) -> bool:
        """Whether the bytes can be read a megabyte at a time (a path, or a fresh text_stream)."""
        source = self.source
        return isinstance(source, str | os.PathLike) or type(source) is _LogText

    def _worth_a_fast_reader(self) -> bool:
        """Whether the log may be large: a regular file below 1 MiB is read as fast without it."""
        source = self.source
        try:
            if isinstance(source, str | os.PathLike):
                info = os.stat(source)
            elif type(source) is _LogText:
                info = os.fstat(source.buffer.fileno())
            else:
                return True
        except (OSError, AttributeError, ValueError):
            return True
        return not stat.S_ISREG(info.st_mode) or info.st_size >= _FAST_MIN_BYTES

    def _chunks(self, fast: Any) -> Iterator[Iterable[tuple[int, Any]]]:
        """Batches of ``(line, row)`` pairs, read as :meth:`_read` reads them, only faster.

        The bytes are read in large blocks cut after their last newline, so
        no line and no UTF-8 character is cut; a block is decoded at once and
        split at line ends as a text stream splits them (``\n``, ``\r\n``,
        ``\r``). When the fast decoder takes every line of a block, the pairs
        are made without a Python loop; otherwise each line is read on its own.
        """
        self.errors.clear()
        source = self.source
        opened = isinstance(source, str | os.PathLike)
        # A path is opened here; a fresh _LogText (nothing read yet) lends its bytes.
        raw: IO[bytes] = (
            open(source, "rb")  # noqa: SIM115 - closed below
            if isinstance(source, str | os.PathLike)
            else source.buffer  # type: ignore[attr-defined]
        )
        read = getattr(raw, "read1", raw.read)
        fast_errors = _fast_errors()
        number = 0
        rest = b""
        first = self._opens_file
        try:
            while True:
                block = read(_BLOCK)
                data = rest + block if rest else block
                if block:
                    cut = data.rfind(b"\n") + 1
                    if not cut:
                        rest = data
                        continue
                    chunk, rest = data[:cut], data[cut:]
                else:
                    chunk, rest = data, b""
                    if not chunk:
                        break
                if first:
                    chunk = chunk.removeprefix(codecs.BOM_UTF8)  # as utf-8-sig reads it
                    first = False
                try:
                    text = chunk.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if isinstance(source, str | os.PathLike):
                        raise self._not_utf8(exc, self._bad_line()) from None
                    raise self._not_utf8(exc, _decoding_line(exc, number)) from None
                if "\r" in text:
                    lines = io.StringIO(text, newline="").readlines()
                    bare = open_end = False
                else:  # the usual case: split in C, line ends dropped (the decoder skips them)
                    lines = text.split("\n")
                    bare = True
                    open_end = lines[-1] != ""  # the log's last line has no line end
                    if not open_end:
                        lines.pop()
                try:
                    rows = list(map(fast, lines))
                except fast_errors:
                    yield self._lines(lines, number, fast, fast_errors, bare, open_end)
                else:
                    yield CleanBatch(number + 1, rows)
                number += len(lines)
                if not block:
                    break
            self.lines_read = number
        finally:
            if opened:
                raw.close()

    def _lines(
        self,
        lines: list[str],
        number: int,
        fast: Any,
        fast_errors: tuple[type[BaseException], ...],
        bare: bool,
        open_end: bool,
    ) -> list[tuple[int, Any]]:
        """Pairs of *lines* (numbered after *number*), each read on its own.

        *bare* lines lost their line end, which is put back (but for the last
        one when *open_end*), so that error messages are those of a text stream.
        """
        pairs = []
        last = len(lines) - 1
        for index, text in enumerate(lines):
            line = number + 1 + index
            try:
                pairs.append((line, fast(text)))
                continue
            except fast_errors:
                pass
            if bare and not (open_end and index == last):
                text += "\n"
            row = _parse_line(text, line, self.errors, self._opens_file)
            if row is not _FAILED:
                pairs.append((line, row))
        return pairs

    def _not_utf8(self, exc: UnicodeDecodeError, line: int | None) -> EventLogError:
        return EventLogError(
            f"not UTF-8 text ({exc.reason}, byte {exc.object[exc.start]:#04x})",
            source=self.name,
            line=line,
        )

    def _read(self, fast: Any = None) -> Iterator[tuple[int, Any]]:
        self.errors.clear()  # a second pass reports its own errors, not twice the first's
        source = self.source
        stream = (
            open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
            if isinstance(source, str | os.PathLike)
            else source
        )
        try:
            if self.format == "csv":
                yield from self._csv_rows(stream, self.errors)
                return
            # JSON Lines, inline: this loop runs once per event.
            errors = self.errors
            scan = _SCAN
            number = 0
            fast_errors = _fast_errors() if fast is not None else ()
            for number, text in enumerate(stream, 1):
                if fast is not None:
                    try:
                        row = fast(text)
                    except fast_errors:
                        pass  # anything it does not take is read as below
                    else:
                        yield number, row
                        continue
                try:
                    row, end = scan(text, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = -1
                if end < 0 or text[end:] != "\n":
                    # Anything unusual (spaces, \r\n, no final newline, an error)
                    # goes through json.loads, which also words the error.
                    if number == 1 and self._opens_file and text.startswith("\ufeff"):
                        text = text[1:]  # a stream decoded as UTF-8 kept the byte order mark
                    row = _load_line(text, number, errors)
                    if row is _FAILED:
                        continue
                if type(row) is not dict:
                    errors.append(
                        MalformedEvent(number, f"expected a JSON object, got {type(row).__name__}")
                    )
                    continue
                yield number, row
            self.lines_read = number
        except UnicodeDecodeError as exc:
            if isinstance(source, str | os.PathLike):
                line = self._bad_line()
            else:
                read = number if self.format == "jsonl" else self._lines_read
                line = _decoding_line(exc, read)
            raise self._not_utf8(exc, line) from None
        finally:
            if stream is not source:
                stream.close()

    def _bad_line(self) -> int | None:
        """The first line of the file that is not UTF-8 (a path only; streams are gone)."""
        if not isinstance(self.source, str | os.PathLike):
            return None
        with open(self.source, "rb") as raw:
            for number, data in enumerate(raw, 1):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return None  # pragma: no cover - only called after a decoding error

    def _csv_rows(
        self, stream: IO[str], errors: list[MalformedEvent]
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        import csv  # only CSV logs pay for it

        # strict: a quote left open is an error, not a field swallowing the rest of the file
        reader = csv.reader(stream, strict=True)
        header: list[str] | None = None
        spaced = False  # `job, status`: the values are written `a, Running` too
        done = 0  # physical lines consumed before the current record
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                self._lines_read = reader.line_num
                raise
            except csv.Error as exc:
                detail = (
                    "a quoted field opened on this line is never closed"
                    if str(exc) == "unexpected end of data"
                    else str(exc)
                )
                errors.append(MalformedEvent(done + 1, f"bad CSV row: {detail}"))
                done = reader.line_num
                continue
            line, done = done + 1, reader.line_num
            if not fields or fields == [""]:
                continue  # blank line
            if header is None:
                # A stream decoded as UTF-8 (not UTF-8-sig) keeps the byte order mark.
                fields[0] = fields[0].removeprefix("\ufeff")
                header = [f.strip() for f in fields]
                spaced = header != fields
                missing = [k for k in self.required if k not in header]
                # dict(zip(...)) would keep the last of a repeated column silently
                twice = [k for k in self.required if header.count(k) > 1]
                if missing or twice:
                    problem = (
                        "no column " + ", ".join(repr(k) for k in missing)
                        if missing
                        else f"column {twice[0]!r} twice"
                    )
                    columns = ", ".join(repr(h) for h in header)
                    errors.append(
                        MalformedEvent(line, f"the CSV header has {problem} (columns: {columns})")
                    )
                    return
                continue
            if len(fields) != len(header):
                count = f"{len(fields)} field" + ("" if len(fields) == 1 else "s")
                errors.append(
                    MalformedEvent(
                        line,
                        f"bad CSV row: {count}, the header has {len(header)} ({', '.join(header)})",
                    )
                )
                continue
            if spaced:
                fields = [f.strip() for f in fields]
            yield line, dict(zip(header, fields, strict=True))


#: Bytes read at a time by the fast reader.
_BLOCK = 1 << 20
#: Regular files smaller than this are read without the fast reader (its import costs more).
_FAST_MIN_BYTES = 1 << 20


def read_jsonl(source: Source, *, name: str | None = None) -> EventLog:
    """An :class:`EventLog` over a JSON Lines file or text stream (one object a line)."""
    return EventLog(source, "jsonl", name=name)


def read_csv(source: Source, *, required: Sequence[str] = (), name: str | None = None) -> EventLog:
    """An :class:`EventLog` over a CSV file or text stream whose first row is a header."""
    return EventLog(source, "csv", required=required, name=name)
