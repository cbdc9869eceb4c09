"""Reading a job document: text from a path or a stream, one YAML document, a job.

Each step reports what is wrong and where (file, line, column) as a
:class:`~jobfsm.errors.JobFileError`. :func:`jobfsm.yamlio.load_job` reads with
these; :func:`_load_text` also serves text already in memory (a store's
documents) and :func:`_read` also reads lifecycle files. Nothing here writes,
so the writing side of :mod:`jobfsm.yamlio` stays apart from the error
locating that loading needs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from jobfsm._yamldialect import (
    MAX_BYTES,
    MAX_VALUES,
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
    service_from_dict,
    shape_problem,
    system_data_from_dict,
    typed_keys,
)
from jobfsm.errors import (
    InvalidHistoryError,
    JobFileError,
    JobFileHistoryError,
    JobFileStatusError,
    JobFileStructureError,
    JobFileSyntaxError,
    UnknownStatusError,
    UnsafeTagError,
    closest,
)
from jobfsm.job import JOB_CLASSES, GenericJob, Job, job_types
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.services import JobService, JobServiceType


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
