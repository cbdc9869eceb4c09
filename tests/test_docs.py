"""The Markdown documentation: its examples run and its generated parts are current.

Every ```python block of README.md and docs/*.md is executed; the blocks of one file run
in order in one namespace, with the repository root as working directory. Generated
sections (the lifecycle tables, the README diagram) must equal a fresh generation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobfsm import DEFAULT_LIFECYCLE
from jobfsm.diagrams import to_mermaid
from jobfsm.docgen import lifecycle_markdown, refresh_markdown
from tests.conftest import needs

REPO = Path(__file__).resolve().parents[1]
DOC_FILES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
REGENERATE = "python -m jobfsm.docgen docs/lifecycle.md README.md"
# A block that starts with `# needs: MODULE (EXTRA)` runs only where MODULE imports.
NEEDS = re.compile(r"# needs: ([\w.]+) \((\w+)\)\n")


def _section(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.DOTALL)
    assert match, f"markers <!-- {name}:start/end --> not found"
    return match.group(1)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """The ```python blocks of *path* as (first code line number, code)."""
    text = path.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in PYTHON_BLOCK.finditer(text)
    ]


def test_doc_files_are_found() -> None:
    """The runner sees the README and the docs folder (a typo here would test nothing)."""
    names = {path.relative_to(REPO).as_posix() for path in DOC_FILES}
    assert {"README.md", "docs/index.md", "docs/lifecycle.md", "docs/cli.md"} <= names
    assert python_blocks(REPO / "docs" / "lifecycle.md"), "docs/lifecycle.md has examples"


def test_block_extraction_keeps_line_numbers(tmp_path: Path) -> None:
    """Extracted blocks start at their line in the file, so tracebacks point into it."""
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n```console\n$ no\n```\n```python\ny = x\n```\n"
    )
    assert python_blocks(page) == [(4, "x = 1\n"), (11, "y = x\n")]


@pytest.mark.parametrize("path", DOC_FILES, ids=[p.relative_to(REPO).as_posix() for p in DOC_FILES])
def test_python_examples_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of the file runs, in order, in one namespace, from the repo root."""
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {"__name__": f"docs:{path.name}"}
    relative = path.relative_to(REPO).as_posix()
    for line, code in python_blocks(path):
        optional = NEEDS.match(code)
        if optional:  # an example of an optional feature: skipped (or failed in CI) without it
            needs(optional.group(1), optional.group(2))
        # Pad with blank lines so tracebacks name the Markdown file and its real line.
        exec(compile("\n" * (line - 1) + code, relative, "exec"), namespace)


def test_lifecycle_tables_are_current() -> None:
    """docs/lifecycle.md's generated section equals a fresh generation from the lifecycle."""
    text = (REPO / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert _section(text, "lifecycle") == lifecycle_markdown(DEFAULT_LIFECYCLE), (
        f"docs/lifecycle.md is out of date; regenerate with: {REGENERATE}"
    )


def test_readme_diagram_matches_the_committed_mermaid_file() -> None:
    """The README's diagram block is diagrams/lifecycle.mmd, which is today's to_mermaid()."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", _section(readme, "diagram"), re.DOTALL)
    assert block, "README.md has no ```mermaid block between <!-- diagram:start/end -->"
    committed = (REPO / "diagrams" / "lifecycle.mmd").read_text(encoding="utf-8")
    assert block.group(1) == committed == to_mermaid(DEFAULT_LIFECYCLE), (
        "README.md's diagram is out of date; regenerate with: "
        f"python -m jobfsm diagram -o diagrams/lifecycle.mmd && {REGENERATE}"
    )


def test_refresh_keeps_hand_written_text() -> None:
    """Refreshing replaces only the marked sections and is idempotent."""
    stale = "intro\n<!-- lifecycle:start -->\nold table\n<!-- lifecycle:end -->\noutro\n"
    fresh = refresh_markdown(stale)
    assert fresh.startswith("intro\n<!-- lifecycle:start -->\n")
    assert fresh.endswith("<!-- lifecycle:end -->\noutro\n")
    assert "old table" not in fresh
    assert "| `NotResponding` | `NOT_RESPONDING` | attention |" in fresh
    assert refresh_markdown(fresh) == fresh
    assert refresh_markdown("no markers here\n") == "no markers here\n"


def test_docgen_command_refreshes_files_in_place(tmp_path: Path) -> None:
    """`python -m jobfsm.docgen FILE...` rewrites stale sections and keeps the rest."""
    page = tmp_path / "page.md"
    page.write_text("# Page\n<!-- diagram:start -->\nstale\n<!-- diagram:end -->\nend\n")
    page.chmod(0o640)
    current = tmp_path / "current.md"
    current.write_text("nothing generated here\n")
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm.docgen", str(page), str(current)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Page\n<!-- diagram:start -->\n")
    assert text.endswith("<!-- diagram:end -->\nend\n")
    assert f"```mermaid\n{to_mermaid()}```\n" in text
    assert page.stat().st_mode & 0o777 == 0o640
    assert current.read_text(encoding="utf-8") == "nothing generated here\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.md", "page.md"]


def test_generated_tables_escape_pipes_in_every_column() -> None:
    """A status spelled with a pipe keeps every table row at its column count."""
    from jobfsm import EventSpec, Lifecycle

    piped = Lifecycle(
        name="a | b",
        states=["new", "on | hold", "done"],
        initial="new",
        terminal=["done"],
        events=[
            EventSpec("hold", "new", "on | hold"),
            EventSpec("end", ["new", "on | hold"], "done"),
        ],
    )
    text = lifecycle_markdown(piped)
    statuses, events = text.split("### Events")
    for table, columns in ((statuses, 5), (events, 4)):
        rows = [line for line in table.splitlines() if line.startswith("| ")]
        assert rows
        for row in rows:
            assert len(re.split(r"(?<!\\)\|", row)) == columns + 2, row


def test_profile_sections_are_current_and_complete() -> None:
    """docs/lifecycles.md has a current generated section for every built-in profile."""
    from jobfsm.docgen import profile_markdown
    from jobfsm.profiles import names

    text = (REPO / "docs" / "lifecycles.md").read_text(encoding="utf-8")
    for name in names():
        assert _section(text, f"profile:{name}") == profile_markdown(name), (
            f"docs/lifecycles.md section of {name!r} is out of date; regenerate with: "
            "python -m jobfsm.docgen docs/lifecycles.md"
        )
    assert refresh_markdown(text) == text


def test_log_pictures_in_the_docs_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/diagrams.md's process map, stats and timeline sections equal a fresh generation."""
    monkeypatch.chdir(REPO)
    text = (REPO / "docs" / "diagrams.md").read_text(encoding="utf-8")
    for name in ("processmap", "stats", "timeline"):
        assert f"<!-- {name}:examples/" in text, name
    assert refresh_markdown(text) == text, (
        "docs/diagrams.md is out of date; regenerate with: python -m jobfsm.docgen docs/diagrams.md"
    )


def _svg_texts(svg: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    return sorted(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("lifecycle.svg", ["diagram"]),
        ("lifecycle-full.svg", ["diagram", "--full"]),
        ("processmap-polled.svg", ["diagram", "--log", "examples/events-polled.jsonl"]),
        (
            "timeline-clean.svg",
            ["timeline", "examples/events-clean.jsonl"]
            + [f"--job={j}" for j in ("calm_otter_4kx9q2lz7m", "brave_heron_8c2mw5rt0v",
                                      "quiet_maple_z7d3k9q1xb", "sunny_comet_5hj2p8n4wf")],
        ),
    ],
)  # fmt: skip
def test_committed_svgs_show_what_a_fresh_drawing_shows(
    name: str, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each SVG under diagrams/ has the texts of a fresh drawing (layout may vary by version)."""
    from jobfsm.cli import main
    from tests.conftest import needs_program

    needs_program("dot", install="apt-get install graphviz")
    monkeypatch.chdir(REPO)
    fresh = tmp_path / name
    assert main([*command, "-o", str(fresh)]) == 0
    committed = (REPO / "diagrams" / name).read_bytes()
    assert _svg_texts(committed) == _svg_texts(fresh.read_bytes()), (
        f"diagrams/{name} is out of date; regenerate with: "
        f"python -m jobfsm {' '.join(command)} -o diagrams/{name}"
    )
