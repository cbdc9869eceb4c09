"""Generated job names of the form ``adjective_noun_xxxxxxxxxx``."""

from __future__ import annotations

import os

__all__ = ["NAME_COUNT", "SUFFIX_ALPHABET", "generate_name"]

#: The suffix alphabet: consonants and digits only, so no word can be spelled.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxyz0123456789"

_ADJECTIVES = (
    "amber",
    "bold",
    "brave",
    "calm",
    "clever",
    "crisp",
    "dreamy",
    "eager",
    "frosty",
    "gentle",
    "golden",
    "happy",
    "honest",
    "icy",
    "jolly",
    "keen",
    "lively",
    "lucid",
    "mellow",
    "nimble",
    "olive",
    "patient",
    "quiet",
    "quirky",
    "rapid",
    "silver",
    "sleepy",
    "steady",
    "sunny",
    "tender",
    "upbeat",
    "vivid",
    "witty",
    "zealous",
)
_NOUNS = (
    "anchor",
    "apple",
    "badger",
    "basil",
    "beacon",
    "canyon",
    "cedar",
    "comet",
    "coral",
    "falcon",
    "fern",
    "garden",
    "harbor",
    "heron",
    "island",
    "kettle",
    "lantern",
    "maple",
    "meadow",
    "needle",
    "orchid",
    "otter",
    "pepper",
    "pebble",
    "quill",
    "river",
    "rocket",
    "saddle",
    "spruce",
    "thistle",
    "tulip",
    "walrus",
    "willow",
)


#: How many names there are: every adjective, noun and 10-character suffix.
NAME_COUNT = len(_ADJECTIVES) * len(_NOUNS) * len(SUFFIX_ALPHABET) ** 10

# Two suffix characters at a time: five look-ups instead of ten.
_PAIRS = tuple(a + b for a in SUFFIX_ALPHABET for b in SUFFIX_ALPHABET)
# 128 random bits cover NAME_COUNT (about 2**60) many times over; drawing
# again above the largest multiple of it keeps every name equally likely and
# happens with a chance below 1e-20.
_LIMIT = (1 << 128) - (1 << 128) % NAME_COUNT


def generate_name() -> str:
    """Return a fresh name like ``calm_otter_4kx9q2lz7m`` (10-character suffix).

    Every name is equally likely: one number drawn uniformly below
    :data:`NAME_COUNT` (one read of the system's random source, as
    :mod:`secrets` reads it) is written in the mixed base of the three parts,
    which is the same distribution as drawing each part on its own, for a
    twelfth of the system calls.
    """
    number = _draw()
    number, adjective = divmod(number, len(_ADJECTIVES))
    number, noun = divmod(number, len(_NOUNS))
    pairs = _PAIRS
    suffix = []
    for _ in range(5):
        number, pair = divmod(number, 961)
        suffix.append(pairs[pair])
    return f"{_ADJECTIVES[adjective]}_{_NOUNS[noun]}_{''.join(suffix)}"


def _draw() -> int:
    """A number drawn uniformly below NAME_COUNT from the system's random source."""
    while True:
        number = int.from_bytes(os.urandom(16))
        if number < _LIMIT:
            return number % NAME_COUNT
