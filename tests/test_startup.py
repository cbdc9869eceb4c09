"""Start-up cost: ``jobfsm validate`` imports only what validation needs.

No timing here (figures go to docs/performance.md); the tests check *which*
modules a fresh interpreter imports, which is what the start-up time follows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Modules that `jobfsm validate` must not import: pictures, YAML, the store,
#: the job model and its state machine, and the standard-library modules only
#: they (or rare error paths) need.
NOT_FOR_VALIDATE = (
    "jobfsm.diagrams",
    "jobfsm.docgen",
    "jobfsm.job",
    "jobfsm.machine",
    "jobfsm.store",
    "jobfsm.yamlio",
    "yaml",
    "sqlite3",
    "transitions",
    "subprocess",
    "difflib",
    "csv",
)


def _imported(*args: str) -> set[str]:
    """Names of the modules a fresh interpreter imports to run ``python *args``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "jobfsm" in names, done.stderr[-2000:]
    return names


def test_validate_imports_only_what_validation_needs(tmp_path: Path) -> None:
    """`python -m jobfsm validate` on a JSON Lines log leaves diagrams, YAML and the store alone."""
    log = tmp_path / "events.jsonl"
    log.write_text('{"job": "a", "status": "Queued"}\n{"job": "a", "status": "Running"}\n')
    names = _imported("-m", "jobfsm", "validate", str(log))
    assert {"jobfsm.validate", "jobfsm.eventlog"} <= names
    assert names.isdisjoint(NOT_FOR_VALIDATE), sorted(names & set(NOT_FOR_VALIDATE))


def test_import_jobfsm_is_lazy() -> None:
    """`import jobfsm` imports no submodule until a public name is used."""
    names = _imported("-c", "import jobfsm")
    assert not {n for n in names if n.startswith("jobfsm.")}


@pytest.mark.parametrize(
    ("name", "module"), [("CommandJob", "jobfsm.job"), ("render", "jobfsm.diagrams")]
)
def test_public_names_load_their_module_on_first_use(name: str, module: str) -> None:
    """A public name imports its defining module when first looked up, and is that object."""
    code = (
        "import sys, jobfsm\n"
        f"assert {module!r} not in sys.modules\n"
        f"value = jobfsm.{name}\n"
        f"assert sys.modules[{module!r}].{name} is value\n"
        f"from jobfsm import {name}\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A name jobfsm does not export raises AttributeError, as for any module."""
    import jobfsm

    with pytest.raises(AttributeError, match="no_such_name"):
        jobfsm.no_such_name  # noqa: B018
