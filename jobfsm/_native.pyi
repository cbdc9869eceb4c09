import mmap

def check(
    log: bytes | mmap.mmap,
    ranges: list[tuple[int, int]],
    keys: tuple[bytes | None, ...],
    statuses: tuple[bytes, ...],
    next: tuple[int, ...],
    start: int,
    terminal: int,
    require_terminal: bool,
    /,
) -> tuple[int, int] | None: ...
