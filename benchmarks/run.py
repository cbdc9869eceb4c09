"""Run every ``benchmarks/bench_*.py`` in one process and print one comparison table.

Usage::

    python benchmarks/run.py [--quick] [--only NAME ...] [--write-docs]

Each module's ``measure(quick)`` returns rows (see ``benchmarks/common.py``);
the rows of all modules make one Markdown table: medians, ratios against the
anchor measured in the same run, and whether the target is met. With
``--write-docs`` the table (and a line describing the machine) replaces what
lies between the markers in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, Python puts benchmarks/ first on sys.path; the code under
# test is the checkout's own package, so the repository root goes first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import format_ratio, format_seconds  # noqa: E402

DOCS = ROOT / "docs" / "performance.md"
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


def discover(only: Sequence[str] = ()) -> list[str]:
    """Module names of ``benchmarks/bench_*.py`` (optionally only the given stems)."""
    names = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    if only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in only}
        names = [n for n in names if n in wanted]
    return [f"benchmarks.{name}" for name in names]


def collect(modules: Sequence[str], *, quick: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of every module's ``measure(quick)``, and the errors of those that failed."""
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for name in modules:
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
            rows.extend(module.measure(quick=quick))
        except Exception:  # one broken benchmark must not hide the others' figures
            errors.append(f"{name}:\n{traceback.format_exc()}")
            continue
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows, errors


def _value(row: dict[str, Any]) -> str:
    if row.get("median_s") is not None:
        return format_seconds(row["median_s"])
    if row.get("bytes") is not None:
        return f"{row['bytes']:,.0f} B"
    return "—"


def _target(row: dict[str, Any]) -> str:
    target = row.get("target")
    if target is None:
        return ""
    if isinstance(target, str):
        return target
    if row.get("median_s") is None and row.get("bytes") is not None:
        return f"≤ {target:g} B"
    return f"≤ {target:g}x"


def _met(row: dict[str, Any], quick: bool = False) -> str:
    if quick and row.get("target") is not None:
        return "(quick run)"  # tiny sizes: too small to judge a target
    met = row.get("met")
    if met is None and isinstance(row.get("target"), int | float) and row.get("ratio") is not None:
        met = row["ratio"] <= row["target"]
    return "" if met is None else ("yes" if met else "**no**")


def table(rows: Sequence[dict[str, Any]], *, quick: bool = False) -> str:
    """The rows as one Markdown table; with *quick*, targets are not judged."""
    lines = [
        "| benchmark | subject | median | per | vs | ratio | target | met |",
        "|---|---|--:|---|---|--:|---|---|",
    ]
    for row in rows:
        cells = [
            str(row["benchmark"]),
            str(row["subject"]),
            _value(row),
            str(row.get("per") or ""),
            str(row.get("anchor") or ""),
            format_ratio(row.get("ratio")),
            _target(row),
            _met(row, quick),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def machine_line() -> str:
    """One line naming the CPU, core count, Python and OS of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {os.cpu_count()} core(s), "
        f"{cpu}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}."
    )


def write_docs(text: str, path: Path = DOCS) -> None:
    """Replace the text between the markers of *path*, atomically.

    Raises:
        ValueError: the markers are missing or out of order (the file is untouched).
    """
    current = path.read_text(encoding="utf-8")
    start, end = current.find(START), current.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: markers {START} ... {END} not found in this order")
    updated = current[: start + len(START)] + "\n" + text + "\n" + current[end:]
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        tmp.write(updated)
    os.replace(tmp.name, path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; exit 0, or 1 when a benchmark failed, 2 on a usage error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="e.g. jobs")
    parser.add_argument(
        "--write-docs", action="store_true", help=f"write the table into {DOCS.relative_to(ROOT)}"
    )
    args = parser.parse_args(argv)
    if args.quick and args.write_docs:
        parser.error("--write-docs needs full-size figures; drop --quick")
    modules = discover(args.only)
    if not modules:
        parser.error(f"no benchmark module matches {list(args.only)}")
    rows, errors = collect(modules, quick=args.quick)
    text = machine_line() + "\n\n" + table(rows, quick=args.quick)
    print(text)
    for error in errors:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
    if args.write_docs and not errors:
        try:
            write_docs(text)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {DOCS.relative_to(ROOT)}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
