"""The picture commands: `diagram --full`, `diagram --log`, `stats` and `timeline`.

Called through ``main([...])``; files are real files in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobfsm import to_mermaid
from jobfsm.cli import EXIT_OK, main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def test_diagram_full_keeps_one_arrow_per_edge(capsys: pytest.CaptureFixture[str]) -> None:
    """--full prints the one-arrow-per-edge view; without it, the grouped view."""
    assert main(["diagram", "--full"]) == EXIT_OK
    assert capsys.readouterr().out == to_mermaid(full=True)
    assert main(["diagram"]) == EXIT_OK
    grouped = capsys.readouterr().out
    assert grouped == to_mermaid()
    assert "state \"Active\" as group_2 {" in grouped
