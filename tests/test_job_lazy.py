"""A job's dictionaries (tags, properties, inputs, ...) are made on first use.

A job that nobody tags costs no empty dictionaries, yet every public
behaviour stays: each job has dictionaries of its own, two threads touching a
fresh job's tags never lose a write, and repr, equality, pickling and
``attrs.evolve`` see an untouched dictionary as the empty one it stands for.
"""

from __future__ import annotations

import copy
import gc
import pickle
import threading

import attrs
import pytest

from jobfsm import CommandJob, PipelineJob, SweepJob

LAZY = {
    CommandJob: ("tags", "properties", "services", "extras", "inputs", "outputs",
                 "environment_variables"),
    PipelineJob: ("tags", "properties", "services", "extras", "jobs", "inputs", "outputs",
                  "settings"),
    SweepJob: ("tags", "properties", "services", "extras", "search_space", "inputs", "outputs"),
}  # fmt: skip


@pytest.mark.parametrize("cls", list(LAZY))
def test_a_fresh_job_holds_no_dictionary(cls: type) -> None:
    """Until read, no dictionary field of a job is allocated."""
    job = cls(name="j")
    assert not [ref for ref in gc.get_referents(job) if type(ref) is dict]
    for name in LAZY[cls]:
        value = getattr(job, name)
        assert value == {}
        assert getattr(job, name) is value  # made once, then kept
    other = cls(name="j")
    assert all(getattr(other, name) is not getattr(job, name) for name in LAZY[cls])


def test_given_dictionaries_are_kept_as_given() -> None:
    """A dictionary passed to the constructor is the job's attribute, as before."""
    tags = {"team": "vision"}
    job = CommandJob(tags=tags, inputs={"x": 1}, unknown_key=3)
    assert job.tags is tags
    assert job.inputs == {"x": 1}
    assert job.extras == {"unknown_key": 3}
    job.tags = {"other": 1}
    assert job.tags == {"other": 1}


def test_repr_and_equality_see_untouched_dictionaries_as_empty() -> None:
    """An untouched dictionary compares and prints as {} (the repr is attrs' own)."""
    lazy = CommandJob(name="j", command="x")
    given = CommandJob(name="j", command="x", tags={}, properties={}, inputs={}, extras={})
    assert lazy == given
    assert repr(lazy) == repr(given)
    assert "tags={}, properties={}," in repr(lazy)
    assert "_tags" not in repr(lazy)
    given.tags["k"] = "v"
    assert lazy != given
    assert "tags={'k': 'v'}" in repr(given)


def test_pickle_copy_and_evolve_keep_the_dictionaries() -> None:
    """Copies made by pickle, copy and attrs.evolve equal the job, with their own dictionaries."""
    job = CommandJob(name="j", command="x", tags={"a": 1})
    for twin in (pickle.loads(pickle.dumps(job)), copy.deepcopy(job), attrs.evolve(job)):
        assert twin == job
        twin.properties["p"] = 1
        assert job.properties == {}
    changed = attrs.evolve(job, tags={"b": 2}, inputs={"i": 1})
    assert (changed.tags, changed.inputs) == ({"b": 2}, {"i": 1})


def test_threads_touching_a_fresh_job_never_lose_a_write() -> None:
    """Two threads writing to a fresh job's tags at once both find their key."""
    threads = 4
    for _ in range(200):
        job = CommandJob(name="j")
        start = threading.Barrier(threads)

        def tag(key: int, job: CommandJob = job, start: threading.Barrier = start) -> None:
            start.wait()
            job.tags[key] = True
            job.inputs[key] = True

        workers = [threading.Thread(target=tag, args=(key,)) for key in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert set(job.tags) == set(job.inputs) == set(range(threads))
