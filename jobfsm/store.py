"""A durable job store on SQLite, safe for many threads and processes.

Each job is one row: its name, type, current status, a version counter and the
job's YAML document (fields, status and history, as written by ``Job.dump``).
``JobStore.fire`` loads a job, applies the event and writes it back inside one
``BEGIN IMMEDIATE`` transaction, so concurrent schedulers (threads or
processes) never apply the same event twice and never lose an update: SQLite
admits one writer at a time and the others wait up to ``timeout`` seconds.
"""

from __future__ import annotations

import enum
import io
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jobfsm.errors import JobNotFoundError, JobStoreError
from jobfsm.job import Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = ["JobStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name     TEXT PRIMARY KEY,
    type     TEXT NOT NULL,
    status   TEXT NOT NULL,
    version  INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
"""


class JobStore:
    """Jobs kept in a SQLite file.

    Args:
        path: The database file (created when missing).
        lifecycle: The lifecycle jobs are loaded with.
        timeout: Seconds a writer waits for another one before failing.

    Each thread gets its own connection, so one store object can be shared
    by a thread pool.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        timeout: float = 30.0,
    ) -> None:
        if str(path) == ":memory:" or str(path).startswith("file::memory:"):
            # Each thread opens its own connection, and each would get its own
            # empty in-memory database: the store would not be shared.
            raise ValueError(
                "JobStore needs a database file (it opens one connection per thread, "
                "and an in-memory database is private to its connection)"
            )
        self.path = Path(path)
        self.lifecycle = lifecycle
        self.timeout = timeout
        self._local = threading.local()
        db = self._connection()
        try:
            # executescript commits on its own; CREATE ... IF NOT EXISTS is idempotent.
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self.close()
            raise self._open_error(exc) from exc

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: transactions are opened explicitly below.
            try:
                db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            except sqlite3.Error as exc:
                raise self._open_error(exc) from exc
            try:
                db.execute("PRAGMA journal_mode=WAL")  # the first read of the file
            except sqlite3.Error as exc:
                db.close()
                raise self._open_error(exc) from exc
            self._local.db = db
        return db

    def _open_error(self, exc: sqlite3.Error) -> JobStoreError:
        return JobStoreError(
            f"{self.path}: cannot open the job store ({exc}); expected a SQLite database "
            "file, or a new file name, in an existing folder that can be written"
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise JobStoreError(f"{self.path}: cannot open a write transaction: {exc}") from exc
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite has rolled back already after some errors (disk full)
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise JobStoreError(f"{self.path}: {exc}; nothing was written") from exc
            raise

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends).

        The store stays usable: its next use in this thread opens a new connection.
        """
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading and writing -------------------------------------------------

    def add(self, job: Job) -> None:
        """Store a new job under its name.

        Raises:
            ValueError: the job has no name, or follows another lifecycle than
                the store's (its row could not be loaded back).
            JobStoreError: a job with that name is already stored, or the
                database cannot be written.
            JobDumpError: the job holds a value YAML cannot represent; nothing is stored.
        """
        if not job.name or not isinstance(job.name, str):
            raise ValueError(
                f"a job needs a non-empty string name to be stored, not {job.name!r}; "
                "fire 'start' or pass name="
            )
        if job.lifecycle != self.lifecycle:
            raise ValueError(
                f"job {job.name!r} follows lifecycle {job.lifecycle.name!r} but {self.path} "
                f"holds jobs of {self.lifecycle.name!r}; create the job with "
                "lifecycle=store.lifecycle, or open the store with the job's lifecycle"
            )
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO jobs (name, type, status, version, document)"
                    " VALUES (?, ?, ?, 1, ?)",
                    (job.name, job.type, str(job.status), _document(job)),
                )
            except sqlite3.IntegrityError:
                raise JobStoreError(
                    f"{self.path}: a job named {job.name!r} is already stored"
                ) from None

    def get(self, name: str) -> Job:
        """Load the job called *name*.

        Raises:
            JobNotFoundError: no such job (also a ``KeyError``).
            JobFileError: the stored document does not fit the store's lifecycle
                (the job was stored with another one); names the store and the job.
        """
        return self._load(name, self._column(self._connection(), "document", name))

    def fire(self, name: str, event: str, *, to: str | None = None) -> enum.StrEnum:
        """Apply *event* to the stored job *name* atomically and return its new status.

        The job's observers do not survive storage; lifecycle observers
        (``jobfsm.add_observer``) run, and if one raises, nothing is written.

        Raises:
            JobNotFoundError: no such job.
            IllegalTransitionError: the event is not allowed; the row is unchanged.
            JobStoreError: the database cannot be written (another writer held it
                longer than ``timeout``, the disk is full); the row is unchanged.
        """
        with self._transaction() as db:
            job = self._load(name, self._column(db, "document", name))
            status = job.fire(event, to=to)
            db.execute(
                "UPDATE jobs SET status = ?, version = version + 1, document = ? WHERE name = ?",
                (str(status), _document(job), name),
            )
            return status

    def names(self, status: str | None = None) -> list[str]:
        """Names of the stored jobs, sorted, optionally only those at *status*."""
        db = self._connection()
        if status is None:
            rows = db.execute("SELECT name FROM jobs ORDER BY name")
        else:
            value = str(self.lifecycle.status(status))
            rows = db.execute("SELECT name FROM jobs WHERE status = ? ORDER BY name", (value,))
        return [name for (name,) in rows]

    def counts(self) -> dict[enum.StrEnum, int]:
        """How many jobs are at each status (statuses with no job are left out).

        Raises:
            UnknownStatusError: a job is stored at a status the store's lifecycle
                lacks (it was stored with another lifecycle).
        """
        rows = self._connection().execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        where = f"{self.path} (opened with lifecycle {self.lifecycle.name!r})"
        return {self.lifecycle.status(status, where=where): count for status, count in rows}

    def version(self, name: str) -> int:
        """How many times the row of *name* was written (1 after ``add``)."""
        return int(self._column(self._connection(), "version", name))

    def _column(self, db: sqlite3.Connection, column: str, name: str) -> Any:
        """One column of the row of *name*; raises JobNotFoundError when there is none."""
        # `column` is one of our own literals, never user input.
        row = db.execute(f"SELECT {column} FROM jobs WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise JobNotFoundError(name, self.path)
        return row[0]

    def _load(self, name: str, document: str) -> Job:
        from jobfsm.yamlio import _load_text

        where = f"{self.path} (job {name!r})"
        return _load_text(document, file=where, base=None, lifecycle=self.lifecycle)


def _document(job: Job, **kwargs: Any) -> str:
    stream = io.StringIO()
    job.dump(stream, **kwargs)
    return stream.getvalue()
