"""The YAML dialect of job files: a safe loader with YAML 1.2 booleans, size
limits and line-numbered errors for every value it cannot build, and a dumper
whose output that loader reads back equal.

:mod:`jobfsm.yamlio` reads and writes job files with these; the limits are
re-exported there.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime
from typing import Any

import yaml
import yaml.cyaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "Dumper",
    "FastDumper",
    "FastLoader",
    "LimitError",
    "Loader",
    "expanded_size",
    "line_of",
    "lone_surrogate",
]

# -- limits --------------------------------------------------------------------

#: The largest job file (or stream) jobfsm reads, in bytes: 1 MiB. Azure ML's
#: example job files are at most a few KiB; the limit is checked while
#: reading, so an endless source such as ``/dev/zero`` is refused at once.
MAX_BYTES = 1 << 20

#: The deepest nesting of mappings and lists (the document itself is level 1).
#: Azure ML's example job files nest at most about ten levels.
MAX_DEPTH = 100

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def line_of(text: str, position: int) -> int:
    """The 1-based line of *position* in *text*, counting line breaks as YAML does."""
    return len(_LINE_BREAK.findall(text, 0, position)) + 1


#: The most values (scalars and collections) a job document may hold once its
#: aliases are written out. Aliases are shared when loaded, but comparing,
#: dumping or storing a job walks every copy. Azure ML's example job files hold
#: at most a few hundred.
MAX_VALUES = 20_000


def expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many nodes *node* stands for with every alias written out (memoised)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(
            expanded_size(key, sizes) + expanded_size(value, sizes) for key, value in node.value
        )
    sizes[id(node)] = size
    return size


# -- YAML dialect --------------------------------------------------------------


# Implicit tags the loader does not resolve: YAML 1.1's yes/no/on/off booleans
# (re-added below as true/false only), and `=`, the `value` tag, which no safe
# constructor builds: plain `=` is the string '='.
_DROPPED_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:value")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class Loader(yaml.SafeLoader):
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
        self._depth = 0  # collections open around the node being composed
        self._nodes = 0  # nodes composed so far (an alias counts once here)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # PyYAML refuses to define an anchor twice, so a name is open at most once.
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self._nodes += 1
        if self._nodes > MAX_VALUES:  # stop a long document early, not after parsing it all
            raise LimitError(
                f"the document holds more than {MAX_VALUES:,} values",
                f"a job document of at most {MAX_VALUES:,} values",
                event.start_mark,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            if self._depth >= MAX_DEPTH:
                raise LimitError(
                    f"the document is nested more than {MAX_DEPTH} levels deep",
                    f"a job document nested at most {MAX_DEPTH} levels",
                    event.start_mark,  # type: ignore[arg-type]
                )
            self._depth += 1
            try:
                return self._compose_anchored(event, parent, index)
            finally:
                self._depth -= 1
        return self._compose_anchored(event, parent, index)

    def _compose_anchored(self, event: Any, parent: Node | None, index: Any) -> Node | None:
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
        _refuse_bad_keys(self, node)
        return super().construct_mapping(node, deep)


def _refuse_bad_keys(loader: yaml.constructor.SafeConstructor, node: MappingNode) -> None:
    # YAML requires unique keys; PyYAML would keep the last value silently.
    # Keys merged in with `<<` may be overridden, so only the mapping's own
    # scalar keys are compared (before SafeConstructor flattens the merges).
    first: dict[Any, Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):  # an empty `!!set` is a scalar node
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a {type(key).__name__} cannot be a mapping key; use a string",
                key_node.start_mark,
            )
        if key in first:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} is written a second time in this mapping (first at line "
                f"{first[key].start_mark.line + 1}); a key may appear once",
                key_node.start_mark,
            )
        first[key] = key_node


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class LimitError(yaml.MarkedYAMLError):
    """A document over one of the size limits (reported as a JobFileStructureError)."""

    def __init__(self, problem: str, expected: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.expected = expected


#: The most digits an integer may have. Python refuses to convert longer ones
#: to and from text by default (4,300 digits), so such a value could not be
#: written back; no job file needs more than a handful.
MAX_INT_DIGITS = 1_000
_MAX_INT_BITS = int(MAX_INT_DIGITS * 3.3219280948873626)  # log2(10); below 10**MAX_INT_DIGITS

# What PyYAML's constructors raise for a value they cannot build (an invalid
# date such as 2024-02-30, a +25:00 offset, `!!bool maybe`, `!!int ''`, ...).
_BUILD_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


def _unbuildable(node: Node, exc: Exception) -> yaml.constructor.ConstructorError:
    kind = node.tag.rsplit(":", 1)[-1]
    detail = f": {exc}" if isinstance(exc, ValueError | OverflowError) and str(exc) else ""
    if isinstance(node, ScalarNode):
        what = f"{node.value[:60]!r}{'...' if len(node.value) > 60 else ''}"
        # A plain scalar got its tag from its look; quoting keeps it as text.
        hint = "; quote it to keep it as text" if node.style is None and kind != "str" else ""
    else:
        what, hint = "this value", ""
    return yaml.constructor.ConstructorError(
        None, None, f"{what} cannot be read as {kind}{detail}{hint}", node.start_mark
    )


def _guarded(construct: Callable[[Any, Node], Any]) -> Callable[[Any, Node], Any]:
    """*construct* raising only YAML errors with the node's position."""

    def guarded(loader: Any, node: Node) -> Any:
        try:
            value = construct(loader, node)
        except _BUILD_ERRORS as exc:
            raise _unbuildable(node, exc) from None
        if isinstance(value, types.GeneratorType):  # collections are filled in later
            return _guarded_steps(value, node)
        if type(value) is int and value.bit_length() > _MAX_INT_BITS:
            raise LimitError(
                f"an integer of more than {MAX_INT_DIGITS:,} digits",
                f"integers of at most {MAX_INT_DIGITS:,} digits (quote it to keep it as text)",
                node.start_mark,
            )
        return value

    return guarded


def _guarded_steps(steps: Iterator[Any], node: Node) -> Iterator[Any]:
    try:
        yield from steps
    except _BUILD_ERRORS as exc:
        raise _unbuildable(node, exc) from None


# JSON writers escape a character beyond U+FFFF as two ``\\u`` surrogates
# ("\\ud83d\\ude00"), and YAML reads each half as a character of its own: a
# string joins such pairs into the characters they stand for (as ``json.loads``
# does); a lone half stays as written.
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _joined(pair: re.Match[str]) -> str:
    text = pair[0]
    return chr(0x10000 + ((ord(text[0]) - 0xD800) << 10) + (ord(text[1]) - 0xDC00))


def _construct_str(loader: yaml.constructor.SafeConstructor, node: Node) -> str:
    value: str = loader.construct_yaml_str(node)
    return _SURROGATE_PAIR.sub(_joined, value)


_LONE_SURROGATE = re.compile(
    "[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)


def lone_surrogate(node: Node) -> ScalarNode | None:
    """The first scalar under *node*, in document order, escaping half a surrogate pair alone.

    Such a string stands for no character, and UTF-8 cannot encode it.
    """
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue  # an alias of a node already checked
        seen.add(id(current))
        if isinstance(current, ScalarNode):
            if _LONE_SURROGATE.search(current.value):
                return current
        elif isinstance(current, MappingNode):
            stack.extend(n for pair in reversed(current.value) for n in reversed(pair))
        elif isinstance(current, SequenceNode):
            stack.extend(reversed(current.value))
    return None


Loader.yaml_constructors = {
    tag: _guarded(construct) for tag, construct in yaml.SafeLoader.yaml_constructors.items()
}
Loader.yaml_constructors["tag:yaml.org,2002:str"] = _guarded(_construct_str)


class FastLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """:class:`Loader`'s dialect on libyaml's C parser, for documents jobfsm wrote itself.

    Same implicit tags, constructors and key checks; the alias and size checks
    are left out (jobfsm never writes aliases and its store keeps only
    documents that passed them), which is what lets the C composer run.
    """

    yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
    yaml_constructors = Loader.yaml_constructors

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def get_mark(self) -> None:  # the C parser keeps no mark between events
        return None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        _refuse_bad_keys(self, node)
        return super().construct_mapping(node, deep)


class Dumper(yaml.SafeDumper):
    """Block style, no aliases, multi-line strings as literal blocks.

    The resolver is SafeDumper's (YAML 1.1), a superset of what :class:`Loader`
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


def _represent_datetime(dumper: yaml.SafeDumper, data: datetime) -> yaml.ScalarNode:
    # YAML offsets are hours and minutes; a historical local time can be off
    # UTC by seconds (-05:32:11), so such a time is written as the same instant in UTC.
    offset = data.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        try:
            data = data.astimezone(UTC)
        except OverflowError:
            raise yaml.representer.RepresenterError("a date-time UTC cannot hold", data) from None
    return dumper.represent_datetime(data)


def _represent_int(dumper: yaml.SafeDumper, data: int) -> yaml.ScalarNode:
    if data.bit_length() > _MAX_INT_BITS:
        raise yaml.representer.RepresenterError(f"more than {MAX_INT_DIGITS:,} digits", data)
    return dumper.represent_int(data)


def _represent_tuple(dumper: yaml.SafeDumper, data: tuple[Any, ...]) -> yaml.Node:
    # Written as a list, a tuple would load back as a list (or, as a key, not at all).
    raise yaml.representer.RepresenterError("a tuple", data)


class FastDumper(yaml.cyaml.CSafeDumper):
    """:class:`Dumper`'s output rules on libyaml's C emitter (the same representers)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


for _dumper in (Dumper, FastDumper):
    _dumper.add_representer(str, _represent_str)  # type: ignore[arg-type]
    _dumper.add_representer(datetime, _represent_datetime)  # type: ignore[arg-type]
    _dumper.add_representer(int, _represent_int)  # type: ignore[arg-type]
    _dumper.add_representer(tuple, _represent_tuple)  # type: ignore[arg-type]
