"""A stored job's fields document: written by ``add``, read only by ``get``.

The document holds the job's fields as YAML (the job-file dialect, without
``status`` and ``status_history``: those live in the ``jobs.status`` column and
the ``transitions`` table). It is written and read with libyaml's C emitter and
parser: as fast as the standard ``json`` module on job documents, and unlike
JSON it keeps every value a job file can hold (dates and date-times, non-string
keys inside values, and YAML's exact distinction of strings and numbers).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from jobfsm._yamldialect import FastDumper
from jobfsm._yamldoc import HISTORY_KEY, STATUS_KEY, _parse_time
from jobfsm.errors import JobFileStatusError
from jobfsm.job import Job
from jobfsm.lifecycle import Lifecycle
from jobfsm.machine import HistoryEntry
from jobfsm.yamlio import _load_text, _parse, _render

__all__ = ["LegacyJob", "decode", "encode", "split_legacy"]


def encode(job: Job) -> str:
    """The fields document of *job* (no status, no history).

    Raises:
        JobDumpError: the job holds a value YAML cannot represent.
    """
    return _render(job, False, {}, status=False, dumper=FastDumper)


def decode(
    document: str,
    status: str,
    history: Iterable[HistoryEntry],
    *,
    where: str,
    lifecycle: Lifecycle,
) -> Job:
    """The job of a stored *document* at *status* with *history*.

    Raises:
        JobFileError: the document or the status does not fit *lifecycle*
            (the row was stored with another one); *where* names store and job.
    """
    job = _load_text(document, file=where, base=None, lifecycle=lifecycle, fast=True)
    try:
        value = lifecycle.status(status)
    except ValueError:
        raise JobFileStatusError(status, lifecycle.states, key=STATUS_KEY, file=where) from None
    job.restore(value, history)
    return job


class LegacyJob:
    """A job row of the first store format, taken apart: fields and history."""

    def __init__(self, document: str, history: list[Mapping[str, Any]]) -> None:
        self.document = document
        self.history = history

    def times(self) -> list[int]:
        """The history's times in microseconds since the epoch."""
        from jobfsm.store._model import to_micros

        return [to_micros(_parse_time(item["at"])) for item in self.history]


def split_legacy(document: str, *, where: str | os.PathLike[str]) -> LegacyJob:
    """Take a first-format document (status and history inside the YAML) apart.

    No lifecycle is needed: statuses are kept as written, so a store of any
    lifecycle migrates.

    Raises:
        JobFileError: the document is not a job document.
    """
    _, data = _parse(document, os.fspath(where))
    data.pop(STATUS_KEY, None)  # the row's status column says the same
    history = data.pop(HISTORY_KEY, None) or []
    fields = yaml.dump(
        data, Dumper=FastDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return LegacyJob(fields, list(history))
