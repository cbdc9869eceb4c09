"""attrs job classes modelled on the Azure ML SDK v2 ``Job`` and its subclasses.

A job holds its fields, a status slot, its history and (once it is first
used from several threads) a lock. The state machine itself is shared by all
jobs of a lifecycle (see :mod:`jobfsm.machine`); a job only points at it.
The methods that move a job (events, observed statuses, observers, restore,
copies) live in :mod:`jobfsm._jobevents`, which ``Job`` inherits from; the
constructors, reprs and lazy dictionaries of the concrete classes are made by
:mod:`jobfsm._jobinit`.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from jobfsm import _jobinit
from jobfsm._jobevents import Aux, JobEvents
from jobfsm._jobinit import _aux_key, _dict_key, _history_of, _lazy_properties, _read_only
from jobfsm._jobtypes import AZURE_JOB_TYPES, allow_job_type, job_types
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import (
    HistoryEntry,
    entries,
)
from jobfsm.services import JobService, JobServiceType, SystemData

__all__ = [
    "AZURE_JOB_TYPES",
    "CommandJob",
    "GenericJob",
    "Job",
    "PipelineJob",
    "SweepJob",
    "allow_job_type",
    "job_types",
]


_ARM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)/jobs/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Job(JobEvents):
    """Base class of all jobs; instantiate a subclass such as :class:`CommandJob`.

    Args:
        name: Unique name; generated at submission (``start``) when missing.
        display_name: Name shown in Studio.
        description: Free text.
        tags: Tag dictionary.
        properties: Property dictionary.
        experiment_name: Defaults at submission to the current folder's name
            without spaces (``"Default"`` when that is empty).
        compute: Compute target.
        services: Name -> :class:`JobService` (or a mapping of its fields).
        lifecycle: The lifecycle whose events drive ``status``.
        **kwargs: Subclass fields, read-only fields restored from storage
            (``id``, ``creation_context``, ``log_files``, ``base_path``) and any
            other keyword, which is kept in ``extras`` and dumped back.

    Raises:
        TypeError: when ``Job`` itself is instantiated.
    """

    TYPE: ClassVar[str] = ""

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    _tags: dict[str, Any] | None = attrs.field(factory=dict, alias="tags", eq=_dict_key)
    _properties: dict[str, Any] | None = attrs.field(factory=dict, alias="properties", eq=_dict_key)
    experiment_name: str | None = None
    compute: str | None = None
    _services: dict[str, JobService] | None = attrs.field(
        factory=dict, alias="services", eq=_dict_key
    )
    _extras: dict[str, Any] | None = attrs.field(factory=dict, alias="extras", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def tags(self) -> dict[str, Any]: ...
        @tags.setter
        def tags(self, value: dict[str, Any]) -> None: ...

        @property
        def properties(self) -> dict[str, Any]: ...
        @properties.setter
        def properties(self, value: dict[str, Any]) -> None: ...

        @property
        def services(self) -> dict[str, JobService]: ...
        @services.setter
        def services(self, value: dict[str, JobService]) -> None: ...

        @property
        def extras(self) -> dict[str, Any]: ...
        @extras.setter
        def extras(self, value: dict[str, Any]) -> None: ...

    _base_path: Path | None = attrs.field(default=None, alias="base_path", eq=False)
    _creation_context: SystemData | None = attrs.field(default=None, alias="creation_context")
    _id: str | None = attrs.field(default=None, alias="id")
    _log_files: dict[str, str] | None = attrs.field(default=None, alias="log_files")
    _status: enum.StrEnum = attrs.field(init=False)
    # The job's engine, history (compact records, see machine.Record), lock,
    # observers and the mapping fields its source file wrote as an explicit
    # `{}`, in one object made when first needed (see JobEvents; a job of
    # the default lifecycle has none until then): one slot instead of five
    # keeps a job close to a record of its fields. Compared as its engine (one
    # per lifecycle value, so this compares lifecycles) and history entries,
    # shown as the history under the name `_history`. attrs.evolve passes it
    # back as `engine`, and the new job takes its engine only.
    _aux: Aux | None = attrs.field(
        default=None, alias="engine", eq=_aux_key, repr=lambda a: repr(_history_of(a))
    )

    def __init__(
        self,
        *,
        name: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        experiment_name: str | None = None,
        compute: str | None = None,
        services: Mapping[str, JobService | Mapping[str, Any]] | None = None,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        **kwargs: Any,
    ) -> None:
        # Concrete classes get a generated constructor (see _constructor); only
        # the abstract base (or a subclass that forgot the decorator) lands here.
        raise TypeError(
            f"{type(self).__name__} cannot be instantiated directly; use one of "
            "CommandJob, PipelineJob, SweepJob or GenericJob"
        )

    # -- read-only attributes ------------------------------------------------

    @_read_only
    def type(self) -> str:
        """The Azure ML job type (``command``, ``pipeline``, ``sweep``, ...)."""
        return self.TYPE

    @_read_only
    def status(self) -> enum.StrEnum:
        """Current status, a member of the lifecycle's status enum."""
        return self._status

    @_read_only
    def history(self) -> tuple[HistoryEntry, ...]:
        """Applied events, oldest first."""
        return entries(self._history)

    @_read_only
    def lifecycle(self) -> Lifecycle:
        """The lifecycle this job follows."""
        return self._engine.lifecycle

    @_read_only
    def mapped_status(self) -> enum.StrEnum | None:
        """``status`` in the terms of the lifecycle's ``maps_to`` target (``None`` without one).

        A job following the ``slurm`` profile in ``COMPLETING`` has the mapped
        status ``Finalizing``, a member of Azure ML's :class:`JobStatus`.
        """
        mapping = self._engine.lifecycle.maps_to
        return None if mapping is None else mapping(self._status)

    @_read_only
    def base_path(self) -> Path:
        """The folder the job was loaded from, else the current directory."""
        return self._base_path if self._base_path is not None else Path.cwd()

    @_read_only
    def creation_context(self) -> SystemData | None:
        """Creation and modification metadata, once the service has recorded it."""
        return self._creation_context

    @_read_only
    def id(self) -> str | None:
        """The ARM id, once assigned."""
        return self._id

    @_read_only
    def log_files(self) -> dict[str, str] | None:
        """Log name -> URL or path."""
        return self._log_files

    @_read_only
    def studio_url(self) -> str | None:
        """The Studio service's endpoint, else a URL derived from ``id``."""
        for service in self.services.values():
            if service.job_service_type is JobServiceType.STUDIO and service.endpoint:
                return service.endpoint
        match = _ARM_ID.match(self._id or "")
        if not match:
            return None
        return (
            f"https://ml.azure.com/runs/{match['name']}?wsid=/subscriptions/{match['sub']}"
            f"/resourcegroups/{match['rg']}/workspaces/{match['ws']}"
        )

    def assign_id(self, subscription_id: str, resource_group: str, workspace: str) -> str:
        """Set ``id`` to the ARM id of this job in *workspace* and return it.

        Raises:
            ValueError: when the job has no name yet (submit it first).
        """
        if not self.name:
            raise ValueError("a job needs a name before it gets an id; fire 'start' first")
        self._id = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{workspace}/jobs/{self.name}"
        )
        return self._id

    # -- YAML ----------------------------------------------------------------

    def dump(self, dest: str | os.PathLike[str] | IO[str], **kwargs: Any) -> None:
        """Write the job as YAML to a new file or an open text stream.

        Raises:
            FileExistsError: *dest* is a path that already exists (left untouched).
            OSError: *dest* is a stream that is not writable.
        """
        from jobfsm.yamlio import dump_job  # yamlio imports this module

        dump_job(self, dest, **kwargs)


_JobT = TypeVar("_JobT", bound=type[Job])


def _constructor(cls: _JobT) -> _JobT:
    """Give a concrete job class its generated constructor and repr (see :mod:`jobfsm._jobinit`)."""
    return _jobinit._constructor(cls, Job.__init__.__doc__)


_lazy_properties(Job)


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class CommandJob(Job):
    """A job that runs one command (``type: command``)."""

    TYPE: ClassVar[str] = "command"

    command: str | None = None
    code: str | None = None
    environment: Any = None
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)
    _environment_variables: dict[str, Any] | None = attrs.field(
        factory=dict, alias="environment_variables", eq=_dict_key
    )
    resources: Any = None
    distribution: Any = None
    limits: Any = None
    identity: Any = None

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...

        @property
        def environment_variables(self) -> dict[str, Any]: ...
        @environment_variables.setter
        def environment_variables(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class PipelineJob(Job):
    """A graph of child jobs (``type: pipeline``)."""

    TYPE: ClassVar[str] = "pipeline"

    _jobs: dict[str, Any] | None = attrs.field(factory=dict, alias="jobs", eq=_dict_key)
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)
    _settings: dict[str, Any] | None = attrs.field(factory=dict, alias="settings", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def jobs(self) -> dict[str, Any]: ...
        @jobs.setter
        def jobs(self, value: dict[str, Any]) -> None: ...

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...

        @property
        def settings(self) -> dict[str, Any]: ...
        @settings.setter
        def settings(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class SweepJob(Job):
    """A hyperparameter sweep over a trial job (``type: sweep``)."""

    TYPE: ClassVar[str] = "sweep"

    trial: Any = None
    _search_space: dict[str, Any] | None = attrs.field(
        factory=dict, alias="search_space", eq=_dict_key
    )
    sampling_algorithm: Any = None
    objective: Any = None
    limits: Any = None
    early_termination: Any = None
    _inputs: dict[str, Any] | None = attrs.field(factory=dict, alias="inputs", eq=_dict_key)
    _outputs: dict[str, Any] | None = attrs.field(factory=dict, alias="outputs", eq=_dict_key)

    if TYPE_CHECKING:  # made by _lazy_properties; declared here for type checkers

        @property
        def search_space(self) -> dict[str, Any]: ...
        @search_space.setter
        def search_space(self, value: dict[str, Any]) -> None: ...

        @property
        def inputs(self) -> dict[str, Any]: ...
        @inputs.setter
        def inputs(self, value: dict[str, Any]) -> None: ...

        @property
        def outputs(self) -> dict[str, Any]: ...
        @outputs.setter
        def outputs(self, value: dict[str, Any]) -> None: ...


@_constructor
@attrs.define(init=False, eq=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class GenericJob(Job):  # type: ignore[override]  # `type` is a required argument here
    """Any other Azure ML job type (``automl``, ``spark``, ``finetuning``, ...).

    Every field other than the common ones is kept in ``extras``. ``type``
    must be one of :func:`job_types`; :func:`allow_job_type` adds one.

    Raises:
        TypeError: ``type`` is not a string.
        UnknownJobTypeError: ``type`` is not a known job type (a ``ValueError``).
    """

    TYPE: ClassVar[str] = "generic"

    _type: str = attrs.field(alias="type")

    @_read_only
    def type(self) -> str:
        """The job type as written in the source document."""
        return self._type


#: Concrete classes by their ``type`` value.
JOB_CLASSES: dict[str, type[Job]] = {cls.TYPE: cls for cls in (CommandJob, PipelineJob, SweepJob)}
