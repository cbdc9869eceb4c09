"""Interoperability with the real azure-ai-ml client (offline: no workspace needed).

The corpus is copied once to a temporary folder so that jobfsm's dumps can sit
beside their sources: azure-ai-ml resolves ``code:``, ``component:`` and other
local references relative to the job file. The corpus holds only the YAML
files, so where azure-ai-ml names a local folder that is missing, the copy
gets an empty one (the job files themselves are untouched), which lets
azure-ai-ml load all but a few files offline.
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobfsm import CommandJob, Job, load_job
from tests.conftest import CORPUS, REPO, needs
from tests.test_corpus import JOB_ROWS

azure_ml = needs("azure.ai.ml", "interop")

pytestmark = pytest.mark.slow

DOC = REPO / "docs" / "yaml.md"
REGENERATE = "python -m tests.test_interop_azure"


def _documented_failures() -> dict[str, str]:
    """Corpus files docs/yaml.md lists as not loadable by azure-ai-ml offline."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- azure-offline:start -->\n(.*?)<!-- azure-offline:end -->", text, re.S)
    rows = re.findall(r"^\| `([^`]+)` \| \w+ \| (.*) \|$", match[1] if match else "", re.M)
    return dict(rows)


AZURE_OFFLINE_FAILURES = _documented_failures()
LOADABLE = [path for path, _ in JOB_ROWS if path not in AZURE_OFFLINE_FAILURES]

#: Attributes whose values azure-ai-ml must read the same from both files.
FIELDS = ("name", "display_name", "experiment_name", "description", "tags", "compute", "type")


def _azure_load(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return azure_ml.load_job(path)


_PATTERNS = (
    (re.compile(r"resolved absolute path: (\S+?)\.?[;\"\\]"), "local path {} is not in the corpus"),
    (re.compile(r"No such file or directory: (\S+?)['\"\]\\]"),
     "local file {} is not in the corpus"),
    (re.compile(r'"message": "([^"]+)",\s*"path": "([^"]+)"'), "{1}: {0}"),
    (re.compile(r'"(\w+)": \{\s*"_schema": \[\s*"([^"]+)"'), "{}: {}"),
    # the same, nested one level down inside another message (quotes escaped)
    (re.compile(r'\\"(\w+)\\": \[(?:\\n|\s)*\{(?:\\n|\s)*\\"_schema\\": \[(?:\\n|\s)*\\"([^"\\]+)'),
     "{}: {}"),
)  # fmt: skip


def _reason(error: Exception) -> str:
    """A one-line reason for an azure-ai-ml failure, paths relative to the corpus."""
    text = str(error)
    for pattern, template in _PATTERNS:
        match = pattern.search(text)
        if match:
            groups = [re.sub(r"^.*?azureml-examples/", "", g) for g in match.groups()]
            return template.format(*groups)
    return f"{type(error).__name__}: {text.strip().splitlines()[0] if text.strip() else ''}"[:200]


_MISSING = re.compile(r"^local (path|file) (\S+) is not in the corpus$")


def _load_with_placeholders(root: Path, path: str) -> Any:
    """azure-ai-ml's reading of *path* under *root*, or why it failed.

    A local folder that azure-ai-ml reports missing (code folders: not part of
    the YAML-only corpus) is created empty and the load tried again. A missing
    file is not made up: an empty component or environment file would only
    trade one failure for another.
    """
    for _ in range(10):  # a job references a handful of local paths at most
        try:
            return _azure_load(root / path)
        except Exception as error:  # azure-ai-ml raises many unrelated types
            reason = _reason(error)
        missing = _MISSING.match(reason)
        if missing is None or missing[1] != "path" or (root / missing[2]).exists():
            return reason
        (root / missing[2]).mkdir(parents=True)
    return reason


def _corpus_copy(folder: Path) -> Path:
    target = folder / "azureml-examples"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the corpus (dumps are written beside the sources)."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    return _corpus_copy(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def azure_loads(copy: Path) -> dict[str, Any]:
    """azure-ai-ml's reading of every corpus job: the job object, or why it failed."""
    return {path: _load_with_placeholders(copy, path) for path, _ in JOB_ROWS}


def _loaded(azure_loads: dict[str, Any], path: str) -> Any:
    result = azure_loads[path]
    assert not isinstance(result, str), f"azure-ai-ml cannot load {path}: {result}"
    return result


def test_azure_offline_failures_are_the_documented_ones(azure_loads: dict[str, Any]) -> None:
    """The corpus files azure-ai-ml cannot load offline, even with placeholders for
    the local folders the corpus does not copy, are exactly those listed in
    docs/yaml.md; every other file takes part in the interop tests below."""
    failing = {path: r for path, r in azure_loads.items() if isinstance(r, str)}
    assert len(AZURE_OFFLINE_FAILURES) > 0, "the table in docs/yaml.md was not found"
    assert set(failing) == set(AZURE_OFFLINE_FAILURES), f"regenerate with {REGENERATE}"
    assert len(LOADABLE) >= 130


@pytest.mark.parametrize("path", LOADABLE)
def test_jobfsm_dump_loads_in_azure(copy: Path, azure_loads: dict[str, Any], path: str) -> None:
    """jobfsm's dump of a corpus job reads in azure-ai-ml with the same name,
    display_name, experiment_name, description, tags, compute and type."""
    expected = _loaded(azure_loads, path)
    source = copy / path
    ours = source.with_name(source.stem + ".jobfsm.yml")
    load_job(source).dump(ours)
    actual = _azure_load(ours)
    for field in FIELDS:
        assert getattr(actual, field) == getattr(expected, field), field


def _as_job(loaded: Any) -> Any:
    """The job entity behind what azure-ai-ml's load_job returns.

    For command files load_job returns a ``Command`` pipeline node, whose dump
    nests the fields under ``component`` and drops name and experiment_name;
    its ``_to_job()`` is the ``CommandJob`` entity that submission uses.
    """
    return loaded._to_job() if isinstance(loaded, azure_ml.entities.Command) else loaded


@pytest.mark.parametrize("path", LOADABLE)
def test_azure_dump_loads_in_jobfsm(azure_loads: dict[str, Any], tmp_path: Path, path: str) -> None:
    """A job dumped by azure-ai-ml loads in jobfsm with the same fields, and every
    key of azure-ai-ml's file survives jobfsm's dump."""
    entity = _as_job(_loaded(azure_loads, path))
    theirs = tmp_path / "azure.yml"
    try:
        entity.dump(theirs)
    except Exception as error:  # an azure-ai-ml dump bug, not ours
        pytest.skip(f"azure-ai-ml cannot dump {path}: {_reason(error)}")
    ours = load_job(theirs)
    raw = yaml.safe_load(theirs.read_text(encoding="utf-8"))
    for field in ("name", "display_name", "experiment_name", "description", "tags", "type"):
        assert getattr(ours, field) == getattr(entity, field), field
    # azure-ai-ml writes "azureml:cpu" for its in-memory "cpu"; jobfsm keeps the text.
    assert ours.compute == raw.get("compute")
    _assert_keys_kept(raw, ours)


def _assert_keys_kept(raw: dict[str, Any], job: Job) -> None:
    """Every key survives jobfsm's dump, except empty values of modelled fields
    (``properties: {}``), which jobfsm does not write (documented)."""
    stream = io.StringIO()
    job.dump(stream)
    dumped = yaml.safe_load(stream.getvalue())
    for key, value in raw.items():
        if value in ({}, [], None) and key not in job.extras:
            assert key not in dumped or dumped[key] == value, key
            continue
        assert dumped[key] == value, key


def test_status_alone_is_accepted_by_azure(tmp_path: Path) -> None:
    """A dump made with history=False carries `status` only, which azure-ai-ml
    accepts (it is a service-populated field there) and jobfsm restores."""
    job = CommandJob(name="n", command="echo hi", environment="azureml:env:1", compute="cpu")
    job.start()
    path = tmp_path / "job.yml"
    job.dump(path, history=False)
    assert _azure_load(path).name == "n"
    assert str(load_job(path).status) == "Starting"


def test_status_history_is_a_jobfsm_extension(tmp_path: Path) -> None:
    """azure-ai-ml refuses the unknown `status_history` key (documented difference)."""
    job = CommandJob(name="n", command="echo hi", environment="azureml:env:1", compute="cpu")
    job.start()
    path = tmp_path / "job.yml"
    job.dump(path)
    with pytest.raises(Exception, match="status_history"):
        _azure_load(path)


def test_azure_built_job_loads_in_jobfsm(tmp_path: Path) -> None:
    """A CommandJob built with azure-ai-ml and dumped by it loads in jobfsm."""
    built = azure_ml.entities.CommandJob(
        name="built",
        display_name="Built by azure",
        experiment_name="exp",
        description="made in azure-ai-ml",
        tags={"k": "v"},
        command="python train.py",
        environment="azureml:env:1",
        compute="cpu-cluster",
    )
    path = tmp_path / "built.yml"
    built.dump(path)
    job = load_job(path)
    assert job.type == "command"
    assert isinstance(job, CommandJob)
    assert job.command == "python train.py"
    assert (job.name, job.display_name, job.experiment_name) == ("built", "Built by azure", "exp")
    assert job.tags == {"k": "v"}


def _table() -> str:
    """The Markdown table of docs/yaml.md, from a fresh run of azure-ai-ml."""
    import tempfile

    lines = ["| file | kind | why azure-ai-ml cannot load it offline |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        root = _corpus_copy(Path(folder))
        for path, kind in JOB_ROWS:
            result = _load_with_placeholders(root, path)
            if isinstance(result, str):
                lines.append(f"| `{path}` | {kind} | {result.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # refresh the table in docs/yaml.md
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- azure-offline:start -->\n") + len("<!-- azure-offline:start -->\n")
    end = text.index("<!-- azure-offline:end -->")
    DOC.write_text(text[:start] + _table() + text[end:], encoding="utf-8")
