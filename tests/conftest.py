"""Shared fixtures: paths to the repository and to the shared conformance corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "azureml-examples"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The Azure ML example corpus beside the repository; skip when it is absent."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"conformance corpus not found at {CORPUS}")
    return CORPUS
