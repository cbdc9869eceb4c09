"""Tests of jobfsm.yamlio: dumping and loading job documents."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CommandJob,
    EventSpec,
    GenericJob,
    Job,
    JobFileError,
    JobFSMError,
    JobService,
    JobServiceType,
    JobStatus,
    PipelineJob,
    SweepJob,
    SystemData,
    add_observer,
    load_job,
    remove_observer,
)
from jobfsm.errors import (
    JobDumpError,
    JobFileExistsError,
    JobFileHistoryError,
    JobFileStatusError,
    JobFileStructureError,
    JobFileSyntaxError,
    StreamNotWritableError,
    UnknownJobTypeError,
    UnsafeTagError,
)
from jobfsm.job import AZURE_JOB_TYPES, JOB_CLASSES
from jobfsm.yamlio import HISTORY_KEY, STATUS_KEY, _write_new_file, job_to_dict
from tests.strategies import events_for, statuses, walks, yaml_values


def _dumps(job: Job, **kwargs: Any) -> str:
    stream = io.StringIO()
    job.dump(stream, **kwargs)
    return stream.getvalue()


def _loads(text: str) -> Job:
    return load_job(io.StringIO(text))


def _write(folder: Path, text: str, name: str = "job.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _running_job() -> CommandJob:
    job = CommandJob(name="train", command="python train.py", environment="env:1")
    job.start()
    job.prepare()
    job.queue()
    job.run()
    return job


# -- generated jobs --------------------------------------------------------------

_names = st.none() | st.text()
_extra_keys = st.text().map(lambda key: "x_" + key)
_times = st.datetimes(timezones=st.just(UTC))
# Local times of any zone, historical offsets with seconds (-05:32:11) included.
# Times in a DST fold or gap are left out: Python never finds them equal to a
# time in another zone (PEP 495), whatever YAML does.
_local_times = st.datetimes(
    min_value=datetime(1850, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
).filter(lambda t: t.replace(fold=0).utcoffset() == t.replace(fold=1).utcoffset())


@st.composite
def _services(draw: st.DrawFn) -> JobService:
    return JobService(
        endpoint=draw(_names),
        job_service_type=draw(st.none() | st.sampled_from(list(JobServiceType))),
        nodes=draw(st.sampled_from([None, "all"])),
        status=draw(_names),
        port=draw(st.none() | st.integers(1, 65535)),
        properties=draw(st.dictionaries(st.text(), yaml_values, max_size=3)),
        extras=draw(st.dictionaries(_extra_keys, yaml_values, max_size=3)),
    )


@st.composite
def _jobs(draw: st.DrawFn) -> Job:
    kind = draw(st.sampled_from(["command", "pipeline", "sweep", "generic"]))
    kwargs: dict[str, Any] = {
        "name": draw(_names),
        "display_name": draw(_names),
        "description": draw(_names),
        "experiment_name": draw(_names),
        "compute": draw(_names),
        "tags": draw(st.dictionaries(st.text(), yaml_values, max_size=4)),
        "properties": draw(st.dictionaries(st.text(), yaml_values, max_size=3)),
        "services": draw(st.dictionaries(st.text(), _services(), max_size=3)),
        "extras": draw(st.dictionaries(_extra_keys, yaml_values, max_size=4)),
    }
    if draw(st.booleans()):
        kwargs["id"] = draw(st.text())
        kwargs["log_files"] = draw(st.dictionaries(st.text(), st.text(), max_size=3))
        kwargs["creation_context"] = SystemData(
            created_by=draw(_names), created_at=draw(st.none() | _times)
        )
    if draw(st.booleans()):
        kwargs["extras"]["x_when"] = draw(_local_times)
    if kind == "generic":
        kind_name = draw(st.sampled_from(sorted(AZURE_JOB_TYPES - set(JOB_CLASSES))))
        job: Job = GenericJob(type=kind_name, **kwargs)
    else:
        cls = {"command": CommandJob, "pipeline": PipelineJob, "sweep": SweepJob}[kind]
        job = cls(**kwargs, **draw(_specific_fields(cls)))
    for event, dest in events_for(draw(walks(max_steps=12))):
        job.fire(
            event,
            to=dest if event == "resume" else None,
            reason=draw(st.none() | st.text()),
            source=draw(st.none() | st.text()),
        )
    observed = draw(st.none() | statuses)
    if observed is not None and (
        observed is job.status or observed in job.lifecycle.reachable[job.status]
    ):
        # Inferred entries, a source and a time given by the caller.
        job.observe(observed, at=datetime.now(UTC), source=draw(_names))
    return job


@st.composite
def _specific_fields(draw: st.DrawFn, cls: type[Job]) -> dict[str, Any]:
    import attrs

    common = {f.alias for f in attrs.fields(Job)}
    out = {}
    for field in attrs.fields(cls):
        if field.alias in common or not draw(st.booleans()):
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            out[field.alias] = draw(st.dictionaries(st.text(), yaml_values, max_size=3))
        elif field.type == "str | None":
            out[field.alias] = draw(_names)
        else:
            out[field.alias] = draw(yaml_values)
    return out


@settings(max_examples=150, deadline=None)
@given(_jobs())
def test_generated_jobs_round_trip(job: Job) -> None:
    """Any job (every class, unicode, empty and nested values, services, history)
    loads back equal to what was dumped, with the same status and history."""
    loaded = _loads(_dumps(job))
    assert loaded == job
    assert type(loaded) is type(job)
    assert loaded.status == job.status
    assert loaded.history == job.history


@settings(max_examples=50, deadline=None)
@given(_jobs())
def test_dumped_documents_are_plain_yaml(job: Job) -> None:
    """A dump is plain safe YAML, block style: azure-ai-ml's yaml.safe_load reads
    the same user values as jobfsm (quoted on/off/yes/no stay strings)."""
    text = _dumps(job)
    raw = yaml.safe_load(text)
    for key, value in job.extras.items():
        assert raw[key] == value
    assert raw["type"] == job.type


# -- dumping to paths and streams --------------------------------------------------


def test_dump_to_new_path_and_load_back(tmp_path: Path) -> None:
    """A job dumped to a new path loads back equal, with base_path = its folder."""
    job = _running_job()
    path = tmp_path / "sub" / "job.yml"
    path.parent.mkdir()
    job.dump(path)
    loaded = load_job(path)
    assert loaded == job
    assert loaded.base_path == path.parent
    assert loaded.status is JobStatus.RUNNING


def test_dump_accepts_a_str_path(tmp_path: Path) -> None:
    """dest may be a str as well as a PathLike."""
    CommandJob(command="echo").dump(str(tmp_path / "job.yml"))
    assert load_job(str(tmp_path / "job.yml")).extras == {}


def test_dumped_file_has_ordinary_permissions(tmp_path: Path) -> None:
    """The file is not left with the temporary file's private 0600 mode."""
    old = os.umask(0o022)
    try:
        CommandJob(command="echo").dump(tmp_path / "job.yml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "job.yml").stat().st_mode) == 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_dump_refuses_an_existing_path_and_leaves_it_untouched(tmp_path: Path) -> None:
    """An existing path raises FileExistsError (also a JobFSMError); bytes unchanged."""
    path = _write(tmp_path, "precious: \xe9t\xe9\r\n")
    before = path.read_bytes()
    with pytest.raises(JobFileExistsError) as info:
        _running_job().dump(path)
    assert isinstance(info.value, FileExistsError)
    assert isinstance(info.value, JobFSMError)
    assert info.value.filename == str(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yml"]


def test_the_final_link_refuses_a_file_created_meanwhile(tmp_path: Path) -> None:
    """If the name appears after the early check, the atomic link still refuses
    it, leaves that file alone and removes the temporary file."""
    path = _write(tmp_path, "theirs\n")
    with pytest.raises(JobFileExistsError):
        _write_new_file(str(path), "ours\n")
    assert path.read_text() == "theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["job.yml"]


def test_dump_refuses_a_dangling_symlink(tmp_path: Path) -> None:
    """A symlink to nowhere is an existing name too; it is not followed or replaced."""
    link = tmp_path / "job.yml"
    link.symlink_to(tmp_path / "elsewhere.yml")
    with pytest.raises(FileExistsError):
        CommandJob(command="echo").dump(link)
    assert not (tmp_path / "elsewhere.yml").exists()


def test_unwritable_value_leaves_no_file(tmp_path: Path) -> None:
    """A value YAML cannot hold fails before anything is written: no file, no temp."""
    job = CommandJob(command="echo", extras={"x_obj": object()})
    with pytest.raises(JobDumpError) as info:
        job.dump(tmp_path / "job.yml")
    assert isinstance(info.value, JobFSMError)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_leaves_nothing(tmp_path: Path) -> None:
    """Writing into a folder that does not exist is an OSError and creates nothing."""
    with pytest.raises(FileNotFoundError):
        CommandJob(command="echo").dump(tmp_path / "missing" / "job.yml")
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_leaves_nothing(tmp_path: Path) -> None:
    """A folder that cannot be written raises PermissionError and stays empty."""
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(PermissionError):
        CommandJob(command="echo").dump(folder / "job.yml")
    assert list(folder.iterdir()) == []


def test_dump_to_a_read_only_stream_is_an_oserror(tmp_path: Path) -> None:
    """A stream opened for reading raises an OSError (io.UnsupportedOperation)."""
    path = _write(tmp_path, "type: command\n")
    with path.open(encoding="utf-8") as stream, pytest.raises(StreamNotWritableError) as info:
        _running_job().dump(stream)
    assert isinstance(info.value, OSError)
    assert isinstance(info.value, io.UnsupportedOperation)
    assert str(path) in str(info.value)
    assert path.read_text() == "type: command\n"


def test_dump_to_a_binary_stream_is_refused() -> None:
    """A binary stream is a usage error (TypeError), nothing is written."""
    stream = io.BytesIO()
    with pytest.raises(TypeError, match="text stream"):
        CommandJob(command="echo").dump(stream)  # type: ignore[arg-type]
    assert stream.getvalue() == b""


def test_dump_kwargs_reach_the_serializer() -> None:
    """Keyword arguments of dump are passed to yaml.dump (indent, width, ...)."""
    job = CommandJob(command="echo", inputs={"data": {"path": "x"}})
    assert "\n    data:\n" in _dumps(job, indent=4)
    assert "\n  data:\n" in _dumps(job)


def test_dump_key_order_follows_azure() -> None:
    """Head keys first in Azure's order, then common, type-specific, extras in order."""
    job = CommandJob(
        description="d",
        command="echo",
        name="n",
        tags={"a": "b"},
        experiment_name="e",
        display_name="dn",
        extras={"z_last": 1, "$schema": "s", "a_first": 2},
    )
    keys = list(yaml.safe_load(_dumps(job)))
    assert keys == [
        "$schema", "type", "name", "display_name", "experiment_name", "description",
        "tags", "command", "z_last", "a_first",
    ]  # fmt: skip


def test_dump_is_block_style_with_literal_multiline_strings() -> None:
    """No flow collections; multi-line commands are written as literal blocks."""
    job = CommandJob(command="python a.py \\\n  --x 1\n", inputs={"a": [1, 2]})
    text = _dumps(job)
    assert "command: |\n  python a.py \\\n    --x 1\n" in text
    assert "{" not in text
    assert "[" not in text


def test_fresh_job_writes_no_status() -> None:
    """A NotStarted job without history writes no status keys, like the corpus files."""
    raw = yaml.safe_load(_dumps(CommandJob(command="echo")))
    assert STATUS_KEY not in raw
    assert HISTORY_KEY not in raw


def test_status_and_history_are_written_in_utc() -> None:
    """status and status_history ({from, to, event, at: ISO-8601 UTC}) are written."""
    job = _running_job()
    raw = yaml.safe_load(_dumps(job))
    assert raw[STATUS_KEY] == "Running"
    assert [(h["from"], h["to"], h["event"]) for h in raw[HISTORY_KEY]] == [
        ("NotStarted", "Starting", "start"),
        ("Starting", "Preparing", "prepare"),
        ("Preparing", "Queued", "queue"),
        ("Queued", "Running", "run"),
    ]
    for entry, item in zip(job.history, raw[HISTORY_KEY], strict=True):
        assert item["at"].endswith("Z")
        assert datetime.fromisoformat(item["at"]) == entry.at


def test_extras_clashing_with_written_keys_are_refused() -> None:
    """An extras key that jobfsm writes itself (status, id, ...) is an error, not lost."""
    job = CommandJob(command="echo", extras={"status": "Running"})
    with pytest.raises(JobDumpError, match="'status'"):
        _dumps(job)


def test_job_to_dict_converts_services_and_read_only_fields() -> None:
    """Services use Azure's `type` key; creation_context times become ISO strings."""
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    job = CommandJob(
        command="echo",
        services={"ssh": {"job_service_type": "ssh", "nodes": "all", "extras": {"k": 1}}},
        id="/subscriptions/s/resourceGroups/r/providers/"
        "Microsoft.MachineLearningServices/workspaces/w/jobs/n",
        creation_context=SystemData(created_by="me", created_at=when),
        log_files={"user_logs/std_log.txt": "https://x/y"},
    )
    data = job_to_dict(job)
    assert data["services"] == {"ssh": {"type": "ssh", "nodes": "all", "k": 1}}
    assert data["creation_context"] == {"created_by": "me", "created_at": when.isoformat()}
    assert list(data)[-3:] == ["id", "creation_context", "log_files"]
    assert _loads(_dumps(job)) == job


# -- loading ---------------------------------------------------------------------


def test_type_dispatch() -> None:
    """No type means command; pipeline/sweep have classes; other strings are generic."""
    assert type(_loads("command: echo\n")) is CommandJob
    assert type(_loads("type: pipeline\n")) is PipelineJob
    assert type(_loads("type: sweep\n")) is SweepJob
    job = _loads("type: automl\ntask: classification\n")
    assert isinstance(job, GenericJob)
    assert job.type == "automl"
    assert job.extras == {"task": "classification"}


def test_every_key_is_kept() -> None:
    """Modelled keys become attributes, every other key lands in extras, in order."""
    job = _loads("b_extra: 1\ncommand: echo\n$schema: s\nextras: {x: 1}\nlifecycle: 2\n")
    assert isinstance(job, CommandJob)
    assert job.command == "echo"
    assert list(job.extras.items()) == [
        ("b_extra", 1),
        ("$schema", "s"),
        ("extras", {"x": 1}),
        ("lifecycle", 2),
    ]
    assert _loads(_dumps(job)) == job


def test_on_off_yes_no_stay_strings() -> None:
    """Only true/false are booleans: user values such as `on` keep their spelling,
    and are quoted on dump so that azure-ai-ml reads the same strings."""
    job = _loads("x_a: on\nx_b: yes\nx_c: true\nx_d: Off\n")
    assert job.extras == {"x_a": "on", "x_b": "yes", "x_c": True, "x_d": "Off"}
    assert yaml.safe_load(_dumps(job))["x_a"] == "on"


def test_read_only_fields_load() -> None:
    """id, creation_context (with ISO times) and log_files load into their attributes."""
    job = _loads(
        "command: echo\nid: /subscriptions/s/resourceGroups/r/providers/"
        "Microsoft.MachineLearningServices/workspaces/w/jobs/n\n"
        "creation_context:\n  created_by: me\n  created_at: '2024-05-01T12:30:00Z'\n"
        "log_files:\n  a: b\n"
    )
    assert job.id is not None
    assert job.id.endswith("/jobs/n")
    assert job.creation_context == SystemData(
        created_by="me", created_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    )
    assert job.log_files == {"a": "b"}
    assert job.studio_url is not None


def test_load_restores_status_without_firing_observers() -> None:
    """Loading a Running job restores status and history and calls no observer."""
    seen: list[object] = []

    def observer(job: Job, entry: object) -> None:
        seen.append(entry)

    text = _dumps(_running_job())
    add_observer(observer)
    try:
        job = _loads(text)
    finally:
        remove_observer(observer)
    assert job.status is JobStatus.RUNNING
    assert len(job.history) == 4
    assert seen == []
    job.finalize()
    assert job.status is JobStatus.FINALIZING


def test_inferred_reason_and_source_round_trip() -> None:
    """inferred, reason and source are written only when set and load back, with at."""
    job = CommandJob(name="j", experiment_name="e")
    job.fire("start", at=datetime(2024, 5, 1, 11, 0), reason="submitted by hand")
    seen = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    job.observe("Running", at=seen, source="poller")
    raw = yaml.safe_load(_dumps(job))
    items = raw[HISTORY_KEY]
    assert items[0]["reason"] == "submitted by hand"
    assert "inferred" not in items[0]
    assert "source" not in items[0]
    assert [i.get("inferred", False) for i in items[1:]] == [True, True, False]
    assert {i["source"] for i in items[1:]} == {"poller"}
    assert {i["at"] for i in items[1:]} == {"2024-05-01T12:00:00Z"}
    loaded = _loads(_dumps(job))
    assert loaded.history == job.history
    assert [h.inferred for h in loaded.history] == [False, True, True, False]
    assert loaded.history[-1].at == seen


def test_history_without_the_new_keys_still_loads() -> None:
    """A file written before inferred/reason/source existed loads with their defaults."""
    text = (
        "command: echo\nstatus_history:\n"
        "- {from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z'}\n"
    )
    (entry,) = _loads(text).history
    assert (entry.inferred, entry.reason, entry.source) == (False, None, None)


def test_status_without_history_loads() -> None:
    """A status alone (e.g. from a service listing) is restored with no history."""
    job = _loads("command: echo\nstatus: Completed\n")
    assert job.status is JobStatus.COMPLETED
    assert job.history == ()


def test_history_without_status_ends_where_it_ends() -> None:
    """A history without a status puts the job at the history's last status."""
    text = (
        "command: echo\nstatus_history:\n"
        "- {from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z'}\n"
    )
    assert _loads(text).status is JobStatus.STARTING


def test_load_from_a_named_stream_uses_its_folder(tmp_path: Path) -> None:
    """An open file passed as source gives base_path = its folder and names it in errors."""
    path = _write(tmp_path, "command: echo\n")
    with path.open(encoding="utf-8") as stream:
        assert load_job(stream).base_path == tmp_path


def test_load_with_a_custom_lifecycle() -> None:
    """Statuses are checked against the lifecycle passed to load_job."""
    paused = DEFAULT_LIFECYCLE.extend(
        name="with-pause",
        states=["Paused"],
        events=[
            EventSpec("pause", sources=["Running"], dests="Paused"),
            EventSpec("unpause", sources=["Paused"], dests="Running"),
        ],
    )
    job = _loads_with("command: echo\nstatus: Paused\n", paused)
    assert str(job.status) == "Paused"
    with pytest.raises(JobFileStatusError):
        _loads("command: echo\nstatus: Paused\n")


def _loads_with(text: str, lifecycle: Any) -> Job:
    return load_job(io.StringIO(text), lifecycle=lifecycle)


# -- bad input: error type, file and line ------------------------------------------


def _error(tmp_path: Path, text: str, kind: type[JobFileError]) -> JobFileError:
    path = _write(tmp_path, text)
    with pytest.raises(kind) as info:
        load_job(path)
    error = info.value
    assert isinstance(error, JobFSMError)
    assert isinstance(error, ValueError)
    assert error.file == str(path)
    assert str(error).startswith(f"{path}:")
    return error


def test_malformed_yaml(tmp_path: Path) -> None:
    """Broken YAML names file, line and column of the problem."""
    error = _error(tmp_path, "command: echo\ninputs:\n  a: [1, 2\n  b: 3\n", JobFileSyntaxError)
    assert error.line == 4
    assert error.column is not None
    assert f":{error.line}:{error.column}:" in str(error)


def test_two_documents_are_refused(tmp_path: Path) -> None:
    """A stream with several documents is not a job file."""
    error = _error(tmp_path, "command: a\n---\ncommand: b\n", JobFileSyntaxError)
    assert error.line == 2
    assert "single document" in str(error)


def test_non_mapping_document(tmp_path: Path) -> None:
    """A list or scalar document is refused with what would be valid."""
    error = _error(tmp_path, "# job\n- a\n- b\n", JobFileStructureError)
    assert error.line == 2
    assert "a list" in str(error)
    assert "mapping" in str(error)
    error = _error(tmp_path, "just text\n", JobFileStructureError)
    assert error.line == 1


def test_empty_document(tmp_path: Path) -> None:
    """An empty file is refused (there is no job in it)."""
    error = _error(tmp_path, "# nothing\n", JobFileStructureError)
    assert "empty" in str(error)


@pytest.mark.parametrize("value", ["123", "''", "null", "[command]", "true"])
def test_bad_type_value(tmp_path: Path, value: str) -> None:
    """A type that is not a non-empty string names the line and the known types."""
    error = _error(tmp_path, f"command: echo\ntype: {value}\n", JobFileStructureError)
    assert error.line == 2
    assert "'command'" in str(error)
    assert "'sweep'" in str(error)


def test_unknown_status_suggests_the_closest(tmp_path: Path) -> None:
    """`Cancelled` is refused with file:line and a hint: did you mean 'Canceled'."""
    error = _error(tmp_path, "command: echo\n\nstatus: Cancelled\n", JobFileStatusError)
    assert isinstance(error, JobFileStatusError)
    assert error.line == 3
    assert error.suggestion == "Canceled"
    assert "did you mean 'Canceled'" in str(error)
    assert "'NotStarted'" in str(error)


@pytest.mark.parametrize(("value", "shown"), [("off", "'off'"), ("on", "'on'"), ("1", "1")])
def test_status_that_yaml_1_1_would_not_read_as_a_string(
    tmp_path: Path, value: str, shown: str
) -> None:
    """`status: off` (a boolean in YAML 1.1) is an unknown status naming file+line."""
    error = _error(tmp_path, f"command: echo\nstatus: {value}\n", JobFileStatusError)
    assert error.line == 2
    assert f"unknown status {shown}" in str(error)


def test_boolean_status(tmp_path: Path) -> None:
    """A true/false status is refused as a non-string."""
    error = _error(tmp_path, "status: false\n", JobFileStatusError)
    assert "not a string" in str(error)


def test_python_tags_are_refused_and_not_executed(tmp_path: Path) -> None:
    """`!!python/object/apply` is refused with its line; the call never happens."""
    marker = tmp_path / "executed"
    text = f"command: echo\nx: !!python/object/apply:os.mkdir ['{marker}']\n"
    error = _error(tmp_path, text, UnsafeTagError)
    assert isinstance(error, UnsafeTagError)
    assert error.line == 2
    assert error.tag == "tag:yaml.org,2002:python/object/apply:os.mkdir"
    assert not marker.exists()


def test_custom_tags_are_refused(tmp_path: Path) -> None:
    """Application tags (`!Ref`) have no meaning in a job file."""
    error = _error(tmp_path, "command: echo\n\nx: !Ref y\n", UnsafeTagError)
    assert error.line == 3


def test_history_that_does_not_fit(tmp_path: Path) -> None:
    """A history skipping a step names the entry's line and the lifecycle rule."""
    text = (
        "command: echo\n"
        "status: Running\n"
        "status_history:\n"
        "- {from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z'}\n"
        "- {from: Starting, to: Running, event: run, at: '2024-01-01T00:00:01Z'}\n"
    )
    error = _error(tmp_path, text, JobFileHistoryError)
    assert isinstance(error, JobFileHistoryError)
    assert error.index == 1
    assert error.line == 5
    assert "not an edge" in str(error)


def test_history_ending_elsewhere(tmp_path: Path) -> None:
    """A history that does not end at the status is refused."""
    text = (
        "status: Running\n"
        "status_history:\n"
        "- {from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z'}\n"
    )
    error = _error(tmp_path, text, JobFileHistoryError)
    assert "ends at Starting" in str(error)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{from: NotStarted, to: Starting, event: start}", "missing 'at'"),
        ("{from: NotStarted, to: Starting, event: start, at: x, by: me}", "unexpected 'by'"),
        (
            "{from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z', "
            "inferred: 'yes'}",
            "inferred must be true or false",
        ),
        (
            "{from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z', "
            "source: 3}",
            "source must be a string",
        ),
        ("{from: NotStarted, to: Starting, event: 1, at: x}", "event must be a string"),
        ("{from: NotStarted, to: Starting, event: start, at: soon}", "ISO"),
        ("just-text", "not a mapping"),
    ],
)
def test_malformed_history_entry(tmp_path: Path, entry: str, message: str) -> None:
    """A history entry of the wrong shape names its index, line and the expected keys."""
    text = f"status: Starting\nstatus_history:\n- {entry}\n"
    error = _error(tmp_path, text, JobFileHistoryError)
    assert error.line == 3
    assert message in str(error)
    assert "from, to, event, at" in str(error)


def test_history_with_an_unknown_status(tmp_path: Path) -> None:
    """An unknown status inside the history names the entry and suggests the closest."""
    text = (
        "status_history:\n"
        "- {from: NotStarted, to: Startng, event: start, at: '2024-01-01T00:00:00Z'}\n"
    )
    error = _error(tmp_path, text, JobFileStatusError)
    assert error.line == 2
    assert "status_history[0]" in str(error)
    assert "did you mean 'Starting'" in str(error)


def test_history_that_is_not_a_list(tmp_path: Path) -> None:
    """status_history must be a list."""
    error = _error(tmp_path, "status: Starting\nstatus_history: yes\n", JobFileHistoryError)
    assert error.line == 2


def test_bad_service(tmp_path: Path) -> None:
    """An unknown service kind names the service's line and the valid kinds."""
    text = "command: echo\nservices:\n  a:\n    type: ssh\n  b:\n    type: telnet\n"
    error = _error(tmp_path, text, JobFileStructureError)
    assert error.line == 6
    assert "'b'" in str(error)
    assert "'jupyter_lab'" in str(error)


def test_bad_creation_context(tmp_path: Path) -> None:
    """creation_context with an unknown key lists the valid keys."""
    text = "command: echo\ncreation_context:\n  made_by: me\n"
    error = _error(tmp_path, text, JobFileStructureError)
    assert error.line == 3
    assert "created_by" in str(error)


def test_non_string_top_level_key(tmp_path: Path) -> None:
    """Top-level keys must be strings (they become attribute or extras names)."""
    error = _error(tmp_path, "command: echo\n1: x\n", JobFileStructureError)
    assert error.line == 2


def test_not_utf8(tmp_path: Path) -> None:
    """A file that is not UTF-8 text is a syntax error naming the file."""
    path = tmp_path / "job.yml"
    path.write_bytes(b"command: \xff\xfe\n")
    with pytest.raises(JobFileSyntaxError, match=str(path)):
        load_job(path)


def test_stream_errors_name_the_stream() -> None:
    """Errors from an anonymous stream say <stream> and still give the line."""
    with pytest.raises(JobFileStatusError, match=r"^<stream>:2:9: "):
        _loads("command: echo\nstatus: Cancelled\n")


@pytest.mark.parametrize("key", ["0x10", "1:30", "true", "~"])
def test_top_level_keys_that_yaml_reads_as_other_types(tmp_path: Path, key: str) -> None:
    """Keys YAML turns into numbers, booleans or null are refused with a quoting hint."""
    error = _error(tmp_path, f"command: echo\n{key}: x\n", JobFileStructureError)
    assert error.line == 2
    assert "quote it" in str(error)


def test_merge_keys_are_resolved() -> None:
    """YAML merge keys (`<<: *base`) are plain YAML and load like azure-ai-ml reads them."""
    job = _loads("x_base: &base {a: 1}\nx_job:\n  <<: *base\n  b: 2\ncommand: echo\n")
    assert job.extras["x_job"] == {"a": 1, "b": 2}


def test_yaml_names_are_exported() -> None:
    """load_job and the YAML errors are part of the public API; each error is a
    JobFSMError and the builtin a caller would catch."""
    import jobfsm
    from jobfsm import yamlio

    assert jobfsm.load_job is yamlio.load_job
    exported = {
        "JobDumpError": ValueError,
        "JobFileExistsError": FileExistsError,
        "JobFileHistoryError": ValueError,
        "JobFileStatusError": ValueError,
        "JobFileStructureError": ValueError,
        "JobFileSyntaxError": ValueError,
        "StreamNotWritableError": OSError,
        "UnsafeTagError": ValueError,
    }
    for name, builtin in exported.items():
        assert name in jobfsm.__all__
        error = getattr(jobfsm, name)
        assert issubclass(error, JobFSMError)
        assert issubclass(error, builtin)


# -- hardening: each test below pins a fixed defect ---------------------------------


@pytest.mark.parametrize("where", ["missing/job.yml", "a-file/job.yml"])
def test_folder_errors_name_the_file_asked_for(tmp_path: Path, where: str) -> None:
    """A missing folder or a folder that is a regular file is reported with the
    destination path, not the name of the internal temporary file."""
    (tmp_path / "a-file").write_text("x\n")
    dest = tmp_path / where
    with pytest.raises((FileNotFoundError, NotADirectoryError)) as info:
        CommandJob(command="echo").dump(dest)
    assert info.value.filename == str(dest)
    assert ".jobfsm-" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("binary", [True, False])
def test_stream_that_is_not_utf8(tmp_path: Path, binary: bool) -> None:
    """Bytes that are not UTF-8 in a stream (binary, or text decoded on read) are a
    JobFileSyntaxError naming the stream and the line, not a UnicodeDecodeError."""
    path = tmp_path / "job.yml"
    path.write_bytes(b"command: echo\nx: \xff\n")
    with (
        path.open("rb" if binary else "r", encoding=None if binary else "utf-8") as stream,
        pytest.raises(JobFileSyntaxError, match="not UTF-8") as info,
    ):
        load_job(stream)  # type: ignore[arg-type]
    assert info.value.file == str(path)
    assert info.value.line == 2


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    """A file path that is not UTF-8 names the line of the first bad byte."""
    path = _write(tmp_path, "")
    path.write_bytes(b"command: echo\n\nx: caf\xe9\n")
    with pytest.raises(JobFileSyntaxError) as info:
        load_job(path)
    assert info.value.line == 3
    assert "0xe9" in str(info.value)


def test_history_entry_with_a_non_string_key(tmp_path: Path) -> None:
    """An entry with a key YAML reads as a number names the unexpected key and the
    valid ones (it used to fail comparing int and str)."""
    text = (
        "status: Starting\nstatus_history:\n"
        "- {from: NotStarted, to: Starting, event: start, at: '2024-01-01T00:00:00Z', 1: x}\n"
    )
    error = _error(tmp_path, text, JobFileHistoryError)
    assert "not supported" not in str(error)
    assert "unexpected 1" in str(error)
    assert "from, to, event, at" in str(error)


def test_history_entry_missing_a_key_names_it(tmp_path: Path) -> None:
    """A missing key is named."""
    text = "status: Starting\nstatus_history:\n- {from: NotStarted, to: Starting, event: start}\n"
    error = _error(tmp_path, text, JobFileHistoryError)
    assert "missing 'at'" in str(error)


def test_history_error_shows_the_status_as_written(tmp_path: Path) -> None:
    """When the status comes from the history, the message shows it as text,
    not as the repr of an enum member."""
    text = (
        "status_history:\n"
        "- {from: NotStarted, to: Starting, event: strat, at: '2024-01-01T00:00:00Z'}\n"
    )
    error = _error(tmp_path, text, JobFileHistoryError)
    assert "<JobStatus" not in str(error)
    assert "(status 'Starting')" in str(error)


def test_equals_sign_is_a_string() -> None:
    """A plain `=` is the string '=' (YAML 1.1's `value` tag has no safe constructor,
    so it used to be refused as an unsafe tag although no tag was written)."""
    job = _loads("command: echo\nargs: =\nlist: [a, =]\n")
    assert job.extras == {"args": "=", "list": ["a", "="]}
    assert _loads(_dumps(job)) == job


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    """An alias inside the value it names (`&a [*a]`) is refused at its line: such a
    value cannot be compared or written back."""
    error = _error(tmp_path, "command: echo\nx: &a\n  - 1\n  - *a\n", JobFileSyntaxError)
    assert error.line == 4
    assert "'a'" in str(error)


def test_sibling_aliases_are_fine() -> None:
    """Aliases to values defined before (not around) them are ordinary YAML."""
    job = _loads("x: &a [1]\ny: [*a, *a]\nz: {k: *a}\n")
    assert job.extras == {"x": [1], "y": [[1], [1]], "z": {"k": [1]}}


def test_alias_bomb_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """A document whose aliases multiply into more than MAX_VALUES values is refused
    (comparing or dumping it would walk every copy)."""
    lines = ['x0: &x0 ["a", "a", "a", "a", "a", "a", "a", "a", "a", "a"]']
    for level in range(1, 7):
        lines.append(f"x{level}: &x{level} [" + ", ".join([f"*x{level - 1}"] * 10) + "]")
    error = _error(tmp_path, "\n".join(lines) + "\n", JobFileStructureError)
    assert "more than 20,000 values once its aliases are written out" in str(error)
    assert error.line == 1
    # Three levels less (about 11,000 values written out) loads as usual.
    assert _loads("\n".join(lines[:4]) + "\n").extras["x3"][0][0][0] == ["a"] * 10


def test_deeply_nested_document_is_a_syntax_error(tmp_path: Path) -> None:
    """Nesting deeper than the parser can follow is a JobFileStructureError naming
    the file and the limit, not a RecursionError."""
    error = _error(tmp_path, "x: " + "[" * 2000 + "]" * 2000 + "\n", JobFileStructureError)
    assert "nested more than 100 levels deep" in str(error)


def test_recursive_value_is_a_dump_error(tmp_path: Path) -> None:
    """A value that contains itself raises JobDumpError and writes nothing."""
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(JobDumpError, match="contains itself"):
        CommandJob(command="echo", extras={"x_loop": loop}).dump(tmp_path / "job.yml")
    assert list(tmp_path.iterdir()) == []


def test_non_string_extras_key_is_a_dump_error(tmp_path: Path) -> None:
    """An extras key that is not a string would give a file load_job refuses, so dump
    refuses it first (nothing written)."""
    job = CommandJob(command="echo", extras={1: "x"})
    with pytest.raises(JobDumpError, match="1"):
        job.dump(tmp_path / "job.yml")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("value", "known"), [("Command", "command"), ("' sweep'", "sweep")])
def test_type_differing_only_in_case_or_spaces(tmp_path: Path, value: str, known: str) -> None:
    """`type: Command` is not silently a generic job (azure-ai-ml refuses it too):
    the error suggests the spelling jobfsm knows."""
    error = _error(tmp_path, f"command: echo\ntype: {value}\n", JobFileStructureError)
    assert error.line == 2
    assert f"did you mean {known!r}" in str(error)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("command: a\nname: n\ncommand: b\n", 3),
        ("inputs:\n  x: 1\n  y: 2\n  x: 3\n", 4),
        ("x_a: {1: a, 01: b}\n", 1),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, text: str, line: int) -> None:
    """A key written twice in one mapping would silently lose the first value (and
    YAML requires unique keys): refused at the second one, naming the first line."""
    error = _error(tmp_path, text, JobFileSyntaxError)
    assert error.line == line
    assert "second time" in str(error)
    assert "line " in error.reason


def test_merge_keys_may_be_overridden() -> None:
    """Keys brought in by `<<` may be overridden by the mapping's own keys."""
    job = _loads("x_base: &b {a: 1, b: 1}\nx_job:\n  <<: *b\n  b: 2\n")
    assert job.extras["x_job"] == {"a": 1, "b": 2}


def test_date_without_time_is_shown_as_written(tmp_path: Path) -> None:
    """An unquoted date where a date-time is needed names it as written, not as a
    Python repr, and shows a valid form."""
    text = "command: echo\ncreation_context:\n  created_at: 2024-05-01\n"
    error = _error(tmp_path, text, JobFileStructureError)
    assert "datetime.date" not in str(error)
    assert "2024-05-01 is a date without a time" in str(error)
    assert "2024-05-01T00:00:00Z" in str(error)


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01",
        "2024-05-01T12:30:00Z",
        "2024-05-01 12:30:00.250+02:00",
        "'2024-05-01'",
        "'2024-05-01T12:30:00Z'",
    ],
)
def test_timestamps_and_date_strings_round_trip(value: str) -> None:
    """YAML dates and timestamps stay dates and date-times, quoted ones stay strings,
    through load -> dump -> load (values, tags and extras alike)."""
    job = _loads(f"command: echo\ntags:\n  when: {value}\nx_when: {value}\n")
    again = _loads(_dumps(job))
    assert again == job
    assert type(again.extras["x_when"]) is type(job.extras["x_when"])
    assert type(again.tags["when"]) is type(job.tags["when"])


def test_unwritable_value_names_where_it_is() -> None:
    """The dump error names the key path of the value YAML cannot hold and the kinds
    of values that are valid."""
    job = CommandJob(command="echo", inputs={"data": {"paths": ["a", object()]}})
    with pytest.raises(JobDumpError) as info:
        _dumps(job)
    assert "inputs.data.paths[1]" in str(info.value)
    assert "object" in str(info.value)
    assert "mappings" in str(info.value)


@pytest.mark.parametrize("kind", ["command", "sweep"])
def test_generic_job_named_like_a_modelled_type_is_a_dump_error(kind: str) -> None:
    """A GenericJob whose type is command/pipeline/sweep would load as another
    class, so dump refuses it and names the class to use."""
    with pytest.raises(JobDumpError, match=r"create a (CommandJob|SweepJob)"):
        _dumps(GenericJob(type=kind, name="g"))


@pytest.mark.parametrize(("kind", "suggestion"), [("Command", "command"), ("comand", "command")])
def test_generic_job_of_unknown_type_suggests_the_closest(kind: str, suggestion: str) -> None:
    """A misspelt type is refused when the job is made, with the closest known type."""
    with pytest.raises(UnknownJobTypeError) as caught:
        GenericJob(type=kind, name="g")
    assert caught.value.suggestion == suggestion


def test_stream_whose_encoding_cannot_hold_the_text(tmp_path: Path) -> None:
    """A text stream in an encoding that cannot hold the job's text (an ASCII
    console) raises JobDumpError naming the encoding and the fix; nothing is written."""
    path = tmp_path / "out.yml"
    with path.open("w", encoding="ascii") as stream, pytest.raises(JobDumpError) as info:
        CommandJob(command="echo café").dump(stream)
    assert "'ascii'" in str(info.value)
    assert "utf-8" in str(info.value)
    assert path.read_bytes() == b""


def test_tab_indentation_says_to_use_spaces(tmp_path: Path) -> None:
    """A tab where YAML expects indentation names the line and says to use spaces."""
    error = _error(tmp_path, "command: echo\ninputs:\n\tdata: 1\n", JobFileSyntaxError)
    assert error.line == 3
    assert "spaces" in str(error)


def test_null_status_is_named_as_yaml_writes_it(tmp_path: Path) -> None:
    """`status: null` (or a number) is refused in YAML terms, not Python type names."""
    error = _error(tmp_path, "command: echo\nstatus: null\n", JobFileStatusError)
    assert "NoneType" not in str(error)
    assert "null, not a string" in str(error)
    error = _error(tmp_path, "command: echo\nstatus: 3\n", JobFileStatusError)
    assert "a int" not in str(error)


def test_dump_to_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    """A folder as dest is an IsADirectoryError asking for a file path, not the
    "never overwrites" message meant for existing files."""
    with pytest.raises(IsADirectoryError) as info:
        CommandJob(command="echo").dump(tmp_path)
    assert info.value.filename == str(tmp_path)
    assert "job.yml" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_escaped_surrogate_pairs_are_the_characters_they_stand_for() -> None:
    """A JSON-style escape of a character beyond U+FFFF reads as that character, as in JSON."""
    text = (
        "type: command\ncommand: echo hi\n"
        'display_name: "smile \\ud83d\\ude00"\n'
        'tags: {"\\ud83c\\udff7": "\\U0001F3F7", lone: "a\\ud800b"}\n'
    )
    job = load_job(io.StringIO(text))
    assert job.display_name == "smile \U0001f600"
    assert job.tags == {"\U0001f3f7": "\U0001f3f7", "lone": "a\ud800b"}  # a lone half stays
    written = io.StringIO()
    job.dump(written)
    again = load_job(io.StringIO(written.getvalue()))
    assert (again.display_name, again.tags) == (job.display_name, job.tags)
