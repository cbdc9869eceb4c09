"""The same verdicts on Apache Spark: validate a DataFrame of status events.

Spark does the distribution; jobfsm does the judging. The events are
repartitioned by job and sorted within each partition by job and the order
columns; every partition then reaches jobfsm's own streaming validator
(:func:`jobfsm.validate.validate_events`) as Arrow record batches
(``DataFrame.mapInArrow``), a run of whole jobs at a time. No rule is written
again in Spark SQL: the lifecycle travels to the executors as data (the
pickle of the lifecycle value) and the verdict there comes from the code that
validates a JSON Lines file, so the two agree violation for violation.

Import this module on its own (``import jobfsm.spark``); it needs the
optional extra ``jobfsm[spark]`` (PySpark with its Arrow support).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from jobfsm.columnar import pyarrow
from jobfsm.errors import MissingExtraError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.validate import Mode, validate_events

try:
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError:
    raise MissingExtraError("pyspark", "spark", "jobfsm.spark") from None

__all__ = ["DataFrameReport", "Summary", "validate_dataframe"]

#: Rows of whole jobs handed to the validator at once on an executor.
CHUNK_ROWS = 64 * 1024

# Columns of the result that the order columns must not shadow.
_RESULT = ("kind", "job", "index", "from", "to", "reason", "message", "allowed", "jobs", "events")
_VIOLATION, _INPUT_ERROR, _COUNT = "violation", "input-error", "count"


@attrs.frozen
class Summary:
    """The totals of a validation: what the JSON report says besides its lists.

    Args:
        ok: No violation and no input error.
        jobs: Jobs with at least one readable event.
        events: Events read (input errors not counted).
        violations: Number of violations by reason code.
        input_errors: Number of rows that could not be read.
    """

    ok: bool
    jobs: int
    events: int
    violations: Mapping[str, int]
    input_errors: int

    def to_dict(self) -> dict[str, Any]:
        """A plain dict, e.g. to log as JSON."""
        return {
            "ok": self.ok,
            "jobs": self.jobs,
            "events": self.events,
            "violations": dict(self.violations),
            "input_errors": self.input_errors,
        }


@attrs.frozen
class DataFrameReport:
    """The outcome of :func:`validate_dataframe`: lazy DataFrames and a summary.

    Nothing runs until an action: each action on :attr:`violations` or
    :attr:`input_errors`, and each :meth:`summary`, runs the validation (call
    :meth:`cache` first to run it once for all of them).

    Args:
        results: Every row the executors produced (violations, input errors
            and per-run counts); the other views are filters of it.
        order: The order columns, which stand in the rows where the JSON
            report has ``line``.
    """

    results: DataFrame
    order: tuple[str, ...]

    @property
    def violations(self) -> DataFrame:
        """One row per violation: job, index, the order columns, from, to, reason,
        message, allowed (the JSON report's fields, order values in place of the line)."""
        return self.results.where(F.col("kind") == _VIOLATION).select(
            "job", "index", *self.order, "from", "to", "reason", "message", "allowed"
        )

    @property
    def input_errors(self) -> DataFrame:
        """One row per unreadable event (no job, no status, a time that is not one):
        the order columns and a message."""
        return self.results.where(F.col("kind") == _INPUT_ERROR).select(*self.order, "message")

    def summary(self) -> Summary:
        """Count jobs, events, violations by reason and input errors (one Spark job)."""
        totals = (
            self.results.groupBy("kind", "reason")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("jobs"), F.sum("events"))
            .collect()
        )
        jobs = events = errors = 0
        by_reason: dict[str, int] = {}
        for kind, reason, n, job_count, event_count in totals:
            if kind == _COUNT:
                jobs, events = int(job_count or 0), int(event_count or 0)
            elif kind == _INPUT_ERROR:
                errors = int(n)
            else:
                by_reason[reason] = int(n)
        return Summary(
            ok=not by_reason and not errors,
            jobs=jobs,
            events=events,
            violations=dict(sorted(by_reason.items())),
            input_errors=errors,
        )

    def cache(self) -> DataFrameReport:
        """Keep the results once computed, so that the summary and the rows share one run."""
        self.results.persist()
        return self


def validate_dataframe(
    df: DataFrame,
    *,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    mode: Mode = "strict",
    job: str = "job",
    status: str = "status",
    time: str | None = "time",
    order: str | Sequence[str] | None = None,
    require_initial: bool = False,
    require_terminal: bool = False,
    partitions: int | None = None,
) -> DataFrameReport:
    """Check the status events of a Spark DataFrame, many jobs at once.

    The verdicts are those of ``jobfsm validate --format json`` on the same
    events taken in the same order: same violations, same indexes, same
    messages, the order values standing where the JSON report has the line.

    Args:
        df: One row per observed status.
        lifecycle: The lifecycle to check against (sent to the executors).
        mode: ``"strict"`` or ``"observed"``, as for :func:`~jobfsm.validate_events`.
        job: Column of the job identifier (a string or a number).
        status: Column of the status (a string).
        time: Column of the time (an ISO-8601 string, a number of seconds, a
            timestamp or a date), or ``None``; a time earlier than the
            previous event's of the same job is ``time-went-backwards``.
        order: Column(s) giving each job's events their order, e.g. an
            ingestion offset, or ``("time", "seq")``; by default the time
            column. Rows of one job with equal order values are taken in the
            lifecycle's documented order of their statuses (unknown ones
            last, by spelling), then by time, so the verdict never depends
            on how Spark split the data; give a tie-breaking column (a
            sequence number or offset) when the log has one. Nulls come
            first.
        require_initial: Each job's first known status must be the initial one.
        require_terminal: Each job's last known status must be terminal.
        partitions: Number of partitions to spread the jobs over (default:
            ``spark.sql.shuffle.partitions``).

    Raises:
        ValueError: an unknown mode, or a column *df* lacks or that clashes
            with a result column.
    """
    if mode not in ("strict", "observed"):
        raise ValueError(f"mode must be 'strict' or 'observed', got {mode!r}")
    if order is None:
        if time is None:
            raise ValueError("give order= (the column(s) that order each job's events)")
        order = (time,)
    order = (order,) if isinstance(order, str) else tuple(order)
    if not order:
        raise ValueError("order= must name at least one column")
    columns = list(dict.fromkeys([job, status, *([time] if time else []), *order]))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"the DataFrame has no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(repr, df.columns))})"
        )
    clash = [c for c in order if c in _RESULT]
    if clash:
        raise ValueError(
            f"order column {clash[0]!r} has the name of a result column; rename it first "
            f"(result columns: {', '.join(_RESULT)})"
        )
    plan = _Plan(lifecycle, mode, require_initial, require_terminal, job, status, time, order)
    rank = F.create_map(*[F.lit(x) for i, s in enumerate(lifecycle.statuses) for x in (s.value, i)])
    tie = F.coalesce(rank[F.col(status)], F.lit(len(lifecycle.statuses)))
    events = df.select(*columns)
    events = events.repartition(partitions, job) if partitions else events.repartition(job)
    keys = [F.col(job), *map(F.col, order), tie, F.col(status)]
    if time is not None and time not in order:
        keys.append(F.col(time))
    schema = T.StructType(
        [
            T.StructField("kind", T.StringType(), False),
            T.StructField("job", T.StringType()),
            T.StructField("index", T.LongType()),
            *(df.schema[c] for c in order),
            T.StructField("from", T.StringType()),
            T.StructField("to", T.StringType()),
            T.StructField("reason", T.StringType()),
            T.StructField("message", T.StringType()),
            T.StructField("allowed", T.ArrayType(T.StringType())),
            T.StructField("jobs", T.LongType()),
            T.StructField("events", T.LongType()),
        ]
    )
    results = events.sortWithinPartitions(*keys).mapInArrow(
        functools.partial(_judge_partition, plan), schema
    )
    return DataFrameReport(results, order)


# -- on the executors -----------------------------------------------------------


@attrs.frozen
class _Plan:
    """What an executor needs to judge its partitions (pickled with the task)."""

    lifecycle: Lifecycle
    mode: Mode
    require_initial: bool
    require_terminal: bool
    job: str
    status: str
    time: str | None
    order: tuple[str, ...]


def _judge_partition(plan: _Plan, batches: Iterator[Any]) -> Iterator[Any]:
    """The results of one partition (sorted by job, then order): runs of whole jobs."""
    for table in _whole_jobs(batches, plan.job):
        yield _judge(plan, table)


def _whole_jobs(batches: Iterator[Any], job: str, rows: int = CHUNK_ROWS) -> Iterator[Any]:
    """Tables of at least *rows* rows (but the last) that never split a job.

    Memory is bounded by *rows* plus the events of the largest job.
    """
    pa = pyarrow()
    import pyarrow.compute as pc

    pending: list[Any] = []
    size = 0  # rows pending
    start = 0  # where the last job seen begins among them
    last: Any = None
    for batch in batches:
        count = batch.num_rows
        if not count:
            continue
        column = batch.column(job)
        tail = column[count - 1]
        if tail.is_valid:
            differs = pc.fill_null(pc.not_equal(column, tail), True)
            changes = pc.indices_nonzero(differs)
            if len(changes):
                start = size + changes[-1].as_py() + 1
            elif not pending or tail.as_py() != last:
                start = size
        else:  # null jobs sort first and are all input errors: nothing to keep together
            start = size + count
        pending.append(batch)
        size += count
        last = tail.as_py()
        if start >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, start)
            rest = table.slice(start)
            pending, size, start = rest.to_batches(), rest.num_rows, 0
    if pending:
        yield pa.Table.from_batches(pending)


_BEFORE_LINE = re.compile(r" \(line (\d+)\)$")


def _judge(plan: _Plan, table: Any) -> Any:
    """Validate one run of whole jobs; one output batch (row numbers become order values)."""
    pa = pyarrow()
    report = validate_events(
        table,
        mode=plan.mode,
        lifecycle=plan.lifecycle,
        require_initial=plan.require_initial,
        require_terminal=plan.require_terminal,
        job_key=plan.job,
        status_key=plan.status,
        time_key=plan.time,
    )
    order = table.select(list(plan.order))

    def where(line: int) -> str:
        values = order.slice(line - 1, 1).to_pylist()[0]
        return ", ".join(f"{name} {values[name]}" for name in plan.order)

    kind: list[str] = []
    jobs: list[Any] = []
    index: list[Any] = []
    rows: list[int | None] = []
    from_: list[Any] = []
    to: list[Any] = []
    reason: list[Any] = []
    message: list[str | None] = []
    allowed: list[Any] = []
    for v in report.violations:
        text = v.message
        before = _BEFORE_LINE.search(text)
        if before is not None:  # the previous event's row, as its order values
            text = text[: before.start()] + f" ({where(int(before.group(1)))})"
        kind.append(_VIOLATION)
        jobs.append(v.job)
        index.append(v.index)
        rows.append(None if v.line is None else v.line - 1)
        from_.append(None if v.from_ is None else str(v.from_))
        to.append(None if v.to is None else str(v.to))
        reason.append(str(v.reason))
        message.append(text)
        allowed.append([str(s) for s in v.allowed])
    for e in report.input_errors:
        kind.append(_INPUT_ERROR)
        rows.append(None if e.line is None else e.line - 1)
        message.append(e.message)
        for values in (jobs, index, from_, to, reason, allowed):
            values.append(None)
    kind.append(_COUNT)
    rows.append(None)
    message.append(None)
    for values in (jobs, index, from_, to, reason, allowed):
        values.append(None)
    count = len(kind)
    at = order.take(pa.array(rows, pa.int64()))
    return pa.RecordBatch.from_arrays(
        [
            pa.array(kind, pa.string()),
            pa.array(jobs, pa.string()),
            pa.array(index, pa.int64()),
            *(column.combine_chunks() for column in at.columns),
            pa.array(from_, pa.string()),
            pa.array(to, pa.string()),
            pa.array(reason, pa.string()),
            pa.array(message, pa.string()),
            pa.array(allowed, pa.list_(pa.string())),
            pa.array([None] * (count - 1) + [report.jobs], pa.int64()),
            pa.array([None] * (count - 1) + [report.events], pa.int64()),
        ],
        names=["kind", "job", "index", *plan.order, *_RESULT[3:]],
    )
