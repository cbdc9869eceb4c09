"""New files written safely: a temporary file beside the destination, made with
the mode any new file gets under the current umask."""

from __future__ import annotations

import errno
import os
import secrets

__all__ = ["create_temp"]


def create_temp(folder: str, requested: str) -> tuple[int, str]:
    """Create an empty temporary file in *folder*; return its descriptor and path.

    The file is opened with mode 0666 and the kernel applies the umask in force
    now (a daemon may tighten it after importing jobfsm), which, unlike reading
    the umask with ``os.umask``, is safe while other threads run.

    Raises:
        OSError: the folder cannot be written; the error names *requested*,
            the file the caller was asked for, not the temporary name.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = os.path.join(folder, f".jobfsm-{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue  # another writer's temporary name: draw again
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, requested) from exc
    raise OSError(errno.EEXIST, "no free temporary name in the folder", requested)
