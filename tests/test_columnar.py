"""Tests for columnar event logs: Parquet files and folders, Arrow tables and readers.

The rules are the JSON Lines ones; what is tested here is that a columnar log
gives the same report as the same events written as JSON Lines (rows standing
for lines), and how columnar input fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import MissingExtraError, read_jsonl, read_parquet, validate_events
from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_VIOLATIONS, main
from tests.conftest import needs
from tests.strategies import event_logs

REPO = Path(__file__).resolve().parents[1]
pa = needs("pyarrow", "arrow")
pq = needs("pyarrow.parquet", "arrow")


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def table_of(events: list[dict[str, Any]]) -> Any:
    columns = {k: [e.get(k) for e in events] for k in ("job", "status", "time")}
    return pa.table(columns, schema=pa.schema([(k, pa.string()) for k in columns]))


options = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["strict", "observed"]),
        "require_initial": st.booleans(),
        "require_terminal": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(events=event_logs(), opts=options, batch=st.integers(1, 7))
def test_arrow_and_parquet_give_the_jsonl_report(
    events: list[dict[str, Any]], opts: dict[str, Any], batch: int
) -> None:
    """A table, a batch reader (small batches), a Parquet file and a folder of Parquet
    files report exactly what the same events as JSON Lines report, row for line."""
    with tempfile.TemporaryDirectory() as tmp:
        check_formats(Path(tmp), events, opts, batch)


def check_formats(
    tmp_path: Path, events: list[dict[str, Any]], opts: dict[str, Any], batch: int
) -> None:
    expected = validate_events(read_jsonl(write_jsonl(tmp_path / "log.jsonl", events)), **opts)
    table = table_of(events)
    pq.write_table(table, tmp_path / "log.parquet", row_group_size=3)
    folder = tmp_path / "folder"
    for part, start in enumerate(range(0, max(len(events), 1), 4)):
        sub = folder / f"day={part // 2}"
        sub.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(start, 4), sub / f"part-{part:05d}.parquet")
    (folder / "_SUCCESS").write_text("")
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch))
    for source in (table, reader, read_parquet(tmp_path / "log.parquet"), read_parquet(folder)):
        assert validate_events(source, **opts).to_dict() == expected.to_dict()


def test_typed_time_columns_are_instants(tmp_path: Path) -> None:
    """Timestamp columns (with or without a zone, any unit), dates and numbers are
    compared as instants; a naive timestamp is UTC, like a naive ISO-8601 string."""
    times = [1_000_000, 3_000_000, 2_000_000]  # the third goes backwards
    for kind in (pa.timestamp("s"), pa.timestamp("ns", "UTC"), pa.timestamp("us", "+02:00")):
        table = pa.table(
            {
                "job": ["a", "a", "a"],
                "status": ["Queued", "Running", "Finalizing"],
                "time": pa.array(times, pa.int64()).cast(kind),
            }
        )
        report = validate_events(table)
        assert [(v.index, v.line, v.reason) for v in report.violations] == [
            (2, 3, "time-went-backwards")
        ], kind
    # Shown as ISO-8601 in UTC, whatever the unit and zone of the column.
    assert report.violations[0].message == (
        "1970-01-01T00:00:02Z is before 1970-01-01T00:00:03Z, the time of the previous event "
        "(line 2)"
    )
    numbers = pa.table({"job": [1, 1], "status": ["Queued", "Running"], "time": [5.5, 5.25]})
    assert [v.job for v in validate_events(numbers).violations] == ["1"]
    dates = pa.table(
        {
            "job": ["a", "a"],
            "status": ["Queued", "Running"],
            "time": pa.array([20_000, 19_999], pa.date32()),
        }
    )
    assert [v.reason for v in validate_events(dates).violations] == ["time-went-backwards"]


def test_only_the_needed_columns_are_read(tmp_path: Path) -> None:
    """Other columns of a wide table are not decoded; custom keys name the columns."""
    table = pa.table({"run": ["x", "x"], "state": ["Running", "Queued"], "blob": [b"\0", b"\1"]})
    report = validate_events(table, job_key="run", status_key="state", time_key="missing")
    assert [(v.job, v.line, v.reason) for v in report.violations] == [
        ("x", 2, "illegal-transition")
    ]


def test_a_missing_column_is_one_input_error(tmp_path: Path) -> None:
    """Without a status column no row is read; the one error names the columns there are."""
    pq.write_table(pa.table({"job": ["a"], "state": ["Running"]}), tmp_path / "x.parquet")
    report = validate_events(read_parquet(tmp_path / "x.parquet"))
    assert report.events == 0
    assert [(e.line, e.message) for e in report.input_errors] == [
        (None, "the table has no column 'status' (columns: 'job', 'state')")
    ]


# -- the command line -------------------------------------------------------------


def test_cli_reads_parquet_files_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jobfsm validate` takes a .parquet file, a folder, or any file with
    --input-format parquet, and prints the JSON Lines report (rows as lines)."""
    events = [
        {"job": "a", "status": "Queued", "time": "2026-05-01T00:00:00Z"},
        {"job": "b", "status": "Running", "time": "2026-05-01T00:00:01Z"},
        {"job": "a", "status": "Completed", "time": "2026-05-01T00:00:02Z"},
    ]
    assert (
        main(["validate", str(write_jsonl(tmp_path / "x.jsonl", events)), "--format", "json"]) == 1
    )
    expected = {**json.loads(capsys.readouterr().out), "file": "?"}
    table = table_of(events)
    pq.write_table(table, tmp_path / "x.parquet")
    pq.write_table(table, tmp_path / "x.data")
    (tmp_path / "folder").mkdir()
    pq.write_table(table.slice(0, 2), tmp_path / "folder" / "part-0.parquet")
    pq.write_table(table.slice(2), tmp_path / "folder" / "part-1.parquet")
    for argv in (
        ["x.parquet"],
        ["folder"],
        ["x.data", "--input-format", "parquet"],
    ):
        code = main(["validate", str(tmp_path / argv[0]), *argv[1:], "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert report["file"] == str(tmp_path / argv[0])
        assert (code, {**report, "file": "?"}) == (EXIT_VIOLATIONS, expected), argv
    assert main(["validate", str(tmp_path / "x.parquet")]) == EXIT_VIOLATIONS
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'x.parquet'}:3: job a: index 1: Queued -> Completed:")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("not.parquet", b"job,status\n", "cannot read as Parquet/Arrow:"),
        ("missing.parquet", None, "cannot read: No such file or directory"),
    ],
)
def test_cli_unreadable_parquet_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes | None,
    message: str,
) -> None:  # fmt: skip
    """A file that is not Parquet, or no file, is one error line and exit 2."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["validate", str(path)]) == EXIT_INPUT_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"jobfsm: error: {path}: {message}")
    assert captured.err.count("\n") == 1


def test_cli_refuses_parquet_on_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    """Parquet needs to seek to its footer: standard input is refused, with the fix."""
    assert main(["validate", "-", "--input-format", "parquet"]) == EXIT_INPUT_ERROR
    assert "pass a file or a folder" in capsys.readouterr().err


def test_cli_missing_column_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Parquet file without the job column is an input error naming the columns."""
    pq.write_table(pa.table({"name": ["a"], "status": ["Running"]}), tmp_path / "x.parquet")
    assert main(["validate", str(tmp_path / "x.parquet")]) == EXIT_INPUT_ERROR
    assert "input error: the table has no column 'job' (columns: 'name', 'status')" in (
        capsys.readouterr().out
    )


# -- without pyarrow ----------------------------------------------------------------

_HIDE_PYARROW = "import sys; sys.modules['pyarrow'] = None; "


def _without_pyarrow(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _HIDE_PYARROW + code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_pyarrow_the_cli_names_the_extra(tmp_path: Path) -> None:
    """With pyarrow missing, a Parquet file is one error line naming jobfsm[arrow], exit 2."""
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"job": ["a"], "status": ["Running"]}), path)
    result = _without_pyarrow(
        f"from jobfsm.cli import main; sys.exit(main(['validate', {str(path)!r}]))"
    )
    assert result.returncode == EXIT_INPUT_ERROR
    assert result.stdout == ""
    assert result.stderr == (
        "jobfsm: error: reading Parquet and Arrow event logs needs pyarrow, "
        "which is not installed: pip install 'jobfsm[arrow]'\n"
    )


def test_without_pyarrow_the_library_raises_an_import_error() -> None:
    """read_parquet raises MissingExtraError, an ImportError naming the extra; importing
    jobfsm and validating JSON Lines never need pyarrow."""
    code = (
        "import jobfsm\n"
        "assert jobfsm.validate_events([{'job': 'a', 'status': 'Running'}]).ok\n"
        "try:\n"
        "    jobfsm.read_parquet('x.parquet')\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc.extra, exc.name)\n"
    )
    result = _without_pyarrow(code)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "MissingExtraError arrow pyarrow\n", ""
    )  # fmt: skip
    assert issubclass(MissingExtraError, ImportError)


def test_importing_jobfsm_does_not_import_pyarrow() -> None:
    """The arrow extra stays optional: `import jobfsm` loads no pyarrow."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys, jobfsm; print('pyarrow' in sys.modules)"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert result.stdout == "False\n"
