"""Generated job names of the form ``adjective_noun_xxxxxxxxxx``."""

from __future__ import annotations

import secrets

__all__ = ["SUFFIX_ALPHABET", "generate_name"]

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


def generate_name() -> str:
    """Return a fresh name like ``calm_otter_4kx9q2lz7m`` (10-character suffix)."""
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(10))
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}_{suffix}"
