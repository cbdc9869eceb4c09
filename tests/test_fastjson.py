"""The optional fast reader (msgspec) against the standard library, line by line.

Generated lines mix what logs hold (strings with escapes and non-ASCII text,
numbers, nulls, nested values, extra keys) with what breaks readers (bad
UTF-8, byte order marks, CR/LF/CRLF, NaN, huge integers, duplicate keys, deep
nesting, lone surrogate escapes). Wherever the fast reader takes a line, it
must read exactly the values ``json.loads`` reads; whole logs must validate
to the same report, or fail with the same error, with the reader on or off.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobfsm import EventLog, EventLogError, eventlog, validate_events
from jobfsm import _fastjson as fastjson
from jobfsm.cli import main
from jobfsm.eventlog import text_stream
from tests.conftest import needs

KEYS = ("job", "status", "time")

scalars = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["Running", "Queued", "Paused", "", "Ré", "\u2028", "a\\nb"]),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
# Raw JSON text of odd values that json.dumps never writes.
odd_values = st.sampled_from(
    ["NaN", "-Infinity", "1e400", "-0", "1E5", "123456789012345678901234567890", '"\\ud800"',
     '"\\udc00x"', '"\\ud83d\\ude00"', '"\\u00e9"', '"\\/"', "[" * 300 + "]" * 300,
     "[" * 3000 + "]" * 3000, "tru", "01", '"\t"', "{}", '"2024-05-01T08:00:00Z"']
)  # fmt: skip


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One line of text: an object with some of the keys (maybe twice), or junk."""
    pairs = []
    for key in draw(st.lists(st.sampled_from([*KEYS, "extra", "jo\\u0062"]), max_size=6)):
        value = draw(st.one_of(values.map(json.dumps), odd_values))
        pairs.append(f'"{key}": {value}')
    text = "{" + ", ".join(pairs) + "}"
    text = draw(st.sampled_from([text, text, " " + text + " ", "\ufeff" + text, text[:-1], "[1]",
                                 "", "   ", text + " x"]))  # fmt: skip
    return text + draw(st.sampled_from(["\n", "\r\n", "\r", ""]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(text=lines())
def test_fast_reader_reads_what_json_reads(text: str) -> None:
    """A line the fast reader takes has exactly the job, status and time json.loads finds."""
    needs("msgspec", "fast")
    decoded = fastjson.decoder(*KEYS)
    assert decoded is not None
    decode, _ = decoded
    try:
        fast = decode(text)
    except fastjson.ERRORS:
        return  # read by the standard library instead
    row = json.loads(text)  # must not fail where the fast reader did not
    assert isinstance(row, dict)
    assert _same(fast.job, row["job"])
    assert _same(fast.status, row["status"])
    assert _same(fast.time, row.get("time"))


def _report(data: bytes, fast: bool, blocks: bool = False) -> Any:
    """The report (or error) of *data*; *blocks*: through the block reader, in 7-byte reads."""
    fastjson.enabled = fast
    saved = eventlog._BLOCK, eventlog._FAST_MIN_BYTES
    try:
        if blocks:
            eventlog._BLOCK, eventlog._FAST_MIN_BYTES = 7, 0
            stream = text_stream(io.BytesIO(data))
        else:
            stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        return validate_events(EventLog(stream, "jsonl"), mode="observed", require_terminal=True)
    except EventLogError as exc:
        return str(exc)
    finally:
        fastjson.enabled = True
        eventlog._BLOCK, eventlog._FAST_MIN_BYTES = saved


@settings(max_examples=100, deadline=None)
@given(
    body=st.lists(lines(), max_size=12),
    junk=st.sampled_from([b"", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf"]),
    where=st.integers(0, 12),
)
def test_logs_validate_alike_with_and_without_the_fast_reader(
    body: list[str], junk: bytes, where: int
) -> None:
    """Whole logs (bad UTF-8 and byte order marks included) give equal reports or errors."""
    needs("msgspec", "fast")
    encoded = [line.encode("utf-8", "surrogatepass") for line in body]
    encoded.insert(min(where, len(encoded)), junk)
    data = b"".join(encoded)
    expected = _report(data, fast=False)
    assert _report(data, fast=True) == expected
    blocks = _report(data, fast=True, blocks=True)  # read in blocks, split in C
    if isinstance(expected, str) and b"\r" in data.replace(b"\r\n", b""):
        # A text stream numbers the line of a decoding error after a lone CR
        # line end by where its 8 KiB chunks fall; the block reader counts every
        # line end before the bad byte. Both word the same error.
        assert isinstance(blocks, str)
        assert blocks.split(": ", 1)[1] == expected.split(": ", 1)[1]
    else:
        assert blocks == expected


def test_keys_that_collide_leave_every_line_to_the_standard_library() -> None:
    """With two options naming one key there is no fast decoder (the values would clash)."""
    needs("msgspec", "fast")
    assert fastjson.decoder("job", "job", "time") is None
    assert fastjson.decoder("job", "status", None) is not None


def test_without_msgspec_the_standard_library_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """When msgspec is missing, validation reads every line with json and gives the same report."""
    data = b'{"job": "a", "status": "Queued"}\n{"job": "a", "status": "Completed"}\n'
    expected = _report(data, fast=True)
    monkeypatch.setattr(fastjson, "msgspec", None)
    assert fastjson.decoder(*KEYS) is None
    assert _report(data, fast=True) == expected


_GOOD = st.builds(
    lambda job, status, t: json.dumps({"job": job, "status": status, "time": t}) + "\n",
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["NotStarted", "Starting", "Running", "Completed", "Failed", "Bogus"]),
    st.integers(0, 50),
)
_BAD = st.sampled_from(['{"job": "a"}\n', "not json\n", "[1, 2]\n", '{"status": "Running"}\n'])


_FIRST = '{"job": "a", "status": "NotStarted", "time": 1}\n'  # 48 bytes
_NEXT = '{"job":"a","status":"Starting"}\n'  # 32 bytes: two in the next block


@settings(max_examples=60, deadline=None)
# A block of one good and two bad lines (66 bytes), then a clean block: the
# errors after the last good line stop the report before the clean block.
@example(body=[_FIRST, "not json\n", "not json\n", _NEXT, _NEXT], limit=1, block=66)
@example(body=[_FIRST, "not json\n", "not json\n", _NEXT, _NEXT], limit=2, block=66)
@given(
    body=st.lists(st.one_of(_GOOD, _GOOD, _GOOD, _BAD), max_size=40),
    limit=st.integers(0, 4),
    block=st.integers(16, 400),
)
def test_the_command_stops_alike_on_the_block_reader(
    body: list[str], limit: int, block: int
) -> None:
    """``--max-errors`` stops at the same line whether lines come one at a time or in blocks.

    The block reader hands on a block read whole by the fast decoder without
    looking at each event; the count of input errors must stop the report
    exactly where the line-by-line reader stops it.
    """
    needs("msgspec", "fast")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "log.jsonl")
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(body)
        results = []
        for fast in (False, True):
            fastjson.enabled = fast
            saved = eventlog._BLOCK, eventlog._FAST_MIN_BYTES
            eventlog._BLOCK, eventlog._FAST_MIN_BYTES = block, 0
            output = io.StringIO()
            try:
                with contextlib.redirect_stdout(output):
                    code = main(["validate", path, "--workers", "1", "--max-errors", str(limit)])
            finally:
                fastjson.enabled = True
                eventlog._BLOCK, eventlog._FAST_MIN_BYTES = saved
            results.append((code, output.getvalue()))
    assert results[1] == results[0]


def test_batches_hand_out_clean_blocks_whole(tmp_path: Any) -> None:
    """A block the fast decoder read whole is a CleanBatch; one with a bad line is not.

    Flattened, the batches are exactly the pairs :meth:`EventLog.pairs` gives.
    """
    needs("msgspec", "fast")
    path = tmp_path / "log.jsonl"
    good = '{"job": "a", "status": "Running", "time": 1}\n'
    path.write_text(good * 3 + "not json\n" + good * 3, encoding="utf-8")
    saved = eventlog._BLOCK, eventlog._FAST_MIN_BYTES
    eventlog._BLOCK, eventlog._FAST_MIN_BYTES = len(good) * 3, 0
    try:
        batches, fast_type = EventLog(path, "jsonl").batches("job", "status", "time")
        assert batches is not None
        assert fast_type is not None
        found = [(type(b) is eventlog.CleanBatch, [line for line, _ in b]) for b in batches]
        pairs, _ = EventLog(path, "jsonl").pairs("job", "status", "time")
        expected = [line for line, _ in pairs]
    finally:
        eventlog._BLOCK, eventlog._FAST_MIN_BYTES = saved
    assert found[0] == (True, [1, 2, 3])
    assert any(not clean for clean, _ in found)  # the block holding line 4
    assert [line for _, lines in found for line in lines] == expected == [1, 2, 3, 5, 6, 7]
    # A text stream that is not the library's own is read line by line.
    assert EventLog(io.StringIO(good), "jsonl").batches("job", "status", "time") == (None, None)
