"""The job store contract: what a backend provides, and the reads every backend shares.

``StoreBase`` holds the configuration, the SQL both databases accept (with the
backend's placeholder and row-lock clause), the hooks a backend implements
(connections, transactions and their retry policy) and the read-only calls.
Writes are in :mod:`jobfsm.store._base`.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

from jobfsm.errors import JobFileStatusError, JobFSMError, JobNotFoundError, UnknownStatusError
from jobfsm.job import Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import engine_for
from jobfsm.store import _document
from jobfsm.store._model import JobRow, Transition, display_target, from_micros, to_micros

__all__ = ["DURABILITY", "StoreBase"]

_T = TypeVar("_T")

#: The durability settings a store accepts (see docs/store.md).
DURABILITY = ("full", "normal")

_COLUMNS = "seq, from_status, to_status, event, at, transition_id, reason, source, inferred"
_ROW = "SELECT status, version, updated_at FROM jobs WHERE name = ?"
_REPLAY = f"SELECT {_COLUMNS} FROM transitions WHERE job = ? AND transition_id = ? ORDER BY seq"
_PREVIOUS = "SELECT from_status FROM transitions WHERE job = ? ORDER BY seq DESC LIMIT 1"
_MOVE = "UPDATE jobs SET status = ?, version = ?, updated_at = ? WHERE name = ? AND version = ?"
_RECORD = f"INSERT INTO transitions (job, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_ADD = (
    "INSERT INTO jobs (name, type, status, version, created_at, updated_at, document)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"
)
_DOCUMENT = "SELECT status, version, document FROM jobs WHERE name = ?"
_HISTORY = f"SELECT {_COLUMNS} FROM transitions WHERE job = ? ORDER BY seq"
# Transitions are append-only: the rows up to a version read earlier are fixed,
# even where each statement sees its own snapshot (PostgreSQL's READ COMMITTED).
_HISTORY_UPTO = f"SELECT {_COLUMNS} FROM transitions WHERE job = ? AND seq <= ? ORDER BY seq"
_BEAT = (
    "UPDATE jobs SET heartbeat_at = ? WHERE name = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)"
)
_EXISTS = "SELECT 1 FROM jobs WHERE name = ?"
_JOB_COLUMNS = "name, type, status, version, created_at, updated_at, heartbeat_at"


class StoreBase:
    """The configuration, backend hooks and reads of a job store (see ``JobStore``)."""

    #: URL schemes a backend answers to (set by each backend).
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        timeout: float = 30.0,
        durability: str = "full",
        schema: str | None = None,
    ) -> None:
        if durability not in DURABILITY:
            raise ValueError(f"durability {durability!r} is not one of {DURABILITY}")
        self.lifecycle = lifecycle
        self.timeout = timeout
        self.durability = durability
        self._where = display_target(target)
        self._engine = engine_for(lifecycle)
        self._table = lifecycle.table
        self._statuses = {str(s): s for s in lifecycle.statuses}
        self._sql = self._dialect()

    def __str__(self) -> str:
        return self._where

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a backend provides ---------------------------------------------

    def close(self) -> None:
        """Close this thread's connection; the next call opens a new one."""
        raise NotImplementedError

    def _write(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(tx)`` in one write transaction, retrying it on lock contention.

        *tx* has ``execute(sql, params)`` returning a DB-API cursor, and ``cursor()``. An
        exception from *work* rolls everything back and reaches the caller.
        """
        raise NotImplementedError

    def _read(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(tx)`` against a consistent snapshot, writing nothing."""
        raise NotImplementedError

    def _param(self) -> str:
        """The driver's placeholder (``?`` or ``%s``)."""
        raise NotImplementedError

    def _lock_suffix(self) -> str:
        """What makes a ``SELECT`` lock the rows it reads until the end of the transaction."""
        return ""

    def _dialect(self) -> dict[str, str]:
        param = self._param()
        statements = {
            "row": _ROW + self._lock_suffix(),
            "replay": _REPLAY,
            "previous": _PREVIOUS,
            "move": _MOVE,
            "record": _RECORD,
            "add": _ADD,
            "document": _DOCUMENT,
            "history": _HISTORY,
            "history_upto": _HISTORY_UPTO,
            "beat": _BEAT,
            "exists": _EXISTS,
            "delete": "DELETE FROM jobs WHERE name = ?",
            "forget": "DELETE FROM transitions WHERE job = ?",
        }
        return {key: sql.replace("?", param) for key, sql in statements.items()}

    def get(self, name: str) -> Job:
        """Load the job called *name* with its status and history.

        Raises:
            JobNotFoundError: no such job (also a ``KeyError``).
            JobFileError: the row does not fit the store's lifecycle (it was
                stored with another one); names the store and the job.
        """
        document, status, rows = self._read(lambda tx: self._load(tx, name))
        where = self._job_where(name)
        try:
            history = self._entries(rows)
        except UnknownStatusError as exc:
            raise JobFileStatusError(exc.status, exc.known, key="history", file=where) from None
        return _document.decode(document, status, history, where=where, lifecycle=self.lifecycle)

    def history(self, name: str) -> tuple[Any, ...]:
        """The history entries of *name*, oldest first.

        Raises:
            JobNotFoundError: no such job.
        """

        def work(tx: Any) -> list[Transition]:
            self._row(tx, name)
            return [Transition(*r) for r in tx.execute(self._sql["history"], (name,))]

        return self._entries(self._read(work))

    def status(self, name: str) -> enum.StrEnum:
        """The current status of *name*; raises :class:`JobNotFoundError` when absent."""
        return self._parse(name, self._read(lambda tx: self._row(tx, name))[0])

    def version(self, name: str) -> int:
        """The version of *name*: 1 after ``add``, one more per transition."""
        return int(self._read(lambda tx: self._row(tx, name))[1])

    # -- queries ----------------------------------------------------------------

    def names(self, status: str | None = None) -> list[str]:
        """Names of the stored jobs, sorted, optionally only those at *status*."""
        return [row.name for row in self.jobs(status=status)]

    def jobs(
        self,
        *,
        status: str | None = None,
        updated_before: datetime | None = None,
        heartbeat_before: datetime | None = None,
    ) -> list[JobRow]:
        """The rows (without fields documents) matching every condition given, by name.

        Args:
            status: Only jobs at this status.
            updated_before: Only jobs whose last transition (or creation) is older.
            heartbeat_before: Only jobs whose last heartbeat is older, or that
                never sent one.
        """
        p = self._param()
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append(f"status = {p}")
            params.append(str(self.lifecycle.status(status, where=str(self))))
        if updated_before is not None:
            where.append(f"updated_at < {p}")
            params.append(to_micros(updated_before, what="updated_before"))
        if heartbeat_before is not None:
            where.append(f"(heartbeat_at IS NULL OR heartbeat_at < {p})")
            params.append(to_micros(heartbeat_before, what="heartbeat_before"))
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._read(lambda tx: tx.execute(sql + " ORDER BY name", params).fetchall())
        return [
            JobRow(name, kind, self._parse(name, status), version, from_micros(created),
                   from_micros(updated), None if beat is None else from_micros(beat))
            for name, kind, status, version, created, updated, beat in rows
        ]  # fmt: skip

    def counts(self) -> dict[enum.StrEnum, int]:
        """How many jobs are at each status (statuses with no job are left out).

        Raises:
            UnknownStatusError: a job is stored at a status the store's lifecycle lacks.
        """
        sql = "SELECT status, COUNT(*) FROM jobs GROUP BY status"
        rows = self._read(lambda tx: tx.execute(sql).fetchall())
        where = f"{self} (opened with lifecycle {self.lifecycle.name!r})"
        return {self.lifecycle.status(status, where=where): count for status, count in rows}

    def __len__(self) -> int:
        return int(self._read(lambda tx: tx.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        sql = self._sql["exists"]
        return bool(self._read(lambda tx: tx.execute(sql, (name,)).fetchone()))

    def __iter__(self) -> Iterator[str]:
        """The names of the stored jobs, sorted (read at once, then handed out)."""
        sql = "SELECT name FROM jobs ORDER BY name"
        return iter([n for (n,) in self._read(lambda tx: tx.execute(sql).fetchall())])

    # -- shared steps --------------------------------------------------------------

    def _row(self, tx: Any, name: str) -> tuple[str, int, int]:
        """``(status, version, updated_at)`` of *name*, locked for this transaction."""
        row = tx.execute(self._sql["row"], (name,)).fetchone()
        if row is None:
            raise JobNotFoundError(name, self)
        return row  # type: ignore[no-any-return]

    def _load(self, tx: Any, name: str) -> tuple[str, str, list[Transition]]:
        """``(document, status, history)`` of *name*, consistent with each other."""
        row = tx.execute(self._sql["document"], (name,)).fetchone()
        if row is None:
            raise JobNotFoundError(name, self)
        status, version, document = row
        history = tx.execute(self._sql["history_upto"], (name, version))
        return document, status, [Transition(*r) for r in history]

    def _parse(self, name: str, status: str) -> enum.StrEnum:
        value = self._statuses.get(status)
        if value is None:
            return self.lifecycle.status(status, where=self._job_where(name))
        return value

    def _parse_any(self, status: str) -> enum.StrEnum:
        return self._parse("", status)

    def _entries(self, rows: list[Transition]) -> tuple[Any, ...]:
        return tuple(row.entry(self._parse_any) for row in rows)

    def _job_where(self, name: str) -> str:
        return f"{self} (job {name!r})"

    def _reject(self, name: str, check: Callable[[], _T]) -> _T:
        """Run *check*; its jobfsm error gets the store and job named in front."""
        try:
            return check()
        except JobFSMError as exc:
            raise _named(exc, f"{self}: job {name!r}") from None


def _named(exc: JobFSMError, where: object) -> JobFSMError:
    """*exc* with *where* in front of its message (its fields unchanged)."""
    text = str(exc)
    if not text.startswith(str(where)):
        exc.args = (f"{where}: {text}", *exc.args[1:])
    return exc
