"""The set-up a contributor meets: README commands, shipped examples, extras, CI."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from jobfsm import load_job
from jobfsm.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_setup_names_graphviz_and_how_to_install_it() -> None:
    """SVG/PNG and some tests need Graphviz: the set-up section says so and how."""
    setup = _section("Set up")
    assert "Graphviz" in setup
    assert "apt-get install graphviz" in setup
    assert "brew install graphviz" in setup


def test_readme_diagram_job_file_is_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    """Every `jobfsm diagram --job FILE` line of the README names a shipped file that draws."""
    commands = re.findall(r"^\$ (jobfsm diagram [^#\n]*)", README, re.MULTILINE)
    files = [
        args[args.index("--job") + 1]
        for args in (shlex.split(c)[1:] for c in commands)
        if "--job" in args
    ]
    assert files, "README shows `jobfsm diagram --job FILE`"
    for name in files:
        assert (REPO / name).is_file(), f"{name} is named in the README but not shipped"
        assert load_job(REPO / name).history, f"{name} should have a status history to draw"
        assert main(["diagram", "--job", str(REPO / name)]) == 0
        assert "stateDiagram-v2" in capsys.readouterr().out


def test_interop_tests_have_their_own_extra() -> None:
    """azure-ai-ml is in the `interop` extra, not in `test`; CI installs both."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert not any(dep.startswith("azure-ai-ml") for dep in extras["test"])
    assert any(dep.startswith("azure-ai-ml") for dep in extras["interop"])
    ci = (REPO / ".ci" / "run").read_text()
    ci_extras = re.search(r'^CI_EXTRAS="([^"]*)"', ci, re.MULTILINE)
    assert ci_extras
    assert "interop" in ci_extras.group(1).split(",")
    interop = (REPO / "tests" / "test_interop_azure.py").read_text()
    assert 'needs("azure.ai.ml", "interop")' in interop
