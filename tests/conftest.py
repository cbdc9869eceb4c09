"""Shared fixtures: paths to the repository and to the shared conformance corpus.

Optional features (an extra such as ``postgres``, ``arrow`` or ``spark``) are
tested with :func:`needs`: on a contributor's machine without the extra the
tests skip with the install command; with ``JOBFSM_REQUIRE_ALL=1`` (set by
``.ci/run``) a missing extra fails the test instead, so CI never skips them.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "azureml-examples"
REQUIRE_ALL = os.environ.get("JOBFSM_REQUIRE_ALL") == "1"

# Spark in local mode (tests/test_spark.py, the docs' notebook example): bind to
# the loopback interface, and let its Python workers run this interpreter with
# this checkout first on their path, as the test process itself does.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)


def needs(module: str, extra: str) -> ModuleType:
    """Import *module* for a test of the optional feature installed by *extra*.

    Skips the calling test (or, called at module level, the whole module) when it
    is missing, unless ``JOBFSM_REQUIRE_ALL=1``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = f"{module} is not installed: pip install -e '.[{extra}]' ({exc})"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)


def _dot_missing() -> bool:
    import shutil

    return shutil.which("dot") is None


#: Marks a test that runs the Graphviz ``dot`` program: skipped with the install
#: hint when it is missing, except in CI (``JOBFSM_REQUIRE_ALL=1``), where it runs
#: and fails.
needs_dot = pytest.mark.skipif(
    _dot_missing() and not REQUIRE_ALL,
    reason="Graphviz `dot` is not on PATH: apt-get install graphviz (macOS: brew install "
    "graphviz); see README's set-up",
)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The Azure ML example corpus beside the repository; skip when it is absent."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    return CORPUS


def needs_program(*names: str, install: str) -> str:
    """The path of the first of *names* found on ``PATH``, for a test of a feature needing it.

    Skips the calling test when none is found, unless ``JOBFSM_REQUIRE_ALL=1``
    (then it fails, naming *install*, the command that provides it).
    """
    import shutil

    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{' or '.join(names)} not found on PATH: {install}"
    if REQUIRE_ALL:
        pytest.fail(message)
    pytest.skip(message)
