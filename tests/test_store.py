"""The SQLite job store: persistence, atomic events, and races between processes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventSpec,
    IllegalTransitionError,
    Job,
    JobStatus,
    add_observer,
    remove_observer,
)
from jobfsm.errors import (
    JobDumpError,
    JobFileStatusError,
    JobNotFoundError,
    JobStoreError,
    UnknownStatusError,
)
from jobfsm.store import JobStore

REPO = Path(__file__).resolve().parents[1]


def test_jobs_survive_a_new_store_object(tmp_path: Path) -> None:
    """A job added and moved is loaded back equal, with status and history, by a new store."""
    db = tmp_path / "jobs.db"
    with JobStore(db) as store:
        job = CommandJob(name="train", command="python train.py", tags={"team": "nlp"})
        store.add(job)
        store.fire("train", "start")
        store.fire("train", "prepare")
    with JobStore(db) as again:
        loaded = again.get("train")
    assert loaded.status is JobStatus.PREPARING
    assert [h.event for h in loaded.history] == ["start", "prepare"]
    assert loaded.command == "python train.py"
    assert loaded.tags == {"team": "nlp"}


def test_illegal_event_leaves_the_row_unchanged(tmp_path: Path) -> None:
    """A refused event raises and writes nothing (same version, same status)."""
    with JobStore(tmp_path / "jobs.db") as store:
        store.add(CommandJob(name="a"))
        with pytest.raises(IllegalTransitionError):
            store.fire("a", "run")
        assert store.version("a") == 1
        assert store.get("a").status is JobStatus.NOT_STARTED


def test_missing_and_duplicate_names(tmp_path: Path) -> None:
    """Unknown names raise JobNotFoundError (a KeyError); a second add is refused."""
    with JobStore(tmp_path / "jobs.db") as store:
        with pytest.raises(JobNotFoundError, match="no job named 'ghost'") as info:
            store.get("ghost")
        assert isinstance(info.value, KeyError)
        with pytest.raises(KeyError):
            store.fire("ghost", "start")
        store.add(CommandJob(name="a"))
        with pytest.raises(JobStoreError, match="'a' is already stored"):
            store.add(CommandJob(name="a"))
        with pytest.raises(ValueError, match="needs a non-empty string name"):
            store.add(CommandJob())
        with pytest.raises(ValueError, match="not 5"):
            store.add(CommandJob(name=5))  # type: ignore[arg-type]


def test_queries_by_status(tmp_path: Path) -> None:
    """names(status) and counts() reflect the stored statuses."""
    with JobStore(tmp_path / "jobs.db") as store:
        for name in ("a", "b", "c"):
            store.add(CommandJob(name=name))
        store.fire("b", "start")
        assert store.names() == ["a", "b", "c"]
        assert store.names("NotStarted") == ["a", "c"]
        assert store.names(JobStatus.STARTING) == ["b"]
        assert store.counts() == {JobStatus.NOT_STARTED: 2, JobStatus.STARTING: 1}


def test_threads_sharing_a_store_apply_an_event_once(tmp_path: Path) -> None:
    """Eight threads firing 'start' on the same stored job: one applies, seven are refused."""
    store = JobStore(tmp_path / "jobs.db")
    store.add(CommandJob(name="shared"))
    results: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        try:
            store.fire("shared", "start")
            results.append("applied")
        except IllegalTransitionError:
            results.append("refused")
        finally:
            store.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["applied"] + ["refused"] * 7
    assert store.version("shared") == 2


def test_processes_racing_on_one_job_apply_each_event_once(tmp_path: Path) -> None:
    """Real processes walking the same job concurrently never apply an event twice."""
    db = tmp_path / "jobs.db"
    with JobStore(db) as store:
        store.add(CommandJob(name="race"))
    script = textwrap.dedent(
        f"""
        from jobfsm.store import JobStore
        from jobfsm import IllegalTransitionError
        store = JobStore({str(db)!r})
        applied = 0
        for event in ("start", "prepare", "queue", "run", "finalize", "complete"):
            try:
                store.fire("race", event)
                applied += 1
            except IllegalTransitionError:
                pass
        print(applied)
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    applied = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(applied) == 6
    with JobStore(db) as store:
        job = store.get("race")
        assert job.status is JobStatus.COMPLETED
        assert len(job.history) == 6
        assert store.version("race") == 7


# -- hardening ----------------------------------------------------------------------

_PAUSED = DEFAULT_LIFECYCLE.extend(
    name="with-pause",
    states=["Paused"],
    events=[EventSpec("pause", "Running", "Paused"), EventSpec("unpause", "Paused", "Running")],
)


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing/jobs.db", "folder"),
        ("a-file/jobs.db", "folder"),
        ("a-folder", "folder"),
        ("not-sqlite.db", "not a database"),
    ],
)
def test_unusable_database_path_is_a_store_error(tmp_path: Path, where: str, reason: str) -> None:
    """A path in a missing folder, under a regular file, naming a folder, or a file
    that is not SQLite raises JobStoreError (an OSError) naming the path and what
    would be valid, not a bare sqlite3 error."""
    (tmp_path / "a-file").write_text("x\n")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "not-sqlite.db").write_text("name,status\n" * 200)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(JobStoreError) as info:
        JobStore(tmp_path / where)
    assert isinstance(info.value, OSError)
    assert str(tmp_path / where) in str(info.value)
    assert reason in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_job_with_another_lifecycle_is_refused(tmp_path: Path) -> None:
    """add refuses a job whose lifecycle is not the store's: its row could not be
    loaded back (get, fire and counts would fail on it). Nothing is stored."""
    paused = _PAUSED
    job = CommandJob(name="p", lifecycle=paused)
    for event in ("start", "prepare", "queue", "run", "pause"):
        job.fire(event)
    with JobStore(tmp_path / "jobs.db") as store:
        with pytest.raises(ValueError, match="with-pause") as info:
            store.add(job)
        assert "lifecycle=" in str(info.value)
        assert store.names() == []
        assert store.counts() == {}
    with JobStore(tmp_path / "jobs.db", lifecycle=paused) as store:
        store.add(job)
        assert store.get("p") == job
        assert store.fire("p", "unpause") == paused.status("Running")


def test_rows_of_another_lifecycle_name_the_store_and_job(tmp_path: Path) -> None:
    """A store opened with a lifecycle that lacks the stored statuses names the
    database (and the job) in its errors."""
    paused = _PAUSED
    db = tmp_path / "jobs.db"
    with JobStore(db, lifecycle=paused) as store:
        store.add(CommandJob(name="p", lifecycle=paused))
        for event in ("start", "prepare", "queue", "run", "pause"):
            store.fire("p", event)
    with JobStore(db) as store:
        with pytest.raises(JobFileStatusError) as info:
            store.get("p")
        assert str(db) in str(info.value)
        assert "'p'" in str(info.value)
        with pytest.raises(UnknownStatusError, match="'Paused'") as counts:
            store.counts()
        assert str(db) in str(counts.value)


def test_raising_observer_leaves_the_row_unchanged(tmp_path: Path) -> None:
    """A lifecycle observer that raises inside store.fire propagates, and the row
    keeps its status and version."""

    def refuse(job: Job, entry: object) -> None:
        raise RuntimeError("refused by observer")

    with JobStore(tmp_path / "jobs.db") as store:
        store.add(CommandJob(name="a"))
        add_observer(refuse)
        try:
            with pytest.raises(RuntimeError, match="refused by observer"):
                store.fire("a", "start")
        finally:
            remove_observer(refuse)
        assert store.version("a") == 1
        assert store.get("a").status is JobStatus.NOT_STARTED
        assert store.fire("a", "start").status is JobStatus.STARTING


def test_job_that_cannot_be_written_is_not_stored(tmp_path: Path) -> None:
    """A job whose document cannot be written raises JobDumpError; no row is added."""
    with JobStore(tmp_path / "jobs.db") as store:
        with pytest.raises(JobDumpError):
            store.add(CommandJob(name="a", extras={"x_obj": object()}))
        assert store.names() == []
        store.add(CommandJob(name="a"))
        assert store.version("a") == 1


def test_store_reopens_after_close(tmp_path: Path) -> None:
    """close() ends this thread's connection; the next call opens a new one."""
    store = JobStore(tmp_path / "jobs.db")
    store.add(CommandJob(name="a"))
    store.close()
    assert store.get("a").name == "a"
    store.close()


def test_threads_adding_the_same_name_store_it_once(tmp_path: Path) -> None:
    """Eight threads adding a job of the same name: one row, seven JobStoreErrors."""
    store = JobStore(tmp_path / "jobs.db")
    results: list[str] = []
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            store.add(CommandJob(name="dup", tags={"by": index}))
            results.append("stored")
        except JobStoreError:
            results.append("refused")
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused"] * 7 + ["stored"]
    assert store.names() == ["dup"]
    assert store.version("dup") == 1


def test_full_database_reports_the_real_cause(tmp_path: Path) -> None:
    """When SQLite rolls back on its own (database or disk full), the caller gets a
    JobStoreError naming the store and the cause, not "cannot rollback"; nothing
    is stored and the store keeps working."""
    with JobStore(tmp_path / "jobs.db") as store:
        store.add(CommandJob(name="a"))
        # A full disk, simulated: this thread's connection may not grow the file.
        db = store._connection()
        db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(JobStoreError, match="full") as info:
            store.add(CommandJob(name="big", description="x" * 100_000))
        assert str(tmp_path / "jobs.db") in str(info.value)
        assert store.names() == ["a"]
        store.fire("a", "start")
        assert store.version("a") == 2


def test_in_memory_database_is_refused() -> None:
    """':memory:' would give each thread its own empty database, so it is refused."""
    with pytest.raises(ValueError, match="needs a database file"):
        JobStore(":memory:")


# -- layout, migration, URLs ---------------------------------------------------------

FIXTURE = REPO / "tests" / "data" / "store-v0.db"


def test_store_of_the_first_layout_is_migrated_on_open(tmp_path: Path) -> None:
    """A file written by the first release (history inside each YAML document,
    tests/data/store-v0.db) opens with the same jobs, statuses, histories and
    fields, versions equal to 1 + transitions, and keeps working."""
    import shutil
    import sqlite3

    db = tmp_path / "old.db"
    shutil.copy(FIXTURE, db)
    with sqlite3.connect(db) as old:
        sql = "SELECT COUNT(*) FROM jobs WHERE document LIKE '%status_history%'"
        assert old.execute(sql).fetchone() == (3,)  # the fixture really is the old layout
    with JobStore(db) as store:
        assert store.names() == ["done", "flaky", "fresh", "sweep"]
        done = store.get("done")
        assert done.status is JobStatus.COMPLETED
        assert [h.event for h in done.history] == [
            "start", "prepare", "queue", "run", "finalize", "complete",
        ]  # fmt: skip
        assert done.description == "ünïcode ✓"
        assert done.properties == {"k": "v"}
        assert store.get("fresh").tags == {"team": "nlp", "n": "1"}
        assert store.get("fresh").history == ()
        flaky = store.history("flaky")
        assert len(flaky) == 12
        assert store.version("flaky") == 13
        assert [h.to for h in flaky[5:7]] == [JobStatus.NOT_RESPONDING, JobStatus.RUNNING]
        assert store.status("sweep") is JobStatus.FAILED
        assert store.get("sweep").type == "sweep"
        for row in store.jobs():
            assert row.version == len(store.history(row.name)) + 1
        assert store.fire("flaky", "complete").version == 14
    with sqlite3.connect(db) as new:
        tables = {name for (name,) in new.execute("SELECT name FROM sqlite_master")}
        assert "jobs_v1" not in tables
        assert "transitions" in tables
        assert new.execute("SELECT value FROM jobfsm_meta").fetchone() == ("2",)
    with JobStore(db) as again:  # opening a migrated store again changes nothing
        assert again.version("flaky") == 14


def test_sqlite_url_and_durability_option(tmp_path: Path) -> None:
    """sqlite:///path names a file like a path; durability='normal' is accepted and
    anything else refused; schema= is PostgreSQL's."""
    db = tmp_path / "u.db"
    with JobStore(f"sqlite:///{db}", durability="normal") as store:
        store.add(CommandJob(name="a"))
    with JobStore(db) as store:
        assert "a" in store
    with pytest.raises(ValueError, match="durability"):
        JobStore(db, durability="fast")
    with pytest.raises(ValueError, match="PostgreSQL"):
        JobStore(db, schema="x")


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("mysql://db/jobs", ["mysql://db/jobs", "postgresql://"]),
        ("postgresql://postgres:secret@127.0.0.1:1/test", ["127.0.0.1:1", "connect"]),
    ],
)
def test_wrong_url_or_server_down_is_a_store_error(target: str, words: list[str]) -> None:
    """An unknown URL scheme or an unreachable server is a JobStoreError naming the
    store (without its password) and what is expected."""
    if target.startswith("postgresql"):
        from tests.conftest import needs

        needs("psycopg", "postgres")
    with pytest.raises(JobStoreError) as info:
        JobStore(target)
    for word in words:
        assert word in str(info.value)
    assert "secret" not in str(info.value)


def test_postgres_schema_option_keeps_stores_apart() -> None:
    """Two schemas of one database are two stores; schema= and ?schema= are the same
    option; a schema name that is not a plain identifier is refused."""
    from tests.stores import make_target, needs

    needs("psycopg", "postgres")
    first_target = make_target("postgres", Path("."))
    first = next(first_target)
    second_target = make_target("postgres", Path("."))
    second = next(second_target)
    try:
        with JobStore(first) as one, JobStore(second) as two:
            one.add(CommandJob(name="a"))
            assert "a" in one
            assert "a" not in two
        base, schema = first.rsplit("?schema=", 1)
        with JobStore(base, schema=schema) as again:
            assert "a" in again
        with pytest.raises(ValueError, match="identifier"):
            JobStore(base, schema="x; DROP TABLE jobs")
    finally:
        for made in (first_target, second_target):
            with contextlib.suppress(StopIteration):
                next(made)


def test_postgres_without_its_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without psycopg, a postgresql:// store raises JobStoreError naming the extra
    to install; SQLite stores never import it."""
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    monkeypatch.delitem(sys.modules, "jobfsm.store.postgres", raising=False)
    with pytest.raises(JobStoreError, match=r"pip install 'jobfsm\[postgres\]'"):
        JobStore("postgresql://postgres@127.0.0.1:5432/test")
