"""Validation speed and memory, each figure beside an anchor measured in the same run.

- ``validate_trace`` on a long legal trace (edges and repeats) against a plain
  loop over a dict of adjacency sets, the least any checker must do;
- ``jobfsm validate --workers 1`` (``cli.main`` in-process, stdout discarded)
  on a realistic JSON Lines log (1,000,000 events of interleaved jobs polled
  in turn, millisecond ISO times, about 90-byte lines) against reading the
  same file and calling ``json.loads`` on each line, the least any reader of
  that log must do; with the optional msgspec reader and with the standard
  library alone, for 1,000 to 1,000,000 jobs;
- the same command with one process per core, in wall time, against DuckDB
  (a ``LAG()`` window over the log) and polars (``shift().over("job")``),
  each checking the same pairs and times on every core;
- the start-up of ``python -m jobfsm validate`` over a bare ``python -c pass``;
- bytes kept per job by the validation loop, and peak memory on a log full
  of violations against its size.

Run with ``python benchmarks/run.py --only validate`` (add ``--quick`` for tiny sizes).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Comparison, anchored_rows, compare, memory_row, time_row
from jobfsm import DEFAULT_LIFECYCLE, EventLog, JobStatus, _nativecheck, validate_trace
from jobfsm import _fastjson as fastjson
from jobfsm._judge import _Judge
from jobfsm.cli import main
from jobfsm.segments import fold_states

Row = dict[str, Any]

#: validate_trace may cost at most 1.5x its anchor.
TRACE_TARGET = 1.5
#: The command line may cost at most 1.2x the json.loads floor, at every job count.
CLI_TARGET = 1.2
#: ... and read at least this many events per second in one process.
EVENTS_PER_S = 1_000_000
#: `jobfsm validate` may start at most this much slower than `python -c pass`.
STARTUP_TARGET_S = 0.060
#: Bytes the validation loop may keep per job.
STATE_TARGET = 400.0

ADJECTIVES = ("brave", "quirky", "lively", "calm", "eager", "gentle", "happy", "jolly")
NOUNS = ("lamp", "cup", "river", "stone", "cloud", "tree", "bird", "coin", "leaf")
SUFFIX = "bcdfghjklmnpqrstvwxyz0123456789"


def legal_trace(size: int, seed: int = 1) -> list[JobStatus]:
    """A legal trace of *size* statuses: random edges that avoid ending, half repeats."""
    rng = random.Random(seed)
    lifecycle = DEFAULT_LIFECYCLE
    # Stay among statuses from which the walk can go on without ending.
    keep = {s for s in lifecycle.non_terminal if s is not JobStatus.CANCEL_REQUESTED}
    nexts = {s: sorted(lifecycle.successors[s] & keep) for s in keep}
    status = JobStatus.NOT_STARTED
    trace = []
    for _ in range(size):
        trace.append(status)
        if rng.random() < 0.5:
            status = rng.choice(nexts[status])
    return trace


def plain_adjacency_loop(trace: list[JobStatus], adjacency: dict[str, set[str]]) -> list[int]:
    """The anchor: flag each pair that is neither a repeat nor an edge."""
    bad = []
    prev = trace[0]
    for index, status in enumerate(trace):
        if status != prev and status not in adjacency[prev]:
            bad.append(index)
        prev = status
    return bad


def _job_path(rng: random.Random, length: int) -> list[str]:
    """One job's polled statuses: the usual path with repeats while it runs."""
    head = ["Starting", "Provisioning", "Preparing", "Queued"]
    if rng.random() < 0.5:
        head.remove("Provisioning")
    tail = ["Finalizing", "Completed"] if rng.random() >= 0.1 else ["Failed"]
    running = max(1, length - len(head) - len(tail))
    return head + ["Running"] * running + tail


def event_lines(events: int, jobs: int, seed: int = 2) -> Iterator[str]:
    """A realistic log: *jobs* jobs polled in turn every 30 s, *events* JSON lines in all.

    Names look generated (``quirky_lamp_8r2kq9xw1d``), times are ISO-8601 with
    milliseconds, and each job's times go forward.
    """
    rng = random.Random(seed)
    per_job = max(1, events // jobs)
    paths = [_job_path(rng, per_job) for _ in range(jobs)]
    names = [
        f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}_{''.join(rng.choices(SUFFIX, k=10))}_{n}"
        for n in range(jobs)
    ]
    start = 1_714_550_400_000  # 2024-05-01T08:00:00Z, in milliseconds
    written = tick = 0
    while written < events:
        for name, path in zip(names, paths, strict=True):
            if written == events:
                break
            if tick < len(path):
                ms = start + tick * 30_000 + rng.randrange(30_000)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
                written += 1
                yield (
                    f'{{"job": "{name}", "status": "{path[tick]}", '
                    f'"time": "{stamp}.{ms % 1000:03d}Z"}}\n'
                )
        tick += 1


def write_log(path: Path, events: int, jobs: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(event_lines(events, jobs))


def _json_loads_only(path: Path) -> None:
    loads = json.loads
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            loads(line)


def _with_a_violation_at_the_end(clean: Path, dirty: Path) -> None:
    """*clean* with one more line: its last job back at NotStarted (an illegal step)."""
    text = clean.read_text(encoding="utf-8")
    last = json.loads(text.rstrip("\n").rpartition("\n")[2])
    dirty.write_text(text + json.dumps({**last, "status": "NotStarted"}) + "\n", encoding="utf-8")


def _cli(path: Path, *options: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main(["validate", str(path), *options])


def _cli_python(path: Path, *options: str) -> int:
    """The command without the compiled pass: the exact reader alone."""
    before = os.environ.get("JOBFSM_NO_NATIVE")
    os.environ["JOBFSM_NO_NATIVE"] = "1"
    try:
        return _cli(path, *options)
    finally:
        if before is None:
            del os.environ["JOBFSM_NO_NATIVE"]
        else:
            os.environ["JOBFSM_NO_NATIVE"] = before


def _cli_standard_library(path: Path) -> int:
    fastjson.enabled = False
    try:
        return _cli_python(path, "--workers", "1")
    finally:
        fastjson.enabled = True


# -- the anchors of the multi-core comparison ----------------------------------------

EDGES = sorted({(str(e.source), str(e.dest)) for e in DEFAULT_LIFECYCLE.edges})

DUCKDB_QUERY = """
WITH ev AS (
  SELECT row_number() OVER () AS line, job, status, CAST(time AS TIMESTAMPTZ) AS t
  FROM read_json(?, format='newline_delimited',
                 columns={job: 'VARCHAR', status: 'VARCHAR', time: 'VARCHAR'})
), pairs AS (
  SELECT status, t, LAG(status) OVER w AS prev, LAG(t) OVER w AS prev_t
  FROM ev WINDOW w AS (PARTITION BY job ORDER BY line)
)
SELECT count(*) FILTER (WHERE p.prev IS NOT NULL AND p.prev <> p.status AND e.src IS NULL),
       count(*) FILTER (WHERE p.t < p.prev_t)
FROM pairs p LEFT JOIN edges e ON e.src = p.prev AND e.dst = p.status
"""


def duckdb_check(path: Path) -> tuple[int, int]:
    """Illegal pairs and times gone backwards, per job in file order, by DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE edges(src VARCHAR, dst VARCHAR)")
        con.executemany("INSERT INTO edges VALUES (?, ?)", EDGES)
        illegal, backwards = con.execute(DUCKDB_QUERY, [str(path)]).fetchone()  # type: ignore[misc]
        return int(illegal), int(backwards)
    finally:
        con.close()


def polars_check(path: Path) -> tuple[int, int]:
    """The same counts by polars: the previous status and time per job, joined with the edges."""
    import polars as pl

    edges = pl.DataFrame(
        {
            "prev": [a for a, _ in EDGES],
            "status": [b for _, b in EDGES],
            "edge": [True] * len(EDGES),
        }
    )
    schema = {"job": pl.String, "status": pl.String, "time": pl.String}
    out = (
        pl.scan_ndjson(path, schema=schema)
        .with_columns(t=pl.col("time").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC"))
        .with_columns(
            prev=pl.col("status").shift(1).over("job"), prev_t=pl.col("t").shift(1).over("job")
        )
        .join(edges.lazy(), on=["prev", "status"], how="left")
        .select(
            illegal=(
                pl.col("prev").is_not_null()
                & (pl.col("prev") != pl.col("status"))
                & pl.col("edge").is_null()
            ).sum(),
            backwards=(pl.col("t") < pl.col("prev_t")).sum(),
        )
        .collect()
    )
    return int(out["illegal"][0]), int(out["backwards"][0])


def _wall(subjects: dict[str, Callable[[], object]], repeat: int) -> Comparison:
    """Wall-clock seconds of each subject, interleaved (they use every core)."""
    for run in subjects.values():
        run()  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(repeat):
        for name, run in subjects.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return Comparison(samples)


# -- start-up and memory ---------------------------------------------------------------


def _startup(repeat: int) -> Comparison:
    """Wall seconds of `python -c pass` and `python -m jobfsm validate` on a one-line log.

    Bytecode is cached (in a temporary folder) as it is for an installed package.
    """
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "one.jsonl"
        log.write_text('{"job": "a", "status": "Running"}\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m jobfsm validate": [sys.executable, "-m", "jobfsm", "validate", str(log)],
        }

        def run(command: list[str]) -> Callable[[], object]:
            return lambda: subprocess.run(
                command, cwd=root, env=env, stdout=subprocess.DEVNULL, check=True
            )

        return _wall({name: run(command) for name, command in commands.items()}, repeat)


def state_bytes_per_job(path: Path, jobs: int) -> float:
    """Bytes the validation loop keeps per job after reading *path* (its states only)."""
    judge = _Judge(DEFAULT_LIFECYCLE, "strict", False)
    log = EventLog(path, "jsonl")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pairs, fast_type = log.pairs("job", "status", "time")
        states, _ = fold_states(pairs, judge, [], fast_type=fast_type)
        del pairs
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(states) == jobs
    return kept / jobs


def violation_peak(path: Path, events: int, iso_times: bool = False) -> tuple[float, int]:
    """Peak bytes of `jobfsm validate` on a log where every other event is a violation.

    Times are numbers of seconds (which only the exact reader reads), or, with
    *iso_times*, ISO-8601 strings (read by the compiled pass, which hands every
    job to the exact fold: each one breaks a rule).
    """
    with open(path, "w", encoding="utf-8") as out:
        for n in range(events):
            status = "Completed" if n % 2 else "Running"
            time_ = f'"{datetime.fromtimestamp(n, UTC):%Y-%m-%dT%H:%M:%SZ}"' if iso_times else n
            out.write(f'{{"job": "job-{n % 499:05d}", "status": "{status}", "time": {time_}}}\n')
    tracemalloc.start()
    try:
        _cli(path, "--workers", "1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, path.stat().st_size


# -- measure -----------------------------------------------------------------------------


def measure(quick: bool = False) -> list[Row]:
    """Run every benchmark; return one row per figure (anchors included).

    Args:
        quick: Tiny sizes, for a smoke test (the figures mean nothing then).
    """
    statuses = 2_000 if quick else 1_000_000
    events = 2_000 if quick else 1_000_000
    main_jobs = 20 if quick else 50_000
    job_counts = (20, 200) if quick else (1_000, 10_000, 100_000, 1_000_000)
    repeat = 1 if quick else 5
    rows: list[Row] = []

    trace = legal_trace(statuses)
    adjacency = {s.value: {d.value for d in DEFAULT_LIFECYCLE.successors[s]} for s in JobStatus}
    bench = f"validate_trace, {statuses:,} statuses"
    loop = "plain dict-adjacency loop"
    subjects = {
        loop: (lambda: None, lambda _: plain_adjacency_loop(trace, adjacency)),
        "validate_trace(mode='strict')": (lambda: None, lambda _: validate_trace(trace)),
        "validate_trace(mode='observed')": (
            lambda: None,
            lambda _: validate_trace(trace, mode="observed"),
        ),
    }
    timing = compare(subjects, per=statuses, repeat=repeat)
    targets = dict.fromkeys(subjects, TRACE_TARGET)
    rows += anchored_rows(bench, timing, loop, lambda s: f"{s * 1e9:.0f} ns/status", targets)

    floor = "read + json.loads each line"
    compiled = "jobfsm validate --workers 1 (compiled pass)"
    fast = "jobfsm validate --workers 1 (msgspec reader)"
    plain = "jobfsm validate --workers 1 (standard library)"
    per = lambda s: f"{1 / s:,.0f} events/s"  # noqa: E731
    few_log: Path | None = None
    with tempfile.TemporaryDirectory() as folder:
        for jobs in sorted({*job_counts, main_jobs}):
            path = Path(folder) / f"events-{jobs}.jsonl"
            write_log(path, events, jobs)
            assert _cli(path, "--workers", "1") == 0, "the generated log must be clean"
            subjects = {floor: (lambda: None, lambda _, p=path: _json_loads_only(p))}
            if _nativecheck.available():
                subjects[compiled] = (lambda: None, lambda _, p=path: _cli(p, "--workers", "1"))
            if fastjson.available():
                subjects[fast] = (
                    lambda: None,
                    lambda _, p=path: _cli_python(p, "--workers", "1"),
                )
            subjects[plain] = (lambda: None, lambda _, p=path: _cli_standard_library(p))
            timing = compare(subjects, per=events, repeat=repeat if jobs == main_jobs else 3)
            size = path.stat().st_size
            bench = f"CLI one process, {events:,} events, {jobs:,} jobs ({size / 1e6:.0f} MB)"
            more = anchored_rows(bench, timing, floor, per, dict.fromkeys(subjects, CLI_TARGET))
            rows += more
            if jobs == main_jobs:
                best = min(timing.median[k] for k in (compiled, fast, plain) if k in timing.median)
                rows.append(
                    {
                        **time_row(bench, "events per second, one process", best, per(best)),
                        "target": f"≥ {EVENTS_PER_S:,} events/s",
                        "met": 1 / best >= EVENTS_PER_S,
                    }
                )
                main_log = Path(folder) / "main.jsonl"
                path.rename(main_log)
            elif jobs == min(job_counts):
                few_log = Path(folder) / "few.jsonl"
                path.rename(few_log)
            else:
                path.unlink()

        # Every core: jobfsm's workers against DuckDB and polars, in wall time, on
        # the main log (every job spans it: the workers' worst case), and, without a
        # target, on the same number of events of few jobs and on the main log with
        # one violation at its end (what a log that is not clean costs).
        cores = len(os.sched_getaffinity(0))
        dirty_log = Path(folder) / "dirty.jsonl"
        _with_a_violation_at_the_end(main_log, dirty_log)
        logs = [(main_log, main_jobs, 1.0, ""), (dirty_log, main_jobs, None, ", one violation")]
        if few_log is not None:
            logs.append((few_log, min(job_counts), None, ""))
        for log, jobs, target, note in logs:
            expected = (1, 0) if log == dirty_log else (0, 0)
            assert duckdb_check(log) == expected
            assert polars_check(log) == expected
            workers = f"jobfsm validate --workers {cores}"
            wall = _wall(
                {
                    "DuckDB, LAG() window": lambda log=log: duckdb_check(log),
                    "polars, shift().over(job)": lambda log=log: polars_check(log),
                    workers: lambda log=log: _cli(log, "--workers", str(cores)),
                    f"{workers}, without the compiled pass": lambda log=log: _cli_python(
                        log, "--workers", str(cores)
                    ),
                    "jobfsm validate --workers 1": lambda log=log: _cli(log, "--workers", "1"),
                },
                repeat,
            )
            rows += anchored_rows(
                f"every core ({cores}), wall time, {events:,} events, {jobs:,} jobs{note}",
                wall,
                "DuckDB, LAG() window",
                lambda s: f"{s:.2f} s ({events / s:,.0f} events/s)",
                {workers: target} if target is not None else {},
            )
        rows.append(
            memory_row(
                "validation state per job",
                f"fold over {events:,} events of {main_jobs:,} jobs",
                state_bytes_per_job(main_log, main_jobs),
                "B/job",
                target=STATE_TARGET,
            )
        )
        for iso, reader in (
            (False, "numeric times: exact reader"),
            (True, "ISO times: compiled pass"),
        ):
            peak, size = violation_peak(Path(folder) / "violations.jsonl", events // 2, iso)
            row = memory_row(
                f"peak memory, {events // 4:,} violations in a {size / 1e6:.0f} MB log",
                f"jobfsm validate (text report), {reader}",
                peak,
                "B peak",
                anchor_bytes=size,  # the ratio is to the log's size
            )
            row["target"] = "≤ 10x the log"
            row["met"] = peak <= 10 * size
            rows.append(row)

    startup = _startup(3 if quick else 21)
    bare, cli = startup.median["python -c pass"], startup.median["python -m jobfsm validate"]
    over = statistics.median(
        c - b
        for b, c in zip(
            startup.samples["python -c pass"],
            startup.samples["python -m jobfsm validate"],
            strict=True,
        )
    )
    rows.append(time_row("start-up", "python -c pass", bare, "run"))
    rows.append(
        {
            **time_row("start-up", "python -m jobfsm validate, over python -c pass", over, "run"),
            "target": f"≤ {STARTUP_TARGET_S * 1e3:.0f} ms",
            "met": over <= STARTUP_TARGET_S,
        }
    )
    rows.append(time_row("start-up", "python -m jobfsm validate", cli, "run"))
    return rows


if __name__ == "__main__":
    sys.exit("run the benchmarks with: python benchmarks/run.py [--only validate]")
