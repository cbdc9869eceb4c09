"""The document form of jobs: plain dicts and lists, keys as Azure ML writes them.

Conversions between jobfsm objects (:class:`~jobfsm.job.Job`,
:class:`~jobfsm.job.JobService`, :class:`~jobfsm.job.SystemData`,
:class:`~jobfsm.machine.HistoryEntry`) and the values a YAML document holds.
No YAML here: :mod:`jobfsm.yamlio` reads and writes the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs

from jobfsm.errors import JobDumpError
from jobfsm.job import JOB_CLASSES, GenericJob, Job
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.services import JobService, SystemData

__all__ = [
    "HISTORY_ENTRY_KEYS",
    "HISTORY_KEY",
    "HISTORY_OPTIONAL_KEYS",
    "READ_ONLY_KEYS",
    "STATUS_KEY",
    "field_shapes",
    "history_from_list",
    "history_to_list",
    "job_to_dict",
    "service_from_dict",
    "service_to_dict",
    "shape_problem",
    "system_data_from_dict",
    "system_data_to_dict",
    "typed_keys",
]

#: Key of the current status; the name azure-ai-ml uses for ``Job.status``.
STATUS_KEY = "status"
#: Key of the list of applied events (``from``, ``to``, ``event``, ``at``).
HISTORY_KEY = "status_history"

# Keys written first, in the order azure-ai-ml's own documents use.
_HEAD = ("$schema", "type", "name", "display_name", "experiment_name", "description")
# Common fields after the head, before the type-specific ones.
_COMMON = ("tags", "properties", "compute")
# Service-owned fields, written after the user's keys.
READ_ONLY_KEYS = ("id", "creation_context", "log_files")
# Constructor arguments that are not document keys.
_NOT_KEYS = frozenset({"extras", "engine", "base_path", "type", *READ_ONLY_KEYS})
HISTORY_ENTRY_KEYS = ("from", "to", "event", "at")
#: Keys an entry may add, written only when set (older files have none of them).
HISTORY_OPTIONAL_KEYS = ("inferred", "reason", "source")


def service_to_dict(service: JobService) -> dict[str, Any]:
    """The document form of a :class:`JobService` (``type`` holds the service kind)."""
    data: dict[str, Any] = {}
    if service.job_service_type is not None:
        data["type"] = str(service.job_service_type)
    for key in ("endpoint", "nodes", "status", "port"):
        if getattr(service, key) is not None:
            data[key] = getattr(service, key)
    if service.properties:
        data["properties"] = dict(service.properties)
    data.update(service.extras)
    return data


def service_from_dict(data: Mapping[str, Any]) -> JobService:
    """Build a :class:`JobService` from its document form; unknown keys go to ``extras``.

    Raises:
        ValueError: an unknown service ``type`` or ``nodes`` other than ``all``.
    """
    fields = {"endpoint", "nodes", "status", "port", "properties"}
    known = {key: value for key, value in data.items() if key in fields}
    extras = {key: value for key, value in data.items() if key not in fields and key != "type"}
    return JobService(job_service_type=data.get("type"), extras=extras, **known)


def _iso(value: datetime) -> str:
    return value.isoformat()


def _parse_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(value, date):  # YAML reads an unquoted 2024-05-01 as a date
        raise ValueError(
            f"{value.isoformat()} is a date without a time; expected an ISO-8601 "
            f"date-time such as {value.isoformat()}T00:00:00Z"
        )
    raise ValueError(f"{value!r} is not an ISO-8601 date-time")


def system_data_to_dict(data: SystemData) -> dict[str, Any]:
    """The document form of :class:`SystemData`; date-times as ISO-8601 strings."""
    out: dict[str, Any] = {}
    for field in attrs.fields(SystemData):
        value = getattr(data, field.name)
        if value is not None:
            out[field.name] = _iso(value) if isinstance(value, datetime) else value
    return out


def system_data_from_dict(data: Mapping[str, Any]) -> SystemData:
    """Build :class:`SystemData` from its document form.

    Raises:
        ValueError: an unknown key or a date-time that is not ISO-8601.
    """
    names = [field.name for field in attrs.fields(SystemData)]
    unknown = [key for key in data if key not in names]
    if unknown:
        raise ValueError(f"unknown key(s) {unknown!r}; valid keys: {', '.join(names)}")
    values: dict[str, Any] = {
        key: _parse_time(value) if key.endswith("_at") and value is not None else value
        for key, value in data.items()
    }
    return SystemData(**values)


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:  # machine times are UTC-aware; naive ones are taken as UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def history_to_list(history: Iterable[HistoryEntry]) -> list[dict[str, Any]]:
    """The document form of a history: ``{from, to, event, at}`` with ``at`` in UTC.

    ``inferred``, ``reason`` and ``source`` are added to an entry when set.
    """
    out: list[dict[str, Any]] = []
    for e in history:
        item: dict[str, Any] = {
            "from": str(e.from_),
            "to": str(e.to),
            "event": e.event,
            "at": _utc_text(e.at),
        }
        if e.inferred:
            item["inferred"] = True
        if e.reason is not None:
            item["reason"] = e.reason
        if e.source is not None:
            item["source"] = e.source
        out.append(item)
    return out


def history_from_list(
    items: Iterable[Mapping[str, Any]], lifecycle: Lifecycle = DEFAULT_LIFECYCLE
) -> list[HistoryEntry]:
    """Build history entries from their document form (statuses checked, times in UTC).

    Raises:
        UnknownStatusError: a ``from``/``to`` that *lifecycle* lacks.
        ValueError: missing or extra keys, a non-string event, a bad time, an
            ``inferred`` that is not a boolean, a ``reason``/``source`` that is
            not a string.
    """
    entries = []
    for item in items:
        missing = [key for key in HISTORY_ENTRY_KEYS if key not in item]
        unexpected = [key for key in item if key not in HISTORY_ENTRY_KEYS + HISTORY_OPTIONAL_KEYS]
        if missing or unexpected:
            found = [f"missing {k!r}" for k in missing] + [f"unexpected {k!r}" for k in unexpected]
            raise ValueError(
                f"an entry needs the keys {', '.join(HISTORY_ENTRY_KEYS)} and may have "
                f"{', '.join(HISTORY_OPTIONAL_KEYS)} ({', '.join(found)})"
            )
        if not isinstance(item["event"], str):
            raise ValueError(f"event must be a string, got {item['event']!r}")
        inferred = item.get("inferred", False)
        if not isinstance(inferred, bool):
            raise ValueError(f"inferred must be true or false, got {inferred!r}")
        for key in ("reason", "source"):
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} must be a string, got {value!r}")
        at = _parse_time(item["at"])
        try:
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-01:00 is in year 10000 in UTC
            raise ValueError(f"{at.isoformat()} is beyond the date-times UTC can hold") from None
        source = lifecycle.status(item["from"], where="from")
        dest = lifecycle.status(item["to"], where="to")
        entries.append(
            HistoryEntry(
                source, dest, item["event"], at, inferred, item.get("reason"), item.get("source")
            )
        )
    return entries


def typed_keys(cls: type[Job]) -> list[str]:
    """Document keys that map to attributes of *cls*, in declaration order."""
    return [f.alias for f in attrs.fields(cls) if f.init and f.alias not in _NOT_KEYS]


_SHAPES: dict[type[Job], dict[str, str]] = {}


def field_shapes(cls: type[Job]) -> dict[str, str]:
    """Document key -> ``"mapping"`` or ``"string"`` for the modelled fields of *cls*
    whose annotation says so (``dict[...]`` or ``str | None``); others take any value."""
    shapes = _SHAPES.get(cls)
    if shapes is None:
        shapes = {}
        for field in attrs.fields(cls):
            if not field.init or field.alias in _NOT_KEYS or field.alias == "services":
                continue
            annotation = str(field.type)
            if annotation.startswith("dict["):
                shapes[field.alias] = "mapping"
            elif annotation == "str | None":
                shapes[field.alias] = "string"
        _SHAPES[cls] = shapes
    return shapes


def shape_problem(shape: str, value: object) -> tuple[str, str] | None:
    """(problem, what is expected) when *value* does not fit *shape* (see
    :func:`field_shapes`), else ``None``."""
    if value is None:
        return None
    if shape == "mapping" and not isinstance(value, Mapping):
        return f"is {_kind(value)}, not a mapping", "a mapping of names to values"
    if shape == "string" and not isinstance(value, str):
        return f"is {_kind(value)}, not a string", "a string (quote a number or date)"
    return None


def _kind(value: object) -> str:
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{value!r} (of type {type(value).__name__})"


def _is_default(cls: type[Job], key: str, value: Any) -> bool:
    field = next(f for f in attrs.fields(cls) if f.alias == key)
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return bool(value == default.factory())
    return bool(value is default)


def job_to_dict(job: Job, *, history: bool = True) -> dict[str, Any]:
    """The document form of *job*, keys in the order :func:`dump_job` writes them.

    Fields left at their default (``None`` or empty) are not written, as
    azure-ai-ml does; ``status`` and ``status_history`` are written once the
    job has left its initial status or has a history (``history=False``
    leaves ``status_history`` out: azure-ai-ml refuses that key).

    Raises:
        JobDumpError: ``extras`` holds a key that is not a string or that jobfsm
            writes itself, or a generic job's type names a modelled class.
    """
    cls = type(job)
    modelled = JOB_CLASSES.get(job.type.strip().lower())
    if cls is GenericJob and modelled is not None:  # load_job would not give it back
        raise JobDumpError(
            f"a generic job of type {job.type!r} cannot be written: the file would load "
            f"as a {modelled.__name__} (or not at all); create a {modelled.__name__}"
        )
    typed = typed_keys(cls)
    reserved = {*typed, "type", *READ_ONLY_KEYS, STATUS_KEY, HISTORY_KEY}
    not_text = [key for key in job.extras if not isinstance(key, str)]
    if not_text:  # load_job refuses them: the file could not be read back
        raise JobDumpError(f"extras key(s) {not_text!r} are not strings; use string keys")
    clash = [key for key in job.extras if key in reserved]
    if clash:
        raise JobDumpError(
            f"extras key(s) {clash!r} clash with keys jobfsm writes itself; "
            "set the attribute instead"
        )
    values: dict[str, Any] = {"type": job.type}
    shapes = field_shapes(cls)
    kept = job._kept_empty or ()
    for key in typed:
        value = getattr(job, key)
        if not _is_default(cls, key, value) or (key in kept and value == {}):
            problem = shape_problem(shapes[key], value) if key in shapes else None
            if problem:  # load_job would refuse the file
                raise JobDumpError(f"{key} {problem[0]}; expected {problem[1]}")
            values[key] = value
    if job.services:
        values["services"] = {name: service_to_dict(s) for name, s in job.services.items()}
    values.update(job.extras)
    specific = [key for key in typed if key != "services"]
    order = dict.fromkeys([*_HEAD, *_COMMON, *specific, "services", *job.extras])
    out = {key: values[key] for key in order if key in values}
    if job.id is not None:
        out["id"] = job.id
    if job.creation_context is not None:
        out["creation_context"] = system_data_to_dict(job.creation_context)
    if job.log_files is not None:
        out["log_files"] = dict(job.log_files)
    # Status and history change together under the job's lock; read them
    # together too, or a concurrent event could give a file that cannot load.
    with job._get_lock():
        status, entries = job.status, job.history
    if entries or status != job.lifecycle.initial:
        out[STATUS_KEY] = str(status)
        if history:
            out[HISTORY_KEY] = history_to_list(entries)
    return out
