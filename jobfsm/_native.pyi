import mmap
from collections.abc import Callable

def check(
    log: bytes | mmap.mmap,
    ranges: list[tuple[int, int]],
    keys: tuple[bytes | None, ...],
    statuses: tuple[bytes, ...],
    next: tuple[int, ...],
    start: int,
    terminal: int,
    require_terminal: bool,
    progress: Callable[[int, int], object] | None = None,
    max_lines: int = ...,
    /,
) -> tuple[int, int, bytes] | None: ...
