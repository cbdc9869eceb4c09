"""Read event logs held in Arrow memory or in Parquet files, a record batch at a time.

:class:`ArrowEventLog` turns a Parquet file, a folder of Parquet files, an
Arrow table or a record-batch reader into the ``(row, mapping)`` pairs that
:func:`jobfsm.validate.validate_events` reads from JSON Lines and CSV, so the
rules and the report are the same for every format. Where a text log has
lines, a columnar one has rows: ``row`` is the 1-based row number, counted
across the files of a folder taken in path order.

Only the columns validation reads (job, status, time) are decoded, one record
batch at a time, so memory stays bounded by a batch and the jobs. pyarrow is
imported on first use: it is the optional extra ``jobfsm[arrow]``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from jobfsm.errors import EventLogError, MissingExtraError
from jobfsm.eventlog import MalformedEvent

# arrow_events, is_columnar and pyarrow serve validate_events and jobfsm.spark.
__all__ = ["ArrowEventLog", "read_arrow", "read_parquet"]

#: Rows decoded at once when reading Parquet.
BATCH_ROWS = 64 * 1024


def pyarrow() -> ModuleType:
    """The pyarrow module, or an error naming the extra that installs it.

    Raises:
        MissingExtraError: pyarrow is not installed.
    """
    try:
        import pyarrow as pa
    except ImportError:
        raise MissingExtraError("pyarrow", "arrow", "reading Parquet and Arrow event logs")
    module: ModuleType = pa
    return module


class ArrowEventLog:
    """A columnar event log read lazily: iterate for ``(row, mapping)`` pairs.

    Args:
        source: A Parquet file or a folder of Parquet files (hive-style
            ``key=value`` sub-folders become columns), a ``pyarrow.Table``, a
            ``pyarrow.RecordBatch``, a ``pyarrow.RecordBatchReader`` or an
            iterable of record batches. A reader or iterator is read once.
        columns: The columns to decode (default: all). Names the source lacks
            are left out of the mappings, as a CSV without a time column.
        required: Columns the source must have; when one is missing it is
            reported once in :attr:`errors` and no row is read.
        name: How messages name the source (default: the path, or ``<arrow>``).
    """

    def __init__(
        self,
        source: Any,
        *,
        columns: Sequence[str] | None = None,
        required: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self.source = source
        self.columns = None if columns is None else tuple(dict.fromkeys(columns))
        self.required = tuple(required)
        if name is None:
            name = os.fspath(source) if isinstance(source, str | os.PathLike) else "<arrow>"
        self.name = name
        self.errors: list[MalformedEvent] = []

    def select(self, columns: Sequence[str], *, required: Sequence[str] = ()) -> ArrowEventLog:
        """The same source, decoding only *columns* (and requiring *required*)."""
        return ArrowEventLog(self.source, columns=columns, required=required, name=self.name)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return self._read()

    def _read(self) -> Iterator[tuple[int, dict[str, Any]]]:
        self.errors.clear()
        pa = pyarrow()
        try:
            schema, batches = _open(pa, self.source, self.name)
            names = list(schema.names)
            missing = [k for k in self.required if k not in names]
            if missing:
                columns = ", ".join(repr(n) for n in names) or "none"
                wanted = ", ".join(repr(k) for k in missing)
                self.errors.append(
                    MalformedEvent(
                        None,
                        f"the table has no column{'s' if len(missing) > 1 else ''} {wanted} "
                        f"(columns: {columns})",
                    )
                )
                return
            wanted_names = [c for c in self.columns or names if c in names]
            row = 0
            for batch in batches(wanted_names):
                values = [_values(pa, batch.column(name)) for name in wanted_names]
                yield from zip(itertools.count(row + 1), _mappings(wanted_names, values))
                row += batch.num_rows
        except pa.ArrowException as exc:
            raise EventLogError(f"cannot read as Parquet/Arrow: {exc}", source=self.name) from None


def _open(pa: ModuleType, source: Any, name: str) -> tuple[Any, Any]:
    """The schema of *source* and a function giving its batches for some columns."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if os.path.isdir(path):
            return _open_folder(path)
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)

        def file_batches(columns: list[str]) -> Iterator[Any]:
            try:
                yield from file.iter_batches(batch_size=BATCH_ROWS, columns=columns)
            finally:
                file.close()

        return file.schema_arrow, file_batches
    if isinstance(source, pa.Table):
        table = source
        return table.schema, lambda columns: table.select(columns).to_batches(BATCH_ROWS)
    if isinstance(source, pa.RecordBatch):
        batch = source
        return batch.schema, lambda columns: [batch.select(columns)]
    if isinstance(source, pa.RecordBatchReader):
        reader = source
        return reader.schema, lambda columns: (b.select(columns) for b in reader)
    if isinstance(source, Iterable):
        iterator = iter(source)
        first = next(iterator, None)
        if first is None:
            return pa.schema([]), lambda columns: iter(())
        if not isinstance(first, pa.RecordBatch):
            raise TypeError(f"expected pyarrow record batches, got {type(first).__name__}")

        def chained(columns: list[str]) -> Iterator[Any]:
            yield first.select(columns)
            for batch in iterator:
                yield batch.select(columns)

        return first.schema, chained
    raise TypeError(
        f"{name}: expected a Parquet path, a pyarrow Table, RecordBatch or RecordBatchReader, "
        f"got {type(source).__name__}"
    )


def _open_folder(path: str) -> tuple[Any, Any]:
    """A folder of Parquet files, read file by file in path order."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet", partitioning="hive")
    fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)

    def folder_batches(columns: list[str]) -> Iterator[Any]:
        for fragment in fragments:
            yield from fragment.to_batches(
                columns=columns, schema=dataset.schema, batch_size=BATCH_ROWS, use_threads=False
            )

    return dataset.schema, folder_batches


def _mappings(names: list[str], values: list[list[Any]]) -> Iterator[dict[str, Any]]:
    """One dict per row of the columns *values* (dict displays for the usual widths:
    validation reads two or three columns, and ``dict(zip())`` costs four times more)."""
    if len(names) == 3:
        a, b, c = names
        return ({a: x, b: y, c: z} for x, y, z in zip(*values, strict=True))
    if len(names) == 2:
        a, b = names
        return ({a: x, b: y} for x, y in zip(*values, strict=True))
    return (dict(zip(names, item, strict=True)) for item in zip(*values, strict=True))


def _values(pa: ModuleType, column: Any) -> list[Any]:
    """A column as Python values validation understands.

    Timestamps and dates become :class:`_Instant` seconds (naive ones are UTC;
    nanoseconds are cut to microseconds), compared as numbers and shown as
    ISO-8601; decimals become floats.
    """
    kind = column.type
    types = pa.types
    if types.is_timestamp(kind) or types.is_date(kind):
        import pyarrow.compute as pc

        micros = column.cast(pa.timestamp("us"), safe=False).cast(pa.int64())
        seconds: list[Any] = pc.divide(micros, 1_000_000.0).to_pylist()
        if column.null_count:
            return [None if s is None else _Instant(s) for s in seconds]
        return list(map(_Instant, seconds))
    if types.is_decimal(kind):
        column = column.cast(pa.float64())
    values: list[Any] = column.to_pylist()
    return values


class _Instant(float):
    """A time read from a typed column: POSIX seconds, written as ISO-8601 in UTC.

    Comparing floats is what validation does with numeric times, and costs far
    less than building a ``datetime`` per row; the messages still show a date.
    """

    __slots__ = ()

    def __str__(self) -> str:
        moment = datetime.fromtimestamp(self, UTC)
        return moment.isoformat().replace("+00:00", "Z")

    __repr__ = __str__


def is_columnar(events: object) -> bool:
    """Whether *events* is an Arrow object or an :class:`ArrowEventLog` (imports no pyarrow)."""
    return isinstance(events, ArrowEventLog) or type(events).__module__.startswith("pyarrow")


def arrow_events(events: Any, keys: Sequence[str | None], required: Sequence[str]) -> ArrowEventLog:
    """*events* (an Arrow object or a log) as a log that decodes only *keys*."""
    columns = [k for k in keys if k is not None]
    if isinstance(events, ArrowEventLog):
        return events.select(columns, required=required)
    return ArrowEventLog(events, columns=columns, required=required)


def read_parquet(path: str | os.PathLike[str], *, name: str | None = None) -> ArrowEventLog:
    """An :class:`ArrowEventLog` over a Parquet file or a folder of Parquet files.

    Raises:
        MissingExtraError: pyarrow is not installed (``pip install 'jobfsm[arrow]'``).
    """
    pyarrow()
    return ArrowEventLog(path, name=name)


def read_arrow(source: Any, *, name: str | None = None) -> ArrowEventLog:
    """An :class:`ArrowEventLog` over a pyarrow Table, RecordBatch(es) or RecordBatchReader."""
    pyarrow()
    return ArrowEventLog(source, name=name)
