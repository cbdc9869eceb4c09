"""Built-in lifecycle profiles of job services, shipped as lifecycle files.

Each ``*.yaml`` file of this package is one service's status lifecycle,
spelled exactly as the service reports it, with the documentation it was
built from in ``sources`` and (for all but Azure ML itself) a checked
``maps_to`` onto the ``azureml`` profile. ``lifecycle.schema.json`` is the
JSON Schema of the file format.

:func:`resolve` is the one way the library and the command line turn a name
or a path into a :class:`~jobfsm.lifecycle.Lifecycle`.
"""

from __future__ import annotations

import functools
import os
import threading
from importlib import resources
from pathlib import Path

from jobfsm.errors import LifecycleFileError, UnknownProfileError
from jobfsm.lifecycle import Lifecycle

__all__ = ["SCHEMA_FILE", "name_of", "names", "profile_path", "resolve", "schema"]

_PACKAGE = resources.files(__name__)
#: Name of the JSON Schema file of the lifecycle file format, in this package.
SCHEMA_FILE = "lifecycle.schema.json"
_SUFFIXES = (".yaml", ".yml", ".json")
# Built-in profiles load once; a profile's maps_to resolves its target through
# here too, so loading is guarded against a profile that maps (indirectly) to itself.
_LOCK = threading.RLock()


@functools.cache
def names() -> tuple[str, ...]:
    """Names of the built-in profiles: ``azureml`` first, then alphabetical."""
    found = sorted(
        entry.name.removesuffix(".yaml")
        for entry in _PACKAGE.iterdir()
        if entry.name.endswith(".yaml")
    )
    return tuple(sorted(found, key=lambda n: (n != "azureml", n)))


def profile_path(name: str) -> Path:
    """The file of the built-in profile *name*.

    Raises:
        UnknownProfileError: *name* is not a built-in profile.
    """
    if name not in names():
        raise UnknownProfileError(name, names())
    return Path(str(_PACKAGE.joinpath(f"{name}.yaml")))


def _is_path(value: str) -> bool:
    return os.sep in value or "/" in value or value.lower().endswith(_SUFFIXES)


def resolve(
    name_or_path: str | os.PathLike[str] | Lifecycle,
    *,
    base: Path | None = None,
    _chain: tuple[str, ...] = (),
) -> Lifecycle:
    """Return the lifecycle a built-in profile name or a lifecycle file names.

    A value with a path separator or a ``.yaml``/``.yml``/``.json`` suffix is a
    file (relative to *base* when given); any other value is a profile name
    (see :func:`names`), or a file of that name if one exists. A
    :class:`~jobfsm.lifecycle.Lifecycle` is returned as it is.

    Raises:
        UnknownProfileError: neither a built-in profile nor an existing file
            (names the profiles and the closest one).
        LifecycleFileError: the file breaks the format or the lifecycle rules.
        OSError: the file cannot be read.
    """
    if isinstance(name_or_path, Lifecycle):
        return name_or_path
    text = os.fspath(name_or_path)
    if not _is_path(text) and text in names():
        return _builtin(text, _chain)
    path = Path(text)
    if base is not None and not path.is_absolute():
        path = base / path
    if _is_path(text) or path.is_file():
        key = str(path.resolve())
        if key in _chain:
            raise LifecycleFileError(
                text, [(None, f"maps_to leads back to {text} (a cycle of lifecycle files)")]
            )
        from jobfsm.lifecycle_file import load_lifecycle

        return load_lifecycle(path, _chain=_chain)
    raise UnknownProfileError(text, names())


def _builtin(name: str, chain: tuple[str, ...]) -> Lifecycle:
    with _LOCK:
        if name in _LOADED:
            return _LOADED[name]
        key = f"profile:{name}"
        if key in chain:
            raise LifecycleFileError(name, [(None, f"maps_to leads back to profile {name!r}")])
        from jobfsm.lifecycle_file import load_lifecycle

        lifecycle = load_lifecycle(profile_path(name), _chain=(*chain, key))
        _LOADED[name] = lifecycle
        return lifecycle


_LOADED: dict[str, Lifecycle] = {}


def name_of(lifecycle: Lifecycle) -> str | None:
    """The built-in profile equal to *lifecycle*, or ``None``."""
    for name in names():
        if resolve(name) == lifecycle:
            return name
    return None


def schema() -> str:
    """The text of the JSON Schema of the lifecycle file format."""
    return _PACKAGE.joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
