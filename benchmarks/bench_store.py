"""The durable job store: jobfsm's stores against hand-written transactions.

1. **One event, one writer**: ``JobStore.fire`` against the transaction a
   programmer would write by hand on the same tables (read status and version,
   conditional ``UPDATE``, ``INSERT`` of the history row, ``COMMIT``), with the
   same durability: SQLite ``synchronous=FULL`` and ``NORMAL``, and PostgreSQL
   (psycopg 3, ``synchronous_commit=on``). Each sample walks fresh jobs through
   the happy path; subjects are interleaved.
2. **History independence**: events on a job with 10,000 earlier transitions
   against events on a job with 10.
3. **Contention**: 8 writer processes, on distinct jobs and on 2 shared jobs,
   for a fixed time: total events/s, errors (lock timeouts and database errors;
   a move refused because another writer moved the job first is not an error),
   and the spread of events between processes.

Timings here use the wall clock (``time.perf_counter``): a commit waits for
the disk or the server, which is the cost being measured. PostgreSQL rows are
left out when psycopg or the server is missing. Run alone with
``python benchmarks/bench_store.py [--quick] [--write-docs]``, which writes the
store section of docs/performance.md.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Comparison, anchored_rows, time_row  # noqa: E402
from jobfsm import (  # noqa: E402
    DEFAULT_LIFECYCLE,
    CommandJob,
    IllegalTransitionError,
    JobStatus,
    JobStore,
    JobStoreError,
    VersionConflictError,
)

__all__ = ["measure"]

HAPPY_PATH = ("start", "prepare", "queue", "run", "finalize", "complete")
POSTGRES_URL = os.environ.get(
    "JOBFSM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
FIRE_TARGET = 1.5  # x the hand-written transaction
HISTORY_TARGET = 1.2  # 10,000 earlier transitions vs 10
_TABLE = {
    str(status): {event: str(dests[0]) for event, dests in events.items()}
    for status, events in DEFAULT_LIFECYCLE.table.items()
}
_RECORD = (
    "INSERT INTO transitions (job, seq, from_status, to_status, event, at, transition_id,"
    " reason, source, inferred) VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)
_MOVE = (
    "UPDATE jobs SET status = {0}, version = {0}, updated_at = {0}"
    " WHERE name = {0} AND version = {0}"
)
Row = dict[str, Any]


def _wall_compare(
    subjects: Mapping[str, tuple[Callable[[], Any], Callable[[Any], object]]],
    *,
    per: int,
    repeat: int,
) -> Comparison:
    """``common.compare`` on the wall clock: interleaved repeats, seconds per unit."""
    for setup, run in subjects.values():
        run(setup())  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(repeat):
        for name, (setup, run) in subjects.items():
            state = setup()
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                run(state)
                samples[name].append((time.perf_counter() - start) / per)
            finally:
                gc.enable()
    return Comparison(samples)


# -- targets -----------------------------------------------------------------------------


class _Places:
    """Fresh store locations (SQLite files, PostgreSQL schemas), removed at the end."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="jobfsm-bench-")
        self.schemas: list[str] = []
        self.count = 0

    def new(self, backend: str) -> str:
        self.count += 1
        if backend == "sqlite":
            return os.path.join(self.folder, f"s{self.count}.db")
        schema = f"jobfsm_bench_{os.getpid()}_{self.count}"
        self.schemas.append(schema)
        return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.schemas:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                for schema in self.schemas:
                    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def _places() -> Iterator[_Places]:
    places = _Places()
    try:
        yield places
    finally:
        places.close()


def _postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as exc:  # no driver, no server: the PostgreSQL rows are left out
        print(f"bench_store: PostgreSQL rows left out ({exc})", file=sys.stderr)
        return False
    return True


def _filled(where: str, jobs: int, durability: str) -> str:
    with JobStore(where, durability=durability) as store:
        for index in range(jobs):
            store.add(CommandJob(name=f"job-{index}"))
    return where


# -- hand-written anchors ---------------------------------------------------------------


def _hand_sqlite(where: str, jobs: int, synchronous: str) -> None:
    db = sqlite3.connect(where, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    move, record = _MOVE.format("?"), _RECORD.format("?")
    for index in range(jobs):
        name = f"job-{index}"
        for event in HAPPY_PATH:
            db.execute("BEGIN IMMEDIATE")
            status, version = db.execute(
                "SELECT status, version FROM jobs WHERE name = ?", (name,)
            ).fetchone()
            dest, now = _TABLE[status][event], time.time_ns() // 1000
            db.execute(move, (dest, version + 1, now, name, version))
            db.execute(record, (name, version + 1, status, dest, event, now, None, None, None, 0))
            db.execute("COMMIT")
    db.close()


def _hand_postgres(where: str, jobs: int) -> None:
    import psycopg

    schema = where.rsplit("schema=", 1)[1]
    move, record = _MOVE.format("%s"), _RECORD.format("%s")
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(f'SET search_path TO "{schema}"')
        for index in range(jobs):
            name = f"job-{index}"
            for event in HAPPY_PATH:
                with db.transaction():
                    status, version = db.execute(
                        "SELECT status, version FROM jobs WHERE name = %s FOR UPDATE", (name,)
                    ).fetchone()
                    dest, now = _TABLE[status][event], time.time_ns() // 1000
                    db.execute(move, (dest, version + 1, now, name, version))
                    db.execute(
                        record,
                        (name, version + 1, status, dest, event, now, None, None, None, False),
                    )


def _store_walk(store: JobStore, jobs: int) -> None:
    for index in range(jobs):
        name = f"job-{index}"
        for event in HAPPY_PATH:
            store.fire(name, event)
    store.close()


def _one_writer(
    places: _Places, backend: str, durability: str, jobs: int, repeat: int
) -> list[Row]:
    label = "SQLite synchronous=" + ("FULL" if durability == "full" else "NORMAL")
    if backend == "postgres":
        label = "PostgreSQL synchronous_commit=" + ("on" if durability == "full" else "off")
    anchor = f"hand-written {'sqlite3' if backend == 'sqlite' else 'psycopg'} transaction"
    subject = "jobfsm JobStore.fire"

    def hand(where: str) -> None:
        if backend == "sqlite":
            _hand_sqlite(where, jobs, "FULL" if durability == "full" else "NORMAL")
        else:
            _hand_postgres(where, jobs)

    subjects = {
        anchor: (lambda: _filled(places.new(backend), jobs, durability), hand),
        subject: (
            lambda: JobStore(_filled(places.new(backend), jobs, durability), durability=durability),
            lambda store: _store_walk(store, jobs),
        ),
    }
    timing = _wall_compare(subjects, per=jobs * len(HAPPY_PATH), repeat=repeat)
    return anchored_rows(
        f"store: one event, one writer, {label}",
        timing,
        anchor,
        lambda s: f"event ({1 / s:,.0f} events/s)",
        {subject: FIRE_TARGET},
    )


def _history(places: _Places, backend: str, long: int, events: int, repeat: int) -> list[Row]:
    """Events on a job with *long* earlier transitions against one with 10."""

    def job_with(count: int, name: str) -> CommandJob:
        job = CommandJob(name=name)
        for event in ("start", "prepare", "queue", "run"):
            job.fire(event)
        for _ in range(count - 4):  # (job.history builds a tuple: not read in the loop)
            job.fire("lose_heartbeat" if job.status is JobStatus.RUNNING else "resume")
        return job

    where = places.new(backend)
    store = JobStore(where, durability="normal")
    store.add(job_with(long, "long"))
    made = [0]

    def short() -> str:
        made[0] += 1
        name = f"short-{made[0]}"
        store.add(job_with(10, name))
        return name

    def flap(name: str) -> None:
        status = store.status(name)
        for _ in range(events):
            event = "lose_heartbeat" if status is JobStatus.RUNNING else "resume"
            status = store.fire(name, event, to="Running" if event == "resume" else None).status

    few, many = "10 earlier transitions", f"{long:,} earlier transitions"
    subjects = {few: (short, flap), many: (lambda: "long", flap)}
    timing = _wall_compare(subjects, per=events, repeat=repeat)
    store.close()
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    return anchored_rows(
        f"store: history independence, {name}, durability normal",
        timing,
        few,
        lambda s: f"event ({1 / s:,.0f} events/s)",
        {many: HISTORY_TARGET},
    )


# -- contention ----------------------------------------------------------------------------


def _contender(where: str, names: list[str], seconds: float, out: Any) -> None:
    store = JobStore(where)
    done = errors = raced = 0
    stop = time.monotonic() + seconds
    index = 0
    while time.monotonic() < stop:
        name = names[index % len(names)]
        index += 1
        try:
            status = store.status(name)
            event = "lose_heartbeat" if status is JobStatus.RUNNING else "resume"
            store.fire(name, event, to="Running" if event == "resume" else None)
            done += 1
        except (IllegalTransitionError, VersionConflictError):
            raced += 1  # another writer moved the job between our read and our write
        except JobStoreError:
            errors += 1
    store.close()
    out.put((done, errors, raced))


def _contention(places: _Places, backend: str, shared: bool, seconds: float) -> Row:
    writers = 8
    where = places.new(backend)
    with JobStore(where) as store:
        count = 2 if shared else writers
        for index in range(count):
            store.add(CommandJob(name=f"job-{index}"))
            store.observe(f"job-{index}", "Running")
    fork = multiprocessing.get_context("fork")
    out = fork.Queue()
    procs = []
    for index in range(writers):
        names = ["job-0", "job-1"] if shared else [f"job-{index}"]
        procs.append(fork.Process(target=_contender, args=(where, names, seconds, out)))
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    total = sum(done for done, _, _ in results)
    errors = sum(e for _, e, _ in results)
    raced = sum(r for _, _, r in results)
    low, high = min(d for d, _, _ in results), max(d for d, _, _ in results)
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    what = "2 shared jobs" if shared else "8 distinct jobs"
    row = time_row(
        f"store: 8 writer processes, {what}, {name}, {seconds:g} s",
        "jobfsm JobStore.fire",
        elapsed / max(total, 1),
        f"event ({total / elapsed:,.0f} events/s total; {errors} errors; {raced} raced; "
        f"per process {low:,}-{high:,})",
    )
    row["target"] = "0 errors"
    row["met"] = errors == 0
    return row


def measure(quick: bool = False) -> list[Row]:
    """Run the store benchmarks; one row per figure (anchors included)."""
    repeat = 2 if quick else 7
    rows: list[Row] = []
    backends = ["sqlite"] + (["postgres"] if _postgres_available() else [])
    with _places() as places:
        rows += _one_writer(places, "sqlite", "full", 2 if quick else 20, repeat)
        rows += _one_writer(places, "sqlite", "normal", 2 if quick else 100, repeat)
        if "postgres" in backends:
            rows += _one_writer(places, "postgres", "full", 2 if quick else 20, repeat)
        for backend in backends:
            rows += _history(
                places, backend, 100 if quick else 10_000, 20 if quick else 300, repeat
            )
        for backend in backends:
            for shared in (False, True):
                rows.append(_contention(places, backend, shared, 0.3 if quick else 10.0))
    return rows


START, END = "<!-- store:start -->", "<!-- store:end -->"


def main(argv: list[str]) -> int:
    """Print the store rows; ``--write-docs`` puts them in docs/performance.md."""
    from benchmarks import run

    rows = measure(quick="--quick" in argv)
    text = run.machine_line() + "\n\n" + run.table(rows)
    print(text)
    if "--write-docs" in argv and "--quick" not in argv:
        path = ROOT / "docs" / "performance.md"
        current = path.read_text(encoding="utf-8")
        start, end = current.index(START), current.index(END)
        path.write_text(current[: start + len(START)] + "\n" + text + "\n" + current[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
