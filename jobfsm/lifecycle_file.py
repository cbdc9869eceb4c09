"""Lifecycle files: a :class:`~jobfsm.lifecycle.Lifecycle` as YAML (or JSON) text.

A file is read with the same safe YAML loader as job files (plain values only,
line numbers kept, duplicate keys refused). Every problem is collected before
anything is built (the shape of each key, then the lifecycle's own rules and
its ``maps_to`` check) and reported at once, each with its line, in one
:class:`~jobfsm.errors.LifecycleFileError`. The format::

    name: My service job                # required
    sources: [https://...]              # where the definition comes from
    states:                             # required, in documented order
      - name: Waiting
        description: One sentence.      # or just "- Waiting"
    initial: Waiting                    # required
    terminal: [Done]                    # required
    active: [Working]                   # optional
    attention: []                       # optional
    events:                             # required
      - {name: work, sources: [Waiting], dests: [Working], description: ...}
    aliases: {Finished: Done}           # optional: other spellings
    maps_to:                            # optional: each status in another's terms
      lifecycle: azureml                # a built-in profile name or a file path
      statuses: {Waiting: Queued, ...}

``jobfsm/profiles/lifecycle.schema.json`` is the JSON Schema of the format. The
checks of each key are in :mod:`jobfsm._lifecycle_file_keys`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jobfsm._lifecycle_file_keys import (
    _events,
    _hint,
    _line_for,
    _maps_to,
    _short,
    _states,
    _string_map,
    _strings,
)
from jobfsm.errors import (
    JobFileError,
    JobFileExistsError,
    LifecycleDefinitionError,
    LifecycleFileError,
    closest,
)
from jobfsm.lifecycle import Lifecycle

__all__ = ["KEYS", "dump_lifecycle", "lifecycle_from_dict", "lifecycle_to_dict", "load_lifecycle"]

#: Top-level keys of a lifecycle file, in the order they are written.
KEYS = (
    "name", "sources", "states", "initial", "terminal", "active", "attention", "events",
    "aliases", "maps_to",
)  # fmt: skip
_REQUIRED = ("name", "states", "initial", "terminal", "events")
_KINDS = ("terminal", "active", "attention")

Problems = list[tuple[int | None, str]]


# -- reading -----------------------------------------------------------------------


def load_lifecycle(
    source: str | os.PathLike[str] | IO[str], *, _chain: tuple[str, ...] = ()
) -> Lifecycle:
    """Read a lifecycle file; see :meth:`Lifecycle.from_file`.

    Raises:
        LifecycleFileError: every problem of the file, each with its line.
        OSError: the file cannot be read.
    """
    from jobfsm._yamlload import _read

    try:
        text, file, base = _read(source)
    except JobFileError as exc:  # not UTF-8
        raise LifecycleFileError(exc.file, [(exc.line, exc.reason)]) from None
    root, data = _parse(text, file)
    key = str(Path(file).resolve()) if file else ""
    return lifecycle_from_dict(
        data, file=file, base=base, line_of=_locator(root), _chain=(*_chain, key)
    )


def _parse(text: str, file: str | None) -> tuple[Node | None, Any]:
    from jobfsm._yamldialect import MAX_VALUES, Loader, expanded_size, lone_surrogate

    try:
        loader = Loader(text)  # checks every character YAML allows
    except yaml.YAMLError as exc:
        raise LifecycleFileError(file, [(None, str(exc).replace("\n", " "))]) from None
    try:
        node = loader.get_single_node()
        if node is not None and expanded_size(node, {}) > MAX_VALUES:
            raise LifecycleFileError(
                file,
                [(1, f"the document's aliases expand to more than {MAX_VALUES:,} values")],
            )
        lone = None if node is None else lone_surrogate(node)
        if lone is not None:
            raise LifecycleFileError(
                file,
                [
                    (
                        lone.start_mark.line + 1,
                        f"{lone.value!r} escapes half a surrogate pair on its own, which "
                        "stands for no character: write the character, or both halves",
                    )
                ],
            )
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem]))
        raise LifecycleFileError(file, [(mark.line + 1 if mark else None, message)]) from None
    except yaml.YAMLError as exc:
        raise LifecycleFileError(file, [(None, str(exc))]) from None
    except RecursionError:
        raise LifecycleFileError(file, [(None, "the document is nested too deeply")]) from None
    finally:
        loader.dispose()
    return node, data


def _locator(root: Node | None) -> Callable[..., int | None]:
    """``line_of("events", 2, "sources")``: the 1-based line of that value in the file."""

    def line_of(*path: str | int) -> int | None:
        node = root
        line = None if node is None else node.start_mark.line + 1
        for step in path:
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == step:
                        node = value
                        break
                else:
                    return line
            elif isinstance(node, SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    return line
                node = node.value[step]
            else:
                return line
            line = node.start_mark.line + 1
        return line

    return line_of


def _no_line(*path: str | int) -> int | None:
    return None


def lifecycle_from_dict(
    data: Any,
    *,
    file: str | None = None,
    base: Path | None = None,
    line_of: Callable[..., int | None] = _no_line,
    _chain: tuple[str, ...] = (),
) -> Lifecycle:
    """Build a lifecycle from the plain values of a lifecycle file.

    Raises:
        LifecycleFileError: every problem found, each with its line when known.
    """
    problems: Problems = []

    def bad(message: str, *path: str | int) -> None:
        problems.append((line_of(*path), message))

    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise LifecycleFileError(
            file, [(line_of(), f"the document is {kind}; expected a mapping of {', '.join(KEYS)}")]
        )
    for key in data:
        if key not in KEYS:
            hint = closest(key, KEYS) if isinstance(key, str) else None
            bad(f"unknown key {key!r}{_hint(hint)} (keys: {', '.join(KEYS)})", key)
    for key in _REQUIRED:
        if key not in data:
            bad(f"missing key {key!r}")
    name = data.get("name", "")
    if not isinstance(name, str) or not name.strip():
        bad(f"name must be a non-empty string, got {_short(name)}", "name")
    sources = _strings(data.get("sources", []), "sources", bad)
    states, descriptions = _states(data.get("states", []), bad)
    initial = data.get("initial")
    if "initial" in data and not isinstance(initial, str):
        bad(f"initial must be one state name, got {_short(initial)}", "initial")
    kinds = {key: _strings(data.get(key, []), key, bad) for key in _KINDS}
    events = _events(data.get("events", []), bad)
    aliases = _string_map(data.get("aliases", {}), "aliases", bad)
    maps_to = _maps_to(data.get("maps_to"), base, bad, _chain)
    if problems:
        raise LifecycleFileError(file, problems, name=name if isinstance(name, str) else None)
    try:
        return Lifecycle(
            name=name,
            states=states,
            initial=str(initial),
            terminal=kinds["terminal"],
            events=events,
            active=kinds["active"],
            attention=kinds["attention"],
            descriptions=descriptions,
            aliases=aliases,
            maps_to=maps_to,
            sources=sources,
        )
    except LifecycleDefinitionError as exc:
        located = [(_line_for(p, data, line_of), p) for p in exc.problems]
        raise LifecycleFileError(file, located, name=name, edges=exc.edges) from None


# -- writing -----------------------------------------------------------------------


def lifecycle_to_dict(lifecycle: Lifecycle) -> dict[str, Any]:
    """The plain values of *lifecycle*'s file, keys in :data:`KEYS` order.

    Raises:
        ValueError: ``maps_to`` has no ``ref`` and its target is not a built-in profile.
    """
    order = list(lifecycle.states)

    def in_order(names: frozenset[str]) -> list[str]:
        return [str(s) for s in order if s in names]

    out: dict[str, Any] = {"name": lifecycle.name}
    if lifecycle.sources:
        out["sources"] = list(lifecycle.sources)
    out["states"] = [
        {"name": str(s), "description": lifecycle.descriptions[s]}
        if lifecycle.descriptions.get(s)
        else {"name": str(s)}
        for s in order
    ]
    out["initial"] = str(lifecycle.initial)
    out["terminal"] = in_order(lifecycle.terminal)
    for key in ("active", "attention"):
        if getattr(lifecycle, key):
            out[key] = in_order(getattr(lifecycle, key))
    out["events"] = [
        {
            "name": spec.name,
            "sources": [str(s) for s in spec.sources],
            "dests": [str(d) for d in spec.dests],
            **({"description": spec.description} if spec.description else {}),
        }
        for spec in lifecycle.events
    ]
    if lifecycle.aliases:
        out["aliases"] = {k: str(v) for k, v in lifecycle.aliases.items()}
    if lifecycle.maps_to is not None:
        from jobfsm.profiles import name_of

        ref = lifecycle.maps_to.ref or name_of(lifecycle.maps_to.target)
        if ref is None:
            raise ValueError(
                f"maps_to of {lifecycle.name!r} targets {lifecycle.maps_to.target.name!r}, which "
                "has no file name; build the StatusMapping with ref='path/to/target.yaml'"
            )
        statuses = {k: str(v) for k, v in lifecycle.maps_to.statuses}
        out["maps_to"] = {"lifecycle": ref, "statuses": statuses}
    return out


def _dumper() -> type[yaml.SafeDumper]:
    from jobfsm._yamldialect import Dumper

    class _LifecycleDumper(Dumper):
        """Short lists of names on one line (``sources: [Queued, Running]``)."""

    def represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
        short = all(isinstance(x, str) and "://" not in x for x in data)
        short = short and sum(len(x) + 2 for x in data) < 80
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)

    _LifecycleDumper.add_representer(list, represent_list)
    return _LifecycleDumper


def lifecycle_text(lifecycle: Lifecycle, fmt: str = "yaml") -> str:
    """The text of *lifecycle*'s file, as ``yaml`` or ``json``."""
    data = lifecycle_to_dict(lifecycle)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return str(yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100))


def dump_lifecycle(lifecycle: Lifecycle, dest: str | os.PathLike[str] | IO[str]) -> None:
    """Write *lifecycle* to a new file (JSON for a ``.json`` path, else YAML) or a stream.

    Raises:
        JobFileExistsError: *dest* is a path that exists; it is left untouched.
        ValueError: see :func:`lifecycle_to_dict`.
    """
    from jobfsm.yamlio import _write_new_file

    if isinstance(dest, (str, os.PathLike)):
        path = os.fspath(dest)
        if os.path.lexists(path):
            raise JobFileExistsError(path)
        fmt = "json" if path.lower().endswith(".json") else "yaml"
        _write_new_file(path, lifecycle_text(lifecycle, fmt))
        return
    dest.write(lifecycle_text(lifecycle))
