"""The SQLite backend: one database file, shared by threads and processes.

The file is in WAL mode, so readers never wait for the writer. A write is a
``BEGIN IMMEDIATE`` transaction: SQLite admits one writer at a time, and a
caller that finds the file locked retries with a short jittered back-off until
``timeout`` has passed (SQLite's own busy handler sleeps in ever longer steps
and lets a newcomer overtake callers that waited longer; the short, jittered
retries keep waiting callers roughly fair). Opening the file, switching it to
WAL and creating or migrating the schema retry the same way, so many
processes may open a new store at once.

Durability: ``"full"`` is ``synchronous=FULL`` (the WAL is synced at every
commit: a returned transition survives a power loss); ``"normal"`` is
``synchronous=NORMAL`` (synced at checkpoints: a returned transition survives
a crash of the program, and the last ones may be lost on a power loss or an
operating-system crash, never corrupting the file).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jobfsm.errors import JobFileError, JobStoreError
from jobfsm.lifecycle import Lifecycle
from jobfsm.store import _document
from jobfsm.store._base import JobStore
from jobfsm.store._model import now_micros

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

_T = TypeVar("_T")

#: The layout this module writes: 1 was one row per job with its history
#: inside the YAML document; 2 keeps transitions in their own table.
SCHEMA_VERSION = 2

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jobfsm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS jobs (
        name         TEXT PRIMARY KEY,
        type         TEXT NOT NULL,
        status       TEXT NOT NULL,
        version      INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        heartbeat_at INTEGER,
        document     TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, updated_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_heartbeat ON jobs (heartbeat_at)",
    """CREATE TABLE IF NOT EXISTS transitions (
        job           TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        from_status   TEXT NOT NULL,
        to_status     TEXT NOT NULL,
        event         TEXT NOT NULL,
        at            INTEGER NOT NULL,
        transition_id TEXT,
        reason        TEXT,
        source        TEXT,
        inferred      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job, seq)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS transitions_by_id ON transitions (job, transition_id)"
    " WHERE transition_id IS NOT NULL",
)

# SQLITE_BUSY and SQLITE_LOCKED (primary codes; extended codes add high bits).
_BUSY_CODES = (5, 6)

# The longest pause between two tries at a locked file. Short pauses keep
# waiting writers fair: with 8 processes on distinct jobs, a 2 ms cap gave
# each process between 0.9 and 1.2 times the mean number of events, a 10 ms
# cap between 0.5 and 1.8 times (the writer that just committed tries again
# at once, while the others sleep).
_LONGEST_PAUSE = 0.002


class SQLiteStore(JobStore):
    """A job store in a SQLite file (see :class:`~jobfsm.store.JobStore` for the API)."""

    schemes = ("sqlite",)

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        lifecycle: Lifecycle | None = None,
        timeout: float = 30.0,
        durability: str = "full",
        schema: str | None = None,
    ) -> None:
        text = os.fspath(target)
        if text.startswith("sqlite://"):
            text = text[len("sqlite://") :]
            text = text[1:] if text.startswith("/") else text  # sqlite:///rel, sqlite:////abs
        if text in ("", ":memory:") or text.startswith("file::memory:") or "mode=memory" in text:
            # Each thread opens its own connection, and each would get its own
            # empty in-memory database: the store would not be shared.
            raise ValueError(
                "JobStore needs a database file (it opens one connection per thread, "
                "and an in-memory database is private to its connection)"
            )
        if schema is not None:
            raise ValueError("schema= is a PostgreSQL option; a SQLite store is one file")
        kwargs: dict[str, Any] = {"timeout": timeout, "durability": durability}
        if lifecycle is not None:
            kwargs["lifecycle"] = lifecycle
        super().__init__(text, **kwargs)
        self.path = Path(text)
        self._local = threading.local()
        self._synchronous = "FULL" if durability == "full" else "NORMAL"
        self._setup()

    def _param(self) -> str:
        return "?"

    # -- connections and transactions -------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._retry(self._connect, None)
            self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        # timeout=0: a locked database is retried here, not in SQLite's busy handler.
        # isolation_level=None: transactions are opened explicitly.
        try:
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._open_error(exc) from exc
        try:
            # The first read of the file; a new file may raise "locked" while
            # another process switches it to WAL: the caller retries.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends).

        The store stays usable: its next use in this thread opens a new connection.
        """
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _retry(self, step: Callable[[], _T], db: sqlite3.Connection | None) -> _T:
        """Run *step*, again after a short random pause while the file is locked."""
        deadline = 0.0
        pause = 0.0005
        while True:
            try:
                return step()
            except sqlite3.OperationalError as exc:
                if db is not None and db.in_transaction:
                    db.execute("ROLLBACK")
                if exc.sqlite_errorcode & 0xFF not in _BUSY_CODES:
                    raise self._error(exc, db) from exc
                now = time.monotonic()
                if not deadline:
                    deadline = now + self.timeout
                elif now >= deadline:
                    raise JobStoreError(
                        f"{self}: another writer held the database for more than "
                        f"{self.timeout:g} s ({exc}); nothing was written"
                    ) from exc
                time.sleep(random.uniform(0, pause))
                pause = min(pause * 2, _LONGEST_PAUSE)
            except sqlite3.Error as exc:
                if db is not None and db.in_transaction:
                    db.execute("ROLLBACK")
                raise self._error(exc, db) from exc

    def _write(self, work: Callable[[Any], _T]) -> _T:
        db = self._connection()

        def attempt() -> _T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite rolled back itself after some errors (disk full)
                    db.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt, db)

    def _read(self, work: Callable[[Any], _T]) -> _T:
        db = self._connection()

        def attempt() -> _T:
            db.execute("BEGIN")
            try:
                return work(db)
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")

        return self._retry(attempt, db)

    def _error(self, exc: sqlite3.Error, db: sqlite3.Connection | None) -> JobStoreError:
        if db is None:
            return self._open_error(exc)
        return JobStoreError(f"{self}: {exc}; nothing was written")

    def _open_error(self, exc: sqlite3.Error) -> JobStoreError:
        return JobStoreError(
            f"{self.path}: cannot open the job store ({exc}); expected a SQLite database "
            "file, or a new file name, in an existing folder that can be written"
        )

    # -- schema ----------------------------------------------------------------------

    def _setup(self) -> None:
        try:
            if self._schema_version(self._connection()) == SCHEMA_VERSION:
                return  # the common case: no write transaction to open a store
            self._write(self._create)
        except JobStoreError:
            self.close()
            raise

    def _schema_version(self, db: sqlite3.Connection) -> int | None:
        """The stored layout: ``None`` for a new file, 1 for the first layout."""
        tables = {
            name for (name,) in self._retry(
                lambda: db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetchall(), db)
        }  # fmt: skip
        if "jobfsm_meta" in tables:
            row = db.execute("SELECT value FROM jobfsm_meta WHERE key = 'schema'").fetchone()
            return int(row[0]) if row else None
        return 1 if "jobs" in tables else None

    def _create(self, db: sqlite3.Connection) -> None:
        found = self._schema_version(db)  # again, under the write lock
        if found == SCHEMA_VERSION:
            return
        if found is not None and found > SCHEMA_VERSION:
            raise JobStoreError(
                f"{self}: the store was written by a newer jobfsm (schema {found}; this "
                f"version reads {SCHEMA_VERSION}); upgrade jobfsm"
            )
        if found == 1:
            db.execute("DROP INDEX IF EXISTS jobs_by_status")
            db.execute("ALTER TABLE jobs RENAME TO jobs_v1")
        for statement in _SCHEMA:
            db.execute(statement)
        if found == 1:
            self._migrate(db)
        db.execute(
            "INSERT INTO jobfsm_meta (key, value) VALUES ('schema', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Move first-layout rows (history inside each document) to the current layout."""
        now = now_micros()
        rows = db.execute("SELECT name, type, status, document FROM jobs_v1").fetchall()
        for name, kind, status, document in rows:
            where = self._job_where(name)
            try:
                legacy = _document.split_legacy(document, where=where)
                times = legacy.times()
            except (JobFileError, KeyError, TypeError, ValueError) as exc:
                raise JobStoreError(
                    f"{where}: cannot migrate the job to the current store layout ({exc}); "
                    "nothing was changed"
                ) from None
            db.execute(
                "INSERT INTO jobs (name, type, status, version, created_at, updated_at,"
                " document) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, kind, status, len(times) + 1, times[0] if times else now,
                 times[-1] if times else now, legacy.document),
            )  # fmt: skip
            for seq, (item, at) in enumerate(zip(legacy.history, times, strict=True), start=2):
                db.execute(
                    "INSERT INTO transitions (job, seq, from_status, to_status, event, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (name, seq, str(item["from"]), str(item["to"]), str(item["event"]), at),
                )
        db.execute("DROP TABLE jobs_v1")
