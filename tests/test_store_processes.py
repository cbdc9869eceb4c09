"""The job store under real processes: races, concurrent opening, and kill -9.

Every test runs on both backends. Processes are forked (the parent holds no
open connection when it forks); a killed writer is killed with SIGKILL.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from typing import Any

from jobfsm import (
    CommandJob,
    IllegalTransitionError,
    JobStatus,
    JobStore,
    VersionConflictError,
)
from tests.stores import target  # noqa: F401 - the parametrized fixture

S = JobStatus
WRITERS = 8
FORK = multiprocessing.get_context("fork")


def _running_job(store: JobStore, name: str) -> None:
    store.add(CommandJob(name=name))
    store.observe(name, "Running")


def _flap(status: object) -> tuple[str, str | None]:
    """The event that moves a job flapping between Running and NotResponding."""
    return ("lose_heartbeat", None) if status is S.RUNNING else ("resume", "Running")


def _racer(where: str, barrier: Any, rounds: int, results: Any) -> None:
    store = JobStore(where)
    for _ in range(rounds):
        barrier.wait()
        version, status = store.version("job"), store.status("job")
        barrier.wait()  # everyone has read the same version before anyone writes
        event, to = _flap(status)
        try:
            store.fire("job", event, to=to, expected_version=version)
            results.put(("won", version))
        except VersionConflictError as exc:
            results.put(("conflict", exc.expected))
    store.close()


def test_processes_racing_with_one_expected_version_have_one_winner(
    target: str,  # noqa: F811
) -> None:
    """Eight processes fire at the version they all read: per round exactly one
    write applies and seven get VersionConflictError."""
    rounds = 6
    with JobStore(target) as store:
        _running_job(store, "job")
    barrier, results = FORK.Barrier(WRITERS), FORK.Queue()
    procs = [FORK.Process(target=_racer, args=(target, barrier, rounds, results))
             for _ in range(WRITERS)]  # fmt: skip
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in range(WRITERS * rounds)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    for index in range(rounds):
        version = 5 + index
        in_round = sorted(kind for kind, seen in outcomes if seen == version)
        assert in_round == ["conflict"] * (WRITERS - 1) + ["won"]
    with JobStore(target) as store:
        assert store.version("job") == 5 + rounds
        assert len(store.history("job")) == 4 + rounds


def _opener(where: str, barrier: Any, index: int) -> None:
    barrier.wait()
    with JobStore(where, timeout=60) as store:
        store.add(CommandJob(name=f"job-{index}"))
        store.fire(f"job-{index}", "start")


def test_processes_opening_a_new_store_at_once_all_succeed(
    target: str,  # noqa: F811
) -> None:
    """Eight processes creating the same new store at the same moment all open it
    and write to it (creation, WAL switch and schema are retried, never fail)."""
    for attempt in range(3):
        where = target.replace("jobs.db", f"jobs-{attempt}.db")
        if "schema=" in target:
            where = f"{target}_{attempt}"
        barrier = FORK.Barrier(WRITERS)
        procs = [FORK.Process(target=_opener, args=(where, barrier, i)) for i in range(WRITERS)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        assert [proc.exitcode for proc in procs] == [0] * WRITERS
        with JobStore(where) as store:
            assert len(store) == WRITERS
            assert store.counts() == {S.STARTING: WRITERS}
        if "schema=" in target:
            _drop_schema(where)


def _drop_schema(url: str) -> None:
    import psycopg

    from tests.stores import POSTGRES_URL

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- kill -9 ----------------------------------------------------------------------------

JOBS = ("k0", "k1", "k2")


def _writer(where: str, out: int, seed: int) -> None:
    """Fire flapping events forever; after each acknowledged one write a line to *out*."""
    rng = random.Random(seed)
    store = JobStore(where)
    count = 0
    while True:
        name = rng.choice(JOBS)
        tid = f"{seed}-{count}"
        count += 1
        try:
            event, to = _flap(store.status(name))
            applied = store.fire(name, event, to=to, transition_id=tid)
        except (IllegalTransitionError, VersionConflictError):
            continue  # the other writer moved the job between the read and the fire
        line = f"{name} {tid} {event} {to or '-'} {applied.status} {applied.version}\n"
        os.write(out, line.encode())


def _kill_rounds(where: str, rounds: int, seed: int) -> list[list[str]]:
    """Run two writers per round and SIGKILL both mid-flight; return their acknowledgements."""
    rng = random.Random(seed)
    acks: list[list[str]] = []
    for round_ in range(rounds):
        pipes, procs = [], []
        for writer in range(2):
            read, write = os.pipe()
            proc = FORK.Process(
                target=_writer, args=(where, write, seed * 1000 + round_ * 2 + writer)
            )
            proc.start()
            os.close(write)
            pipes.append(read)
            procs.append(proc)
        deadline = time.monotonic() + 60
        first = os.read(pipes[0], 65536)  # the first acknowledgement: the writer is mid-flight
        assert first or time.monotonic() < deadline
        time.sleep(rng.uniform(0, 0.03))
        for proc in procs:
            os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == -signal.SIGKILL
        chunks = [first]
        for read in pipes:
            while data := os.read(read, 65536):
                chunks.append(data)
            os.close(read)
        text = b"".join(chunks).decode()
        # A line cut by the kill was never acknowledged: keep whole lines only.
        acks.append([line for line in text.split("\n") if line.count(" ") == 5])
    return acks


def _check_after_kills(where: str, acks: list[list[str]]) -> int:
    if not where.startswith("postgresql"):
        with sqlite3.connect(where) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    checked = 0
    with JobStore(where) as store:
        for name in JOBS:
            history = store.history(name)
            assert store.version(name) == len(history) + 1
            for before, after in itertools.pairwise(history):
                assert before.to == after.from_  # a chain: no lost or doubled step
        for line in (line for round_ in acks for line in round_):
            name, tid, event, to, status, version = line.split(" ")
            replay = store.fire(name, event, to=None if to == "-" else to, transition_id=tid)
            assert replay.replayed
            assert (str(replay.status), replay.version) == (status, int(version))
            checked += 1
    return checked


def test_writers_killed_with_sigkill_lose_no_acknowledged_transition(
    target: str,  # noqa: F811
) -> None:
    """100 writers (2 per round, 50 rounds) are killed with SIGKILL mid-flight: the
    database stays intact, every acknowledged transition is there and replays to
    its original result, and every job's version is 1 + its transitions."""
    with JobStore(target) as store:
        for name in JOBS:
            _running_job(store, name)
    acks = _kill_rounds(target, rounds=50, seed=7)
    assert _check_after_kills(target, acks) >= 50
