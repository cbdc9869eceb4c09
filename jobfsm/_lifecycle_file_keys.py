"""The checks of each key of a lifecycle file, and the line a problem is shown at.

Each check takes the plain value of one key and a ``bad(message, *path)``
callback, reports every problem it finds through the callback and returns
what is usable, so :func:`jobfsm.lifecycle_file.lifecycle_from_dict` reports
all of a file's problems at once. :func:`_line_for` places the problems that
the :class:`~jobfsm.lifecycle.Lifecycle` rules find. No YAML here: the values
may come from any parser.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jobfsm.errors import LifecycleDefinitionError, closest
from jobfsm.lifecycle import EventSpec
from jobfsm.mapping import StatusMapping

_STATE_KEYS = ("name", "description")
_EVENT_KEYS = ("name", "sources", "dests", "description")
_MAPS_TO_KEYS = ("lifecycle", "statuses")

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _short(value: object) -> str:
    """``repr`` of a value from the file, cut short (a value may be huge)."""
    return _REPR.repr(value)


def _hint(suggestion: str | None) -> str:
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


def _strings(value: Any, key: str, bad: Callable[..., None]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        bad(f"{key} must be a list of state names, got {_short(value)}", key)
        return []
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            out.append(item)
        else:
            bad(f"{key}[{index}] must be a string, got {_short(item)}", key, index)
    return out


def _string_map(value: Any, key: str, bad: Callable[..., None]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        bad(f"{key} must be a mapping of strings, got {_short(value)}", key)
        return {}
    out = {}
    for k, v in value.items():
        if isinstance(k, str) and isinstance(v, str):
            out[k] = v
        else:
            bad(f"{key}: {_short(k)}: {_short(v)} must map a string to a string", key, k)
    return out


def _states(value: Any, bad: Callable[..., None]) -> tuple[list[str], dict[str, str]]:
    states: list[str] = []
    descriptions: dict[str, str] = {}
    if not isinstance(value, list) or not value:
        bad(f"states must be a non-empty list, got {_short(value)}", "states")
        return states, descriptions
    for index, item in enumerate(value):
        if isinstance(item, str):
            states.append(item)
            continue
        if not isinstance(item, Mapping):
            bad(f"states[{index}] must be a name or {{name, description}}", "states", index)
            continue
        for key in item:
            if key not in _STATE_KEYS:
                bad(f"states[{index}]: unknown key {key!r} (keys: name, description)",
                    "states", index, key)  # fmt: skip
        state, text = item.get("name"), item.get("description", "")
        if not isinstance(state, str):
            bad(f"states[{index}].name must be a string, got {_short(state)}", "states", index)
            continue
        if not isinstance(text, str):
            bad(f"states[{index}].description must be a string", "states", index, "description")
        elif text:
            descriptions[state] = text
        states.append(state)
    return states, descriptions


def _events(value: Any, bad: Callable[..., None]) -> list[EventSpec]:
    events: list[EventSpec] = []
    if not isinstance(value, list):
        bad(f"events must be a list, got {_short(value)}", "events")
        return events
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            bad(f"events[{index}] must be a mapping of {', '.join(_EVENT_KEYS)}", "events", index)
            continue
        ok = True
        for key in item:
            if key not in _EVENT_KEYS:
                hint = closest(key, _EVENT_KEYS) if isinstance(key, str) else None
                bad(f"events[{index}]: unknown key {key!r}{_hint(hint)}", "events", index, key)
                ok = False
        for key in ("name", "sources", "dests"):
            if key not in item:
                bad(f"events[{index}]: missing key {key!r}", "events", index)
                ok = False
        name, text = item.get("name"), item.get("description", "")
        if not isinstance(name, str) or not isinstance(text, str):
            bad(f"events[{index}]: name and description must be strings", "events", index)
            ok = False
        ends = {}
        for key in ("sources", "dests"):
            raw = item.get(key, [])
            names = [raw] if isinstance(raw, str) else raw
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                bad(f"events[{index}].{key} must be a state name or a list of them",
                    "events", index, key)  # fmt: skip
                ok = False
            ends[key] = names
        if ok:
            events.append(EventSpec(str(name), tuple(ends["sources"]), tuple(ends["dests"]), text))
    return events


def _maps_to(
    value: Any, base: Path | None, bad: Callable[..., None], chain: tuple[str, ...]
) -> StatusMapping | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        bad("maps_to must be a mapping of lifecycle and statuses", "maps_to")
        return None
    for key in value:
        if key not in _MAPS_TO_KEYS:
            bad(f"maps_to: unknown key {key!r} (keys: lifecycle, statuses)", "maps_to", key)
    ref = value.get("lifecycle")
    statuses = _string_map(value.get("statuses", {}), "maps_to", bad)
    if not isinstance(ref, str) or not ref:
        bad("maps_to.lifecycle must name a built-in profile or a file", "maps_to")
        return None
    from jobfsm.profiles import resolve

    try:
        target = resolve(ref, base=base, _chain=chain)
    except (LifecycleDefinitionError, ValueError, OSError) as exc:
        bad(f"maps_to.lifecycle {ref!r}: {_one_line(exc)}", "maps_to", "lifecycle")
        return None
    return StatusMapping(target, statuses, ref)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split())


_QUOTED = re.compile(r"'([^']*)'")
_EDGE = re.compile(r"edge \S+ --(\w+)-->")


def _line_for(
    problem: str, data: Mapping[str, Any], line_of: Callable[..., int | None]
) -> int | None:
    """The line a lifecycle rule's problem is best shown at (its state, event, ...)."""
    places: dict[str, tuple[str | int, ...]] = {}
    for index, event in enumerate(data.get("events") or []):
        if isinstance(event, Mapping):
            places.setdefault(f"event:{event.get('name')}", ("events", index))
    for index, state in enumerate(data.get("states") or []):
        name = state.get("name") if isinstance(state, Mapping) else state
        places.setdefault(f"state:{name}", ("states", index))
    edge = _EDGE.search(problem)
    if problem.startswith("maps_to"):
        if edge and f"event:{edge.group(1)}" in places:
            return line_of(*places[f"event:{edge.group(1)}"])
        quoted = _QUOTED.findall(problem)
        if quoted:
            return line_of("maps_to", "statuses", quoted[0])
        return line_of("maps_to")
    if problem.startswith("alias"):
        return line_of("aliases", _QUOTED.findall(problem)[0])
    for key in ("initial", "terminal", "active", "attention"):
        if problem.startswith((key, f"{key} state")):
            return line_of(key)
    if edge and f"event:{edge.group(1)}" in places:
        return line_of(*places[f"event:{edge.group(1)}"])
    kind = "event" if problem.startswith("event") else "state"
    for quoted in _QUOTED.findall(problem):
        if f"{kind}:{quoted}" in places:
            return line_of(*places[f"{kind}:{quoted}"])
    return None
