"""An optional faster reader of event lines: msgspec, when the ``fast`` extra is installed.

It decodes only the three values validation needs (job, status, time) into a
small typed object and takes a line only when the standard library would
read the same values from it: the job and the status are strings, the time a
string, an integer, a float or null. Anything else (a number as job, ``NaN``,
a lone surrogate escape, a line that is not JSON, ...) raises one of
:data:`ERRORS`, and the line is read by ``json`` as it is without the extra.
``tests/test_fastjson.py`` checks the two readers against each other on
generated lines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

try:
    import msgspec
except ImportError:  # the extra is optional: the standard library reads every line
    msgspec = None  # type: ignore[assignment]

__all__ = ["ERRORS", "available", "decoder", "enabled"]

#: What the decoder raises for a line it does not take.
ERRORS: tuple[type[BaseException], ...] = (ValueError, RecursionError, UnicodeError)
if msgspec is not None:
    ERRORS = (msgspec.MsgspecError, *ERRORS)

#: Whether :func:`decoder` may return a decoder (tests and benchmarks turn it off).
enabled = True


def available() -> bool:
    """Whether msgspec is installed."""
    return msgspec is not None


def decoder(
    job_key: str, status_key: str, time_key: str | None
) -> tuple[Callable[[str], Any], type] | None:
    """A function decoding one line into an object with ``job``, ``status``, ``time``, and its type.

    ``None`` when msgspec is missing, when turned off, or when two keys are
    the same (the standard library then reads every line).
    """
    if msgspec is None or not enabled:
        return None
    keys = (job_key, status_key, time_key)
    if len(set(keys)) < len(keys):
        return None
    return _decoder(job_key, status_key, time_key)


@functools.cache
def _decoder(
    job_key: str, status_key: str, time_key: str | None
) -> tuple[Callable[[str], Any], type]:
    fields: list[Any] = [("job", str), ("status", str)]
    rename = {"job": job_key, "status": status_key}
    if time_key is not None:
        fields.append(("time", str | int | float | None, None))
        rename["time"] = time_key
    namespace: dict[str, Any] = {"_jobfsm_event": True}
    if time_key is None:
        namespace["time"] = None  # times are ignored: every row has none
    event = msgspec.defstruct("Event", fields, rename=rename, namespace=namespace, module=__name__)
    return msgspec.json.Decoder(event).decode, event
