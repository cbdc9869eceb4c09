"""Timing and memory helpers shared by the ``bench_*`` modules.

Every ``bench_*.py`` module exposes ``measure(quick: bool = False) -> list[dict]``;
each dict is one row of the comparison table that ``benchmarks/run.py`` prints:

``benchmark``
    What is measured (e.g. ``"create 10,000 jobs"``).
``subject``
    Who is measured (e.g. ``"jobfsm CommandJob"``).
``median_s``
    Median seconds per ``per`` (``None`` for a memory row).
``per``
    The unit the median is divided by (``"job"``, ``"event"``, ``"B/job"``).
``anchor``
    The subject the ratio is taken against (``None`` for the anchor itself).
``ratio``
    ``value / anchor value`` measured in the same run (``None`` without anchor).
``target``
    The largest acceptable value (a ratio, or bytes for a memory row) or ``None``.

Memory rows carry ``bytes`` (per object) instead of ``median_s``; rows with a
target carry ``met`` (``True``/``False``).

Timings interleave the subjects of one comparison (subject A, B, C, A, B, C,
...) so that a noisy neighbour on a small machine slows all of them alike, and
report the median of the repeats. A ratio within one comparison is the median
of the per-round ratios (A's sample over B's sample of the same round): load
that drifts during the run cancels out of each round, which makes the ratio
far steadier from run to run than the ratio of the two medians. The garbage
collector is off while a repeat runs (as in ``timeit``) and a full collection
runs between repeats.

The clock is the CPU time of this process (``time.process_time``), not the
wall clock: everything measured is single-threaded CPU work, and on a small
shared machine the wall clock also counts the time the process waited for a
core, which is noise from other processes, not a cost of the subject.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = [
    "CLOCK",
    "Comparison",
    "Subject",
    "bytes_per_object",
    "compare",
    "format_ratio",
    "format_seconds",
    "memory_row",
    "time_row",
]

#: The clock of every timing (see the module docstring).
CLOCK = time.process_time

#: ``(setup, run)``: ``setup()`` builds the input of one repeat, untimed;
#: ``run(state)`` is timed.
Subject = tuple[Callable[[], Any], Callable[[Any], object]]


def _timed(setup: Callable[[], Any], run: Callable[[Any], object], gc_on: bool = False) -> float:
    state = setup()
    gc.collect()
    if not gc_on:
        gc.disable()
    try:
        start = CLOCK()
        run(state)
        return CLOCK() - start
    finally:
        gc.enable()
        del state


@attrs.frozen
class Comparison:
    """The samples of one interleaved comparison (seconds per unit, by subject)."""

    samples: Mapping[str, list[float]]

    @property
    def median(self) -> dict[str, float]:
        """Median seconds per unit of each subject."""
        return {name: statistics.median(values) for name, values in self.samples.items()}

    def ratio(self, subject: str, anchor: str) -> float:
        """Median over the rounds of ``subject``'s sample / ``anchor``'s sample."""
        pairs = zip(self.samples[subject], self.samples[anchor], strict=True)
        return statistics.median(a / b for a, b in pairs)


def compare(
    subjects: Mapping[str, Subject],
    *,
    per: int | Mapping[str, int],
    repeat: int,
    gc_on: bool = False,
) -> Comparison:
    """Time each subject ``repeat`` times, interleaved.

    Args:
        subjects: name -> ``(setup, run)``.
        per: how many units (jobs, events) one ``run`` handles, for all
            subjects or by subject name.
        repeat: how many timed runs per subject (after one untimed warm-up each).
        gc_on: leave the garbage collector on while timing (it costs what
            the objects a subject allocates cost it).

    Returns:
        The samples, in seconds per unit.
    """
    for setup, run in subjects.values():
        _timed(setup, run, gc_on)  # warm-up: imports, caches, first allocations
    units = {name: per if isinstance(per, int) else per[name] for name in subjects}
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(repeat):
        for name, (setup, run) in subjects.items():
            samples[name].append(_timed(setup, run, gc_on) / units[name])
    return Comparison(samples)


def bytes_per_object(factory: Callable[[], object], count: int) -> float:
    """Bytes that stay allocated per object made by ``factory()`` (tracemalloc).

    The list that keeps the objects alive is allocated before the first
    snapshot, so only the objects themselves (and whatever they own) count.
    """
    factory()  # warm-up: lazily built class-level caches are not per-object cost
    keep: list[object] = [None] * count
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(count):
            keep[index] = factory()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    del keep
    return (after - before) / count


def time_row(
    benchmark: str,
    subject: str,
    median_s: float,
    per: str,
    *,
    anchor: str | None = None,
    ratio: float | None = None,
    target: float | None = None,
) -> dict[str, Any]:
    """One timing row; ``ratio`` is the subject over the ``anchor``."""
    row: dict[str, Any] = {
        "benchmark": benchmark,
        "subject": subject,
        "median_s": median_s,
        "per": per,
        "anchor": anchor,
        "ratio": ratio,
        "target": target,
    }
    if target is not None and ratio is not None:
        row["met"] = ratio <= target
    return row


def anchored_rows(
    benchmark: str,
    timing: Comparison,
    anchor: str,
    per: str | Callable[[float], str],
    targets: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The anchor's row, then each other subject of *timing* with its paired ratio.

    ``per`` is the unit label, or a function of the median seconds per unit
    that words it (e.g. ``ns/status``).
    """
    targets = targets or {}
    word = per if callable(per) else (lambda _: per)
    rows = [time_row(benchmark, anchor, timing.median[anchor], word(timing.median[anchor]))]
    for name, seconds in timing.median.items():
        if name != anchor:
            ratio = timing.ratio(name, anchor)
            target = targets.get(name)
            rows.append(
                time_row(
                    benchmark,
                    name,
                    seconds,
                    word(seconds),
                    anchor=anchor,
                    ratio=ratio,
                    target=target,
                )
            )
    return rows


def memory_row(
    benchmark: str,
    subject: str,
    nbytes: float,
    per: str,
    *,
    anchor: str | None = None,
    anchor_bytes: float | None = None,
    target: float | None = None,
) -> dict[str, Any]:
    """One memory row (``bytes`` per object); a ``target`` bounds ``bytes`` itself."""
    row: dict[str, Any] = {
        "benchmark": benchmark,
        "subject": subject,
        "median_s": None,
        "bytes": nbytes,
        "per": per,
        "anchor": anchor,
        "ratio": nbytes / anchor_bytes if anchor_bytes else None,
        "target": target,
    }
    if target is not None:
        row["met"] = nbytes <= target
    return row


def format_seconds(seconds: float) -> str:
    """``1.234e-06`` -> ``"1.23 µs"`` (three significant digits, fitting unit)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(ratio: float | None) -> str:
    """``1.234`` -> ``"1.23x"``; ``None`` -> ``"—"``."""
    if ratio is None:
        return "—"
    return f"{ratio:.3g}x" if ratio < 100 else f"{ratio:,.0f}x"
