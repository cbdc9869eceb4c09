"""Whatever ``dump`` writes, ``load_job`` gives back equal; what it cannot, it refuses.

Each case here once wrote a file that did not load, or loaded a value that
could not be written back.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import CommandJob, GenericJob, Job, JobService, PipelineJob, SweepJob, load_job
from jobfsm.errors import JobDumpError, JobFileStructureError


def _dumps(job: Job) -> str:
    stream = io.StringIO()
    job.dump(stream)
    return stream.getvalue()


def _loads(text: str) -> Job:
    return load_job(io.StringIO(text))


def test_offset_with_seconds_is_written_in_utc() -> None:
    """A historical local time (offset -05:32:11) is written as UTC and loads back equal."""
    when = datetime(1900, 1, 1, tzinfo=ZoneInfo("America/Detroit"))
    job = CommandJob(command="echo", x_when=when)
    back = _loads(_dumps(job))
    assert back == job
    assert back.extras["x_when"].utcoffset() == UTC.utcoffset(None)


def test_tuple_key_is_a_dump_error() -> None:
    """A tuple key would load as an unhashable list, so dump refuses it and names it."""
    with pytest.raises(JobDumpError, match=r"x_map.*tuple"):
        _dumps(CommandJob(command="echo", x_map={("a", "b"): 1}))


def test_tuple_value_is_a_dump_error() -> None:
    """A tuple would come back as a list (not equal), so dump asks for a list."""
    with pytest.raises(JobDumpError, match=r"x_pair.*use a list"):
        _dumps(CommandJob(command="echo", x_pair=("a", "b")))


def test_huge_integer_is_a_dump_error() -> None:
    """An integer load_job would refuse (over MAX_INT_DIGITS) is refused by dump too."""
    with pytest.raises(JobDumpError, match="1,000 digits"):
        _dumps(CommandJob(command="echo", x_n=10**1500))


@pytest.mark.parametrize("kind", ["", "  ", "\x1f", "com mand", "a\nb"])
def test_generic_job_type_must_be_a_type_name(kind: str) -> None:
    """A GenericJob type that no file could name is refused when the job is made."""
    with pytest.raises(ValueError, match="job type"):
        GenericJob(type=kind)


def test_generic_job_type_must_be_a_string() -> None:
    """GenericJob(type=5) is a TypeError, not an AttributeError at dump time."""
    with pytest.raises(TypeError, match="type must be a string"):
        GenericJob(type=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["type", "endpoint", "port", "nodes", "properties", "status"])
def test_service_extras_cannot_hold_a_service_field(key: str) -> None:
    """A service's extras key that is one of its own fields is refused (it would
    overwrite the field in the file)."""
    with pytest.raises(ValueError, match=f"'{key}'"):
        JobService(extras={key: "x"})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("command: x\nservices: {s: {properties: 5}}\n", "services"),
        ("command: x\nservices: {s: {properties: [[a, b]]}}\n", "services"),
        ("command: x\nservices: {s: {endpoint: [a]}}\n", "services"),
        ("command: x\ntags: 5\n", "tags"),
        ("command: x\nproperties: [a]\n", "properties"),
        ("command: x\nname: [a]\n", "name"),
        ("command: x\ndisplay_name: {a: 1}\n", "display_name"),
        ("command: [x]\n", "command"),
        ("command: x\ninputs: 5\n", "inputs"),
        ("type: pipeline\njobs: [a]\n", "jobs"),
        ("type: sweep\nsearch_space: 1\n", "search_space"),
    ],
)
def test_modelled_field_of_the_wrong_shape_is_refused(text: str, key: str) -> None:
    """A modelled field whose value has the wrong shape is an error naming the key."""
    with pytest.raises(JobFileStructureError) as caught:
        _loads(text)
    assert caught.value.key == key
    assert caught.value.line is not None


@pytest.mark.parametrize(
    "job",
    [
        CommandJob(command="echo", tags=5),  # type: ignore[arg-type]
        CommandJob(command=["echo"]),  # type: ignore[arg-type]
        PipelineJob(jobs=["a"]),  # type: ignore[arg-type]
        SweepJob(name=5),  # type: ignore[arg-type]
    ],
)
def test_dump_refuses_a_modelled_field_load_would_refuse(job: Job) -> None:
    """dump does not write a file that load_job would refuse."""
    with pytest.raises(JobDumpError, match="expected"):
        _dumps(job)


@pytest.mark.parametrize("key", ["tags", "properties", "inputs", "environment_variables"])
def test_explicit_empty_mapping_is_kept(key: str) -> None:
    """`tags: {}` written in the file is written back, not dropped."""
    text = f"type: command\ncommand: echo\n{key}: {{}}\n"
    job = _loads(text)
    assert f"{key}: {{}}" in _dumps(job)


def test_absent_mapping_stays_absent() -> None:
    """A job whose file had no `tags` does not gain an empty one."""
    assert "tags" not in _dumps(_loads("command: echo\n"))


# -- any value: dump refuses it or it comes back equal ----------------------------

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**1200), max_value=10**1200)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.dates()
    | st.datetimes(timezones=st.none() | st.timezones()).filter(
        lambda t: t.replace(fold=0).utcoffset() == t.replace(fold=1).utcoffset()
    )
)
_hashable = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4) | st.dates()
_anything = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.tuples(inner)
    | st.dictionaries(_hashable | st.tuples(_hashable), inner, max_size=3)
    | st.sets(_hashable, max_size=3)
    | st.frozensets(_hashable, max_size=2),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=5).map(lambda k: "x_" + k), _anything, max_size=3))
def test_any_extras_round_trip_or_are_refused(extras: dict[str, Any]) -> None:
    """Whatever the values, dump raises JobDumpError or load_job gives back an equal job."""
    job = CommandJob(command="echo", extras=extras)
    try:
        text = _dumps(job)
    except JobDumpError:
        return
    assert _loads(text) == job
