"""Percentiles of durations: exact while they fit, a bounded sketch beyond.

A percentile here is the *nearest-rank* one: the ``q`` quantile of ``n``
values is the ``k``-th smallest, ``k = max(1, ceil(q * n))``; so it is
always one of the values.

:class:`QuantileSketch` is a DDSketch-style estimator (Masson, Rim and Lee,
VLDB 2019): each value ``x > 0`` is counted in the bucket
``i = ceil(log(x) / log(gamma))`` with ``gamma = (1 + a) / (1 - a)``, and a
quantile answers the middle ``2 * gamma**i / (gamma + 1)`` of the bucket
holding the ``k``-th value. Every answer is then within a relative error
``a`` (``relative_accuracy``) of the exact nearest-rank percentile. Memory is
one counter per bucket used: durations from a microsecond to a century span
about 2,300 buckets at 1 %, whatever the number of values. Values under
:data:`MIN_VALUE` (a microsecond) are counted as zero.

:class:`Durations` keeps values exactly up to ``exact_limit`` and then moves
them into a sketch, so small logs get exact figures and huge ones bounded
memory; :attr:`Durations.exact` says which.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["DEFAULT_EXACT_LIMIT", "MIN_VALUE", "Durations", "QuantileSketch", "nearest_rank"]

#: Values kept exactly (per accumulator) before switching to a sketch.
DEFAULT_EXACT_LIMIT: Final = 100_000
#: Smaller values count as zero in a sketch (seconds).
MIN_VALUE: Final = 1e-6


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The nearest-rank *q* quantile of a non-empty sorted list."""
    if not 0 <= q <= 1:
        raise ValueError(f"quantile must be between 0 and 1, got {q!r}")
    k = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[k - 1]


class QuantileSketch:
    """A mergeable quantile sketch of non-negative values with a relative-error bound.

    Args:
        relative_accuracy: The bound ``a`` on ``|estimate - exact| / exact``
            (between 0 and 1; default 1 %).
    """

    def __init__(self, relative_accuracy: float = 0.01) -> None:
        if not 0 < relative_accuracy < 1:
            raise ValueError(f"relative_accuracy must be in (0, 1), got {relative_accuracy!r}")
        self.relative_accuracy = relative_accuracy
        self.gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self._log_gamma = math.log(self.gamma)
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.max = -math.inf

    def add(self, value: float, count: int = 1) -> None:
        """Count *value* (``>= 0``) *count* times."""
        if value < 0 or math.isnan(value):
            raise ValueError(f"a sketch holds non-negative values, got {value!r}")
        self.count += count
        if value > self.max:
            self.max = value
        if value < MIN_VALUE:
            self.zeros += count
            return
        index = math.ceil(math.log(value) / self._log_gamma)
        self.buckets[index] = self.buckets.get(index, 0) + count

    def merge(self, other: QuantileSketch) -> None:
        """Add the counts of *other* (built with the same accuracy)."""
        if other.gamma != self.gamma:
            raise ValueError("sketches of different accuracies cannot be merged")
        for index, count in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + count
        self.zeros += other.zeros
        self.count += other.count
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float:
        """The estimated nearest-rank *q* quantile (the exact maximum for ``q == 1``).

        Raises:
            ValueError: the sketch is empty, or *q* is not in [0, 1].
        """
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be between 0 and 1, got {q!r}")
        if not self.count:
            raise ValueError("no values")
        if q == 1:
            return self.max
        rank = max(1, math.ceil(q * self.count))
        seen = self.zeros
        if seen >= rank:
            return 0.0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                # Never above the largest value seen: the bound holds and p99 <= max.
                return min(2 * self.gamma**index / (self.gamma + 1), self.max)
        return self.max  # pragma: no cover - the counts add up to self.count


class Durations:
    """Values kept exactly up to *exact_limit*, then summarised in a :class:`QuantileSketch`.

    Args:
        exact_limit: How many values to keep before switching to the sketch.
        relative_accuracy: The sketch's relative-error bound.
    """

    def __init__(
        self, exact_limit: int = DEFAULT_EXACT_LIMIT, relative_accuracy: float = 0.01
    ) -> None:
        self.exact_limit = exact_limit
        self.relative_accuracy = relative_accuracy
        self.values: list[float] | None = []
        self.sketch: QuantileSketch | None = None

    @property
    def exact(self) -> bool:
        """Whether quantiles are exact (every value is still kept)."""
        return self.sketch is None

    @property
    def count(self) -> int:
        """How many values were added."""
        return len(self.values) if self.values is not None else self._sketch().count

    def add(self, value: float) -> None:
        """Add one non-negative value."""
        if self.values is not None:
            self.values.append(value)
            if len(self.values) > self.exact_limit:
                self.sketch = QuantileSketch(self.relative_accuracy)
                for kept in self.values:
                    self.sketch.add(kept)
                self.values = None
        else:
            self._sketch().add(value)

    def quantiles(self, *qs: float) -> tuple[float, ...]:
        """The nearest-rank quantiles *qs* (exact, or within the sketch's bound)."""
        if self.values is not None:
            ordered = sorted(self.values)
            return tuple(nearest_rank(ordered, q) for q in qs)
        sketch = self._sketch()
        return tuple(sketch.quantile(q) for q in qs)

    def _sketch(self) -> QuantileSketch:
        assert self.sketch is not None
        return self.sketch
