"""Records a job carries that the service fills in: its services and creation metadata."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = ["JobService", "JobServiceType", "SystemData", "as_services"]


class JobServiceType(enum.StrEnum):
    """Kinds of services a job can expose (spellings as Azure ML writes them)."""

    SSH = "ssh"
    TENSOR_BOARD = "tensor_board"
    JUPYTER_LAB = "jupyter_lab"
    VS_CODE = "vs_code"
    CUSTOM = "custom"
    STUDIO = "Studio"
    TRACKING = "Tracking"
    RAY_DASHBOARD = "RayDashboard"


def _service_type(value: str | None) -> JobServiceType | None:
    if value is None:
        return None
    try:
        return JobServiceType(value)
    except ValueError:
        valid = ", ".join(repr(str(kind)) for kind in JobServiceType)
        raise ValueError(f"job_service_type {value!r} is not known (valid: {valid})") from None


def _nodes(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in (None, "all"):
        raise ValueError(f"{attribute.name} must be 'all' or None, got {value!r}")


def _port(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or not 0 < value < 65536:
        raise ValueError(f"{attribute.name} must be a TCP port number (1-65535), got {value!r}")


def _text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{attribute.name} must be a string or None, got {value!r}")


def _mapping(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"{attribute.name} must be a mapping, got {value!r}")


#: A service's keys in a job document; ``extras`` may not hold them.
SERVICE_KEYS = ("type", "endpoint", "nodes", "status", "port", "properties")


def _extras(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"{attribute.name} must be a mapping, got {value!r}")
    clash = [key for key in value if key in SERVICE_KEYS]
    if clash:
        raise ValueError(
            f"extras key(s) {', '.join(map(repr, clash))} are service fields; set the field "
            "instead (extras are for other keys)"
        )


@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class JobService:
    """An endpoint a running job exposes (SSH, TensorBoard, Studio, ...).

    Keys of a service that have no field here belong in ``extras``, which is
    dumped back as is.

    Raises:
        ValueError: an unknown ``job_service_type``, ``nodes`` other than ``"all"``,
            ``endpoint``/``status`` not a string, ``properties`` not a mapping, or
            an ``extras`` key that is one of the service's own keys.
    """

    endpoint: str | None = attrs.field(default=None, validator=_text)
    job_service_type: JobServiceType | None = attrs.field(default=None, converter=_service_type)
    nodes: str | None = attrs.field(default=None, validator=_nodes)
    status: str | None = attrs.field(default=None, validator=_text)
    port: int | None = attrs.field(default=None, validator=attrs.validators.optional(_port))
    properties: dict[str, Any] = attrs.field(factory=dict, validator=_mapping)
    extras: dict[str, Any] = attrs.field(factory=dict, validator=_extras)


@attrs.frozen(kw_only=True)
class SystemData:
    """Who created and last modified a resource, and when (``creation_context``)."""

    created_by: str | None = None
    created_by_type: str | None = None
    created_at: datetime | None = None
    last_modified_by: str | None = None
    last_modified_by_type: str | None = None
    last_modified_at: datetime | None = None


def as_services(value: Mapping[str, Any] | None) -> dict[str, JobService]:
    """Name -> :class:`JobService`, building services given as mappings of their fields.

    Raises:
        TypeError: a service that is neither a ``JobService`` nor a mapping,
            or a mapping with a key that is not a field.
        ValueError: a field value that :class:`JobService` refuses.
    """
    if not value:
        return {}
    services: dict[str, JobService] = {}
    for key, svc in value.items():
        if not isinstance(svc, JobService | Mapping):
            raise TypeError(
                f"service {key!r} must be a JobService or a mapping of its fields, got {svc!r}"
            )
        services[key] = svc if isinstance(svc, JobService) else JobService(**svc)
    return services
