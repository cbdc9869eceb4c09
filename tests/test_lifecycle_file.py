"""Lifecycle files: loading with every problem and its line, writing, round trips."""

from __future__ import annotations

import io
import itertools
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, EventSpec, JobFileExistsError, Lifecycle
from jobfsm.errors import LifecycleDefinitionError, LifecycleFileError, UnknownProfileError
from jobfsm.lifecycle_file import lifecycle_text
from jobfsm.mapping import StatusMapping
from jobfsm.profiles import resolve

SMALL = """\
name: Tiny service
sources: [https://example.invalid/docs]
states:
  - name: waiting
    description: In the queue.
  - working
  - done
  - broken
initial: waiting
terminal: [done, broken]
active: [working]
events:
  - {name: work, sources: waiting, dests: working, description: Starts.}
  - {name: finish, sources: [working], dests: [done]}
  - {name: break_down, sources: [waiting, working], dests: [broken]}
aliases:
  WAITING: waiting
maps_to:
  lifecycle: azureml
  statuses: {waiting: Queued, working: Running, done: Completed, broken: Failed}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_small_file_loads_with_every_part(tmp_path: Path) -> None:
    """States (names or mappings), kinds, events, aliases, maps_to and sources are read."""
    lc = Lifecycle.from_file(write(tmp_path / "tiny.yaml", SMALL))
    assert lc.name == "Tiny service"
    assert lc.states == ("waiting", "working", "done", "broken")
    assert lc.descriptions == {"waiting": "In the queue."}
    assert lc.terminal == {"done", "broken"}
    assert lc.events[0] == EventSpec("work", "waiting", "working", "Starts.")
    assert dict(lc.aliases) == {"WAITING": "waiting"}
    assert lc.maps_to is not None
    assert lc.maps_to.target == DEFAULT_LIFECYCLE
    assert lc.maps_to("working") == "Running"
    assert lc.sources == ("https://example.invalid/docs",)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_is_equal(tmp_path: Path, suffix: str) -> None:
    """to_file then from_file gives an equal lifecycle, descriptions and sources too."""
    lc = Lifecycle.from_file(write(tmp_path / "tiny.yaml", SMALL))
    out = tmp_path / f"copy{suffix}"
    lc.to_file(out)
    back = Lifecycle.from_file(out)
    assert back == lc
    assert dict(back.descriptions) == dict(lc.descriptions)
    assert back.sources == lc.sources
    assert back.maps_to is not None
    assert back.maps_to.ref == "azureml"
    if suffix == ".json":
        assert out.read_text(encoding="utf-8").startswith('{\n  "name": "Tiny service"')


def test_default_lifecycle_round_trips_through_a_stream() -> None:
    """The default lifecycle written to a stream reads back equal (JSON-free YAML text)."""
    stream = io.StringIO()
    DEFAULT_LIFECYCLE.to_file(stream)
    stream.seek(0)
    assert Lifecycle.from_file(stream) == DEFAULT_LIFECYCLE


def test_to_file_never_overwrites(tmp_path: Path) -> None:
    """An existing file is refused and left as it was."""
    path = write(tmp_path / "x.yaml", "keep me\n")
    with pytest.raises(JobFileExistsError):
        DEFAULT_LIFECYCLE.to_file(path)
    assert path.read_text() == "keep me\n"


def test_every_shape_problem_is_reported_at_once_with_lines(tmp_path: Path) -> None:
    """Unknown keys, wrong types and missing keys come in one error, each with its line."""
    path = write(
        tmp_path / "bad.yaml",
        """\
        name: Bad
        states:
          - a
          - {name: b, colour: red}
          - 7
        initial: a
        terminall: [b]
        events:
          - {name: go, sources: [a], dest: [b]}
        """,
    )
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(path)
    err = info.value
    text = "\n".join(err.problems)
    assert f"{path}:4: states[1]: unknown key 'colour'" in text
    assert f"{path}:5: states[2] must be a name" in text
    assert f"{path}:7: unknown key 'terminall' (did you mean 'terminal'?)" in text
    assert "missing key 'terminal'" in text
    assert f"{path}:9: events[0]: unknown key 'dest' (did you mean 'dests'?)" in text
    assert len(err.problems) == len(err.lines) >= 5
    assert isinstance(err, LifecycleDefinitionError)
    assert isinstance(err, ValueError)


def test_lifecycle_rule_problems_point_at_their_lines(tmp_path: Path) -> None:
    """Rules checked by Lifecycle (reachability, terminal exits) are placed on the file's lines."""
    path = write(
        tmp_path / "rules.yaml",
        """\
        name: Rules
        states: [a, b, c, z]
        initial: a
        terminal: [b]
        events:
          - {name: go, sources: [a], dests: [b]}
          - {name: back, sources: [b], dests: [a]}
          - {name: lost, sources: [a], dests: [nowhere]}
        """,
    )
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(path)
    text = "\n".join(info.value.problems)
    assert f"{path}:7: event 'back' leaves terminal state 'b'" in text
    assert f"{path}:8: event 'lost': dest 'nowhere' is not one of the states" in text


def test_a_broken_mapping_names_each_offending_edge(tmp_path: Path) -> None:
    """maps_to is checked: each edge sent to a pair Azure ML forbids is named, with its line."""
    broken = SMALL.replace("waiting: Queued", "waiting: Canceled")
    path = write(tmp_path / "broken.yaml", broken.replace("done: Completed", "done: Queued"))
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(path)
    err = info.value
    assert err.edges == (("waiting", "work", "working"), ("waiting", "break_down", "broken"))
    text = "\n".join(err.problems)
    assert f"{path}:20: maps_to: terminal status 'done' maps to 'Queued', which is not" in text
    assert f"{path}:13: maps_to: edge waiting --work--> working maps to Canceled -> Running" in text
    assert f"{path}:15: maps_to: edge waiting --break_down--> broken maps to Canceled" in text


def test_mapping_errors_in_python_are_definition_errors() -> None:
    """A StatusMapping built in Python is checked the same way (LifecycleDefinitionError)."""
    statuses = {"new": "Completed", "done": "Running"}
    with pytest.raises(LifecycleDefinitionError) as info:
        Lifecycle(
            name="py",
            states=["new", "done"],
            initial="new",
            terminal=["done"],
            events=[EventSpec("end", "new", "done")],
            maps_to=StatusMapping(DEFAULT_LIFECYCLE, statuses),
        )
    assert info.value.edges == (("new", "end", "done"),)
    assert any("'done' maps to 'Running'" in p for p in info.value.problems)


def test_mapping_must_cover_every_status_with_known_names(tmp_path: Path) -> None:
    """Missing, unknown and misspelled mapped statuses are each reported."""
    path = write(
        tmp_path / "gaps.yaml",
        SMALL.replace("done: Completed, broken: Failed", "done: Complete, extra: Failed"),
    )
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(path)
    text = "\n".join(info.value.problems)
    assert "'done' -> 'Complete': not a status of 'Azure ML job'; did you mean 'Completed'?" in text
    assert "maps_to: 'extra' is not one of the states" in text
    assert "no 'Azure ML job' status given for 'broken'" in text


def test_yaml_syntax_and_unsafe_tags_are_file_errors(tmp_path: Path) -> None:
    """Malformed YAML and python tags fail with the line; nothing is constructed."""
    bad = write(tmp_path / "syntax.yaml", "name: x\nstates: [a, b\n")
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(bad)
    assert info.value.lines[0] is not None
    unsafe = write(tmp_path / "tag.yaml", "name: !!python/object:os.system x\n")
    with pytest.raises(LifecycleFileError, match=r"tag\.yaml:1: .*python/object"):
        Lifecycle.from_file(unsafe)
    with pytest.raises(LifecycleFileError, match="the document is empty"):
        Lifecycle.from_file(write(tmp_path / "empty.yaml", ""))


def test_maps_to_a_file_resolves_relative_to_the_file(tmp_path: Path) -> None:
    """maps_to.lifecycle may be a path, read relative to the mapping file's folder."""
    (tmp_path / "sub").mkdir()
    DEFAULT_LIFECYCLE.to_file(tmp_path / "sub" / "target.yaml")
    path = write(
        tmp_path / "sub" / "src.yaml", SMALL.replace("lifecycle: azureml", "lifecycle: target.yaml")
    )
    lc = Lifecycle.from_file(path)
    assert lc.maps_to is not None
    assert lc.maps_to.target == DEFAULT_LIFECYCLE
    assert "lifecycle: target.yaml" in lifecycle_text(lc)


def test_a_mapping_cycle_is_refused(tmp_path: Path) -> None:
    """A file whose maps_to leads back to itself is an error, not a recursion."""
    path = write(
        tmp_path / "self.yaml", SMALL.replace("lifecycle: azureml", "lifecycle: self.yaml")
    )
    with pytest.raises(LifecycleFileError, match="cycle"):
        Lifecycle.from_file(path)


def test_resolve_names_paths_and_unknown_names(tmp_path: Path) -> None:
    """resolve() takes a profile name or a path; an unknown name suggests the closest."""
    assert resolve("azureml") == DEFAULT_LIFECYCLE
    path = write(tmp_path / "tiny.yaml", SMALL)
    assert resolve(str(path)).name == "Tiny service"
    assert resolve(DEFAULT_LIFECYCLE) is DEFAULT_LIFECYCLE
    with pytest.raises(UnknownProfileError) as info:
        resolve("sagemaker")
    assert info.value.suggestion is not None
    assert info.value.suggestion.startswith("sagemaker")
    with pytest.raises(FileNotFoundError):
        resolve(str(tmp_path / "missing.yaml"))


def test_an_alias_bomb_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """Nested YAML aliases that would expand to billions of values are refused up front."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path / "bomb.yaml", "\n".join(levels) + "\nname: *a8\n")
    with pytest.raises(LifecycleFileError, match="expand to more than"):
        Lifecycle.from_file(path)


def test_huge_bad_values_are_cut_short_in_messages(tmp_path: Path) -> None:
    """A wrong value is quoted in the message, but never at full length."""
    path = write(tmp_path / "long.yaml", f"name: [{', '.join(['word'] * 5000)}]\n")
    with pytest.raises(LifecycleFileError) as info:
        Lifecycle.from_file(path)
    assert len(str(info.value)) < 2000


_NAMES = st.one_of(
    st.sampled_from(["on", "off", "yes", "null", "~", "1:30", "0o17", "123", "a: b", "- x", "#c"]),
    st.text(min_size=1, max_size=12),
)


@st.composite
def chain_lifecycles(draw: st.DrawFn) -> Lifecycle:
    """A lifecycle whose states are awkward YAML spellings, chained start to end."""
    from jobfsm.lifecycle import _member_name

    names = draw(st.lists(_NAMES, min_size=2, max_size=6, unique=True))
    states: list[str] = []
    members: set[str] = set()
    for name in names:
        member = _member_name(name)
        if name.strip() and member and member not in members:
            states.append(name)
            members.add(member)
    assume(len(states) >= 2)
    events = [EventSpec(f"e{i}", a, b) for i, (a, b) in enumerate(itertools.pairwise(states))]
    alias = draw(_NAMES.filter(lambda n: n not in states))
    return Lifecycle(
        name=draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        states=states,
        initial=states[0],
        terminal=[states[-1]],
        events=events,
        aliases={alias: states[-1]},
        descriptions={states[0]: draw(st.text(max_size=30))},
    )


@settings(max_examples=40, deadline=None)
@given(lifecycle=chain_lifecycles())
def test_any_lifecycle_round_trips_through_yaml_and_json(lifecycle: Lifecycle) -> None:
    """Awkward spellings (yes, null, 1:30, unicode, line breaks) come back as the same strings."""
    from jobfsm.lifecycle_file import lifecycle_to_dict

    stream = io.StringIO(lifecycle_text(lifecycle))
    back = Lifecycle.from_file(stream)
    assert back == lifecycle
    assert dict(back.descriptions) == {k: v for k, v in lifecycle.descriptions.items() if v}
    as_json = io.StringIO(json.dumps(lifecycle_to_dict(lifecycle)))
    assert Lifecycle.from_file(as_json) == lifecycle


def test_escaped_surrogate_pairs_join_and_a_lone_half_is_refused_with_its_line() -> None:
    text = textwrap.dedent(
        """\
        name: "rocket \\ud83d\\ude80"
        states:
          - {name: a, description: "lone \\udc00 half"}
          - b
        initial: a
        terminal: [b]
        events: [{name: go, sources: a, dests: b}]
        """
    )
    assert Lifecycle.from_file(io.StringIO(text.replace("lone \\udc00 half", "ok"))).name == (
        "rocket \U0001f680"
    )
    with pytest.raises(LifecycleFileError, match=r":3: 'lone \\udc00 half' escapes half"):
        Lifecycle.from_file(io.StringIO(text))
