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
they are re-exported here.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import yaml
import yaml.cyaml
from yaml.nodes import MappingNode, Node, SequenceNode

from jobfsm._files import create_temp
from jobfsm._yamldialect import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_VALUES,
    Dumper,
    FastLoader,
    LimitError,
    Loader,
    expanded_size,
    line_of,
)
from jobfsm._yamldoc import (
    HISTORY_ENTRY_KEYS,
    HISTORY_KEY,
    HISTORY_OPTIONAL_KEYS,
    READ_ONLY_KEYS,
    STATUS_KEY,
    field_shapes,
    history_from_list,
    history_to_list,
    job_to_dict,
    service_from_dict,
    service_to_dict,
    shape_problem,
    system_data_from_dict,
    system_data_to_dict,
    typed_keys,
)
from jobfsm.errors import (
    InvalidHistoryError,
    JobDumpError,
    JobFileError,
    JobFileExistsError,
    JobFileHistoryError,
    JobFileStatusError,
    JobFileStructureError,
    JobFileSyntaxError,
    StreamNotWritableError,
    UnknownStatusError,
    UnsafeTagError,
    closest,
)
from jobfsm.job import JOB_CLASSES, GenericJob, Job, job_types
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.services import JobService, JobServiceType

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


def _too_large(file: str | None) -> JobFileStructureError:
    return JobFileStructureError(
        f"the file is larger than {MAX_BYTES:,} bytes (MAX_BYTES)",
        key=None,
        expected="a job document of at most 1 MiB",
        file=file,
    )


def _mark_where(file: str | None, mark: yaml.Mark | None) -> dict[str, Any]:
    """Error location keywords; YAML marks count from 0, messages from 1."""
    if mark is None:
        return {"file": file}
    return {"file": file, "line": mark.line + 1, "column": mark.column + 1}


def _where(file: str | None, node: Node | None) -> dict[str, Any]:
    return _mark_where(file, None if node is None else node.start_mark)


def _read(source: str | os.PathLike[str] | IO[str]) -> tuple[str, str | None, Path | None]:
    """Return (text, file name for messages, base folder) of *source*.

    Text is decoded here, not by ``open``: the error then knows the bytes before
    the bad one, hence its line. (YAML reads CRLF and CR line breaks itself.)
    """
    if isinstance(source, (str, bytes, os.PathLike)):
        file: str | None = os.fsdecode(source)
        assert file is not None
        if "\x00" in file:
            raise JobFileError("the path contains a NUL character; no file can have it", file=file)
        with open(file, "rb") as handle:
            data: str | bytes = handle.read(MAX_BYTES + 1)
        base: Path | None = Path(os.path.abspath(file)).parent
    else:
        if not callable(getattr(source, "read", None)):
            raise TypeError(f"load_job needs a path or a readable text stream, got {source!r}")
        name = getattr(source, "name", None)
        file = name if isinstance(name, str) else None
        if getattr(source, "closed", False):
            raise JobFileError("the stream is closed; pass an open stream or a path", file=file)
        base = Path(os.path.abspath(file)).parent if file and os.path.isfile(file) else None
        try:
            data = source.read(MAX_BYTES + 1)
        except UnicodeDecodeError as exc:  # a text stream decoding as it reads
            raise _not_utf8(exc, file) from None
    if len(data) > MAX_BYTES or (isinstance(data, str) and len(data.encode()) > MAX_BYTES):
        raise _too_large(file)
    if isinstance(data, str):
        return data, file, base
    try:
        return data.decode("utf-8"), file, base
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, file) from None


def _not_utf8(exc: UnicodeDecodeError, file: str | None) -> JobFileSyntaxError:
    # exc.object is all the bytes read (a text stream's read() decodes them at
    # once too), so the line counts from where reading began, like YAML's marks.
    data = bytes(exc.object)
    before = data[: exc.start].decode("utf-8", errors="replace")
    return JobFileSyntaxError(
        f"not UTF-8 text: byte 0x{data[exc.start : exc.start + 1].hex()} ({exc.reason}); "
        "save the file as UTF-8",
        file=file,
        line=line_of(before, len(before)),
    )


def _parse(
    text: str, file: str | None, *, fast: bool = False
) -> tuple[MappingNode, dict[str, Any]]:
    try:
        # Loader checks every character YAML allows; FastLoader reads documents
        # jobfsm wrote itself.
        loader: Loader | FastLoader = FastLoader(text) if fast else Loader(text)
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise JobFileSyntaxError(
            f"character {chr(code)!r} (#x{code:04x}) is not allowed in YAML text; "
            "remove it or write it as an escape in a double-quoted string",
            file=file,
            line=line_of(text, exc.position),
        ) from None
    try:
        node = loader.get_single_node()
        if node is not None and not isinstance(node, MappingNode):
            kind = "a list" if isinstance(node, SequenceNode) else f"the value {node.value!r}"
            raise JobFileStructureError(
                f"the document is {kind}",
                key=None,
                expected="a mapping of job keys (type, command, jobs, ...)",
                **_where(file, node),
            )
        if node is None:
            raise JobFileStructureError(
                "the document is empty", key=None, expected="a mapping of job keys", file=file
            )
        if expanded_size(node, {}) > MAX_VALUES:
            raise JobFileStructureError(
                f"the document stands for more than {MAX_VALUES:,} values once its aliases "
                "are written out",
                key=None,
                expected=f"a job document of at most {MAX_VALUES:,} values, aliases written out",
                **_where(file, node),
            )
        data = loader.construct_document(node)
    except LimitError as exc:
        raise JobFileStructureError(
            str(exc.problem), key=None, expected=exc.expected, **_mark_where(file, exc.problem_mark)
        ) from None
    except yaml.constructor.ConstructorError as exc:
        where = _mark_where(file, exc.problem_mark)
        match = re.search(r"constructor for the tag '([^']*)'", exc.problem or "")
        if match:
            raise UnsafeTagError(match[1], **where) from None
        raise JobFileSyntaxError(str(exc.problem), **where) from None
    except yaml.MarkedYAMLError as exc:
        context = exc.context
        if context and exc.context_mark and exc.problem_mark:  # two places: name both
            context += f" (line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
        message = " ".join(filter(None, [context, exc.problem]))
        if "'\\t'" in message:  # PyYAML's words for a tab it cannot read
            message += "; indent with spaces (YAML does not allow tabs there)"
        where = _mark_where(file, exc.problem_mark or exc.context_mark)
        raise JobFileSyntaxError(message, **where) from None
    except yaml.YAMLError as exc:
        raise JobFileSyntaxError(str(exc), file=file) from None
    except RecursionError:  # the parser and composer recurse once per level
        raise JobFileSyntaxError(
            "the document is nested too deeply; expected at most a few hundred levels",
            **_mark_where(file, loader.get_mark()),
        ) from None
    finally:
        loader.dispose()
    return node, data


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


def _load_text(
    text: str,
    *,
    file: str | None,
    base: Path | None,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    fast: bool = False,
) -> Job:
    """:func:`load_job` for text already read; *file* is the name errors give.

    *fast* parses with libyaml (for documents jobfsm wrote: no aliases).

    Raises:
        JobFileError: as :func:`load_job`.
    """
    root, data = _parse(text, file, fast=fast)
    nodes: dict[str, Node] = {}  # top-level key -> value node, for error lines
    for key_node, value_node in root.value:
        if key_node.tag != "tag:yaml.org,2002:str":
            raise JobFileStructureError(
                f"top-level key {key_node.value!r} is not a string", key=None,
                expected=f"string keys (quote it: '{key_node.value}')",
                **_where(file, key_node),
            )  # fmt: skip
        nodes[key_node.value] = value_node
    cls, type_value = _job_class(data, file, nodes.get("type"))
    kwargs: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    typed = set(typed_keys(cls))
    shapes = field_shapes(cls)
    kept_empty = set()
    for key, value in data.items():
        if key in typed:
            problem = shape_problem(shapes[key], value) if key in shapes else None
            if problem:
                raise JobFileStructureError(
                    f"{key} {problem[0]}", key=key, expected=problem[1], **_where(file, nodes[key])
                )
            if isinstance(value, dict) and not value:
                kept_empty.add(key)
            kwargs[key] = value
        elif key not in ("type", STATUS_KEY, HISTORY_KEY, *READ_ONLY_KEYS):
            extras[key] = value
    kwargs.update(_read_only_fields(data, file, nodes))
    if "services" in data:
        kwargs["services"] = _services(data["services"], file, nodes["services"])
    if cls is GenericJob:
        kwargs["type"] = type_value
    job = cls(extras=extras, base_path=base, lifecycle=lifecycle, **kwargs)
    if kept_empty:
        job._kept_empty = frozenset(kept_empty)
    _restore(job, data, file, nodes)
    return job


def _job_class(
    data: Mapping[str, Any], file: str | None, node: Node | None
) -> tuple[type[Job], str]:
    value = data.get("type", "command")
    known = job_types()
    if isinstance(value, str) and value in known:
        return JOB_CLASSES.get(value, GenericJob), value
    suggestion = closest(value, known) if isinstance(value, str) else None
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    raise JobFileStructureError(
        f"type {value!r} is not a job type{hint}",
        key="type",
        expected=f"one of {', '.join(map(repr, sorted(known)))}, spelled exactly "
        "(jobfsm.allow_job_type(name) allows another)",
        **_where(file, node),
    )


def _read_only_fields(
    data: Mapping[str, Any], file: str | None, nodes: Mapping[str, Node]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.get("id") is not None:
        if not isinstance(data["id"], str):
            raise JobFileStructureError(
                f"id {data['id']!r} is not a string", key="id",
                expected="an ARM id string", **_where(file, nodes["id"]),
            )  # fmt: skip
        out["id"] = data["id"]
    if data.get("creation_context") is not None:
        value = data["creation_context"]
        try:
            if not isinstance(value, Mapping):
                raise ValueError("not a mapping")
            out["creation_context"] = system_data_from_dict(value)
        except (ValueError, TypeError) as exc:
            raise JobFileStructureError(
                f"creation_context: {exc}", key="creation_context",
                expected="a mapping of created_by, created_at (ISO-8601), ...",
                **_where(file, nodes["creation_context"]),
            ) from None  # fmt: skip
    if data.get("log_files") is not None:
        value = data["log_files"]
        if not isinstance(value, Mapping):
            raise JobFileStructureError(
                "log_files is not a mapping", key="log_files",
                expected="a mapping of log name to URL or path",
                **_where(file, nodes["log_files"]),
            )  # fmt: skip
        out["log_files"] = dict(value)
    return out


def _services(value: Any, file: str | None, node: Node) -> dict[str, JobService]:
    kinds = ", ".join(repr(str(k)) for k in JobServiceType)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise JobFileStructureError(
            "services is not a mapping", key="services",
            expected="a mapping of service name to {type, endpoint, nodes, port, ...}",
            **_where(file, node),
        )  # fmt: skip
    items = {key.value: value for key, value in node.value}
    out = {}
    for name, spec in value.items():
        where = _where(file, items.get(str(name), node))
        try:
            if not isinstance(spec, Mapping):
                raise ValueError("not a mapping")
            out[name] = service_from_dict(spec)
        except (ValueError, TypeError) as exc:
            raise JobFileStructureError(
                f"service {name!r}: {exc}", key="services",
                expected=f"a mapping whose type is one of {kinds} and nodes 'all' or absent",
                **where,
            ) from None  # fmt: skip
    return out


def _restore(
    job: Job, data: Mapping[str, Any], file: str | None, nodes: Mapping[str, Node]
) -> None:
    lifecycle = job.lifecycle
    history_data = data.get(HISTORY_KEY)
    if STATUS_KEY not in data and history_data is None:
        return
    history_node = nodes.get(HISTORY_KEY)
    items = history_data if history_data is not None else []
    if not isinstance(items, list):
        raise JobFileHistoryError(
            f"{HISTORY_KEY} is not a list; expected a list of {{from, to, event, at}}",
            index=None,
            **_where(file, history_node),
        )
    item_nodes = history_node.value if isinstance(history_node, SequenceNode) else []
    entries: list[HistoryEntry] = []
    for index, item in enumerate(items):
        where = _where(file, item_nodes[index] if index < len(item_nodes) else history_node)
        try:
            if not isinstance(item, Mapping):
                raise ValueError("not a mapping")
            entries.extend(history_from_list([item], lifecycle))
        except UnknownStatusError as exc:
            raise JobFileStatusError(
                exc.status, exc.known, key=f"{HISTORY_KEY}[{index}]", **where
            ) from None
        except (ValueError, TypeError) as exc:
            raise JobFileHistoryError(
                f"{HISTORY_KEY}[{index}]: {exc}; expected a mapping of "
                f"{', '.join(HISTORY_ENTRY_KEYS)} (at: ISO-8601 UTC date-time), optionally "
                f"{', '.join(HISTORY_OPTIONAL_KEYS)}",
                index=index,
                **where,
            ) from None
    if STATUS_KEY in data:
        status = data[STATUS_KEY]
        try:
            lifecycle.status(status)
        except UnknownStatusError as exc:
            raise JobFileStatusError(
                status, exc.known, key=STATUS_KEY, **_where(file, nodes[STATUS_KEY])
            ) from None
    else:  # a history without a status ends where the history ends
        status = entries[-1].to if entries else lifecycle.initial
    try:
        job.restore(status, entries)
    except InvalidHistoryError as exc:
        node = item_nodes[exc.index] if 0 <= exc.index < len(item_nodes) else history_node
        raise JobFileHistoryError(
            f"{HISTORY_KEY}: {exc} (status {str(status)!r}); a history must be a chain of "
            f"lifecycle events ending at the status",
            index=exc.index,
            **_where(file, node),
        ) from None
