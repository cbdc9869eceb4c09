"""attrs job classes modelled on the Azure ML SDK v2 ``Job`` and its subclasses.

A job holds its fields, a status slot, its history and (once it is first
used from several threads) a lock. The state machine itself is shared by all
jobs of a lifecycle (see :mod:`jobfsm.machine`); a job only points at it.
The methods that move a job (events, observed statuses, observers, restore,
copies) live in :mod:`jobfsm._jobevents`, which ``Job`` inherits from.
"""

from __future__ import annotations

import enum
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, overload

import attrs

from jobfsm._jobevents import _LOCK_INIT, Aux, JobEvents
from jobfsm._jobevents import DEFAULT_ENGINE as _DEFAULT_ENGINE
from jobfsm._jobtypes import AZURE_JOB_TYPES, allow_job_type, job_type, job_types, one_edit
from jobfsm.errors import (
    ReadOnlyAttributeError,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import (
    Engine,
    HistoryEntry,
    engine_for,
    entries,
)
from jobfsm.services import JobService, JobServiceType, SystemData, as_services

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

_T = TypeVar("_T")


def _dict_key(value: dict[Any, Any] | None) -> dict[Any, Any]:
    """Compare a dictionary field not made yet (``None``) as the empty dictionary it stands for."""
    return {} if value is None else value


class _lazy_dict:
    """A dictionary attribute made on first access, so that a job costs no empty dictionaries.

    The value lives in the slot ``_<name>`` (``None`` until read); reading the
    attribute makes the job's own dictionary under a short lock, so two
    threads touching a fresh job's ``tags`` get the same dictionary and no
    write is lost. Assigning stores the value as given.
    """

    def __init__(self, slot: Any, name: str) -> None:
        self._get = slot.__get__
        self._set = slot.__set__
        self.__name__ = name
        self.__doc__ = f"The job's {name} (a dictionary of its own, made on first use)."

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = self._get(obj)
        if value is None:
            with _LOCK_INIT:
                value = self._get(obj)
                if value is None:
                    value = {}
                    self._set(obj, value)
        return value

    def __set__(self, obj: object, value: object) -> None:
        self._set(obj, value)


class _read_only(Generic[_T]):
    """A property whose assignment raises :class:`ReadOnlyAttributeError` with a hint."""

    def __init__(self, fget: Callable[[Any], _T]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__
        self.name = fget.__name__

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _read_only[_T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _T: ...
    def __get__(self, obj: object, objtype: type | None = None) -> _T | _read_only[_T]:
        return self if obj is None else self.fget(obj)

    def __set__(self, obj: object, value: object) -> NoReturn:
        raise ReadOnlyAttributeError(self.name, _READ_ONLY_HINTS[self.name])


_READ_ONLY_HINTS = {
    "status": "fire a lifecycle event instead, e.g. job.run() or job.fire('run')",
    "type": "it is fixed by the job class",
    "id": "the service assigns it; use assign_id() after submission",
    "base_path": "it is the folder the job was loaded from",
    "creation_context": "the service records it",
    "log_files": "the service records them",
    "studio_url": "it is derived from the Studio service or the id",
    "history": "it records applied events",
    "lifecycle": "a job keeps the lifecycle it was created with",
    "mapped_status": "it follows status through the lifecycle's maps_to",
}


def _history_of(aux: Aux | None) -> tuple[HistoryEntry, ...]:
    """The history entries a job's auxiliary object holds (none without one)."""
    return entries(None if aux is None else aux.history)


def _aux_key(aux: Aux | None) -> tuple[Engine, tuple[HistoryEntry, ...]]:
    """What equality compares of a job's auxiliary object: its engine and history."""
    return (_DEFAULT_ENGINE if aux is None else aux.engine, _history_of(aux))


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


class _DefaultLifecycle:
    """The constructors' default ``lifecycle``: DEFAULT_LIFECYCLE, told apart from
    DEFAULT_LIFECYCLE named on purpose (``attrs.evolve(job, lifecycle=...)``)."""

    def __repr__(self) -> str:
        return "DEFAULT_LIFECYCLE"


_LIFECYCLE_NOT_GIVEN: Any = _DefaultLifecycle()


def _engine_of(lifecycle: Lifecycle, kwargs: dict[str, Any]) -> Engine:
    """The engine for a constructor call that names a lifecycle or has extra keywords."""
    given = kwargs.get("engine")
    if (given is None and "engine" in kwargs) or isinstance(given, Aux | Engine):
        # attrs.evolve passes the job's auxiliary object (None for a job of the
        # default lifecycle not used yet) back under the field's alias; a
        # lifecycle named in the same call wins.
        del kwargs["engine"]
        if isinstance(given, Aux):
            given = given.engine
        if lifecycle is _LIFECYCLE_NOT_GIVEN:
            return _DEFAULT_ENGINE if given is None else given
    if lifecycle is _LIFECYCLE_NOT_GIVEN or lifecycle is DEFAULT_LIFECYCLE:
        return _DEFAULT_ENGINE
    return engine_for(lifecycle)


_JobT = TypeVar("_JobT", bound=type[Job])


def _check_keywords(cls: type[Job], kwargs: Mapping[str, Any], accepted: set[str]) -> None:
    """Refuse a keyword that names a read-only attribute or is one edit from a
    parameter: a typo would otherwise land silently in ``extras``. *accepted*
    holds the class's keywords already found fine (the constructor skips this
    call when they cover all of *kwargs*)."""
    for key in kwargs:
        if key in accepted:
            continue
        if key in _READ_ONLY_HINTS:
            raise TypeError(
                f"{cls.__name__}() got {key!r}, but {key!r} is read-only: {_READ_ONLY_HINTS[key]}"
            )
        params = [f.alias for f in attrs.fields(cls) if f.init and f.alias != "engine"]
        near = [p for p in [*params, "lifecycle"] if one_edit(key, p)]
        if near:
            raise TypeError(
                f"{cls.__name__}() got an unexpected keyword {key!r}; did you mean "
                f"{near[0]!r}? (to keep {key!r} as an extra key, pass extras={{{key!r}: ...}})"
            )
        if len(accepted) < 1024:
            accepted.add(key)


# Arguments the generated constructor converts rather than storing as given.
_CONVERT = {
    "services": "as_services(services) if services else None",
    "type": "_job_type(type)",
    "base_path": "None if base_path is None else Path(base_path)",
    "extras": "(kwargs or None) if extras is None else {**extras, **kwargs}",
}


def _is_lazy(field: attrs.Attribute[Any]) -> bool:
    """Whether *field* is a dictionary made on first access (see :class:`_lazy_dict`)."""
    return field.name == f"_{field.alias}" and isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]


def _lazy_properties(cls: type) -> None:
    """Give *cls* the public attribute of each lazy dictionary slot it defines."""
    for field in attrs.fields(cls):
        if _is_lazy(field) and field.name in cls.__dict__ and field.alias not in cls.__dict__:
            setattr(cls, field.alias, _lazy_dict(cls.__dict__[field.name], field.alias))


_lazy_properties(Job)
_REPRING = threading.local()


#: Constructor arguments a scheduler rarely passes (restored from storage, or a
#: lifecycle): the fast constructor takes them through ``**kwargs`` and hands
#: the call to the full one, so the common call pays no default for them.
_RARE = frozenset({"extras", "base_path", "creation_context", "id", "log_files", "lifecycle"})


def _constructor(cls: _JobT) -> _JobT:
    """Give a concrete job class a constructor (and repr) generated from its attrs fields.

    Creating jobs is on a scheduler's hot path, so the constructor is built
    once per class, like attrs' own, in two parts. The full constructor has
    an explicit keyword parameter for every field, and the ``**kwargs`` dict
    it receives becomes ``extras`` as is. The one installed as ``__init__``
    names only the common fields: a call without other keywords stores them
    and the defaults directly; any other keyword (a rare field, a lifecycle,
    an extra key) hands the whole call to the full constructor. Dictionaries
    (``tags``, ``inputs``, ...) not given are made when first read, so a job
    costs what a record of its fields costs.
    """
    _lazy_properties(cls)
    params: list[str] = []
    fast_params: list[str] = []
    body = [
        "    engine = _DEFAULT_ENGINE if lifecycle is _LIFECYCLE_NOT_GIVEN"
        " and not kwargs else _engine_of(lifecycle, kwargs)",
    ]
    fast_body: list[str] = []
    env: dict[str, Any] = {
        "as_services": as_services,
        "Path": Path,
        "_DEFAULT_ENGINE": _DEFAULT_ENGINE,
        "_INITIAL": _DEFAULT_ENGINE.initial,
        "DEFAULT_LIFECYCLE": DEFAULT_LIFECYCLE,
        "_engine_of": _engine_of,
        "_job_type": job_type,
        "_check_keywords": _check_keywords,
        # attrs.evolve passes the engine back as a keyword.
        "_accepted": {"engine"},
        "_LIFECYCLE_NOT_GIVEN": _LIFECYCLE_NOT_GIVEN,
        "_Aux": Aux,
        "_cls": cls,
    }
    for field in attrs.fields(cls):
        slot = field.name
        if slot == "_status":
            body.append("    self._status = engine.initial")
            fast_body.append("    self._status = _INITIAL")
            continue
        if slot == "_aux":  # made now only for another lifecycle's engine
            params.append("lifecycle=_LIFECYCLE_NOT_GIVEN")
            body.append("    self._aux = None if engine is _DEFAULT_ENGINE else _Aux(engine)")
            fast_body.append("    self._aux = None")
            continue
        if not field.init:
            value = "None"
        elif _is_lazy(field):
            params.append(f"{field.alias}=None")
            value = _CONVERT.get(field.alias, field.alias)
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            params.append(f"{field.alias}=None")
            env[f"_factory_{slot}"] = field.default.factory
            value = _CONVERT.get(
                field.alias, f"_factory_{slot}() if {field.alias} is None else {field.alias}"
            )
        else:
            if field.default is attrs.NOTHING:
                params.append(field.alias)
            else:
                env[f"_default_{slot}"] = field.default
                params.append(f"{field.alias}=_default_{slot}")
            value = _CONVERT.get(field.alias, field.alias)
        body.append(f"    self.{slot} = {value}")
        if field.init and field.alias in _RARE:
            # Not given in the fast call: its default, as the full constructor stores it.
            if not (_is_lazy(field) or field.default is None):
                raise TypeError(f"{cls.__name__}.{slot}: a rare field must default to None")
            fast_body.append(f"    self.{slot} = None")
        else:
            if field.init:
                fast_params.append(params[-1])
            fast_body.append(f"    self.{slot} = {value}")
    # Extra keywords are checked only when there are some: the common call is free.
    body.insert(
        0,
        "    if kwargs and not _accepted.issuperset(kwargs):"
        " _check_keywords(_cls, kwargs, _accepted)",
    )
    names = [p.split("=")[0] for p in fast_params]
    fast_body.insert(
        0,
        "    if kwargs: return _full(self, " + "".join(f"{n}={n}, " for n in names) + "**kwargs)",
    )
    # The full constructor is built first: the fast one calls it.
    source = f"def _full(self, *, {', '.join(params)}, **kwargs):\n" + "\n".join(body)
    exec(compile(source, f"<jobfsm constructor {cls.__name__}>", "exec"), env)
    source = f"def __init__(self, *, {', '.join(fast_params)}, **kwargs):\n" + "\n".join(fast_body)
    exec(compile(source, f"<jobfsm constructor {cls.__name__}>", "exec"), env)
    init, full = env["__init__"], env["_full"]
    for function in (init, full):
        function.__qualname__ = f"{cls.__name__}.__init__"
        function.__doc__ = Job.__init__.__doc__
    init.__wrapped__ = full  # inspect.signature shows every parameter
    setattr(cls, "__init__", init)  # noqa: B010 - mypy forbids assigning a method
    setattr(cls, "__repr__", _repr(cls))  # noqa: B010
    return cls


def _repr(cls: type[Job]) -> Callable[[Job], str]:
    """attrs' repr of *cls*, with each lazy dictionary shown by its public name and value."""
    shown: list[tuple[str, str, Callable[[Any], str]]] = []
    for field in attrs.fields(cls):
        if not field.repr:
            continue
        label = field.alias if _is_lazy(field) else field.name
        if field.name == "_aux":
            label = "_history"  # what it is shown as
        form: Callable[[Any], str] = field.repr if callable(field.repr) else repr
        if _is_lazy(field):
            form = _lazy_repr
        shown.append((label, field.name, form))
    name = cls.__qualname__

    def __repr__(self: Job) -> str:
        working = getattr(_REPRING, "ids", None)
        if working is None:
            working = _REPRING.ids = set()
        if id(self) in working:
            return "..."  # a job inside its own fields, as attrs shows it
        working.add(id(self))
        try:
            fields = ", ".join(
                f"{label}={form(getattr(self, slot))}" for label, slot, form in shown
            )
        finally:
            working.discard(id(self))
        return f"{name}({fields})"

    __repr__.__qualname__ = f"{cls.__name__}.__repr__"
    return __repr__


def _lazy_repr(value: dict[Any, Any] | None) -> str:
    return "{}" if value is None else repr(value)


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
