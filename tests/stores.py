"""Where the store tests find their databases: a SQLite file, or a PostgreSQL schema.

PostgreSQL comes from ``JOBFSM_TEST_POSTGRES_URL`` (default: the local test
server). Each test gets a schema of its own, dropped when it ends, so runs
never see each other's rows. Without the ``postgres`` extra, or without a
server, PostgreSQL tests skip locally and fail in CI (``JOBFSM_REQUIRE_ALL=1``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL, needs

POSTGRES_URL = os.environ.get(
    "JOBFSM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgres"]


def postgres_schema_url(schema: str) -> str:
    """The test server's URL with ``schema=`` set."""
    return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"


def _admin() -> object:
    psycopg = needs("psycopg", "postgres")
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = (
            f"no PostgreSQL server at {POSTGRES_URL} ({exc}); start one (see README) "
            "or set JOBFSM_TEST_POSTGRES_URL"
        )
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)


def make_target(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh store location of *backend*; its PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        yield str(tmp_path / "jobs.db")
        return
    admin = _admin()
    schema = f"jobfsm_test_{uuid.uuid4().hex[:12]}"
    try:
        yield postgres_schema_url(schema)
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store's path or URL, once per backend."""
    yield from make_target(request.param, tmp_path)
