"""The job store's entry point and its writes, shared by every backend.

:class:`JobStore` is both the entry point and the base class of the backends:
``JobStore(target)`` returns a :class:`~jobfsm.store.sqlite.SQLiteStore` for a
file path or ``sqlite:///`` URL and a :class:`~jobfsm.store.postgres.PostgresStore`
for a ``postgresql://`` URL. A backend supplies connections, transactions with
their retry policy, its schema, and the translation of driver errors; the
rules (which move an event makes, versions, transition ids, times,
observers) live here once, over SQL that both databases accept.

An event reads one row (status, version, time of the last transition),
works out the move from the lifecycle's table, and writes one conditional
``UPDATE`` and one ``INSERT``: it never reads the job's fields document or
its history, so its cost does not grow with the job's past.
"""

from __future__ import annotations

import enum
import os
from datetime import datetime
from typing import Any, TypeVar

from jobfsm.errors import (
    IllegalTransitionError,
    JobFSMError,
    JobStoreError,
    TimeWentBackwardsError,
    TransitionIdReusedError,
    UnstorableJobError,
    VersionConflictError,
)
from jobfsm.job import Job
from jobfsm.store import _document
from jobfsm.store._contract import DURABILITY, StoreBase, _encodable, _named
from jobfsm.store._model import (
    Applied,
    Transition,
    display_target,
    from_micros,
    now_micros,
    to_micros,
)

__all__ = ["DURABILITY", "JobStore"]

_T = TypeVar("_T")


class JobStore(StoreBase):
    """Jobs kept in a database that many threads, processes and machines share.

    Args:
        target: A file path or ``sqlite:///path`` (SQLite, the embedded
            default), or a ``postgresql://`` URL (needs the ``postgres`` extra).
        lifecycle: The lifecycle of the stored jobs.
        timeout: Seconds a call waits for another writer before raising
            :class:`~jobfsm.errors.JobStoreError`.
        durability: ``"full"`` (default): a transition the call returned
            survives a power loss. ``"normal"``: it survives a crash of the
            program, not of the machine (SQLite ``synchronous=NORMAL``;
            PostgreSQL ``synchronous_commit=off``), for several times the speed.
        schema: PostgreSQL only: the schema holding the tables (created when
            missing); also ``?schema=`` in the URL. Default: the server's
            search path.

    Raises:
        JobStoreError: the store cannot be opened (names it and says why).
        ValueError: an unknown *durability*, or ``":memory:"``.
    """

    def __new__(cls, target: str | os.PathLike[str], *args: Any, **kwargs: Any) -> JobStore:
        if cls is JobStore:
            cls = _backend_for(target)
        return super().__new__(cls)

    # -- writes --------------------------------------------------------------------

    def add(self, job: Job) -> Applied:
        """Store a new job under its name, with the history it already has.

        Its version is 1 plus the number of its history entries (1 for a new job).

        Raises:
            ValueError: the job has no name, or follows another lifecycle.
            JobStoreError: a job with that name is already stored, or the
                database cannot be written; nothing is stored.
            JobDumpError: the job holds a value YAML cannot represent.
        """
        if not job.name or not isinstance(job.name, str):
            raise UnstorableJobError(
                self, job.name, "a job needs a non-empty string name; fire 'start' or pass name="
            )
        if not _encodable(job.name):
            raise UnstorableJobError(
                self, job.name, "the name holds a character UTF-8 cannot encode (a surrogate)"
            )
        if job.lifecycle != self.lifecycle:
            raise UnstorableJobError(
                self,
                job.name,
                f"it follows lifecycle {job.lifecycle.name!r} but the store holds jobs of "
                f"{self.lifecycle.name!r}; create the job with lifecycle=store.lifecycle, "
                "or open the store with the job's lifecycle",
            )
        name, document = job.name, _document.encode(job)
        with job._get_lock():
            status, history = job.status, job.history
        rows = [
            Transition(i + 2, str(h.from_), str(h.to), h.event, to_micros(h.at), None,
                       h.reason, h.source, h.inferred)
            for i, h in enumerate(history)
        ]  # fmt: skip
        now = now_micros()
        version = len(rows) + 1
        updated = rows[-1].at if rows else now

        def work(tx: Any) -> None:
            added = tx.execute(
                self._sql["add"], (name, job.type, str(status), version, now, updated, document)
            )
            if added.rowcount != 1:
                raise JobStoreError(f"{self}: a job named {name!r} is already stored")
            if rows:  # executemany: one round trip per batch, not per row (PostgreSQL)
                tx.cursor().executemany(self._sql["record"], [(name, *row) for row in rows])

        self._write(work)
        return Applied(status, version, False, tuple(history))

    def delete(self, name: str, *, expected_version: int | None = None) -> None:
        """Remove the job called *name* and its history.

        Raises:
            JobNotFoundError: no such job.
            VersionConflictError: its version is not *expected_version*; nothing removed.
        """

        def work(tx: Any) -> None:
            status, version, _ = self._row(tx, name)
            self._check_version(name, expected_version, version, status)
            tx.execute(self._sql["delete"], (name,))
            tx.execute(self._sql["forget"], (name,))

        self._write(work)

    def beat(self, name: str, at: datetime | None = None) -> None:
        """Record a heartbeat of *name* at *at* (default now); an older beat is kept.

        A heartbeat is not a transition: the version does not change.

        Raises:
            JobNotFoundError: no such job.
        """
        when = now_micros() if at is None else to_micros(at)

        def work(tx: Any) -> None:
            if tx.execute(self._sql["beat"], (when, name, when)).rowcount == 0:
                self._row(tx, name)  # absent, or a later beat is already recorded

        self._write(work)

    # -- transitions -------------------------------------------------------------

    def fire(
        self,
        name: str,
        event: str,
        *,
        to: str | None = None,
        expected_version: int | None = None,
        transition_id: str | None = None,
        at: datetime | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> Applied:
        """Apply *event* to the stored job *name*, atomically.

        Args:
            name: The job.
            event: The event to fire.
            to: The destination, for events with several (``resume``); by
                default the status held before, as ``Job.fire`` does.
            expected_version: Refuse unless the job is at this version (the
                one read before deciding): a lost update becomes an error.
            transition_id: A caller's id for this request. Sent again (a
                retry after a timeout or a crash), the first call's result is
                returned with ``replayed=True`` and nothing is written.
            at: The time to record (aware, or naive UTC); default now. A time
                before the job's last transition is refused.
            reason: Free text recorded with the transition.
            source: Who reported it, recorded with the transition.

        Returns:
            The job's status and version afterwards and the entry added.

        Raises:
            JobNotFoundError: no such job.
            UnknownEventError, UnknownStatusError: *event* or *to* is not the lifecycle's.
            IllegalTransitionError: the event is not allowed from the job's status.
            VersionConflictError: the version is not *expected_version*.
            TransitionIdReusedError: *transition_id* was used for another request.
            JobStoreError: the database cannot be written (another writer held
                it longer than ``timeout``, the disk is full, the server is down).
            ValueError: *at* is before the job's last transition.

        Nothing is written when it raises.
        """
        if event not in self._engine._triggers:
            self._reject(name, lambda: self.lifecycle.check_event(event))
        target = None if to is None else self._reject(name, lambda: self.lifecycle.status(to))
        given = None if at is None else to_micros(at)

        def work(tx: Any) -> Applied:
            status, version, updated = self._row(tx, name)
            if transition_id is not None:
                replayed = self._replay(tx, name, transition_id, event, target, None)
                if replayed is not None:
                    return replayed
            self._check_version(name, expected_version, version, status)
            source_status = self._parse(name, status)
            dest = self._target(tx, name, source_status, event, target)
            when = self._time(name, given, updated, version)
            row = Transition(version + 1, status, str(dest), event, when, transition_id,
                             reason, source, False)  # fmt: skip
            self._commit(tx, name, version, [row])
            return Applied(dest, version + 1, False, (row.entry(self._parse_any),))

        return self._write(work)

    def observe(
        self,
        name: str,
        status: str,
        *,
        expected_version: int | None = None,
        transition_id: str | None = None,
        at: datetime | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> Applied:
        """Bring the stored job *name* to an observed (polled) *status*, atomically.

        The events applied are the lifecycle's rule for observed statuses
        (``Lifecycle.observe_steps``): none when the job is already there,
        the edge's event for a neighbour, a shortest path's events otherwise,
        each entry but the last recorded as inferred. All steps are one
        transaction and share *at*, *reason*, *source* and *transition_id*.
        Arguments and errors are those of :meth:`fire`; an unreachable status
        raises :class:`~jobfsm.errors.UnreachableStatusError` (an
        :class:`IllegalTransitionError`). An observed status that is
        already the job's writes nothing (not even the transition id).
        """
        dest = self._reject(name, lambda: self.lifecycle.status(status))
        given = None if at is None else to_micros(at)

        def work(tx: Any) -> Applied:
            current, version, updated = self._row(tx, name)
            if transition_id is not None:
                replayed = self._replay(tx, name, transition_id, None, None, dest)
                if replayed is not None:
                    return replayed
            self._check_version(name, expected_version, version, current)
            here = self._parse(name, current)
            steps = self._reject(name, lambda: self.lifecycle.observe_steps(here, dest, job=name))
            if not steps:
                return Applied(here, version, False, ())
            when = self._time(name, given, updated, version)
            rows = []
            for index, (event, after) in enumerate(steps):
                inferred = index < len(steps) - 1
                rows.append(Transition(version + index + 1, str(here), str(after), event, when,
                                       transition_id, reason, source, inferred))  # fmt: skip
                here = after
            self._commit(tx, name, version, rows)
            entries = tuple(row.entry(self._parse_any) for row in rows)
            return Applied(here, rows[-1].seq, False, entries)

        return self._write(work)

    # -- shared steps of writes --------------------------------------------------

    def _commit(self, tx: Any, name: str, version: int, rows: list[Transition]) -> None:
        """Tell the lifecycle's observers, then write the move and its rows."""
        if self._engine.observers:
            self._notify(tx, name, rows)
        last = rows[-1]
        moved = tx.execute(self._sql["move"], (last.to, last.seq, last.at, name, version))
        if moved.rowcount != 1:  # the row lock makes this unreachable; refuse loudly anyway
            raise JobStoreError(f"{self}: job {name!r} changed during the transaction")
        if len(rows) == 1:
            tx.execute(self._sql["record"], (name, *last))
        else:
            tx.cursor().executemany(self._sql["record"], [(name, *row) for row in rows])

    def _notify(self, tx: Any, name: str, rows: list[Transition]) -> None:
        """Call the lifecycle observers with the job after each new entry (they may refuse)."""
        document, _, history = self._load(tx, name)
        for index, row in enumerate(rows):
            job = _document.decode(
                document, row.to, self._entries([*history, *rows[: index + 1]]),
                where=self._job_where(name), lifecycle=self.lifecycle,
            )  # fmt: skip
            for observer in self._engine.observers:
                observer(job, row.entry(self._parse_any))

    def _replay(
        self,
        tx: Any,
        name: str,
        transition_id: str,
        event: str | None,
        to: enum.StrEnum | None,
        observed: enum.StrEnum | None,
    ) -> Applied | None:
        """The recorded result of *transition_id*, or ``None`` when it is new."""
        rows = [Transition(*r) for r in tx.execute(self._sql["replay"], (name, transition_id))]
        if not rows:
            return None
        last = rows[-1]
        if observed is not None:
            same = last.to == observed
            requested = f"observing {str(observed)!r}"
        else:
            same = len(rows) == 1 and last.event == event and (to is None or last.to == to)
            requested = f"event {event!r}" + (f" to {str(to)!r}" if to is not None else "")
        if not same:
            recorded = (
                f"event {last.event!r} ({last.from_} -> {last.to})"
                if len(rows) == 1
                else f"observing {last.to!r} ({len(rows)} events)"
            )
            raise TransitionIdReusedError(self, name, transition_id, recorded, requested)
        entries = tuple(row.entry(self._parse_any) for row in rows)
        return Applied(self._parse(name, last.to), last.seq, True, entries)

    def _target(
        self, tx: Any, name: str, source: enum.StrEnum, event: str, to: enum.StrEnum | None
    ) -> enum.StrEnum:
        dests = self._table[source].get(event)
        if dests is not None and len(dests) == 1 and (to is None or to is dests[0]):
            return dests[0]
        # The rare cases (illegal, several destinations) go through the engine's own rule.
        probe = _Probe(name, source)
        if dests is not None and to is None:
            previous = tx.execute(self._sql["previous"], (name,)).fetchone()
            if previous is not None:
                probe._aux.history = [(self._parse(name, previous[0]), source, "", 0)]
        try:
            if dests is None:
                raise IllegalTransitionError(name, source, event, tuple(self._table[source]))
            return self._engine._target(probe, source, event, dests, to)
        except JobFSMError as exc:
            raise _named(exc, self) from None

    def _check_version(self, name: str, expected: int | None, version: int, status: str) -> None:
        if expected is not None and expected != version:
            raise VersionConflictError(self, name, expected, version, self._parse(name, status))

    def _time(self, name: str, given: int | None, updated: int, version: int) -> int:
        """The time to record: *given*, unless before the last transition; else now.

        Now is read under the row lock, and never put before the last
        transition (clocks of different machines disagree a little): the
        refusal is for times a caller gives.
        """
        if given is None:
            now = now_micros()
            return now if version == 1 or now >= updated else updated
        if version > 1 and given < updated:
            error = TimeWentBackwardsError(name, from_micros(given), from_micros(updated))
            raise _named(error, self)
        return given


class _Probe:
    """The two slots ``Engine._target`` reads of a job, for a stored job's row."""

    def __init__(self, name: str, status: enum.StrEnum) -> None:
        self.name = name
        self._status = status
        self._aux = _ProbeAux()


class _ProbeAux:
    """The history (at most the status before) and the observers (none) of a probe."""

    def __init__(self) -> None:
        self.history: list[Any] | None = None
        self.observers = None


def _backend_for(target: str | os.PathLike[str]) -> type[JobStore]:
    text = os.fspath(target)
    if isinstance(text, bytes):
        raise TypeError(f"a job store is named by a str path or URL, not {target!r}")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        from jobfsm.store.postgres import PostgresStore

        return PostgresStore
    if scheme in ("", "sqlite"):
        from jobfsm.store.sqlite import SQLiteStore

        return SQLiteStore
    raise JobStoreError(
        f"{display_target(text)}: unknown job store URL scheme {scheme!r}; expected a file "
        "path, sqlite:///path/to/file.db, or postgresql://user@host:port/database"
    )
