"""Conformance: every job file of the Azure ML examples corpus loads and round-trips."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobfsm import CommandJob, GenericJob, Job, PipelineJob, SweepJob, load_job
from jobfsm.yamlio import HISTORY_KEY, STATUS_KEY
from tests.conftest import CORPUS


def _job_rows() -> list[tuple[str, str]]:
    """(path, kind) of the MANIFEST rows classified ``job:*``; empty without corpus."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    return [(path, kind.removeprefix("job:")) for path, kind in rows if kind.startswith("job:")]


JOB_ROWS = _job_rows()
_CLASSES: dict[str, type[Job]] = {
    "command": CommandJob,
    "pipeline": PipelineJob,
    "sweep": SweepJob,
}


def _dump(job: Job) -> str:
    stream = io.StringIO()
    job.dump(stream)
    return stream.getvalue()


def test_manifest_lists_the_142_job_files(corpus: Path) -> None:
    """The corpus manifest classifies 142 files as jobs (the count SOURCE.md gives)."""
    assert len(JOB_ROWS) == 142


@pytest.mark.parametrize(("path", "kind"), JOB_ROWS, ids=[p for p, _ in JOB_ROWS])
def test_corpus_job_round_trips(corpus: Path, path: str, kind: str) -> None:
    """The file loads as its class, load -> dump -> load gives an equal job, and
    every key of the source survives with an equal value in the dump."""
    source = corpus / path
    job = load_job(source)
    assert type(job) is _CLASSES.get(kind, GenericJob)
    assert job.type == kind
    assert job.base_path == source.parent
    text = _dump(job)
    again = load_job(io.StringIO(text))
    assert again == job
    raw: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    dumped: dict[str, Any] = yaml.safe_load(text)
    for key, value in raw.items():
        assert key in dumped, f"{path}: key {key!r} lost"
        assert dumped[key] == value, f"{path}: value of {key!r} changed"
    added = set(dumped) - set(raw)
    assert added <= {"type", STATUS_KEY, HISTORY_KEY}


@pytest.mark.parametrize(("path", "kind"), JOB_ROWS[::10], ids=[p for p, _ in JOB_ROWS[::10]])
def test_corpus_job_survives_a_lifecycle(corpus: Path, path: str, kind: str) -> None:
    """A corpus job taken to Completed dumps to a file and loads back with its history."""
    job = load_job(corpus / path)
    for event in ("start", "prepare", "queue", "run", "finalize", "complete"):
        job.fire(event)
    again = load_job(io.StringIO(_dump(job)))
    assert again == job
    assert [e.event for e in again.history] == [e.event for e in job.history]
