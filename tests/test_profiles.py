"""Built-in profiles: each loads, matches the schema, round-trips, and maps soundly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from jobfsm import DEFAULT_LIFECYCLE, CommandJob, Lifecycle, to_dot, to_mermaid
from jobfsm.errors import LifecycleDefinitionError
from jobfsm.lifecycle_file import lifecycle_from_dict, lifecycle_to_dict
from jobfsm.machine import engine_for
from jobfsm.profiles import name_of, names, profile_path, resolve, schema

EXPECTED = {
    "azureml", "azureml-service", "sagemaker-training", "sagemaker-training-secondary",
    "vertex-ai", "vertex-ai-pipeline", "kubernetes-pod", "slurm", "ray-job", "mlflow-run",
    "azure-quantum",
}  # fmt: skip


def test_the_built_in_profiles_are_listed() -> None:
    """names() lists every shipped profile, azureml first."""
    assert set(names()) == EXPECTED
    assert names()[0] == "azureml"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_file_matches_the_json_schema(name: str) -> None:
    """Each shipped file is valid against the shipped JSON Schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(schema()))
    data = yaml.safe_load(profile_path(name).read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_schema_is_a_valid_schema_that_rejects_bad_files() -> None:
    """The schema itself is well formed and catches a misspelled key."""
    import jsonschema

    document = json.loads(schema())
    jsonschema.Draft202012Validator.check_schema(document)
    bad = {"name": "x", "states": ["a"], "initial": "a", "terminal": ["a"], "event": []}
    assert list(jsonschema.Draft202012Validator(document).iter_errors(bad))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_loads_cites_sources_and_round_trips(name: str, tmp_path: Path) -> None:
    """Each profile passes the definition checks, cites its docs and round-trips equal."""
    lifecycle = resolve(name)
    assert lifecycle.sources
    assert all(s.startswith("https://") for s in lifecycle.sources)
    assert all(lifecycle.descriptions.get(s) for s in lifecycle.states)
    copy = tmp_path / f"{name}.yaml"
    lifecycle.to_file(copy)
    assert Lifecycle.from_file(copy) == lifecycle
    assert lifecycle_from_dict(json.loads(json.dumps(lifecycle_to_dict(lifecycle)))) == lifecycle
    if name != "azureml":
        assert lifecycle.maps_to is not None
        assert lifecycle.maps_to.target == DEFAULT_LIFECYCLE
    assert name_of(lifecycle) == name


def test_azureml_profile_is_the_default_lifecycle() -> None:
    """The azureml file and DEFAULT_LIFECYCLE give identical machines, tables and diagrams."""
    profile = resolve("azureml")
    assert profile == DEFAULT_LIFECYCLE
    assert hash(profile) == hash(DEFAULT_LIFECYCLE)
    assert dict(profile.descriptions) == dict(DEFAULT_LIFECYCLE.descriptions)
    assert profile.status_enum is DEFAULT_LIFECYCLE.status_enum
    assert profile.table == DEFAULT_LIFECYCLE.table
    assert profile.edges == DEFAULT_LIFECYCLE.edges
    assert engine_for(profile) is engine_for(DEFAULT_LIFECYCLE)
    assert to_mermaid(profile) == to_mermaid(DEFAULT_LIFECYCLE)
    assert to_dot(profile) == to_dot(DEFAULT_LIFECYCLE)


@pytest.mark.parametrize("name", sorted(EXPECTED - {"azureml"}))
def test_a_broken_mapping_of_each_profile_is_rejected(name: str) -> None:
    """Sending one edge's destination to NotStarted breaks the mapping; the edge is named."""
    data = lifecycle_to_dict(resolve(name))
    statuses = data["maps_to"]["statuses"]
    source, event, dest = next(
        (e.source, e.event, e.dest)
        for e in resolve(name).edges
        if statuses[e.source] != "NotStarted" and e.source != e.dest
    )
    statuses[dest] = "NotStarted"
    with pytest.raises(LifecycleDefinitionError) as info:
        lifecycle_from_dict(data)
    assert (source, event, dest) in info.value.edges
    assert any(f"edge {source} --{event}--> {dest}" in p for p in info.value.problems)


def test_a_job_follows_a_profile_and_shows_its_azure_status() -> None:
    """A job of a profile moves in the service's terms; mapped_status is the Azure ML one."""
    slurm = resolve("slurm")
    job = CommandJob(command="srun train.py", lifecycle=slurm)
    assert job.status == "PENDING"
    assert job.mapped_status == "Queued"
    job.fire("run")
    job.fire("wind_down")
    assert (job.status, job.mapped_status) == ("COMPLETING", "Finalizing")
    assert job.mapped_status is DEFAULT_LIFECYCLE.status_enum("Finalizing")
    assert CommandJob(command="x").mapped_status is None


def test_aliases_are_accepted_and_reported_in_both_modes() -> None:
    """An alias counts as its status for the rules, and each spelling is reported once."""
    from jobfsm import validate_trace

    service = resolve("azureml-service")
    trace = ["Running", "Finalizing", "Finished", "Finished"]
    report = validate_trace(trace, lifecycle=service)
    assert report.ok
    assert [(a.spelling, a.status, a.count, a.index) for a in report.aliases] == [
        ("Finished", "Completed", 2, 2)
    ]
    strict = validate_trace(["Running", "Finished"], lifecycle=service)
    assert [(str(v.reason), v.to) for v in strict.violations] == [
        ("illegal-transition", "Completed")
    ]
    observed = validate_trace(["Running", "Finished"], mode="observed", lifecycle=service)
    assert observed.ok
    assert [g.skipped for g in observed.gaps] == [("Finalizing",)]
    first = validate_trace(["Finished"], lifecycle=service, require_initial=True)
    assert [str(v.reason) for v in first.violations] == ["not-initial"]
    assert validate_trace(["Finished"], lifecycle=DEFAULT_LIFECYCLE).aliases == ()


def test_an_alias_must_not_shadow_a_status() -> None:
    """Aliases that spell an existing state or point nowhere are definition errors."""
    base = resolve("ray-job")
    with pytest.raises(LifecycleDefinitionError) as info:
        base.extend(aliases={"RUNNING": "PENDING", "DONE": "FINISHED"})
    assert info.value.problems == (
        "alias 'RUNNING' is already a state's own spelling",
        "alias 'DONE' -> 'FINISHED': not one of the states",
    )


def test_job_observe_reads_an_alias_and_records_it() -> None:
    """Job.observe accepts an alias like validation does, and says so in the history."""
    job = CommandJob(command="srun train.py", lifecycle=resolve("slurm"))
    added = job.observe("R", source="squeue")
    assert job.status == "RUNNING"
    assert [(e.to, e.reason, e.source) for e in added] == [
        ("RUNNING", "observed 'R', an alias of 'RUNNING'", "squeue")
    ]
    assert job.observe("RUNNING") == ()
    assert job.observe("R") == ()
