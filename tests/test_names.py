"""Generated names: one random draw, every name equally likely."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import names
from jobfsm.names import NAME_COUNT, SUFFIX_ALPHABET, generate_name


def _number(name: str) -> int:
    """The inverse of generate_name's decoding: a name back to its draw."""
    adjective, noun, suffix = name.split("_")
    number = 0
    for pair in reversed([suffix[i : i + 2] for i in range(0, 10, 2)]):
        digit = SUFFIX_ALPHABET.index(pair[0]) * 31 + SUFFIX_ALPHABET.index(pair[1])
        number = number * 31**2 + digit
    number = number * len(names._NOUNS) + names._NOUNS.index(noun)
    return number * len(names._ADJECTIVES) + names._ADJECTIVES.index(adjective)


@given(draw=st.one_of(st.integers(0, NAME_COUNT - 1), st.sampled_from([0, NAME_COUNT - 1])))
def test_each_draw_is_one_name_and_back(draw: int) -> None:
    """Draws and names correspond one to one, so a uniform draw gives a uniform name."""
    with pytest.MonkeyPatch.context() as patch:
        calls: list[int] = []

        def urandom(size: int) -> bytes:
            calls.append(size)
            return draw.to_bytes(size)

        patch.setattr(os, "urandom", urandom)
        name = generate_name()
    assert calls == [16]  # one draw
    assert _number(name) == draw
    assert len(name.rsplit("_", 1)[1]) == 10


def test_name_count_covers_every_part() -> None:
    """NAME_COUNT is the product of the choices of each part: nothing left out or doubled."""
    assert len(set(names._ADJECTIVES)) == len(names._ADJECTIVES)
    assert len(set(names._NOUNS)) == len(names._NOUNS)
    assert len(names._ADJECTIVES) * len(names._NOUNS) * 31**10 == NAME_COUNT
    assert all("_" not in word for word in names._ADJECTIVES + names._NOUNS)


def test_a_draw_above_the_last_whole_multiple_is_drawn_again() -> None:
    """Numbers at the top of the 128-bit range, which would favour some names, are redrawn."""
    draws = iter([(1 << 128) - 1, 5])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "urandom", lambda size: next(draws).to_bytes(size))
        name = generate_name()
    assert _number(name) == 5


def test_generated_names_differ() -> None:
    """Names drawn from the system's random source do not repeat (2**60 names)."""
    assert len({generate_name() for _ in range(1000)}) == 1000
