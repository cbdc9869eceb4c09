"""Percentiles: the exact nearest-rank rule, and the sketch's documented error bound."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm.quantiles import MIN_VALUE, Durations, QuantileSketch, nearest_rank

durations = st.lists(
    st.floats(min_value=1e-3, max_value=1e8, allow_nan=False) | st.just(0.0), min_size=1
)
quantiles = st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0]) | st.floats(0, 1)


def test_nearest_rank_is_one_of_the_values() -> None:
    """The q quantile of n values is the ceil(q*n)-th smallest (at least the first)."""
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert [nearest_rank(values, q) for q in (0, 0.2, 0.21, 0.5, 0.9, 1)] == [
        1.0, 1.0, 2.0, 3.0, 10.0, 10.0
    ]  # fmt: skip
    with pytest.raises(ValueError, match="between 0 and 1"):
        nearest_rank(values, 1.5)


@settings(max_examples=150, deadline=None)
@given(durations, quantiles, st.sampled_from([0.01, 0.05]))
def test_sketch_is_within_its_relative_accuracy(
    values: list[float], q: float, accuracy: float
) -> None:
    """|estimate - exact| <= accuracy * exact, for any values and any quantile."""
    sketch = QuantileSketch(accuracy)
    for value in values:
        sketch.add(value)
    exact = nearest_rank(sorted(values), q)
    estimate = sketch.quantile(q)
    if exact < MIN_VALUE:
        assert estimate == 0.0
    else:
        assert abs(estimate - exact) <= accuracy * exact * (1 + 1e-9)
    assert sketch.quantile(1.0) == max(values)


@settings(max_examples=50, deadline=None)
@given(durations, durations)
def test_merged_sketches_answer_like_one(a: list[float], b: list[float]) -> None:
    """Merging two sketches gives the sketch of all the values."""
    left, right, both = QuantileSketch(), QuantileSketch(), QuantileSketch()
    for value in a:
        left.add(value)
        both.add(value)
    for value in b:
        right.add(value)
        both.add(value)
    left.merge(right)
    assert left.count == both.count
    assert [left.quantile(q) for q in (0.5, 0.9, 0.99)] == [
        both.quantile(q) for q in (0.5, 0.9, 0.99)
    ]


def test_sketch_memory_is_bounded_by_the_range_not_the_count() -> None:
    """300,000 values from a microsecond to a century use a few thousand buckets."""
    sketch = QuantileSketch(0.01)
    value = 1e-6
    for _ in range(300_000):
        sketch.add(value)
        value = value * 1.000119 if value < 3.2e9 else 1e-6
    assert sketch.count == 300_000
    assert len(sketch.buckets) <= math.ceil(math.log(3.2e9 / 1e-6) / math.log(1.01 / 0.99)) + 1


def test_durations_are_exact_until_the_limit_then_sketched() -> None:
    """Durations keeps values exactly up to exact_limit, then answers within 1 %."""
    durations = Durations(exact_limit=100)
    for value in range(1, 101):
        durations.add(float(value))
    assert durations.exact
    assert durations.quantiles(0.5, 0.9, 1.0) == (50.0, 90.0, 100.0)
    durations.add(101.0)
    assert not durations.exact
    assert durations.count == 101
    p50, p90, top = durations.quantiles(0.5, 0.9, 1.0)
    assert abs(p50 - 51) <= 0.51
    assert abs(p90 - 91) <= 0.91
    assert top == 101.0


def test_bad_input_is_refused() -> None:
    """Negative values, NaN, empty sketches and bad accuracies raise ValueError."""
    sketch = QuantileSketch()
    with pytest.raises(ValueError, match="no values"):
        sketch.quantile(0.5)
    with pytest.raises(ValueError, match="non-negative"):
        sketch.add(-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        sketch.add(float("nan"))
    with pytest.raises(ValueError, match="relative_accuracy"):
        QuantileSketch(0)
    with pytest.raises(ValueError, match="different accuracies"):
        sketch.merge(QuantileSketch(0.05))
