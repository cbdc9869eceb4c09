"""--lifecycle, --as, `jobfsm lifecycles` and the example log of each service."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobfsm import DEFAULT_LIFECYCLE, Lifecycle, read_jsonl, validate_events, validate_trace
from jobfsm.cli import EXIT_INPUT_ERROR, EXIT_OK, EXIT_VIOLATIONS, main
from jobfsm.diagrams import to_mermaid
from jobfsm.mapping import translate_report
from jobfsm.profiles import names, resolve

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "profiles"
LOGGED = sorted(p.stem for p in EXAMPLES.glob("*.jsonl"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_service_profile_has_an_example_log() -> None:
    """Each built-in profile but the default one ships a realistic example log."""
    assert set(LOGGED) == set(names()) - {"azureml"}


@pytest.mark.parametrize("name", LOGGED)
def test_example_log_validates_clean_in_observed_mode(name: str) -> None:
    """The example log of each service passes in observed mode, and in Azure ML terms."""
    lifecycle = resolve(name)
    path = EXAMPLES / f"{name}.jsonl"
    report = validate_events(read_jsonl(path), mode="observed", lifecycle=lifecycle)
    assert report.ok, report.violations
    assert report.jobs >= 2
    azure = translate_report(report, lifecycle)
    assert azure.ok
    # Every job's statuses, mapped, also pass the Azure ML lifecycle itself.
    traces: dict[str, list[str]] = {}
    for _, row in read_jsonl(path):
        status = lifecycle.aliases.get(row["status"], row["status"])
        traces.setdefault(row["job"], []).append(str(lifecycle.maps_to(status)))  # type: ignore[misc]
    for trace in traces.values():
        assert validate_trace(trace, mode="observed").ok, trace


# (profile, job of its example log, status appended after the job's last one, reason)
ANOMALIES = [
    ("sagemaker-training", "bert-finetune-2026-03-02-09-02-10", "InProgress", "illegal-transition"),
    ("sagemaker-training-secondary", "legacy-2019-job", "Training", "illegal-transition"),
    ("vertex-ai", "projects/123/locations/us-central1/customJobs/4713", "JOB_STATE_RUNNING",
     "illegal-transition"),
    ("vertex-ai", "projects/123/locations/us-central1/customJobs/4711", "JOB_STATE_UNSPECIFIED",
     "unknown-status"),
    ("vertex-ai-pipeline", "training-pipeline-20260302090000", "PIPELINE_STATE_RUNNING",
     "illegal-transition"),
    ("kubernetes-pod", "train-job-x7k2p", "Running", "illegal-transition"),
    ("slurm", "4711", "RUNNING", "illegal-transition"),
    ("slurm", "4714", "CANCELLED by 1234", "unknown-status"),
    ("ray-job", "raysubmit_4LamXRuQpYdSMg7J", "RUNNING", "illegal-transition"),
    ("mlflow-run", "a1b2c3d4e5f64718293a4b5c6d7e8f90", "RUNNING", "illegal-transition"),
    ("azure-quantum", "6f8a2e1c-0b3d-4a5e-9c7f-1d2e3f4a5b6c", "Executing", "illegal-transition"),
    ("azure-quantum", "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Canceled", "unknown-status"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "job", "status", "reason"), ANOMALIES)
def test_deliberate_anomalies_are_caught(name: str, job: str, status: str, reason: str) -> None:
    """A status appended after a job's ending is reported at its line with the right reason."""
    lines = (EXAMPLES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [(n, json.loads(line)) for n, line in enumerate(lines, 1)]
    rows.append((len(lines) + 1, {"job": job, "status": status}))
    report = validate_events(rows, mode="observed", lifecycle=resolve(name))
    assert [(v.job, v.line, v.to, str(v.reason)) for v in report.violations] == [
        (job, len(lines) + 1, status, reason)
    ]


def test_unknown_status_suggests_the_service_spelling() -> None:
    """Azure ML's 'Canceled' in an Azure Quantum log suggests Azure Quantum's 'Cancelled'."""
    report = validate_trace(["Waiting", "Canceled"], lifecycle=resolve("azure-quantum"))
    assert "did you mean 'Cancelled'?" in report.violations[0].message


def test_cancel_request_then_unknown_is_refused_by_the_service_profile() -> None:
    """azureml-service: Unknown may not follow CancelRequested (it keeps the mapping sound)."""
    report = validate_trace(
        ["Running", "CancelRequested", "Unknown"], lifecycle=resolve("azureml-service")
    )
    assert [str(v.reason) for v in report.violations] == ["illegal-transition"]


def test_validate_with_a_profile_as_a_new_user_types_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm validate --lifecycle sagemaker-training examples/...` passes (exit 0)."""
    log = str(EXAMPLES / "sagemaker-training.jsonl")
    code, out, err = run(capsys, "validate", "--lifecycle", "sagemaker-training", log)
    assert (code, err) == (EXIT_OK, "")
    assert out == f"{log}: ok: no violations (13 events of 4 jobs, strict mode)\n"
    code, out, _ = run(capsys, "validate", log)  # the default lifecycle knows none of it
    assert code == EXIT_VIOLATIONS
    assert "unknown-status" in out


def test_aliases_are_reported_never_silently(capsys: pytest.CaptureFixture[str]) -> None:
    """Each alias spelling read is a note in text and an entry in JSON; still exit 0."""
    log = str(EXAMPLES / "slurm.jsonl")
    code, out, _ = run(capsys, "validate", "--lifecycle", "slurm", "--mode", "observed", log)
    assert code == EXIT_OK
    assert f"{log}:2: note: 'PD' read as 'PENDING' (an alias; once, first for job 4712)\n" in out
    code, out, _ = run(capsys, "validate", "--lifecycle", "slurm", "--format", "json", log)
    data = json.loads(out)
    assert data["ok"] is True
    assert [a["spelling"] for a in data["aliases"]] == ["PD", "R", "CG"]
    assert data["aliases"][0] == {
        "spelling": "PD", "status": "PENDING", "count": 1, "job": "4712", "index": 0, "line": 2,
    }  # fmt: skip


def test_validate_as_azureml_reports_in_azure_terms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--as azureml: the service's rules, the Azure ML statuses in the report."""
    log = tmp_path / "vertex.jsonl"
    rows = [
        {"job": "j", "status": "JOB_STATE_CANCELLED"},
        {"job": "j", "status": "JOB_STATE_RUNNING"},
    ]
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    argv = ["validate", "--lifecycle", "vertex-ai", "--format", "json", str(log)]
    code, out, _ = run(capsys, *argv, "--as", "azureml")
    assert code == EXIT_VIOLATIONS
    violation = json.loads(out)["violations"][0]
    assert (violation["from"], violation["to"], violation["allowed"]) == ("Canceled", "Running", [])
    assert violation["message"].endswith("(in Azure ML job terms: Canceled -> Running)")
    code, out, _ = run(capsys, *argv)
    assert json.loads(out)["violations"][0]["from"] == "JOB_STATE_CANCELLED"


def test_bad_lifecycle_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unknown name, a broken file and an --as that is not the target exit 2."""
    log = str(EXAMPLES / "ray-job.jsonl")
    code, _, err = run(capsys, "validate", "--lifecycle", "ray", log)
    assert code == EXIT_INPUT_ERROR
    assert "no lifecycle named 'ray'; did you mean 'ray-job'?" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nstates: [a]\ninitial: b\nterminal: [a]\nevents: []\n")
    code, _, err = run(capsys, "validate", "--lifecycle", str(broken), log)
    assert code == EXIT_INPUT_ERROR
    assert f"{broken}:3: initial state 'b' is not one of the states" in err
    code, _, err = run(capsys, "validate", "--lifecycle", "azureml", "--as", "slurm", log)
    assert code == EXIT_INPUT_ERROR
    assert "has no maps_to" in err
    code, _, err = run(capsys, "diagram", "--lifecycle", "nope")
    assert code == EXIT_INPUT_ERROR
    assert err.startswith("jobfsm: error: no lifecycle named 'nope'")


def test_diagram_of_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm diagram --lifecycle vertex-ai` prints that profile's Mermaid diagram."""
    code, out, _ = run(capsys, "diagram", "--lifecycle", "vertex-ai")
    assert code == EXIT_OK
    assert out == to_mermaid(resolve("vertex-ai"))
    assert "JOB_STATE_CANCELLING" in out


def test_lifecycles_lists_and_shows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`jobfsm lifecycles` lists every profile; `show` prints a table or a loadable file."""
    code, out, _ = run(capsys, "lifecycles")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUSES", "MAPS", "TO", "SOURCE"]
    assert [line.split()[0] for line in lines[1:]] == list(names())
    assert "slurm  " in out
    code, out, _ = run(capsys, "lifecycles", "show", "slurm")
    assert code == EXIT_OK
    assert re.search(r"^COMPLETING +active +Finalizing +\S", out, re.MULTILINE)
    for fmt in ("yaml", "json"):
        code, out, _ = run(capsys, "lifecycles", "show", "slurm", "--format", fmt)
        path = tmp_path / f"slurm.{fmt}"
        path.write_text(out)
        assert Lifecycle.from_file(path) == resolve("slurm")
    code, out, _ = run(capsys, "lifecycles", "show", "azureml", "--format", "yaml")
    path = tmp_path / "default.yaml"
    path.write_text(out)
    assert Lifecycle.from_file(path) == DEFAULT_LIFECYCLE
    code, _, err = run(capsys, "lifecycles", "show", "slurmm")
    assert code == EXIT_INPUT_ERROR
    assert "did you mean 'slurm'?" in err


def test_the_command_runs_as_a_program() -> None:
    """`python -m jobfsm validate --lifecycle ...` in a subprocess, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "validate", "--lifecycle", "sagemaker-training",
         "examples/profiles/sagemaker-training.jsonl"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("ok: no violations (13 events of 4 jobs, strict mode)\n")


def test_status_and_history_read_a_store_of_profile_jobs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`jobfsm status/history --lifecycle slurm` read a store whose jobs follow that profile."""
    from jobfsm import CommandJob, JobStore

    slurm = resolve("slurm")
    path = str(tmp_path / "jobs.db")
    with JobStore(path, lifecycle=slurm) as store:
        job = CommandJob(name="train", command="srun train.py", lifecycle=slurm)
        job.fire("run")
        store.add(job)
    code, out, _ = run(
        capsys, "status", "--store", path, "--lifecycle", "slurm", "--format", "json"
    )
    assert code == EXIT_OK
    assert json.loads(out)[0]["status"] == "RUNNING"
    code, out, _ = run(capsys, "history", "train", "--store", path, "--lifecycle", "slurm")
    assert code == EXIT_OK
    assert "RUNNING" in out
    code, _, err = run(capsys, "status", "--store", path, "--lifecycle", "slurmm")
    assert code == EXIT_INPUT_ERROR
    assert "did you mean 'slurm'?" in err
