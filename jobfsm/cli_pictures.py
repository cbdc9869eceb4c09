"""The picture commands of the command line: ``diagram --full``, ``diagram --log``,
``stats`` and ``timeline``.

:func:`register` adds them to the parser built by :mod:`jobfsm.cli`, which
stays the only entry point; like it, these handlers return an exit status and
are the only code here that prints.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["register"]

Handler = Callable[[argparse.Namespace], int]


def register(sub: Any, diagram: argparse.ArgumentParser, draw_lifecycle: Handler) -> None:
    """Add the picture options to ``diagram`` and the picture subcommands to *sub*.

    Args:
        sub: The subparsers action of the ``jobfsm`` parser.
        diagram: The ``diagram`` subcommand's parser.
        draw_lifecycle: Its handler, called when no log is given.
    """
    diagram.add_argument(
        "--full",
        action="store_true",
        help="one arrow per (source, destination) pair instead of the grouped view",
    )
