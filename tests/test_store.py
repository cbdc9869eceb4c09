"""The SQLite job store: persistence, atomic events, and races between processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jobfsm import CommandJob, IllegalTransitionError, JobStatus
from jobfsm.errors import JobNotFoundError, JobStoreError
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
        with pytest.raises(ValueError, match="needs a name"):
            store.add(CommandJob())


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
