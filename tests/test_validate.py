"""Tests for jobfsm.validate and jobfsm.eventlog: traces, event logs, readers."""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventLogError,
    EventSpec,
    Gap,
    JobStatus,
    MalformedEvent,
    Reason,
    Report,
    Violation,
    read_csv,
    read_jsonl,
    validate_events,
    validate_trace,
)
from tests.strategies import walks

S = JobStatus
MODES = ("strict", "observed")


def reasons(report: Report) -> list[tuple[int, str]]:
    return [(v.index, str(v.reason)) for v in report.violations]


# -- validate_trace: each reason code in both modes ------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_legal_walk_is_clean(mode: str) -> None:
    """A walk along edges, with repeats, has no violation in either mode."""
    trace = ["NotStarted", "Starting", "Starting", "Preparing", "Queued", "Running", "Running"]
    trace += ["Finalizing", "Completed", "Completed"]
    report = validate_trace(trace, mode=mode, require_initial=True, require_terminal=True)
    assert report.ok
    assert report.violations == ()
    assert report.events == len(trace)
    assert report.gaps == ()


@pytest.mark.parametrize("mode", MODES)
def test_terminal_then_more_is_illegal_in_both_modes(mode: str) -> None:
    """Running after Completed is illegal-transition whatever the mode; allowed is empty."""
    report = validate_trace(["Running", "Finalizing", "Completed", "Running"], mode=mode)
    (violation,) = report.violations
    assert violation.reason is Reason.ILLEGAL_TRANSITION
    assert (violation.index, violation.from_, violation.to) == (3, S.COMPLETED, S.RUNNING)
    assert violation.allowed == ()
    assert "terminal" in violation.message


def test_skipped_states_are_illegal_in_strict_and_gaps_in_observed() -> None:
    """Starting -> Running breaks strict mode; observed mode records Preparing, Queued skipped."""
    trace = [S.STARTING, S.RUNNING, S.COMPLETED]
    strict = validate_trace(trace, mode="strict")
    assert reasons(strict) == [(1, "illegal-transition"), (2, "illegal-transition")]
    assert strict.violations[0].allowed == (
        S.PROVISIONING,
        S.PREPARING,
        S.CANCEL_REQUESTED,
        S.FAILED,
        S.NOT_RESPONDING,
    )
    assert "Preparing, Queued" in strict.violations[0].message
    observed = validate_trace(trace, mode="observed")
    assert observed.ok
    assert observed.gaps == (
        Gap(None, 1, None, S.STARTING, S.RUNNING, (S.PREPARING, S.QUEUED)),
        Gap(None, 2, None, S.RUNNING, S.COMPLETED, (S.FINALIZING,)),
    )


def test_gaps_are_the_lifecycle_shortest_paths() -> None:
    """Each gap's skipped statuses are exactly lifecycle.shortest_path(from, to)."""
    report = validate_trace([S.NOT_STARTED, S.FINALIZING, S.CANCELED], mode="observed")
    for gap in report.gaps:
        assert gap.skipped == DEFAULT_LIFECYCLE.shortest_path(gap.from_, gap.to)
    assert report.gaps[0].skipped == (S.STARTING, S.PREPARING, S.QUEUED, S.RUNNING)


@pytest.mark.parametrize("mode", MODES)
def test_unknown_status_is_reported_with_a_suggestion_and_set_aside(mode: str) -> None:
    """'Cancelled' is unknown-status suggesting 'Canceled'; the next status is checked
    against the last known one, so CancelRequested -> Canceled stays legal."""
    report = validate_trace(["CancelRequested", "Cancelled", "Canceled"], mode=mode)
    (violation,) = report.violations
    assert violation.reason is Reason.UNKNOWN_STATUS
    assert (violation.index, violation.from_, violation.to) == (1, S.CANCEL_REQUESTED, "Cancelled")
    assert "did you mean 'Canceled'?" in violation.message
    assert violation.allowed == (S.COMPLETED, S.FAILED, S.CANCELED)


@pytest.mark.parametrize("mode", MODES)
def test_not_initial(mode: str) -> None:
    """With require_initial, a trace starting elsewhere is not-initial at its first status."""
    report = validate_trace(["Queued", "Running"], mode=mode, require_initial=True)
    (violation,) = report.violations
    assert violation.reason is Reason.NOT_INITIAL
    assert (violation.index, violation.from_, violation.to) == (0, None, S.QUEUED)
    assert violation.allowed == (S.NOT_STARTED,)
    assert validate_trace(["Queued", "Running"], mode=mode).ok


@pytest.mark.parametrize("mode", MODES)
def test_not_initial_is_judged_on_the_first_known_status(mode: str) -> None:
    """An unknown first status is set aside; the first known one must be initial."""
    report = validate_trace(["Paused", "NotStarted", "Starting"], mode=mode, require_initial=True)
    assert reasons(report) == [(0, "unknown-status")]
    report = validate_trace(["Paused", "Starting"], mode=mode, require_initial=True)
    assert reasons(report) == [(0, "unknown-status"), (1, "not-initial")]


@pytest.mark.parametrize("mode", MODES)
def test_not_terminal(mode: str) -> None:
    """With require_terminal, a trace ending Running is not-terminal at its last index."""
    report = validate_trace(["Queued", "Running"], mode=mode, require_terminal=True)
    (violation,) = report.violations
    assert violation.reason is Reason.NOT_TERMINAL
    assert (violation.index, violation.from_, violation.to) == (1, S.RUNNING, None)
    expected = (S.FAILED,) if mode == "strict" else (S.COMPLETED, S.FAILED, S.CANCELED)
    assert violation.allowed == expected


def test_not_terminal_skips_trailing_unknown_statuses() -> None:
    """The last known status decides; its index is reported."""
    report = validate_trace(["Running", "Done"], require_terminal=True)
    assert reasons(report) == [(1, "unknown-status"), (0, "not-terminal")]
    assert validate_trace(["Completed", "Done"], require_terminal=True).violations[1:] == ()


def test_not_terminal_without_any_known_status() -> None:
    """Only unknown statuses: not-terminal points just past the end, in traces and logs."""
    report = validate_trace(["Paused", "Done"], require_terminal=True)
    assert reasons(report) == [(0, "unknown-status"), (1, "unknown-status"), (2, "not-terminal")]
    events = [{"job": "a", "status": "Paused"}, {"job": "a", "status": "Done"}]
    assert reasons(validate_events(events, require_terminal=True)) == reasons(report)


def test_empty_trace() -> None:
    """An empty trace is fine, unless it must end terminal."""
    assert validate_trace([]).ok
    report = validate_trace([], require_terminal=True)
    assert reasons(report) == [(0, "not-terminal")]
    assert report.violations[0].from_ is None


@pytest.mark.parametrize("mode", MODES)
def test_after_an_illegal_pair_the_next_starts_from_the_observed_status(mode: str) -> None:
    """Completed -> Running is flagged once; Running -> Finalizing is then legal."""
    report = validate_trace(["Completed", "Running", "Finalizing"], mode=mode)
    assert reasons(report) == [(1, "illegal-transition")]


def test_members_and_strings_give_the_same_report() -> None:
    """Statuses may be enum members or their spellings."""
    trace = ["Starting", "Running", "Cancelled", "Completed", "Queued"]
    members = [S(s) if s in set(S) else s for s in trace]
    assert validate_trace(trace) == validate_trace(members)


def test_job_label_is_copied() -> None:
    """The job= label appears in every violation."""
    report = validate_trace(["Completed", "Running"], job="train-1")
    assert report.violations[0].job == "train-1"


def test_bad_arguments_raise() -> None:
    """An unknown mode is a ValueError; a non-string status a TypeError naming its index."""
    with pytest.raises(ValueError, match="mode"):
        validate_trace(["Running"], mode="loose")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="index 1"):
        validate_trace(["Running", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="index 2"):
        validate_trace(["Running", "Running", ["x"]])  # type: ignore[list-item]


def test_violation_json_form_uses_from() -> None:
    """to_dict renames from_ to from and turns statuses into strings."""
    (violation,) = validate_trace(["Completed", "Running"]).violations
    assert violation.to_dict() == {
        "job": None,
        "index": 1,
        "line": None,
        "from": "Completed",
        "to": "Running",
        "reason": "illegal-transition",
        "message": violation.message,
        "allowed": [],
    }


def test_tables_follow_an_extended_lifecycle() -> None:
    """Validation reads the lifecycle value: an added Paused status becomes legal."""
    extended = DEFAULT_LIFECYCLE.extend(
        states=["Paused"],
        events=[
            EventSpec("pause", "Running", "Paused"),
            EventSpec("unpause", "Paused", "Running"),
        ],
    )
    trace = ["Running", "Paused", "Running"]
    assert reasons(validate_trace(trace)) == [(1, "unknown-status")]
    report = validate_trace(trace, lifecycle=extended)
    assert report.ok
    assert report.violations == ()


# -- validate_trace against a reference written from the edge table ---------------

UNKNOWN = ["Cancelled", "Paused", "Unknown", "running", "Scheduled"]
KNOWN = [s.value for s in JobStatus]


def reference(
    trace: Sequence[str], mode: str, require_initial: bool, require_terminal: bool
) -> tuple[list[tuple[int, str, str | None, str | None]], list[tuple[int, str, str]]]:
    """Violations (index, reason, from, to) and gaps (index, from, to), pair by pair."""
    succ: dict[str, set[str]] = {s: set() for s in KNOWN}
    for edge in DEFAULT_LIFECYCLE.edges:
        succ[edge.source.value].add(edge.dest.value)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = deque(succ[start])
        while todo:
            node = todo.popleft()
            if node not in seen:
                seen.add(node)
                todo.extend(succ[node])
        return seen

    violations: list[tuple[int, str, str | None, str | None]] = []
    gaps: list[tuple[int, str, str]] = []
    prev: str | None = None
    last = -1
    for index, status in enumerate(trace):
        if status not in KNOWN:
            violations.append((index, "unknown-status", prev, status))
            continue
        if prev is None:
            if require_initial and status != "NotStarted":
                violations.append((index, "not-initial", None, status))
        elif status != prev and status not in succ[prev]:
            if mode == "observed" and status in reachable(prev):
                gaps.append((index, prev, status))
            else:
                violations.append((index, "illegal-transition", prev, status))
        prev, last = status, index
    if require_terminal and prev not in ("Completed", "Failed", "Canceled"):
        violations.append((last if prev else len(trace), "not-terminal", prev, None))
    return violations, gaps


@st.composite
def traces(draw: st.DrawFn) -> list[str]:
    """Legal walks, then maybe polled (subsampled), repeated, mutated, with unknown names."""
    trace = [s.value for s in draw(walks())]
    if draw(st.booleans()):
        keep = draw(st.lists(st.booleans(), min_size=len(trace), max_size=len(trace)))
        trace = [s for s, k in zip(trace, keep, strict=True) if k]
    for _ in range(draw(st.integers(0, 3))):
        if not trace:
            break
        at = draw(st.integers(0, len(trace) - 1))
        action = draw(st.sampled_from(["repeat", "mutate", "unknown", "drop"]))
        if action == "repeat":
            trace.insert(at, trace[at])
        elif action == "mutate":
            trace[at] = draw(st.sampled_from(KNOWN))
        elif action == "unknown":
            trace.insert(at, draw(st.sampled_from(UNKNOWN)))
        else:
            del trace[at]
    return trace


@settings(max_examples=300, deadline=None)
@given(
    trace=traces(),
    mode=st.sampled_from(MODES),
    require_initial=st.booleans(),
    require_terminal=st.booleans(),
)
def test_matches_the_reference(
    trace: list[str], mode: str, require_initial: bool, require_terminal: bool
) -> None:
    """validate_trace reports what a pair-by-pair reference over lifecycle.edges reports."""
    report = validate_trace(
        trace, mode=mode, require_initial=require_initial, require_terminal=require_terminal
    )
    expected, expected_gaps = reference(trace, mode, require_initial, require_terminal)
    got = [
        (v.index, str(v.reason), None if v.from_ is None else str(v.from_), v.to and str(v.to))
        for v in report.violations
    ]
    assert got == expected
    assert [(g.index, str(g.from_), str(g.to)) for g in report.gaps] == expected_gaps
    assert report.ok == (not expected)


# -- the tables agree with the transitions machine --------------------------------


@st.composite
def fired_walks(draw: st.DrawFn) -> list[str]:
    """Statuses of a real CommandJob driven by random allowed events."""
    job = CommandJob(command="python train.py")
    for _ in range(draw(st.integers(0, 25))):
        events = job.allowed_events
        if not events:
            break
        event = draw(st.sampled_from(events))
        dests = DEFAULT_LIFECYCLE.table[job.status][event]
        job.fire(event, to=draw(st.sampled_from(dests)) if len(dests) > 1 else None)
    return [DEFAULT_LIFECYCLE.initial] + [str(h.to) for h in job.history]


@settings(max_examples=150, deadline=None)
@given(walk=fired_walks())
def test_machine_walks_validate_clean(walk: list[str]) -> None:
    """Whatever the machine accepts, strict validation accepts (from the initial status)."""
    report = validate_trace(walk, mode="strict", require_initial=True)
    assert report.ok, report.violations


def first_refused(trace: Sequence[str]) -> int | None:
    """Replay *trace* on a real job: the index of the first status no event reaches."""
    job = CommandJob(command="python train.py")
    job.restore(trace[0])
    for index, status in enumerate(trace[1:], 1):
        if status == job.status:
            continue
        events = [e for e, dests in DEFAULT_LIFECYCLE.table[job.status].items() if status in dests]
        if not events or not job.can(events[0]):
            return index
        job.fire(events[0], to=status)
    return None


@settings(max_examples=150, deadline=None)
@given(walk=fired_walks(), data=st.data())
def test_mutated_walk_reports_the_first_pair_the_machine_refuses(
    walk: list[str], data: st.DataObject
) -> None:
    """Change one status: the first violation is where the real machine would refuse."""
    at = data.draw(st.integers(0, len(walk) - 1))
    mutated = list(walk)
    mutated[at] = data.draw(st.sampled_from(KNOWN))
    report = validate_trace(mutated, mode="strict")
    refused = first_refused(mutated)
    if refused is None:
        assert report.ok
    else:
        assert report.violations[0].index == refused
        assert report.violations[0].reason is Reason.ILLEGAL_TRANSITION


# -- validate_events ---------------------------------------------------------------


def test_interleaved_jobs_are_judged_separately() -> None:
    """Each job has its own trace and indices; events of other jobs do not interfere."""
    events = [
        {"job": "a", "status": "Starting"},
        {"job": "b", "status": "Completed"},
        {"job": "a", "status": "Preparing"},
        {"job": "b", "status": "Running"},
        {"job": "a", "status": "Queued"},
    ]
    report = validate_events(events)
    assert (report.jobs, report.events) == (2, 5)
    (violation,) = report.violations
    assert (violation.job, violation.index, violation.line) == ("b", 1, None)
    assert violation.from_ is S.COMPLETED


@pytest.mark.parametrize("mode", MODES)
def test_time_went_backwards(mode: str) -> None:
    """A job's time decreasing is reported at the later event; other jobs' times don't count."""
    events = [
        (1, {"job": "a", "status": "Queued", "time": "2024-05-01T10:00:00Z"}),
        (2, {"job": "b", "status": "Queued", "time": "2024-05-01T08:00:00Z"}),
        (3, {"job": "a", "status": "Running", "time": "2024-05-01T09:59:59Z"}),
        (4, {"job": "a", "status": "Finalizing", "time": "2024-05-01T10:00:30Z"}),
    ]
    report = validate_events(events, mode=mode)
    (violation,) = report.violations
    assert violation.reason is Reason.TIME_WENT_BACKWARDS
    assert (violation.job, violation.index, violation.line) == ("a", 1, 3)
    assert (violation.from_, violation.to) == (S.QUEUED, S.RUNNING)
    assert "2024-05-01T10:00:00Z" in violation.message
    assert "line 1" in violation.message


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (10, 11.5),
        ("10", "11"),
        ("2024-05-01T10:00:00", "2024-05-01T10:00:00.5Z"),  # naive is UTC
        ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:01Z"),  # offsets compare as instants
        (1714557600, "2024-05-01T10:00:01Z"),  # numbers are POSIX seconds
    ],
)
def test_time_comparison(earlier: Any, later: Any) -> None:
    """Numbers, numeric strings and ISO-8601 strings compare as instants."""
    forward = [{"job": "a", "status": "Queued", "time": t} for t in (earlier, later)]
    assert validate_events(forward).ok
    backward = list(reversed(forward))
    assert reasons(validate_events(backward)) == [(1, "time-went-backwards")]


def test_equal_times_and_missing_times_are_fine() -> None:
    """Only a decrease is reported; events without a time are not compared."""
    events = [
        {"job": "a", "status": "Queued", "time": 5},
        {"job": "a", "status": "Queued", "time": 5},
        {"job": "a", "status": "Running"},
        {"job": "a", "status": "Running", "time": None},
        {"job": "a", "status": "Running", "time": 6},
    ]
    assert validate_events(events).ok


def test_bad_time_is_an_input_error_and_the_event_is_set_aside() -> None:
    """A time that is neither a number nor ISO-8601 is an input error, not a violation."""
    events = [
        (1, {"job": "a", "status": "Queued", "time": 1}),
        (2, {"job": "a", "status": "Completed", "time": "yesterday"}),
        (3, {"job": "a", "status": "Running", "time": True}),
        (4, {"job": "a", "status": "Running", "time": float("nan")}),
    ]
    report = validate_events(events)
    assert report.violations == ()
    assert [e.line for e in report.input_errors] == [2, 3, 4]
    assert "'yesterday'" in report.input_errors[0].message
    assert report.events == 1
    assert not report.ok


@pytest.mark.parametrize("mode", MODES)
def test_require_initial_and_terminal_per_job(mode: str) -> None:
    """Each job must start at NotStarted and end terminal; not-terminal is found at the end
    of the stream and points at the job's last known event."""
    events = [
        (1, {"job": "a", "status": "NotStarted"}),
        (2, {"job": "b", "status": "Running"}),
        (3, {"job": "a", "status": "Starting"}),
        (4, {"job": "a", "status": "Failed"}),
        (5, {"job": "b", "status": "Paused"}),
    ]
    report = validate_events(events, mode=mode, require_initial=True, require_terminal=True)
    got = [(v.job, v.index, v.line, str(v.reason)) for v in report.violations]
    assert got == [
        ("b", 0, 2, "not-initial"),
        ("b", 1, 5, "unknown-status"),
        ("b", 0, 2, "not-terminal"),
    ]


def test_malformed_events_are_input_errors_and_processing_goes_on() -> None:
    """Missing keys, null or non-string statuses are input errors; the rest is judged."""
    events = [
        {"job": "a", "status": "Completed"},
        {"job": "a"},
        {"status": "Running"},
        {"job": "a", "status": 3},
        {"job": None, "status": "Running"},
        {"job": ["x"], "status": "Running"},
        "not a mapping",
        {"job": "a", "status": "Running"},
    ]
    report = validate_events(events)  # type: ignore[arg-type]
    messages = [e.message for e in report.input_errors]
    assert messages[0] == "event 2: missing key 'status' (keys: 'job')"
    assert messages[1].startswith("event 3: missing key 'job'")
    assert "event 4: 'status' must be a non-empty string, got 3" in messages
    assert len(messages) == 6
    assert all(e.line is None for e in report.input_errors)
    assert reasons(report) == [(1, "illegal-transition")]


def test_keep_gaps_for_events() -> None:
    """In observed mode, gaps are collected on request, with their job and line."""
    events = [(7, {"job": "a", "status": "Starting"}), (9, {"job": "a", "status": "Running"})]
    assert validate_events(events, mode="observed").gaps == ()
    (gap,) = validate_events(events, mode="observed", keep_gaps=True).gaps
    assert (gap.job, gap.index, gap.line, gap.skipped) == ("a", 1, 9, (S.PREPARING, S.QUEUED))


def test_custom_keys_and_numeric_job_ids() -> None:
    """Keys are configurable; job ids that are numbers are reported as text."""
    events = [{"id": 7, "state": "Completed", "at": 1}, {"id": 7, "state": "Queued", "at": 2}]
    report = validate_events(events, job_key="id", status_key="state", time_key="at")
    assert report.violations[0].job == "7"


def test_streams_a_generator_without_holding_it() -> None:
    """A generator of many events is consumed once; only per-job state is kept."""
    consumed = 0

    def events() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for n in range(30_000):
            consumed += 1
            yield {"job": f"j{n % 100}", "status": "Running", "time": n}

    report = validate_events(events())
    assert consumed == 30_000
    assert (report.jobs, report.events, report.ok) == (100, 30_000, True)


# -- readers ----------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_line_numbers_and_malformed_lines(tmp_path: Path) -> None:
    """Lines are 1-based file lines; blank lines are skipped; bad lines are input errors."""
    path = write(
        tmp_path / "events.jsonl",
        '{"job": "a", "status": "Queued"}\n'
        "\n"
        "{not json\n"
        "[1, 2]\n"
        '{"job": "a"}\n'
        '{"job": "a", "status": "Completed"}\n',
    )
    log = read_jsonl(path)
    report = validate_events(log)
    assert [(e.line, e.message.split(":")[0]) for e in report.input_errors] == [
        (3, "not valid JSON"),
        (4, "expected a JSON object, got list"),
        (5, "missing key 'status' (keys"),
    ]
    (violation,) = report.violations
    assert (violation.line, violation.index, violation.from_) == (6, 1, S.QUEUED)


def test_csv_line_numbers_and_bad_rows(tmp_path: Path) -> None:
    """CSV lines count the header and multi-line quoted fields; a short row is an input error."""
    path = tmp_path / "events.csv"
    path.write_text(
        'job,status,note\na,Queued,"two\nlines"\na,Running\n\na,Completed,x\n',
        encoding="utf-8",
        newline="",
    )
    report = validate_events(read_csv(path))
    assert [(e.line, e.message) for e in report.input_errors] == [
        (4, "bad CSV row: 2 fields, the header has 3 (job, status, note)")
    ]
    (violation,) = report.violations
    assert (violation.line, violation.to) == (6, S.COMPLETED)


def test_csv_header_without_a_required_column(tmp_path: Path) -> None:
    """A header lacking the status column is reported once, at line 1, and no row is read."""
    path = write(tmp_path / "events.csv", "job,state\na,Running\na,Queued\n")
    log = read_csv(path, required=("job", "status"))
    assert list(log) == []
    assert log.errors == [
        MalformedEvent(1, "the CSV header has no column 'status' (columns: 'job', 'state')")
    ]


def test_readers_accept_streams_and_a_bom() -> None:
    """Text streams work like files; a UTF-8 byte order mark is not part of the first key."""
    rows = list(read_jsonl(io.StringIO('{"job": 1, "status": "Queued"}\n')))
    assert rows == [(1, {"job": 1, "status": "Queued"})]
    assert list(read_csv(io.StringIO("job,status\n1,Queued\n"))) == [
        (2, {"job": "1", "status": "Queued"})
    ]


def test_bom_file(tmp_path: Path) -> None:
    """A file starting with a byte order mark reads normally."""
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbfjob,status\na,Queued\n")
    assert list(read_csv(path)) == [(2, {"job": "a", "status": "Queued"})]


def test_undecodable_file_names_the_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 stop reading with EventLogError naming file and line."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"job": "a", "status": "Queued"}\n{"job": "\xff"}\n')
    with pytest.raises(EventLogError) as info:
        validate_events(read_jsonl(path))
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: not UTF-8 text")
    assert isinstance(info.value, ValueError)


def test_report_to_dict_shape(tmp_path: Path) -> None:
    """The report's JSON form has exactly the documented keys."""
    path = write(tmp_path / "e.jsonl", '{"job": "a", "status": "Completed"}\nnope\n')
    report = validate_events(read_jsonl(path))
    data = json.loads(json.dumps(report.to_dict()))
    assert list(data) == ["ok", "jobs", "events", "violations", "input_errors"]
    assert data["input_errors"] == [
        {"line": 2, "message": "not valid JSON: Expecting value (column 1)"}
    ]
    assert data["ok"] is False


def test_violation_is_frozen() -> None:
    """Report classes are immutable values."""
    (violation,) = validate_trace(["Completed", "Running"]).violations
    assert isinstance(violation, Violation)
    with pytest.raises(AttributeError):
        violation.index = 3  # type: ignore[misc]


@settings(max_examples=100, deadline=None)
@given(
    jobs=st.lists(traces(), min_size=1, max_size=4),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_interleaved_events_match_each_trace_alone(
    jobs: list[list[str]], mode: str, data: st.DataObject
) -> None:
    """Interleaving the traces of several jobs in one log changes nothing per job."""
    queues = [deque(trace) for trace in jobs]
    events: list[tuple[int, dict[str, str]]] = []
    while any(queues):
        job = data.draw(st.sampled_from([n for n, q in enumerate(queues) if q]))
        events.append((len(events) + 1, {"job": f"j{job}", "status": queues[job].popleft()}))
    report = validate_events(events, mode=mode, require_terminal=True, keep_gaps=True)
    for number, trace in enumerate(jobs):
        alone = validate_trace(trace, mode=mode, require_terminal=bool(trace), job=f"j{number}")
        mine = [v for v in report.violations if v.job == f"j{number}"]
        assert [(v.index, v.reason, v.from_, v.to) for v in mine] == [
            (v.index, v.reason, v.from_, v.to) for v in alone.violations
        ]
        gaps = [(g.index, g.skipped) for g in report.gaps if g.job == f"j{number}"]
        assert gaps == [(g.index, g.skipped) for g in alone.gaps]


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "job": st.sampled_from(["a", "b", "c,d", 'q"uote']),
                "status": st.sampled_from(KNOWN + UNKNOWN),
                "time": st.integers(0, 50).map(str),
            }
        ),
        max_size=30,
    ),
    mode=st.sampled_from(MODES),
)
def test_jsonl_and_csv_files_give_the_report_of_the_rows(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], mode: str
) -> None:
    """Written as JSON Lines or CSV and read back, events give the same report, with the
    file's line numbers (the CSV header shifts them by one)."""
    import csv

    folder = tmp_path_factory.mktemp("logs")
    jsonl = folder / "e.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with open(folder / "e.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, ["job", "status", "time"])
        writer.writeheader()
        writer.writerows(rows)
    numbered = [(n, r) for n, r in enumerate(rows, 1)]
    expected = validate_events(numbered, mode=mode, require_terminal=True)
    from_jsonl = validate_events(read_jsonl(jsonl), mode=mode, require_terminal=True)
    assert from_jsonl == expected
    from_csv = validate_events(read_csv(folder / "e.csv"), mode=mode, require_terminal=True)
    assert [(v.job, v.index, v.reason, v.line) for v in from_csv.violations] == [
        (v.job, v.index, v.reason, None if v.line is None else v.line + 1)
        for v in expected.violations
    ]


# -- edge cases found in review -----------------------------------------------------


def test_enum_members_in_events_are_judged_not_rejected() -> None:
    """A JobStatus member that breaks a rule is a violation, as its spelling would be,
    not an input error."""
    events = [{"job": "a", "status": S.COMPLETED}, {"job": "a", "status": S.RUNNING}]
    report = validate_events(events)
    assert report.input_errors == ()
    assert reasons(report) == [(1, "illegal-transition")]
    assert report == validate_events([{k: str(v) for k, v in e.items()} for e in events])


def test_time_too_large_for_a_float_is_an_input_error() -> None:
    """An integer time beyond the float range is an input error, not an OverflowError."""
    events = [(1, {"job": "a", "status": "Queued", "time": 10**400})]
    report = validate_events(events)
    (error,) = report.input_errors
    assert error.line == 1
    assert "time 1000" in error.message
    assert report.events == 0


def test_job_keys_are_identified_by_their_text() -> None:
    """Job 1 and job "1" are one job (a CSV copy of a JSON log gives the same report);
    a boolean job key is an input error, never the same job as 1."""
    events = [
        (1, {"job": 1, "status": "Completed"}),
        (2, {"job": "1", "status": "Running"}),
        (3, {"job": True, "status": "Queued"}),
    ]
    report = validate_events(events)
    assert (report.jobs, report.events) == (1, 2)
    assert [(v.job, v.index, v.line) for v in report.violations] == [("1", 1, 2)]
    (error,) = report.input_errors
    assert (error.line, error.message) == (
        3,
        "'job' must be a non-empty string or number, got True",
    )


def test_csv_unclosed_quote_is_an_input_error(tmp_path: Path) -> None:
    """A quoted field that is never closed is one input error at the line where it
    opens, instead of swallowing the rest of the file into one status."""
    path = tmp_path / "events.csv"
    path.write_text(
        'job,status\na,Queued\na,"Running\na,Finalizing\na,Completed\n',
        encoding="utf-8",
        newline="",
    )
    report = validate_events(read_csv(path))
    assert report.violations == ()
    assert [e.line for e in report.input_errors] == [3]
    assert "quoted field" in report.input_errors[0].message


def test_csv_header_with_a_required_column_twice(tmp_path: Path) -> None:
    """A header naming the job or status column twice is ambiguous: reported once, at
    line 1, and no row is read."""
    path = write(tmp_path / "events.csv", "job,status,job\na,Queued,b\n")
    log = read_csv(path, required=("job", "status"))
    assert list(log) == []
    assert log.errors == [
        MalformedEvent(1, "the CSV header has column 'job' twice (columns: 'job', 'status', 'job')")
    ]


def test_csv_one_field_is_singular(tmp_path: Path) -> None:
    """The row-length error reads naturally for a single field."""
    path = write(tmp_path / "events.csv", "job,status\na\n")
    (error,) = validate_events(read_csv(path)).input_errors
    assert error.message == "bad CSV row: 1 field, the header has 2 (job, status)"


def test_undecodable_stream_names_the_line() -> None:
    """A binary stream wrapped like standard input reports the first bad line too."""
    from jobfsm.eventlog import text_stream

    good = b'{"job": "a", "status": "Queued"}\n' * 5000
    for fmt, data, line in [
        ("jsonl", good + b'{"job": "\xff"}\n', 5001),
        ("csv", b"job,status\n" + b"a,Queued\n" * 5000 + b"a,\xff\n", 5002),
    ]:
        log = (
            read_jsonl(text_stream(io.BytesIO(data)))
            if fmt == "jsonl"
            else read_csv(text_stream(io.BytesIO(data)))
        )
        with pytest.raises(EventLogError) as info:
            validate_events(log)
        assert info.value.line == line, fmt


def test_observed_mode_goes_back_only_through_not_responding() -> None:
    """Running -> Queued is legal when observed (a lost heartbeat, then a resume, were
    missed); nothing leads back to NotStarted or from CancelRequested to an active status."""
    (gap,) = validate_trace(["Running", "Queued"], mode="observed").gaps
    assert gap.skipped == (S.NOT_RESPONDING,)
    for trace in (["Running", "NotStarted"], ["CancelRequested", "Running"]):
        assert reasons(validate_trace(trace, mode="observed")) == [(1, "illegal-transition")]


def test_text_streams_that_kept_the_byte_order_mark() -> None:
    """A stream decoded as plain UTF-8 keeps the byte order mark; readers drop it."""
    bom = "\ufeff"
    assert list(read_jsonl(io.StringIO(bom + '{"job": "a", "status": "Queued"}\n'))) == [
        (1, {"job": "a", "status": "Queued"})
    ]
    assert list(read_csv(io.StringIO(bom + "job,status\na,Queued\n"), required=("job",))) == [
        (2, {"job": "a", "status": "Queued"})
    ]


def test_a_string_of_digits_is_seconds_even_if_it_reads_as_a_date() -> None:
    """ "20000101" is a number of seconds like "20000132", not the date 2000-01-01, so
    a counter passing it does not seem to go backwards."""
    events = [{"job": "a", "status": "Queued", "time": t} for t in ("19999999", "20000101")]
    events.append({"job": "a", "status": "Queued", "time": "20000132"})
    assert validate_events(events).ok
    assert reasons(validate_events(events[::-1])) == [
        (1, "time-went-backwards"),
        (2, "time-went-backwards"),
    ]


def test_not_terminal_without_a_known_status_names_the_jobs_last_line() -> None:
    """A job whose statuses are all unknown still gets a file line for not-terminal:
    the line of its last event."""
    events = [(3, {"job": "a", "status": "Paused"}), (8, {"job": "a", "status": "Unknown"})]
    report = validate_events(events, require_terminal=True)
    assert [(v.index, v.line, str(v.reason)) for v in report.violations] == [
        (0, 3, "unknown-status"),
        (1, 8, "unknown-status"),
        (2, 8, "not-terminal"),
    ]
