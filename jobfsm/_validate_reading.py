"""What ``jobfsm validate`` reads: the events, stopped after ``--max-errors``, with progress."""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = ["PROGRESS_MIN_BYTES", "Position", "Reading"]

#: Files at least this large show progress on a terminal (stdin always does).
PROGRESS_MIN_BYTES = 16 * 1024 * 1024
_PROGRESS_EVERY = 200_000


class Position:
    """How far reading has got in the binary input, and its first bytes (for hints)."""

    def __init__(self, binary: IO[bytes], head: bytes) -> None:
        self.binary = binary
        self.head = head

    def offset(self) -> int | None:
        try:
            return self.binary.tell()
        except (OSError, ValueError):
            return None


class Reading:
    """The log's events, stopped after ``--max-errors`` input errors, with progress."""

    def __init__(
        self,
        log: Any,
        args: argparse.Namespace,
        size: int | None,
        where: Position,
        progress: bool,
    ) -> None:
        self.log, self.args, self.size, self.where, self.progress = log, args, size, where, progress
        self.stopped = False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return self._limited(iter(self.log))

    def _validation_pairs(
        self, job_key: str, status_key: str, time_key: str | None
    ) -> tuple[Iterator[tuple[int, Any]], Any]:
        """The log's pairs for validate_events (the fast reader's, where installed)."""
        from jobfsm.eventlog import EventLog

        if not isinstance(self.log, EventLog):
            return iter(self), None
        batches, fast_type = self.log.batches(job_key, status_key, time_key)
        if batches is not None:
            return itertools.chain.from_iterable(self._limited_batches(batches)), fast_type
        pairs, fast_type = self.log.pairs(job_key, status_key, time_key)
        return self._limited(pairs), fast_type

    def _limited_batches(self, batches: Iterator[Iterable[tuple[int, Any]]]) -> Iterator[Any]:
        """:meth:`_limited` a batch at a time: a clean batch is handed on as it is.

        A clean batch has no input error and no row without a key, so the
        counts cannot change inside it; they are checked at its first event,
        as :meth:`_limited` checks them at each.
        """
        from jobfsm.eventlog import CleanBatch

        limit, errors = self.args.max_errors, self.log.errors
        started = time.monotonic()
        count = 0  # events handed on
        for batch in batches:
            if type(batch) is not CleanBatch:
                pairs = list(self._limited(iter(batch), count, started))
                count += len(pairs)
                yield pairs
                if self.stopped:
                    return
                continue
            if not batch.size:
                continue
            before = len(errors)  # every error so far is on an earlier line
            if limit and before + self._missing > limit:
                self.stopped = True
                return
            if limit and before + self._missing >= limit:
                yield [next(batch)]  # the check after the first event stops here
                self.stopped = True
                return
            if self.progress and (count + batch.size) // _PROGRESS_EVERY > count // _PROGRESS_EVERY:
                done = (count + batch.size) // _PROGRESS_EVERY * _PROGRESS_EVERY
                show_progress(done, time.monotonic() - started, self.where.offset(), self.size)
            count += batch.size
            yield batch

    _missing = 0  # rows without the job or status key so far: each is an input error

    def _limited(
        self, pairs: Iterator[tuple[int, Any]], done: int = 0, started: float | None = None
    ) -> Iterator[tuple[int, Any]]:
        """The pairs, stopped after ``--max-errors`` input errors, with progress (after *done*)."""
        limit, keys = self.args.max_errors, (self.args.job_key, self.args.status_key)
        errors = self.log.errors
        before = 0  # input errors on lines before the current one (a reader may run ahead)
        missing = self._missing
        if started is None:
            started = time.monotonic()
        try:
            for count, (line, row) in enumerate(pairs, done + 1):
                while before < len(errors) and (errors[before].line or 0) < line:
                    before += 1
                if isinstance(row, dict) and (keys[0] not in row or keys[1] not in row):
                    missing += 1
                if limit and before + missing > limit:
                    self.stopped = True
                    return
                if self.progress and count % _PROGRESS_EVERY == 0:
                    offset = self.where.offset()
                    show_progress(count, time.monotonic() - started, offset, self.size)
                yield line, row
                if limit and before + missing >= limit:
                    self.stopped = True
                    return
        finally:
            self._missing = missing


def show_progress(count: int, seconds: float, offset: int | None, size: int | None) -> None:
    """Write the progress line: the share of the file read (or the events), and the rate."""
    rate = f", {count / seconds:,.0f} events/s" if seconds > 0 else ""
    if size and offset is not None:
        done = f"{min(offset / size, 1.0):.0%} ({count:,} events{rate})"
    else:
        done = f"{count:,} events read{rate.replace(', ', ' (', 1) + ')' if rate else ''}"
    sys.stderr.write(f"\rjobfsm: {done}")
    sys.stderr.flush()
