"""Hostile job files: every one is refused with a JobFileError naming file and line.

Values PyYAML cannot build (bad dates, huge integers, malformed explicit tags),
characters YAML forbids, files too large or nested too deeply: ``load_job``
raises only errors of the jobfsm hierarchy, and ``jobfsm diagram --job`` reports
them in one line with exit status 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import JobFileError, JobFSMError, load_job
from jobfsm.cli import main
from jobfsm.errors import JobFileStructureError, JobFileSyntaxError
from jobfsm.yamlio import MAX_BYTES, MAX_DEPTH, MAX_INT_DIGITS, MAX_VALUES

HISTORY = (
    "status: Starting\nstatus_history:\n- {from: NotStarted, to: Starting, event: start, at: %s}\n"
)

# (document, line of the error): each once raised something outside JobFSMError.
HOSTILE = [
    pytest.param("command: a\x00b\n", 1, id="nul"),
    pytest.param("command: echo\nx: a\x07\n", 2, id="bell"),
    pytest.param("command: echo\nwhen: 2024-02-30\n", 2, id="feb-30"),
    pytest.param("when: 2024-01-01T00:00:00+25:00\n", 1, id="offset-25h"),
    pytest.param("n: " + "1" * 5000 + "\n", 1, id="int-5000-digits"),
    pytest.param("n: 0x" + "f" * 5000 + "\n", 1, id="hex-int-huge"),
    pytest.param("n: " + "1:" * 3000 + "1\n", 1, id="sexagesimal-huge"),
    pytest.param("x: !!timestamp nope\n", 1, id="timestamp-tag"),
    pytest.param("x: !!timestamp 2024-13-01\n", 1, id="timestamp-month-13"),
    pytest.param("x: !!bool maybe\n", 1, id="bool-tag"),
    pytest.param("x: !!int ''\n", 1, id="int-tag-empty"),
    pytest.param("x: !!int 0b\n", 1, id="int-tag-0b"),
    pytest.param("x: !!float .\n", 1, id="float-tag"),
    pytest.param("x: !!set a\n", 1, id="set-tag-scalar"),
    pytest.param("x: !!map a\n", 1, id="map-tag-scalar"),
    pytest.param("x:\n  ? !!set\n  : 1\n", 2, id="set-key"),
    pytest.param(HISTORY % "9999-12-31T23:59:59-01:00", 3, id="history-overflow"),
    pytest.param(HISTORY % "0001-01-01T00:00:00+01:00", 3, id="history-underflow"),
]


@pytest.mark.parametrize(("text", "line"), HOSTILE)
def test_hostile_value_is_a_job_file_error(tmp_path: Path, text: str, line: int) -> None:
    """A value PyYAML cannot build is a JobFileError naming the file and the line."""
    path = tmp_path / "job.yml"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(JobFileError) as caught:
        load_job(path)
    assert caught.value.file == str(path)
    assert caught.value.line == line


def test_bad_date_names_the_value_and_says_how_to_keep_it_as_text() -> None:
    """An unquoted date that is not a date says why and suggests quoting it."""
    with pytest.raises(JobFileSyntaxError) as caught:
        load_job(io.StringIO("command: echo\nwhen: 2024-02-30\n"))
    assert "'2024-02-30'" in str(caught.value)
    assert "day is out of range" in str(caught.value)
    assert "quote it" in str(caught.value)


def test_nul_character_names_its_line_in_a_cr_only_file() -> None:
    """A character YAML forbids is reported at its line, CR line breaks counted."""
    with pytest.raises(JobFileSyntaxError) as caught:
        load_job(io.StringIO("command: echo\rdescription: x\rx: a\x00b\r"))
    assert caught.value.line == 3
    assert "#x0000" in str(caught.value)


def test_not_utf8_names_its_line_in_a_cr_only_file() -> None:
    """A byte that is not UTF-8 is reported at its line when lines end with CR."""
    with pytest.raises(JobFileSyntaxError) as caught:
        load_job(io.BytesIO(b"command: echo\rdescription: x\rx: a\xffb\r"))
    assert caught.value.line == 3


def test_huge_integer_names_the_limit() -> None:
    """An integer longer than MAX_INT_DIGITS is refused, naming the limit."""
    with pytest.raises(JobFileStructureError, match=f"{MAX_INT_DIGITS:,} digits"):
        load_job(io.StringIO("n: " + "1" * (MAX_INT_DIGITS + 1) + "\n"))
    assert load_job(io.StringIO("n: " + "1" * MAX_INT_DIGITS + "\n")).extras["n"] > 0


# -- size limits -------------------------------------------------------------------


def test_file_larger_than_the_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """A file over MAX_BYTES is refused naming the limit (a large file has no alias)."""
    path = tmp_path / "big.yml"
    path.write_text("command: echo\n" + "x: " + "a" * MAX_BYTES + "\n")
    with pytest.raises(JobFileStructureError) as caught:
        load_job(path)
    assert f"{MAX_BYTES:,} bytes" in str(caught.value)
    assert "alias" not in str(caught.value)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_refused() -> None:
    """/dev/zero is refused after MAX_BYTES, not read until memory runs out."""
    with pytest.raises(JobFileStructureError, match="bytes"):
        load_job("/dev/zero")


def test_endless_stream_is_refused() -> None:
    """A stream longer than the limit is refused as well."""
    with pytest.raises(JobFileStructureError, match="bytes"):
        load_job(io.StringIO("x: " + "a" * (MAX_BYTES + 10)))


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    """Nesting beyond MAX_DEPTH is refused at the line where it gets too deep."""
    text = "x:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH + 5))
    with pytest.raises(JobFileStructureError) as caught:
        load_job(io.StringIO(text))
    assert f"{MAX_DEPTH} levels" in str(caught.value)
    assert caught.value.line == MAX_DEPTH + 1
    flow = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert load_job(io.StringIO(flow)).extras["x"] is not None


def test_alias_bomb_names_the_value_limit() -> None:
    """Aliases that multiply beyond MAX_VALUES are refused, naming the limit."""
    lines = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    for level in range(1, 6):
        lines.append(f"x{level}: &x{level} [" + ", ".join([f"*x{level - 1}"] * 10) + "]")
    with pytest.raises(JobFileStructureError, match=f"{MAX_VALUES:,} values"):
        load_job(io.StringIO("\n".join(lines) + "\n"))


# -- nothing escapes the hierarchy -------------------------------------------------

_yamlish = st.lists(
    st.sampled_from(
        [
            *"ab01:-?[]{},&*!|>'\"#% \n\t\r.+Tzx\x00\x85\u2028\ufeff",
            *["!!int ", "!!set ", "!!timestamp ", "!!bool ", "!!float ", "!!map ", "!!binary "],
            *["2024-02-30", "9999-12-31T23:59:59-01:00", "+25:00", "<<: ", "status: ", "type: "],
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_yamlish, st.text(max_size=60)))
def test_random_text_raises_only_jobfsm_errors(text: str) -> None:
    """Whatever the text, load_job returns a job or raises a JobFSMError."""
    with contextlib.suppress(JobFSMError):
        load_job(io.StringIO(text))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_jobfsm_errors(data: bytes) -> None:
    """Whatever the bytes, load_job returns a job or raises a JobFSMError."""
    with contextlib.suppress(JobFSMError):
        load_job(io.BytesIO(data))


@settings(max_examples=60, deadline=None)
@given(st.one_of(_yamlish, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))))
def test_cli_diagram_never_prints_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """`jobfsm diagram --job FILE` exits 0 or 2 for any file, never with an exception."""
    path = tmp_path_factory.mktemp("fuzz") / "job.yml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert main(["diagram", "--job", str(path)]) in (0, 2)


@pytest.mark.parametrize(("text", "line"), HOSTILE)
def test_cli_diagram_reports_hostile_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int
) -> None:
    """`jobfsm diagram --job` names file and line and exits 2 for each hostile file."""
    path = tmp_path / "job.yml"
    path.write_text(text, encoding="utf-8", newline="")
    assert main(["diagram", "--job", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}" in err
    assert len(err.strip().splitlines()) == 1


def test_long_document_is_refused_where_it_passes_the_value_limit() -> None:
    """A long document without aliases is refused at the value that passes MAX_VALUES,
    without parsing the rest (the error names that line, not the end)."""
    text = "".join(f"k{i}: v\n" for i in range(3 * MAX_VALUES))
    with pytest.raises(JobFileStructureError, match=f"more than {MAX_VALUES:,} values") as caught:
        load_job(io.StringIO(text))
    assert caught.value.line == MAX_VALUES // 2
