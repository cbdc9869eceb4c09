"""A job store driven by random calls against a plain in-memory model, on both backends.

The model knows each job's status, version, history length and the results of
its transition ids; every call's outcome (result or error class) and the
store's state after it must agree with it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    IllegalTransitionError,
    JobNotFoundError,
    JobStore,
    JobStoreError,
    TransitionIdReusedError,
    UnknownEventError,
    VersionConflictError,
)
from tests.stores import POSTGRES_URL, _admin, postgres_schema_url

LC = DEFAULT_LIFECYCLE
NAMES = st.sampled_from(["a", "b", "c"])
EVENTS = st.sampled_from([*LC.event_names, "bogus"])
STATUSES = st.sampled_from([str(s) for s in LC.statuses])


class Model:
    """One job as the model sees it."""

    def __init__(self) -> None:
        self.status = LC.status(LC.initial)
        self.version = 1
        self.froms: list[Any] = []  # the from-status of each transition
        self.tids: dict[str, tuple[tuple[str, str], Any]] = {}  # id -> (request, Applied)


class StoreMachine(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, Model] = {}
        self.count = 0
        if self.backend == "sqlite":
            self.folder = tempfile.mkdtemp(prefix="jobfsm-stateful-")
            self.target = f"{self.folder}/jobs.db"
        else:
            self.schema = f"jobfsm_stateful_{uuid.uuid4().hex[:12]}"
            self.target = postgres_schema_url(self.schema)
        self.store = JobStore(self.target)

    def teardown(self) -> None:
        self.store.close()
        if self.backend == "sqlite":
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            admin = _admin()
            admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')  # type: ignore[attr-defined]
            admin.close()  # type: ignore[attr-defined]

    def _tid(self, use: bool) -> str | None:
        self.count += 1
        return f"t{self.count}" if use else None

    @rule(name=NAMES)
    def add(self, name: str) -> None:
        if name in self.jobs:
            with pytest.raises(JobStoreError, match="already stored"):
                self.store.add(CommandJob(name=name))
            return
        assert self.store.add(CommandJob(name=name)).version == 1
        self.jobs[name] = Model()

    @rule(name=NAMES, event=EVENTS, tid=st.booleans(), stale=st.booleans())
    def fire(self, name: str, event: str, tid: bool, stale: bool) -> None:
        transition_id = self._tid(tid)
        job = self.jobs.get(name)
        expected = None if job is None else job.version + (1 if stale else 0)
        call = {"expected_version": expected, "transition_id": transition_id}
        if event not in LC.event_names:
            with pytest.raises(UnknownEventError):
                self.store.fire(name, event, **call)
            return
        if job is None:
            with pytest.raises(JobNotFoundError):
                self.store.fire(name, event, **call)
            return
        if stale:
            with pytest.raises(VersionConflictError):
                self.store.fire(name, event, **call)
            return
        dests = LC.table[job.status].get(event)
        if dests is not None and len(dests) > 1:
            dests = tuple(d for d in dests if job.froms and d is job.froms[-1]) or None
        if dests is None:
            with pytest.raises(IllegalTransitionError):
                self.store.fire(name, event, **call)
            return
        applied = self.store.fire(name, event, **call)
        job.froms.append(job.status)
        job.status, job.version = dests[0], job.version + 1
        assert (applied.status, applied.version, applied.replayed) == (
            job.status, job.version, False,
        )  # fmt: skip
        if transition_id is not None:
            job.tids[transition_id] = (("fire", event), applied)

    @rule(name=NAMES, status=STATUSES, tid=st.booleans())
    def observe(self, name: str, status: str, tid: bool) -> None:
        transition_id = self._tid(tid)
        job = self.jobs.get(name)
        if job is None:
            with pytest.raises(JobNotFoundError):
                self.store.observe(name, status, transition_id=transition_id)
            return
        dest = LC.status(status)
        if dest is job.status:
            assert self.store.observe(name, status).entries == ()
            return
        between = LC.shortest_path(job.status, dest)
        if between is None:
            with pytest.raises(IllegalTransitionError):
                self.store.observe(name, status, transition_id=transition_id)
            return
        applied = self.store.observe(name, status, transition_id=transition_id)
        for step in (*between, dest):
            job.froms.append(job.status)
            job.status = step
        job.version += len(between) + 1
        assert (applied.status, applied.version) == (job.status, job.version)
        if transition_id is not None:
            job.tids[transition_id] = (("observe", status), applied)

    @rule(name=NAMES, data=st.data())
    def replay(self, name: str, data: st.DataObject) -> None:
        job = self.jobs.get(name)
        if job is None or not job.tids:
            return
        tid = data.draw(st.sampled_from(sorted(job.tids)))
        (kind, value), first = job.tids[tid]
        again = (self.store.fire if kind == "fire" else self.store.observe)(
            name, value, transition_id=tid
        )
        assert again.replayed
        assert (again.status, again.version, again.entries) == (
            first.status, first.version, first.entries,
        )  # fmt: skip
        if kind == "fire":
            call, other = self.store.fire, "cancel" if value != "cancel" else "fail"
        else:
            call, other = self.store.observe, "Failed" if value != "Failed" else "Canceled"
        with pytest.raises(TransitionIdReusedError):
            call(name, other, transition_id=tid)

    @rule(name=NAMES, stale=st.booleans())
    def delete(self, name: str, stale: bool) -> None:
        job = self.jobs.get(name)
        if job is None:
            with pytest.raises(JobNotFoundError):
                self.store.delete(name)
            return
        if stale:
            with pytest.raises(VersionConflictError):
                self.store.delete(name, expected_version=job.version + 1)
            return
        self.store.delete(name, expected_version=job.version)
        del self.jobs[name]

    @invariant()
    def rows_agree_with_the_model(self) -> None:
        assert sorted(self.store) == sorted(self.jobs)
        for name, job in self.jobs.items():
            assert self.store.status(name) is job.status
            assert self.store.version(name) == job.version == len(self.store.history(name)) + 1


SETTINGS = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class SQLiteStoreMachine(StoreMachine):
    backend = "sqlite"


class PostgresStoreMachine(StoreMachine):
    backend = "postgres"


TestSQLiteStore = SQLiteStoreMachine.TestCase
TestSQLiteStore.settings = SETTINGS


@pytest.fixture
def _postgres_server() -> None:
    _admin().close()  # type: ignore[attr-defined] # skips (locally) or fails (CI) without one


@pytest.mark.usefixtures("_postgres_server")
def test_postgres_store_against_the_model() -> None:
    """The same random calls against a PostgreSQL store agree with the model."""
    assert POSTGRES_URL
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(PostgresStoreMachine, settings=SETTINGS)
