"""How the job classes are built: generated constructors, reprs, field helpers.

Creating jobs is on a scheduler's hot path, so each concrete class of
:mod:`jobfsm.job` gets a constructor generated once from its attrs fields
(:func:`_constructor`), its dictionary fields are made on first access
(:class:`_lazy_dict`), and its read-only attributes refuse assignment with a
hint (:class:`_read_only`). The functions the fields use to compare and show
themselves are here too. The code knows a job class only through its attrs
fields, so it serves every class :mod:`jobfsm.job` defines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar, overload

import attrs

from jobfsm._jobevents import _LOCK_INIT, Aux
from jobfsm._jobevents import DEFAULT_ENGINE as _DEFAULT_ENGINE
from jobfsm._jobtypes import job_type, one_edit
from jobfsm.errors import ReadOnlyAttributeError
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.machine import Engine, HistoryEntry, engine_for, entries
from jobfsm.services import as_services

_T = TypeVar("_T")


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


def _dict_key(value: dict[Any, Any] | None) -> dict[Any, Any]:
    """Compare a dictionary field not made yet (``None``) as the empty dictionary it stands for."""
    return {} if value is None else value


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


_ClassT = TypeVar("_ClassT", bound=type[attrs.AttrsInstance])


def _check_keywords(
    cls: type[attrs.AttrsInstance], kwargs: Mapping[str, Any], accepted: set[str]
) -> None:
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


_REPRING = threading.local()


#: Constructor arguments a scheduler rarely passes (restored from storage, or a
#: lifecycle): the fast constructor takes them through ``**kwargs`` and hands
#: the call to the full one, so the common call pays no default for them.
_RARE = frozenset({"extras", "base_path", "creation_context", "id", "log_files", "lifecycle"})


def _constructor(cls: _ClassT, doc: str | None) -> _ClassT:
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

    Both constructors get *doc* as their docstring (the one of ``Job.__init__``).
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
        function.__doc__ = doc
    init.__wrapped__ = full  # inspect.signature shows every parameter
    setattr(cls, "__init__", init)  # noqa: B010 - mypy forbids assigning a method
    setattr(cls, "__repr__", _repr(cls))  # noqa: B010
    return cls


def _repr(cls: type[attrs.AttrsInstance]) -> Callable[[object], str]:
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

    def __repr__(self: object) -> str:
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
