"""Validation as a fold and a merge: any split of a log gives the one-process report.

The differential tests cut random logs (violations, unknown statuses, times
going backwards, malformed lines, CRLF) at random line ends, fold each part
on its own and merge the parts in order; the report must equal the one
``validate_events`` gives on the whole log, and ``jobfsm validate --workers N``
must print exactly what one process prints.
"""

from __future__ import annotations

import io
import itertools
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import EventLog, validate_events
from jobfsm import _fastjson as fastjson
from jobfsm._judge import before
from jobfsm._wire import packed_before, packed_time
from jobfsm._workers import fold_range, split
from jobfsm.cli import main
from jobfsm.segments import Segment, SegmentSummary, fold, merge

STATUSES = ["NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running",
            "Finalizing", "CancelRequested", "Completed", "Failed", "Canceled",
            "NotResponding", "Paused", "Cancelled"]  # fmt: skip
TIMES = [None, "", "2024-05-01T08:00:00Z", "2024-05-01T08:00:01.5Z", "2024-05-01T07:59:59",
         "2024-05-01T10:00:00+02:00", 1714550400, 1714550399.5, "1714550401", "yesterday",
         "20240501", True]  # fmt: skip

event = st.fixed_dictionaries(
    {"job": st.sampled_from(["a", "b", "c", 7, ""]), "status": st.sampled_from(STATUSES)},
    optional={"time": st.sampled_from(TIMES)},
).map(json.dumps)
odd_line = st.sampled_from(
    ["", "not json", "[1, 2]", '{"job": "a"}', '{"status": "Running"}', '{"job": null, '
     '"status": "Running"}', '{"job": "a", "status": 5}', '{"job": "a", "status": "Running",'
     ' "time": NaN}', '  {"job": "b", "status": "Queued"}  ', '{"job": "\\ud800", "status": '
     '"Queued"}']
)  # fmt: skip
lines = st.lists(
    st.tuples(st.one_of(event, event, event, odd_line), st.sampled_from(["\n", "\n", "\r\n"])),
    max_size=40,
)
options = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["strict", "observed"]),
        "require_initial": st.booleans(),
        "require_terminal": st.booleans(),
        "keep_gaps": st.booleans(),
    }
)


def _one_process(text: str, opts: dict[str, Any]) -> Any:
    return validate_events(EventLog(io.StringIO(text, newline=""), "jsonl"), **opts)


def _segments(
    parts: list[str], opts: dict[str, Any], live: bool = False, pickled: bool = False
) -> list[Segment]:
    """The parts folded; *live*: the first keeps its states; *pickled*: the others travel."""
    fold_opts = {k: v for k, v in opts.items() if k != "require_terminal"}
    segments = [
        fold(EventLog(io.StringIO(part, newline=""), "jsonl", opens_file=k == 0),
             opens_log=k == 0, live=live and k == 0, **fold_opts)
        for k, part in enumerate(parts)
    ]  # fmt: skip
    if pickled:  # as a worker sends them back: columns, times as integers
        segments[1:] = [pickle.loads(pickle.dumps(s)) for s in segments[1:]]
    return segments


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines, cuts=st.lists(st.integers(0, 40), max_size=4), opts=options,
       fast=st.booleans(), live=st.booleans(), pickled=st.booleans())  # fmt: skip
def test_any_split_merges_to_the_one_process_report(
    lines: list[tuple[str, str]],
    cuts: list[int],
    opts: dict[str, Any],
    fast: bool,
    live: bool,
    pickled: bool,
) -> None:
    """Folding the parts of a log cut at line ends and merging them equals one pass.

    Whether the first part keeps its live states (as the calling process of
    ``--workers`` does) and whether the others are pickled on the way back.
    """
    text = "".join(body + end for body, end in lines)
    bounds = sorted({min(c, len(lines)) for c in cuts} | {0, len(lines)})
    parts = ["".join(b + e for b, e in lines[a:z]) for a, z in itertools.pairwise(bounds)]
    fastjson.enabled = fast
    try:
        expected = _one_process(text, opts)
        got = merge(
            _segments(parts or [""], opts, live=live, pickled=pickled),
            mode=opts["mode"],
            require_initial=opts["require_initial"],
            require_terminal=opts["require_terminal"],
            keep_gaps=opts["keep_gaps"],
        )
    finally:
        fastjson.enabled = True
    assert got == expected


def test_live_states_are_for_the_first_segment_only() -> None:
    """A segment that keeps live states must open the log and be merged first."""
    text = '{"job": "a", "status": "Running"}\n'
    with pytest.raises(ValueError, match="opens the log"):
        fold(EventLog(io.StringIO(text), "jsonl"), opens_log=False, live=True)
    first = fold(EventLog(io.StringIO(text), "jsonl"), opens_log=True)
    live = fold(EventLog(io.StringIO(text), "jsonl"), opens_log=True, live=True)
    assert live.jobs == {}
    with pytest.raises(ValueError, match="merged first"):
        merge([first, live])


def test_segments_are_plain_data() -> None:
    """A segment and its summaries survive pickling (to and from workers or a cluster)."""
    text = (
        '{"job": "a", "status": "Paused", "time": "2024-05-01T08:00:00Z"}\n'
        '{"job": "a", "status": "Queued", "time": "2024-05-01T07:00:00Z"}\n'
        '{"job": "b", "status": "Running", "time": 5}\n'
    )
    [segment] = _segments([text], {"mode": "strict"})
    later = fold(EventLog(io.StringIO(text), "jsonl", opens_file=False), opens_log=False)
    for value in (segment, later):
        assert pickle.loads(pickle.dumps(value)) == value
    summary = later.jobs["a"]
    assert isinstance(summary, SegmentSummary)
    assert summary.events == 2
    assert summary.last == "Queued"
    assert [item[0] for item in summary.opening] == [0, 2, 1, 2]


def _messy_log(path: Path, events: int) -> None:
    import random

    rng = random.Random(5)
    with path.open("w", encoding="utf-8", newline="") as out:
        for n in range(events):
            job = f"job-{rng.randrange(40)}"
            status = rng.choice(STATUSES)
            row: dict[str, Any] = {"job": job, "status": status}
            if rng.random() < 0.9:
                row["time"] = f"2024-05-01T08:{n // 60 % 60:02d}:{rng.randrange(60):02d}Z"
            text = json.dumps(row) if rng.random() < 0.97 else "{broken"
            out.write(text + rng.choice(["\n", "\n", "\r\n"]))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cli_workers_print_what_one_process_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """`jobfsm validate --workers 3` prints byte for byte what one process prints."""
    log = tmp_path / "events.jsonl"
    _messy_log(log, 3_000)
    outputs = []
    for workers in ("1", "3"):
        code = main(["validate", str(log), "--workers", workers, "--format", fmt,
                     "--mode", "observed", "--require-terminal"])  # fmt: skip
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 2  # the broken lines are input errors


def test_cli_workers_on_a_file_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A decoding error found by a worker is reported as one process reports it."""
    log = tmp_path / "events.jsonl"
    good = b'{"job": "a", "status": "Running"}\n'
    log.write_bytes(good * 200 + b'{"job": "\xff", "status": "Running"}\n' + good * 200)
    results = []
    for workers in ("1", "2"):
        code = main(["validate", str(log), "--workers", workers])
        results.append((code, capsys.readouterr().err))
    assert results[0] == results[1]
    assert results[0][0] == 2
    assert ":201" in results[0][1] or "line 201" in results[0][1]


def test_cli_workers_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    """--workers 0 is a usage error."""
    assert main(["validate", "-", "--workers", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_split_cuts_at_line_ends(tmp_path: Path) -> None:
    """The byte ranges cover the file, in order, each ending just after a newline."""
    log = tmp_path / "events.jsonl"
    _messy_log(log, 500)
    data = log.read_bytes()
    for parts in (1, 2, 3, 7):
        ranges = split(log, parts)
        assert ranges[0][0] == 0
        assert ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        assert all(data[stop - 1 : stop] == b"\n" for _, stop in ranges)
        assert len(ranges) == parts


def test_fold_range_counts_its_lines(tmp_path: Path) -> None:
    """A worker's segment knows how many lines it read, blank and broken ones included."""
    log = tmp_path / "events.jsonl"
    log.write_text('{"job": "a", "status": "Queued"}\n\nnope\n{"job": "a", "status": "Running"}\n')
    segment = fold_range(log, 0, log.stat().st_size, job_key="job", status_key="status",
                         time_key="time")  # fmt: skip
    assert (segment.lines, segment.events, len(segment.input_errors)) == (4, 2, 1)


@pytest.mark.parametrize("max_errors", ["0", "7"])
def test_cli_large_log_prints_the_same_with_any_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], max_errors: str
) -> None:
    """A log over 1 MiB (block reader) prints what the standard library prints, on any
    number of workers, also when reading stops after --max-errors input errors."""
    log = tmp_path / "events.jsonl"
    _messy_log(log, 16_000)
    assert log.stat().st_size > 1 << 20
    outputs = []
    for fast, workers in ((False, "1"), (True, "1"), (True, "2")):
        fastjson.enabled = fast
        try:
            code = main(["validate", str(log), "--workers", workers, "--format", "json",
                         "--mode", "observed", "--max-errors", max_errors])  # fmt: skip
        finally:
            fastjson.enabled = True
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0] == outputs[1] == outputs[2]
    assert ('"stopped_after_errors": 7' in outputs[0][1]) == (max_errors == "7")


_instants = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=-7)))).filter(
        lambda d: datetime(1, 1, 2, tzinfo=UTC) < d < datetime(9999, 12, 30, tzinfo=UTC)
    ),
    st.floats(-1e11, 1e11, allow_nan=False),
    st.integers(-(10**10), 10**10).map(float),
)


@given(a=_instants, b=_instants)
def test_packed_times_compare_as_the_times_do(a: Any, b: Any) -> None:
    """A segment keeps date-times as integer microseconds: every comparison merge makes agrees."""
    pa, pb = packed_time(a), packed_time(b)
    assert type(pa) is (int if isinstance(a, datetime) else float)
    same_kind = type(pa) is type(pb)
    assert (pa < pb if same_kind else packed_before(pa, pb)) == before(a, b)
