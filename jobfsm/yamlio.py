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
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jobfsm._yamldoc import (
    HISTORY_ENTRY_KEYS,
    HISTORY_KEY,
    HISTORY_OPTIONAL_KEYS,
    READ_ONLY_KEYS,
    STATUS_KEY,
    history_from_list,
    history_to_list,
    job_to_dict,
    service_from_dict,
    service_to_dict,
    system_data_from_dict,
    system_data_to_dict,
    typed_keys,
)
from jobfsm.errors import (
    InvalidHistoryError,
    JobDumpError,
    JobFileExistsError,
    JobFileHistoryError,
    JobFileStatusError,
    JobFileStructureError,
    JobFileSyntaxError,
    StreamNotWritableError,
    UnknownStatusError,
    UnsafeTagError,
)
from jobfsm.job import JOB_CLASSES, GenericJob, Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.services import JobService, JobServiceType

__all__ = [
    "HISTORY_KEY",
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

# -- YAML dialect --------------------------------------------------------------


# Implicit tags the loader does not resolve: YAML 1.1's yes/no/on/off booleans
# (re-added below as true/false only), and `=`, the `value` tag, which no safe
# constructor builds: plain `=` is the string '='.
_DROPPED_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:value")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """Safe loading, with YAML 1.2 booleans (only true/false, any case form).

    An alias used inside the value its anchor names (``&a [*a]``) is refused:
    the recursive value it builds cannot be compared or written back.
    """

    # A filtered copy, in new lists, so that add_implicit_resolver below never
    # touches SafeLoader's own table.
    yaml_implicit_resolvers = {  # noqa: RUF012 - the class-level table PyYAML reads
        first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open_anchors: set[str] = set()  # anchors of the collections being composed

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # PyYAML refuses to define an anchor twice, so a name is open at most once.
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open_anchors:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} is inside the value anchored as {event.anchor!r} "
                "(a value cannot contain itself)",
                event.start_mark,  # type: ignore[arg-type]
            )
        if not isinstance(event, yaml.CollectionStartEvent) or event.anchor is None:
            return super().compose_node(parent, index)
        self._open_anchors.add(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.discard(event.anchor)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        # YAML requires unique keys; PyYAML would keep the last value silently.
        # Keys merged in with `<<` may be overridden, so only the mapping's own
        # scalar keys are compared (before SafeConstructor flattens the merges).
        first: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node)
            if key in first:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is written a second time in this mapping (first at line "
                    f"{first[key].start_mark.line + 1}); a key may appear once",
                    key_node.start_mark,
                )
            first[key] = key_node
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases, multi-line strings as literal blocks.

    The resolver is SafeDumper's (YAML 1.1), a superset of what :class:`_Loader`
    turns into non-strings, so a string such as ``'on'`` is always quoted and
    reads back as a string here and in azure-ai-ml alike.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


_FOLDED_BREAKS = "\x85\u2028\u2029\r"


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # PyYAML would write these unescaped in plain or block scalars, and a reader
    # folds them into spaces; double quotes escape them (\N, \L, \P, \r).
    if any(ch in data for ch in _FOLDED_BREAKS):
        style: str | None = '"'
    else:  # the emitter falls back to quoting when a literal block cannot hold the text
        style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


# -- dump ----------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: os.umask can only be read by setting it, which is not thread-safe.
_FILE_MODE = 0o666 & ~_umask()


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
    if isinstance(dest, (str, os.PathLike)):
        path = os.fspath(dest)
        if os.path.isdir(path):
            raise IsADirectoryError(
                errno.EISDIR, "is a folder; dump needs a file path such as folder/job.yml", path
            )
        if os.path.lexists(path):  # fail early; the link below re-checks atomically
            raise JobFileExistsError(path)
        _write_new_file(path, _render(job, history, kwargs))
        return
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


def _render(job: Job, history: bool, kwargs: Mapping[str, Any]) -> str:
    options = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, **kwargs}
    data = job_to_dict(job, history=history)
    who = f"job {job.name!r}" if job.name else "the job"
    try:
        return str(yaml.dump(data, Dumper=_Dumper, **options))
    except yaml.representer.RepresenterError as exc:
        value = exc.args[1] if len(exc.args) > 1 else None
        where = _key_path(data, value) or "a value"
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


def _key_path(data: Any, target: object, path: str = "", seen: set[int] | None = None) -> str:
    """Where *target* is in *data* (``inputs.data.paths[1]``), or ``""``."""
    if data is target:
        return path
    seen = set() if seen is None else seen
    if isinstance(data, (dict, list, tuple)) and id(data) not in seen:
        seen.add(id(data))
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for key, value in items:
            step = f"{path and '.'}{key}" if isinstance(data, dict) else f"[{key}]"
            found = _key_path(value, target, path + step, seen)
            if found:
                return found
    return ""


def _write_new_file(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=".jobfsm-", suffix=".tmp", dir=folder)
    except OSError as exc:
        # Report the file asked for, not the temporary name (OSError(errno, ...)
        # gives the same subclass: FileNotFoundError, PermissionError, ...).
        raise OSError(exc.errno, exc.strerror, path) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), _FILE_MODE)  # mkstemp makes 0600 files
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # atomic, and refuses an existing name
        except FileExistsError:
            raise JobFileExistsError(path) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


# -- load ----------------------------------------------------------------------


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
    if isinstance(source, (str, os.PathLike)):
        file: str | None = os.fspath(source)
        with open(source, "rb") as handle:
            data: str | bytes = handle.read()
        base: Path | None = Path(os.path.abspath(source)).parent
    else:
        name = getattr(source, "name", None)
        file = name if isinstance(name, str) else None
        base = Path(os.path.abspath(file)).parent if file and os.path.isfile(file) else None
        try:
            data = source.read()
        except UnicodeDecodeError as exc:  # a text stream decoding as it reads
            raise _not_utf8(exc, file) from None
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
    return JobFileSyntaxError(
        f"not UTF-8 text: byte 0x{data[exc.start : exc.start + 1].hex()} ({exc.reason}); "
        "save the file as UTF-8",
        file=file,
        line=data.count(b"\n", 0, exc.start) + 1,
    )


def _parse(text: str, file: str | None) -> tuple[MappingNode, dict[str, Any]]:
    loader = _Loader(text)
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
        if _expanded_size(node, {}) > MAX_VALUES:
            raise JobFileStructureError(
                f"the document's aliases expand to more than {MAX_VALUES:,} values"
                " (an alias bomb?)",
                key=None,
                expected="a job document whose values, aliases written out, fit in memory",
                **_where(file, node),
            )
        data = loader.construct_document(node)
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


#: The most values a job document may hold once its aliases are written out.
#: Aliases are shared when loaded, but comparing or dumping a job walks every
#: copy; the largest corpus file holds a few hundred.
MAX_VALUES = 1_000_000


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many nodes *node* stands for with every alias written out (memoised)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(
            _expanded_size(key, sizes) + _expanded_size(value, sizes) for key, value in node.value
        )
    sizes[id(node)] = size
    return size


def load_job(
    source: str | os.PathLike[str] | IO[str], *, lifecycle: Lifecycle = DEFAULT_LIFECYCLE
) -> Job:
    """Read a job document from a path or an open text stream.

    ``type`` picks the class (absent means ``command``; ``pipeline`` and
    ``sweep`` have their own classes; any other string gives a
    :class:`~jobfsm.job.GenericJob`). Status and history are restored without
    firing events or observers.

    Args:
        source: A path or a readable text stream.
        lifecycle: The lifecycle the job follows (its statuses are checked).

    Raises:
        JobFileSyntaxError: the text is not one YAML document.
        UnsafeTagError: the document uses a tag such as ``!!python/object``.
        JobFileStructureError: the document is not a mapping, ``type`` is not
            a non-empty string, or a modelled field has the wrong shape.
        JobFileStatusError: ``status`` is not a status of *lifecycle*.
        JobFileHistoryError: ``status_history`` is malformed or is not a chain
            of lifecycle edges ending at ``status``.
        OSError: the file cannot be read.
    """
    text, file, base = _read(source)
    return _load_text(text, file=file, base=base, lifecycle=lifecycle)


def _load_text(
    text: str, *, file: str | None, base: Path | None, lifecycle: Lifecycle = DEFAULT_LIFECYCLE
) -> Job:
    """:func:`load_job` for text already read; *file* is the name errors give.

    Raises:
        JobFileError: as :func:`load_job`.
    """
    root, data = _parse(text, file)
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
    for key, value in data.items():
        if key in typed:
            kwargs[key] = value
        elif key not in ("type", STATUS_KEY, HISTORY_KEY, *READ_ONLY_KEYS):
            extras[key] = value
    kwargs.update(_read_only_fields(data, file, nodes))
    if "services" in data:
        kwargs["services"] = _services(data["services"], file, nodes["services"])
    if cls is GenericJob:
        kwargs["type"] = type_value
    job = cls(extras=extras, base_path=base, lifecycle=lifecycle, **kwargs)
    _restore(job, data, file, nodes)
    return job


def _job_class(
    data: Mapping[str, Any], file: str | None, node: Node | None
) -> tuple[type[Job], str]:
    value = data.get("type", "command")
    if not isinstance(value, str) or not value.strip():
        raise JobFileStructureError(
            f"type {value!r} is not a job type",
            key="type",
            expected=f"one of {', '.join(map(repr, JOB_CLASSES))} (any other non-empty "
            "string such as 'automl' loads as a generic job)",
            **_where(file, node),
        )
    known = value.strip().lower()
    if value not in JOB_CLASSES and known in JOB_CLASSES:  # azure-ai-ml refuses these too
        raise JobFileStructureError(
            f"type {value!r} is not a job type (did you mean {known!r}?)",
            key="type",
            expected=f"one of {', '.join(map(repr, JOB_CLASSES))}, spelled exactly",
            **_where(file, node),
        )
    return JOB_CLASSES.get(value, GenericJob), value


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
