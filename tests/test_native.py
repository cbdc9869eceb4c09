"""The compiled pass of clean logs gives the exact reader's report, or steps aside.

``jobfsm validate`` hands a regular JSON Lines file to the compiled pass
first (jobfsm/_native.c); whatever it does not take as plainly valid is read
again by the exact reader. So for every log, and every way of cutting it into
ranges, either the check's report equals the exact one, or it gives none.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import _nativecheck
from jobfsm.cli import main
from jobfsm.eventlog import read_jsonl
from jobfsm.lifecycle import DEFAULT_LIFECYCLE
from jobfsm.testing import event_logs
from jobfsm.validate import Report, validate_events
from tests.conftest import REQUIRE_ALL
from tests.test_segments import lines as messy_lines
from tests.test_segments import options

if _nativecheck._native is None:  # not built at all
    message = "jobfsm._native was not built (no C compiler at install time)"
    if REQUIRE_ALL:
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

KEYS = {"job_key": "job", "status_key": "status", "time_key": "time"}
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _exact(path: Path, opts: dict[str, Any]) -> Any:
    return validate_events(read_jsonl(path), **opts, **KEYS)


def _native(path: Path, threads: int, opts: dict[str, Any]) -> Any:
    return _nativecheck.check_file(path, threads, lifecycle=DEFAULT_LIFECYCLE, **opts, **KEYS)


@SETTINGS
@given(log=event_logs(max_jobs=6), threads=st.integers(1, 4), initial=st.booleans())
def test_clean_logs_are_taken_with_the_exact_report(
    tmp_path: Path, log: Any, threads: int, initial: bool
) -> None:
    """A log as schedulers write it is checked natively, with the exact report.

    With ``require_initial``, a generated trace may start past the initial status:
    then the job's lines are worded by the exact fold.
    """
    path = tmp_path / "clean.jsonl"
    path.write_text(log.text, encoding="utf-8")
    opts = {"mode": "strict", "require_initial": initial, "require_terminal": False}
    assert _native(path, threads, opts) == _exact(path, opts)


@SETTINGS
@given(log=event_logs(anomalies=True, max_jobs=5), opts=options, threads=st.integers(1, 5))
def test_planted_violations_are_worded_exactly(
    tmp_path: Path, log: Any, opts: dict[str, Any], threads: int
) -> None:
    """Illegal steps, times going backwards, malformed lines, at any cut: the exact report."""
    path = tmp_path / "planted.jsonl"
    path.write_text(log.text, encoding="utf-8")
    got = _native(path, threads, opts)
    if got is not None:
        assert got == _exact(path, opts)


@SETTINGS
@given(log=event_logs(max_jobs=4), data=st.data(), threads=st.integers(1, 5))
def test_one_broken_step_anywhere_is_worded_exactly(
    tmp_path: Path, log: Any, data: st.DataObject, threads: int
) -> None:
    """A clean log with one time moved back or one status made illegal, cut anywhere."""
    rows = [json.loads(line) for line in log.text.splitlines()]
    at = data.draw(st.integers(0, len(rows) - 1))
    job = rows[at]["job"]
    before = [row for row in rows[:at] if row["job"] == job]
    if before and data.draw(st.booleans()):
        earlier = datetime.fromisoformat(before[-1]["time"]) - timedelta(seconds=1)
        rows[at] = {**rows[at], "status": before[-1]["status"], "time": earlier.isoformat()}
    else:
        known = DEFAULT_LIFECYCLE.statuses
        if before:
            legal = {before[-1]["status"]} | {
                s.value
                for s in DEFAULT_LIFECYCLE.successors[
                    DEFAULT_LIFECYCLE.status(before[-1]["status"])
                ]
            }
        else:
            legal = {DEFAULT_LIFECYCLE.initial.value}
        illegal = [s.value for s in known if s.value not in legal]
        rows[at] = {**rows[at], "status": data.draw(st.sampled_from(illegal))}
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    opts = {"mode": "strict", "require_initial": True, "require_terminal": False}
    expected = _exact(path, opts)
    assert not expected.ok
    assert _native(path, threads, opts) == expected


@SETTINGS
@given(lines=messy_lines, opts=options, threads=st.integers(1, 5))
def test_any_log_gets_the_exact_report_or_none(
    tmp_path: Path, lines: list[tuple[str, str]], opts: dict[str, Any], threads: int
) -> None:
    """Malformed lines, other spellings, odd times, violations: exact, or left to the reader."""
    path = tmp_path / "messy.jsonl"
    path.write_bytes("".join(body + end for body, end in lines).encode("utf-8", "surrogatepass"))
    got = _native(path, threads, opts)
    if got is not None:
        assert got == _exact(path, opts)


def _clean_lines(rng: random.Random, events: int) -> list[str]:
    """Lines of jobs walking the happy path in turn, times going forward."""
    path = ["NotStarted", "Starting", "Preparing", "Queued", "Running", "Finalizing", "Completed"]
    out = []
    for n in range(events):
        job = n % 7
        status = path[min(n // 7, len(path) - 1)]
        time = f"2024-05-01T08:{n // 60 % 60:02d}:{n % 60:02d}.{rng.randrange(1000):03d}Z"
        out.append(json.dumps({"job": f"job-{job}", "status": status, "time": time}))
    return out


HOSTILE = [
    '{"job": "job-1", "status": "R\\u0075nning"}',  # escapes: read as the same text
    '{"job": "job-\\u0031", "status": "Running"}',
    '{"job": "jöb", "status": "Running"}',
    '{"job": "job-1", "status": "Running", "job": "job-2"}',
    '{"job": "job-1", "status": "Running", "n": 1' + "0" * 5000 + "}",
    '{"job": "job-1", "status": "Running", "x": {"y": 1}}',
    '{"job": "job-1", "status": "Running", "x": [1]}',
    '{"job": "job-1", "status": "Running", "x": 01}',
    '{"job": "job-1", "status": "Running", "x": NaN}',
    '{"job": "job-1", "status": "Running", "x": 1e400, "y": -0, "z": true, "w": null}',
    '{"job": "job-1", "status": "Running",}',
    '{"job": "job-1", "status": "Running"} x',
    '{"job": "job-1",\r "status": "Running"}',
    '{"job": "job-1",\x0c "status": "Running"}',
    '{"job": "job-1", "status": "Running", "t": "tab\there"}',
    '{"job": "job-1", "status": "Running", "time": "2024-02-30T00:00:00Z"}',
    '{"job": "job-1", "status": "Running", "time": "2099-05-01T08:00:00+02:00"}',
    '{"job": "job-1", "status": "Running", "time": "2099-05-01 08:00:00Z"}',
    '{"job": "job-1", "status": "Running", "time": "2099-05-01T08:00:00.1234567Z"}',
    '{"job": "job-1", "status": "Running", "time": "2099-05-01T08:00:60Z"}',
    '{"job": "job-1", "status": "Running", "time": "2000-01-01T00:00:00Z"}',
    '{"job": "job-1", "status": "Running", "time": 1714550400}',
    '{"job": "job-1", "status": "Running", "time": null}',
    '{"job": "job-1", "status": "Running", "time": ""}',
    '{"job": "job-1", "status": "Cancelled"}',
    '{"job": "job-1", "status": "Paused"}',
    '{"job": "job-1", "status": "NotStarted"}',
    '{"job": "", "status": "Running"}',
    '{"job": 5, "status": "Running"}',
    '{"job": "job-1"}',
    "[1, 2]",
    "not json",
    "   \t",
    "",
]


@pytest.mark.parametrize("line", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("workers", ["1", "3"])
def test_cli_prints_the_same_with_and_without_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    line: str,
    workers: str,
) -> None:
    """A line the check must not take (or may) changes nothing in what the command prints."""
    rng = random.Random(line)
    body = _clean_lines(rng, 300)
    body.insert(rng.randrange(20, 280), line)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    outputs = []
    for off in ("", "1"):
        monkeypatch.setenv("JOBFSM_NO_NATIVE", off)
        for fmt in ("text", "json"):
            code = main(["validate", str(path), "--workers", workers, "--format", fmt])
            outputs.append((code, capsys.readouterr().out))
    assert outputs[:2] == outputs[2:]


@pytest.mark.parametrize(
    "options",
    [[], ["--mode", "observed"], ["--require-initial"], ["--require-terminal"]],
)
def test_a_clean_log_is_checked_natively_and_reported_alike(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
) -> None:
    """Text and JSON reports of a clean log, by the check and by the reader, are equal."""
    path = tmp_path / "events.jsonl"
    lines = _clean_lines(random.Random(7), 2_000)
    path.write_text("\r\n".join(lines) + "\r\n\n  \n", encoding="utf-8")
    calls = []
    real = _nativecheck.check_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(_nativecheck, "check_file", spy)
    outputs = []
    for off in ("", "1"):
        monkeypatch.setenv("JOBFSM_NO_NATIVE", off)
        for fmt in ("text", "json"):
            code = main(["validate", str(path), "--workers", "2", "--format", fmt, *options])
            outputs.append((code, capsys.readouterr().out))
    assert outputs[:2] == outputs[2:]
    assert [report is not None for report in calls] == [True, True], outputs[0][1]


def test_a_violation_in_any_range_is_worded_as_the_reader_words_it(tmp_path: Path) -> None:
    """A violation in the first range, the last, or between two: the exact report."""
    lines = _clean_lines(random.Random(3), 3_000)
    path = tmp_path / "events.jsonl"
    for at in (5, 1_500, 2_990):
        status = "Completed" if at < 50 else "NotStarted"  # illegal where it stands
        broken = [*lines[:at], json.dumps({"job": "job-0", "status": status}), *lines[at:]]
        path.write_text("\n".join(broken) + "\n", encoding="utf-8")
        for opts in ({"mode": "strict", "require_initial": False, "require_terminal": True},
                     {"mode": "observed", "require_initial": True, "require_terminal": False,
                      "keep_gaps": True}):  # fmt: skip
            expected = _exact(path, opts)
            assert not expected.ok
            assert [_native(path, threads, opts) for threads in (1, 2, 4)] == [expected] * 3


def test_only_a_line_it_cannot_read_leaves_the_whole_log_to_the_reader(tmp_path: Path) -> None:
    opts = {"mode": "strict", "require_initial": False, "require_terminal": False}
    lines = _clean_lines(random.Random(5), 500)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([*lines[:250], "{broken", *lines[250:]]) + "\n", encoding="utf-8")
    assert _native(path, 2, opts) is None
    path.write_text("\n".join([*lines[:250], '{"job": "x", "status": "Paused"}', *lines[250:]]))
    got = _native(path, 2, opts)
    assert got is not None
    assert got == _exact(path, opts)
    assert [v.reason for v in got.violations] == ["unknown-status"]


def test_it_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _nativecheck.available()
    monkeypatch.setenv("JOBFSM_NO_NATIVE", "1")
    assert not _nativecheck.available()
    assert _native(Path(__file__), 1, {"mode": "strict", "require_initial": False,
                                       "require_terminal": False}) is None  # fmt: skip


def test_a_file_the_check_cannot_map_is_left_to_the_reader(tmp_path: Path) -> None:
    opts = {"mode": "strict", "require_initial": False, "require_terminal": False}
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert _native(empty, 2, opts) is None
    assert _native(tmp_path / "missing.jsonl", 2, opts) is None
    assert _exact(empty, opts).events == 0


def test_ctrl_c_interrupts_a_long_check(tmp_path: Path) -> None:
    """The check runs without the interpreter lock, yet a signal stops it within milliseconds."""
    import signal
    import time

    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" * 100_000_000)  # blank lines: a long check (~0.5 s) of a clean log
    opts = {"mode": "strict", "require_initial": False, "require_terminal": False}

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            _native(path, 1, opts)
        assert time.monotonic() - start < 0.2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _native(path, 2, opts) == Report(mode="strict")  # and it checks it when let be
    shown: list[tuple[int, int]] = []
    _nativecheck.check_file(
        path, 1, lifecycle=DEFAULT_LIFECYCLE, progress=lambda *done: shown.append(done),
        **opts, **KEYS,
    )  # fmt: skip
    assert shown  # about every 0.2 s: the bytes read so far, and the events (none here)
    assert [done for done, _ in shown] == sorted(done for done, _ in shown)
    assert 0 < shown[-1][0] <= path.stat().st_size
    assert {events for _, events in shown} == {0}


@pytest.mark.parametrize(
    ("middle", "last"),
    [
        # legal after the first range's status, illegal after the middle one's
        ([("Starting", 2), ("Preparing", 3)], ("Starting", 4)),
        # later than the first range's time, earlier than the middle one's
        ([("Starting", 5), ("Starting", 6)], ("Starting", 4)),
    ],
)
def test_the_merge_follows_a_job_through_a_middle_range(
    tmp_path: Path, middle: list[tuple[str, int]], last: tuple[str, int]
) -> None:
    """Three ranges of two lines each: the last one is judged after the middle one."""
    rows = [("a", "NotStarted", 1), ("b", "NotStarted", 1), *[("a", s, t) for s, t in middle],
            ("a", *last), ("b", "Starting", 9)]  # fmt: skip
    lines = [
        json.dumps({"job": job, "status": status, "time": f"2024-05-01T08:00:{t:02d}Z"})
        for job, status, t in rows
    ]
    width = max(map(len, lines))
    path = tmp_path / "events.jsonl"  # equal lines, so that three ranges hold two each
    path.write_text("".join(line.ljust(width) + "\n" for line in lines), encoding="utf-8")
    opts = {"mode": "strict", "require_initial": False, "require_terminal": False}
    expected = _exact(path, opts)
    assert len(expected.violations) == 1
    assert _native(path, 3, opts) == expected


def test_a_log_mostly_breaking_rules_is_left_to_the_streaming_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_WORDED_LINES lines of dirty jobs, the reader (which streams) reads it all."""
    opts = {"mode": "strict", "require_initial": False, "require_terminal": False}
    lines = _clean_lines(random.Random(9), 700)
    lines.insert(350, json.dumps({"job": "job-3", "status": "Paused"}))  # job-3: 101 lines
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_nativecheck, "MAX_WORDED_LINES", 101)
    assert _native(path, 1, opts) == _exact(path, opts)
    monkeypatch.setattr(_nativecheck, "MAX_WORDED_LINES", 100)
    assert _native(path, 1, opts) is None
