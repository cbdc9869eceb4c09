"""The PostgreSQL backend, through psycopg 3 (``pip install 'jobfsm[postgres]'``).

Stores on several machines share one server. Each thread has its own
connection. A write is one transaction that first locks the job's row
(``SELECT ... FOR UPDATE``): writers of one job queue up on the server, writers
of different jobs do not wait for each other, and the ``UPDATE`` that follows is
still conditional on the version read. Serialization failures and deadlocks
are retried inside the store with a short jittered back-off, up to ``timeout``;
``timeout`` is also the server-side ``lock_timeout`` and the connect timeout.

Durability: ``"full"`` keeps ``synchronous_commit=on`` (a returned transition
is on the server's disk, and on its synchronous standbys if it has any);
``"normal"`` sets ``synchronous_commit=off`` for the store's connections (a
crash of the server may lose the last few hundred milliseconds of
transitions, never corrupting anything; a crash of the program loses none).

``?schema=NAME`` in the URL (or ``schema=``) keeps the tables in that schema,
created when missing: stores in different schemas of one database never see
each other's rows.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jobfsm.errors import JobStoreError
from jobfsm.lifecycle import Lifecycle
from jobfsm.store._base import JobStore

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql as pg_sql
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise JobStoreError(
        f"a postgresql:// job store needs psycopg 3, which is not installed ({exc}); "
        "install the extra: pip install 'jobfsm[postgres]'"
    ) from exc

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

_T = TypeVar("_T")

#: The layout this module writes (the same tables as the SQLite backend's 2).
SCHEMA_VERSION = 2

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jobfsm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS jobs (
        name         TEXT PRIMARY KEY,
        type         TEXT NOT NULL,
        status       TEXT NOT NULL,
        version      BIGINT NOT NULL,
        created_at   BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL,
        heartbeat_at BIGINT,
        document     TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, updated_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_heartbeat ON jobs (heartbeat_at)",
    """CREATE TABLE IF NOT EXISTS transitions (
        job           TEXT NOT NULL,
        seq           BIGINT NOT NULL,
        from_status   TEXT NOT NULL,
        to_status     TEXT NOT NULL,
        event         TEXT NOT NULL,
        at            BIGINT NOT NULL,
        transition_id TEXT,
        reason        TEXT,
        source        TEXT,
        inferred      BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (job, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS transitions_by_id ON transitions (job, transition_id)"
    " WHERE transition_id IS NOT NULL",
)

# Any constant: serialises schema creation among stores opening the same database.
_SETUP_LOCK = 0x6A6F6266736D
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_RETRIED = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class PostgresStore(JobStore):
    """A job store in a PostgreSQL database (see :class:`~jobfsm.store.JobStore`)."""

    schemes = ("postgresql", "postgres")

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        lifecycle: Lifecycle | None = None,
        timeout: float = 30.0,
        durability: str = "full",
        schema: str | None = None,
    ) -> None:
        url, from_url = _split_schema(os.fspath(target))
        schema = schema or from_url
        if schema is not None and not _IDENTIFIER.match(schema):
            raise ValueError(
                f"schema {schema!r} is not a plain SQL identifier (letters, digits, _; "
                "at most 63 characters, not starting with a digit)"
            )
        kwargs: dict[str, Any] = {"timeout": timeout, "durability": durability}
        if lifecycle is not None:
            kwargs["lifecycle"] = lifecycle
        super().__init__(target, **kwargs)
        self.url = url
        self.schema = schema
        self._local = threading.local()
        self._setup()

    def _param(self) -> str:
        return "%s"

    def _lock_suffix(self) -> str:
        return " FOR UPDATE"

    # -- connections and transactions ---------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(self.timeout))
            )
        except psycopg.Error as exc:
            raise JobStoreError(
                f"{self}: cannot connect to the PostgreSQL server ({_first_line(exc)}); "
                "expected a running server and a URL such as "
                "postgresql://user@host:5432/database"
            ) from exc
        try:
            conn.execute(f"SET lock_timeout = {max(1, round(self.timeout * 1000))}")
            if self.durability == "normal":
                conn.execute("SET synchronous_commit = off")
            if self.schema is not None:
                conn.execute(pg_sql.SQL("SET search_path TO {}").format(
                    pg_sql.Identifier(self.schema)))  # fmt: skip
        except psycopg.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        return conn

    def close(self) -> None:
        """Close this thread's connection; the next call opens a new one."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _write(self, work: Callable[[Any], _T]) -> _T:
        return self._run(work)

    def _read(self, work: Callable[[Any], _T]) -> _T:
        return self._run(work)

    def _run(self, work: Callable[[Any], _T]) -> _T:
        deadline = 0.0
        pause = 0.001
        while True:
            conn = self._connection()
            try:
                with conn.transaction():
                    return work(conn)
            except _RETRIED as exc:
                now = time.monotonic()
                deadline = deadline or now + self.timeout
                if now >= deadline:
                    raise self._error(exc) from exc
                time.sleep(random.uniform(0, pause))
                pause = min(pause * 2, 0.05)
            except pg_errors.LockNotAvailable as exc:
                raise JobStoreError(
                    f"{self}: another writer held the job for more than {self.timeout:g} s; "
                    "nothing was written"
                ) from exc
            except psycopg.Error as exc:
                if conn.broken or conn.closed:
                    self.close()
                raise self._error(exc) from exc

    def _error(self, exc: psycopg.Error) -> JobStoreError:
        if isinstance(exc, psycopg.OperationalError):
            return JobStoreError(
                f"{self}: lost the PostgreSQL server ({_first_line(exc)}); "
                "the last call may or may not have been applied (send it again with the "
                "same transition_id to find out)"
            )
        return JobStoreError(f"{self}: {_first_line(exc)}; nothing was written")

    # -- schema ----------------------------------------------------------------------

    def _setup(self) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
            if self.schema is not None:
                conn.execute(pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    pg_sql.Identifier(self.schema)))  # fmt: skip
            exists = conn.execute("SELECT to_regclass('jobfsm_meta')").fetchone()
            if exists is not None and exists[0] is not None:
                row = conn.execute("SELECT value FROM jobfsm_meta WHERE key = 'schema'").fetchone()
                found = int(row[0]) if row else None
                if found == SCHEMA_VERSION:
                    return
                if found is not None and found > SCHEMA_VERSION:
                    raise JobStoreError(
                        f"{self}: the store was written by a newer jobfsm (schema {found}; "
                        f"this version reads {SCHEMA_VERSION}); upgrade jobfsm"
                    )
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO jobfsm_meta (key, value) VALUES ('schema', %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

        try:
            self._run(work)
        except JobStoreError:
            self.close()
            raise


def _split_schema(url: str) -> tuple[str, str | None]:
    """The URL without its ``schema`` query parameter (libpq refuses it), and that schema."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
