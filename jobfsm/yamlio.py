"""YAML dump and load of job documents (the Azure ML job file format plus status).

A job file is read with a :class:`yaml.SafeLoader` subclass (nothing but plain
YAML values can be built) that keeps line numbers for error messages and that
reads only ``true``/``false`` as booleans, so ``on``/``off``/``yes``/``no``
stay the strings the user wrote. Every key of the document is kept: fields
jobfsm models go to the job's attributes, every other key to ``extras``.

Writing never overwrites and never leaves a partial file: the text is rendered
in memory, written to a temporary file in the destination folder, then
hard-linked into place (the link fails if the name exists, so there is no
window in which another writer's file could be replaced).

The conversions between jobs and plain values live in :mod:`jobfsm._yamldoc`;
they are re-exported here. Reading a document into a job, with the location of
each problem, is :mod:`jobfsm._yamlload`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

import yaml
import yaml.cyaml

from jobfsm._files import create_temp
from jobfsm._yamldialect import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_VALUES,
    Dumper,
)
from jobfsm._yamldoc import (
    HISTORY_KEY,
    STATUS_KEY,
    history_from_list,
    history_to_list,
    job_to_dict,
    service_from_dict,
    service_to_dict,
    system_data_from_dict,
    system_data_to_dict,
)
from jobfsm._yamlload import _load_text as _load_text
from jobfsm._yamlload import _parse as _parse  # jobfsm.store imports it from here
from jobfsm._yamlload import _read as _read
from jobfsm.errors import JobDumpError, JobFileExistsError, StreamNotWritableError
from jobfsm.job import Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

__all__ = [
    "HISTORY_KEY",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "STATUS_KEY",
    "dump_job",
    "history_from_list",
    "history_to_list",
    "job_to_dict",
    "load_job",
    "service_from_dict",
    "service_to_dict",
    "system_data_from_dict",
    "system_data_to_dict",
]

# -- dump ----------------------------------------------------------------------


def dump_job(
    job: Job, dest: str | os.PathLike[str] | IO[str], *, history: bool = True, **kwargs: Any
) -> None:
    """Write *job* as a YAML document to a new file or an open text stream.

    The whole text is rendered before anything is written, so a value YAML
    cannot hold fails without touching *dest*.

    Args:
        job: The job to write.
        dest: A path that must not exist yet, or a writable text stream.
        history: Write ``status_history``; ``False`` writes ``status`` alone,
            which azure-ai-ml also accepts.
        **kwargs: Passed to :func:`yaml.dump` (e.g. ``width``, ``indent``).

    Raises:
        JobFileExistsError: *dest* is a path that exists (a ``FileExistsError``);
            the file is left untouched.
        IsADirectoryError: *dest* is a folder.
        StreamNotWritableError: *dest* is a stream that is not writable (an
            ``OSError``).
        JobDumpError: the job holds a value YAML cannot represent, or the
            stream's encoding cannot hold its text.
        OSError: the folder cannot be written; no file is left behind.
    """
    if isinstance(dest, (str, bytes, os.PathLike)):
        path = os.fsdecode(dest)
        if "\x00" in path:
            raise JobDumpError(f"the path {path!r} contains a NUL character; no file can have it")
        if os.path.isdir(path):
            raise IsADirectoryError(
                errno.EISDIR, "is a folder; dump needs a file path such as folder/job.yml", path
            )
        if os.path.lexists(path):  # fail early; the link below re-checks atomically
            raise JobFileExistsError(path)
        _write_new_file(path, _render(job, history, kwargs))
        return
    if getattr(dest, "closed", False):
        raise StreamNotWritableError(dest, "is closed")
    if not callable(getattr(dest, "write", None)):
        raise TypeError(f"dump needs a path or a writable text stream, got {dest!r}")
    writable = getattr(dest, "writable", None)
    if writable is not None and not writable():
        raise StreamNotWritableError(dest)
    if isinstance(dest, (io.RawIOBase, io.BufferedIOBase)):
        raise TypeError("dump needs a text stream; open the file with mode 'w', not 'wb'")
    text = _render(job, history, kwargs)
    try:
        dest.write(text)  # a text stream encodes all of it before writing any
    except io.UnsupportedOperation as exc:
        raise StreamNotWritableError(dest) from exc
    except UnicodeEncodeError as exc:
        raise JobDumpError(
            f"the stream's encoding {exc.encoding!r} cannot hold "
            f"{exc.object[exc.start : exc.end]!r}; open it with encoding='utf-8'"
        ) from None


def _render(
    job: Job,
    history: bool,
    kwargs: Mapping[str, Any],
    *,
    status: bool = True,
    dumper: type[yaml.SafeDumper] | type[yaml.cyaml.CSafeDumper] = Dumper,
) -> str:
    options = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, **kwargs}
    data = job_to_dict(job, history=history)
    if not status:
        data.pop(STATUS_KEY, None)
    who = f"job {job.name!r}" if job.name else "the job"
    try:
        return str(yaml.dump(data, Dumper=dumper, **options))
    except yaml.representer.RepresenterError as exc:
        value = exc.args[1] if len(exc.args) > 1 else None
        where = _key_path(data, value) or "a value"
        if isinstance(value, tuple):
            where = _key_path(data, value, keys=True) or where
            raise JobDumpError(
                f"{who} cannot be written as YAML: {where} is the tuple {value!r}, which "
                "would load back as a list; use a list (a tuple key: use a string key)"
            ) from None
        if isinstance(value, int | datetime):
            raise JobDumpError(
                f"{who} cannot be written as YAML: {where} is {exc.args[0]}"
            ) from None
        raise JobDumpError(
            f"{who} cannot be written as YAML: {where} is {value!r}, of type "
            f"{type(value).__name__}; YAML holds mappings, lists, strings, numbers, "
            "booleans, null, dates and date-times"
        ) from exc
    except yaml.YAMLError as exc:
        raise JobDumpError(f"{who} cannot be written as YAML: {exc}") from exc
    except RecursionError:
        # Aliases are off, so a list or dict that contains itself never ends.
        raise JobDumpError(
            f"{who} cannot be written as YAML: a value contains itself (or is nested too deeply)"
        ) from None


def _key_path(
    data: Any, target: object, path: str = "", seen: set[int] | None = None, *, keys: bool = False
) -> str:
    """Where *target* is in *data* (``inputs.data.paths[1]``), or ``""``; with *keys*,
    a mapping key that is *target* is found too (``x_map key ('a', 'b')``)."""
    if data is target:
        return path
    seen = set() if seen is None else seen
    if isinstance(data, (dict, list, tuple)) and id(data) not in seen:
        seen.add(id(data))
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for key, value in items:
            if keys and isinstance(data, dict) and key is target:
                return f"{path or 'the document'} key {key!r}"
            step = f"{path and '.'}{key}" if isinstance(data, dict) else f"[{key}]"
            found = _key_path(value, target, path + step, seen, keys=keys)
            if found:
                return found
    return ""


def _write_new_file(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = create_temp(folder, path)  # the mode of a new file under the current umask
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # a full disk: name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, path) from exc
        try:
            os.link(temp, path)  # atomic, and refuses an existing name
        except FileExistsError:
            raise JobFileExistsError(path) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


# -- load ----------------------------------------------------------------------


def load_job(
    source: str | os.PathLike[str] | IO[str], *, lifecycle: Lifecycle = DEFAULT_LIFECYCLE
) -> Job:
    """Read a job document from a path or an open text stream.

    ``type`` picks the class (absent means ``command``; ``pipeline`` and
    ``sweep`` have their own classes; the other types of
    :func:`~jobfsm.job.job_types` give a :class:`~jobfsm.job.GenericJob`).
    Status and history are restored without firing events or observers.

    Args:
        source: A path or a readable text stream.
        lifecycle: The lifecycle the job follows (its statuses are checked).

    Raises:
        JobFileSyntaxError: the text is not one YAML document, or holds a
            value YAML cannot build (``2024-02-30``, ``!!bool maybe``).
        UnsafeTagError: the document uses a tag such as ``!!python/object``.
        JobFileStructureError: the document is not a mapping, ``type`` is not
            a known job type, a modelled field has the wrong shape, or the
            document exceeds a size limit (:data:`MAX_BYTES`, :data:`MAX_DEPTH`,
            :data:`MAX_VALUES`, :data:`MAX_INT_DIGITS`).
        JobFileStatusError: ``status`` is not a status of *lifecycle*.
        JobFileHistoryError: ``status_history`` is malformed or is not a chain
            of lifecycle edges ending at ``status``.
        OSError: the file cannot be read.
    """
    text, file, base = _read(source)
    return _load_text(text, file=file, base=base, lifecycle=lifecycle)
