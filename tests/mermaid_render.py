"""Render Mermaid text with the real Mermaid library, in headless Chromium.

The Mermaid package is installed by ``npm ci`` in ``tests/mermaid/`` (``.ci/run`` does
it); Chromium comes from the system (Debian: ``apt-get install chromium``). Every
diagram of a test session is rendered in one browser run: the page
``tests/mermaid/render.html`` calls ``mermaid.render`` on each text and writes the SVGs
(or the parse and render errors) into the page, which Chromium prints with
``--dump-dom``.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_ALL, needs_program

FOLDER = Path(__file__).resolve().parent / "mermaid"
MERMAID_JS = FOLDER / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
INSTALL = "apt-get install chromium (Debian) and: cd tests/mermaid && npm ci"
_OUT = re.compile(r'<pre id="out">(.*?)</pre>', re.DOTALL)


def mermaid_available() -> str:
    """The Chromium program, once Mermaid is installed too (else skip, or fail in CI)."""
    browser = needs_program("chromium", "chromium-browser", "google-chrome", install=INSTALL)
    if not MERMAID_JS.is_file():
        message = f"the mermaid npm package is not installed in {FOLDER}: {INSTALL}"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)
    return browser


def render_mermaid(texts: list[str]) -> list[dict[str, Any]]:
    """Render each Mermaid text; one ``{"ok", "svg"}`` or ``{"ok", "error"}`` per text."""
    browser = mermaid_available()
    # "<" escaped, so that no diagram text can close the page's <script> element.
    data = json.dumps(texts).replace("<", "\\u003c")
    page = (FOLDER / "render.html").read_text(encoding="utf-8")
    page = page.replace("MERMAID_JS", MERMAID_JS.as_uri()).replace("DIAGRAMS_JSON", data)
    with tempfile.TemporaryDirectory(prefix="jobfsm-mermaid-") as folder:
        path = Path(folder) / "render.html"
        path.write_text(page, encoding="utf-8")
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={Path(folder) / 'profile'}",
                "--allow-file-access-from-files",
                # Let the page's asynchronous rendering finish before the DOM is printed.
                "--virtual-time-budget=60000",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
    match = _OUT.search(done.stdout.decode("utf-8", errors="replace"))
    assert match, f"Chromium printed no result (exit {done.returncode}): {done.stderr[-2000:]!r}"
    assert match.group(1) != "pending", "Mermaid did not finish rendering"
    results: list[dict[str, Any]] = json.loads(html.unescape(match.group(1)))
    assert len(results) == len(texts)
    return results
