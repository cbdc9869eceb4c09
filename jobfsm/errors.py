"""The exceptions jobfsm raises, all in one tree.

Every class derives from :class:`JobFSMError` *and* from the builtin exception a
caller would naturally catch for that failure, so ``except ValueError`` keeps
working for code that does not know about jobfsm::

    JobFSMError(Exception)
    ├── LifecycleDefinitionError(ValueError)   a lifecycle value is inconsistent
    │   └── LifecycleFileError                 a lifecycle file cannot be loaded (file:line)
    ├── UnknownProfileError(ValueError)        neither a built-in profile nor a file
    ├── UnknownStatusError(ValueError)         a status name the lifecycle lacks
    ├── UnknownEventError(ValueError)          an event name the lifecycle lacks
    ├── UnknownJobTypeError(ValueError)        a job type Azure ML does not define
    ├── IllegalTransitionError(RuntimeError)   event not allowed in current status
    │   └── UnreachableStatusError             an observed status no event leads to
    ├── TimeWentBackwardsError(ValueError)     an event time before the previous one
    ├── InvalidHistoryError(ValueError)        a restored history that does not fit
    ├── ReadOnlyAttributeError(AttributeError) assigning status, id, type, ...
    ├── AsyncObserverError(TypeError)          an ``async def`` observer (they must be plain)
    ├── NoWorkingDirectoryError(FileNotFoundError) submitting from a removed folder
    ├── JobStoreError(OSError)                 the job store cannot do what was asked
    │   ├── VersionConflictError               a stale expected_version; nothing written
    │   └── TransitionIdReusedError            a transition id sent with another request
    ├── JobNotFoundError(KeyError)             no stored job has that name
    ├── UnstorableJobError(ValueError)         a job the store cannot keep (name, lifecycle)
    ├── StoreOptionError(ValueError)           a JobStore location or option that cannot work
    ├── JobRunError(ValueError)                a job the local executor cannot run
    ├── JobFileError(ValueError)               a job file cannot be loaded (file:line:col)
    │   ├── JobFileSyntaxError                 malformed YAML
    │   ├── UnsafeTagError                     a !!python/... tag (nothing is executed)
    │   ├── JobFileStructureError              not a mapping, bad type, non-string key
    │   ├── JobFileStatusError                 unknown or non-string status
    │   └── JobFileHistoryError                a status history the lifecycle cannot produce
    ├── JobFileExistsError(FileExistsError)    dump refuses to overwrite a file
    ├── StreamNotWritableError(io.UnsupportedOperation)  dump to a read-only stream
    ├── JobDumpError(ValueError)               a value that cannot be written as YAML
    ├── EventLogError(ValueError)              an event log that cannot be read at all
    ├── MissingExtraError(ImportError)         an optional feature whose extra is not installed
    ├── GraphvizNotFoundError(FileNotFoundError) SVG/PNG asked, no `dot` on PATH
    ├── DiagramFormatError(ValueError)         a diagram format jobfsm cannot draw
    ├── DiagramRenderError(RuntimeError)       Graphviz ran but failed
    └── LifecycleAssertionError(AssertionError) a system or trace does not follow its
                                               lifecycle (raised by jobfsm.testing)

Each error keeps the values it talks about as attributes (``job``, ``from_``,
``event``, ``to``, ``allowed``, ...) so that a scheduler can react without
parsing the message.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "AsyncObserverError",
    "DiagramFormatError",
    "DiagramRenderError",
    "EventLogError",
    "GraphvizNotFoundError",
    "IllegalTransitionError",
    "InvalidHistoryError",
    "JobDumpError",
    "JobFSMError",
    "JobFileError",
    "JobFileExistsError",
    "JobFileHistoryError",
    "JobFileStatusError",
    "JobFileStructureError",
    "JobFileSyntaxError",
    "JobNotFoundError",
    "JobRunError",
    "JobStoreError",
    "LifecycleAssertionError",
    "LifecycleDefinitionError",
    "LifecycleFileError",
    "MissingExtraError",
    "NoWorkingDirectoryError",
    "ReadOnlyAttributeError",
    "StoreOptionError",
    "StreamNotWritableError",
    "TimeWentBackwardsError",
    "TransitionIdReusedError",
    "UnknownEventError",
    "UnknownJobTypeError",
    "UnknownProfileError",
    "UnknownStatusError",
    "UnreachableStatusError",
    "UnsafeTagError",
    "UnstorableJobError",
    "VersionConflictError",
    "closest",
]


def closest(value: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate most like *value* (case-insensitive), or ``None``."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if value.lower() in lowered:
        return lowered[value.lower()]
    import difflib  # only when a suggestion is needed: keeps the CLI's start-up short

    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _location(source: str | None, line: int | None, column: int | None = None) -> str:
    """``file:line:column`` as far as known; ``<stream>`` stands for an unnamed source."""
    where = source or "<stream>"
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(str(n)) for n in names)


class JobFSMError(Exception):
    """Base class of every error raised by jobfsm."""


class LifecycleDefinitionError(JobFSMError, ValueError):
    """A lifecycle definition breaks one or more rules; ``problems`` lists them all.

    ``edges`` holds the ``(source, event, dest)`` edges that a status mapping
    (``maps_to``) sends to a pair its target lifecycle does not allow.
    """

    def __init__(
        self, name: str, problems: Sequence[str], *, edges: Sequence[tuple[str, str, str]] = ()
    ) -> None:
        self.name = name
        self.problems = tuple(problems)
        self.edges = tuple(edges)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"lifecycle {name!r} is not valid ({len(self.problems)} problem(s)):\n{lines}"
        )


class LifecycleFileError(LifecycleDefinitionError):
    """A lifecycle file that cannot be loaded: every problem found, each with its line.

    ``file`` names the file; ``lines`` gives the 1-based line of each entry
    of ``problems`` (``None`` where the problem has no single place).
    """

    def __init__(
        self,
        file: str | None,
        problems: Sequence[tuple[int | None, str]],
        *,
        name: str | None = None,
        edges: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.file = file
        self.lines = tuple(line for line, _ in problems)
        where = file or "<stream>"
        texts = [
            f"{where}:{line}: {text}" if line else f"{where}: {text}" for line, text in problems
        ]
        JobFSMError.__init__(self)
        self.name = name or where
        self.problems = tuple(texts)
        self.edges = tuple(edges)
        lines = "\n".join(f"  - {t}" for t in texts)
        self.args = (f"lifecycle file {where} is not valid ({len(texts)} problem(s)):\n{lines}",)


class UnknownStatusError(JobFSMError, ValueError):
    """A status that the lifecycle does not define."""

    def __init__(self, status: object, known: Sequence[str], *, where: str = "") -> None:
        self.status = status
        self.known = tuple(str(k) for k in known)
        self.suggestion = closest(status, self.known) if isinstance(status, str) else None
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}unknown status {status!r}{hint} (known statuses: {_quoted(self.known)})"
        )


class UnknownProfileError(JobFSMError, ValueError):
    """A lifecycle name that is neither a built-in profile nor an existing file."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        self.suggestion = closest(name, self.known)
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"no lifecycle named {name!r}{hint} (built-in profiles: {_quoted(self.known)}; "
            "or give the path of a lifecycle file)"
        )


class UnknownEventError(JobFSMError, ValueError):
    """An event name that the lifecycle does not define."""

    def __init__(self, event: str, known: Sequence[str]) -> None:
        self.event = event
        self.known = tuple(known)
        self.suggestion = closest(event, self.known) if isinstance(event, str) else None
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(f"unknown event {event!r}{hint} (known events: {_quoted(self.known)})")


class UnknownJobTypeError(JobFSMError, ValueError):
    """A job ``type`` that is neither an Azure ML job type nor one allowed with
    :func:`jobfsm.allow_job_type`; ``suggestion`` is the closest known type."""

    def __init__(self, job_type: str, known: Iterable[str]) -> None:
        self.type = job_type
        self.known = tuple(sorted(known))
        self.suggestion = closest(job_type, self.known)
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"unknown job type {job_type!r}{hint} (known types: {_quoted(self.known)}; "
            "jobfsm.allow_job_type(name) allows another)"
        )


class IllegalTransitionError(JobFSMError, RuntimeError):
    """An event that is not allowed from the job's current status.

    ``RuntimeError`` is the builtin for "valid request, wrong moment", which is
    exactly this: the event exists but the job is in a status that refuses it.
    The job is left unchanged.
    """

    def __init__(
        self,
        job: str | None,
        from_: str,
        event: str,
        allowed: Sequence[str],
        *,
        to: str | None = None,
        reason: str = "",
    ) -> None:
        self.job = job
        self.from_ = from_
        self.event = event
        self.to = to
        self.allowed = tuple(allowed)
        who = f"job {job!r}: " if job else ""
        target = f" to {str(to)!r}" if to else ""
        if reason:
            detail = reason
        elif self.allowed:
            detail = f"allowed events: {_quoted(self.allowed)}"
        else:
            detail = "terminal: no events allowed"
        super().__init__(
            f"{who}event {event!r}{target} is not allowed from {str(from_)!r} ({detail})"
        )


class UnreachableStatusError(IllegalTransitionError):
    """An observed status that no sequence of events leads to from the current one.

    ``to`` is the observed status, ``allowed`` the events allowed from
    ``from_`` and ``reachable`` the statuses that could have been observed;
    ``event`` is empty (no event was named). The job is left unchanged.
    """

    def __init__(
        self,
        job: str | None,
        from_: str,
        to: str,
        *,
        allowed: Sequence[str],
        reachable: Sequence[str],
        terminal: bool = False,
    ) -> None:
        self.job = job
        self.from_ = from_
        self.event = ""
        self.to = to
        self.allowed = tuple(allowed)
        self.reachable = tuple(reachable)
        who = f"job {job!r}: " if job else ""
        if terminal:
            detail = f"{str(from_)!r} is terminal: no status may follow it"
        else:
            detail = f"reachable statuses: {_quoted(self.reachable)}"
        RuntimeError.__init__(
            self,
            f"{who}observed status {str(to)!r} cannot be reached from {str(from_)!r} ({detail})",
        )


class TimeWentBackwardsError(JobFSMError, ValueError):
    """An event time (``at=``) earlier than the time of the job's previous entry.

    ``at`` and ``previous`` are aware UTC datetimes. The job is left unchanged.
    """

    def __init__(self, job: str | None, at: object, previous: object) -> None:
        self.job = job
        self.at = at
        self.previous = previous
        who = f"job {job!r}: " if job else ""
        super().__init__(
            f"{who}time {at} is before {previous}, the time of the previous history entry "
            "(times of one job must not go backwards)"
        )


class InvalidHistoryError(JobFSMError, ValueError):
    """A status history given to ``Job.restore`` that the lifecycle cannot produce."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        super().__init__(f"history entry {index}: {message}")


class ReadOnlyAttributeError(JobFSMError, AttributeError):
    """Assignment to an attribute the service owns (status, id, type, ...)."""

    def __init__(self, attribute: str, hint: str) -> None:
        self.attribute = attribute
        super().__init__(f"{attribute!r} is read-only: {hint}", name=attribute)


class NoWorkingDirectoryError(JobFSMError, FileNotFoundError):
    """Submitting a job without ``experiment_name`` while the current folder, whose
    name is the default, no longer exists; the job is left as it was."""

    def __init__(self, job: str | None) -> None:
        self.job = job
        who = f"job {job!r}" if job else "the job"
        super().__init__(
            errno.ENOENT,
            f"cannot submit {who}: the current folder has been removed, and its name is "
            "the default experiment_name; set experiment_name or change to an existing folder",
        )

    def __str__(self) -> str:
        return str(self.args[1])


class AsyncObserverError(JobFSMError, TypeError):
    """An observer that is a coroutine function, or returned an awaitable.

    Observers run inside the job's lock, in the middle of the change they can
    veto, so they must finish before the event returns: they are plain
    functions for ``fire`` and ``afire`` alike. ``observer`` is the callable.
    """

    def __init__(self, observer: object, *, returned: bool = False) -> None:
        self.observer = observer
        what = "returned an awaitable" if returned else "is a coroutine function"
        super().__init__(
            f"observer {observer!r} {what}; observers must be plain functions (they run "
            "inside the job's lock and may veto the change): do async work by scheduling "
            "it from a plain observer, e.g. loop.call_soon_threadsafe(...)"
        )


class JobStoreError(JobFSMError, OSError):
    """The job store cannot do what was asked (locked database, duplicate name, ...)."""


class StoreOptionError(JobFSMError, ValueError):
    """A ``JobStore`` location or option that cannot work (in-memory file, bad schema, ...)."""


class UnstorableJobError(JobFSMError, ValueError):
    """A job the store cannot keep: no usable name, or another lifecycle than the store's.

    ``name`` is the job's name as given (possibly ``None``) and ``store`` the store.
    """

    def __init__(self, store: object, name: object, reason: str) -> None:
        self.store = store
        self.name = name
        super().__init__(f"{store}: cannot store job {name!r}: {reason}")


class JobNotFoundError(JobFSMError, KeyError):
    """No stored job has that name."""

    def __init__(self, name: str, where: object) -> None:
        self.name = name
        super().__init__(f"{where}: no job named {name!r}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class VersionConflictError(JobStoreError):
    """The stored job's version is not the ``expected_version`` the caller read.

    Another writer changed the job since; nothing was written. ``name``,
    ``expected``, ``actual`` (the stored version) and ``status`` (the stored
    status) let the caller re-read and decide again.
    """

    def __init__(
        self, store: object, name: str, expected: int, actual: int, status: object
    ) -> None:
        self.store = store
        self.name = name
        self.expected = expected
        self.actual = actual
        self.status = status
        super().__init__(
            f"{store}: job {name!r} is at version {actual} (status {str(status)!r}), "
            f"not the expected version {expected}; another writer changed it, nothing "
            "was written (read it again and retry)"
        )


class TransitionIdReusedError(JobStoreError):
    """A transition id already recorded for the job with a different request.

    ``transition_id`` names the id, ``recorded`` the request it was first
    used for and ``requested`` the new one; nothing was written.
    """

    def __init__(
        self, store: object, name: str, transition_id: str, recorded: str, requested: str
    ) -> None:
        self.store = store
        self.name = name
        self.transition_id = transition_id
        self.recorded = recorded
        self.requested = requested
        super().__init__(
            f"{store}: job {name!r}: transition id {transition_id!r} was already used for "
            f"{recorded}, not {requested}; a transition id names one request (use a new id "
            "for a new request); nothing was written"
        )


class JobRunError(JobFSMError, ValueError):
    """A job the local executor cannot run: not a command job, no command, a missing
    code folder, a command referring to an input it does not declare."""


class JobFileError(JobFSMError, ValueError):
    """A job document that cannot be loaded; names the file, line and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(f"{_location(file, line, column)}: {message}")


# -- YAML file errors (jobfsm.yamlio) ---------------------------------------------


class JobFileSyntaxError(JobFileError):
    """The text is not YAML (or not one YAML document); names where parsing stopped."""


class UnsafeTagError(JobFileError):
    """A tag such as ``!!python/object`` that safe loading refuses; nothing was constructed."""

    def __init__(self, tag: str, **where: Any) -> None:
        self.tag = tag
        super().__init__(
            f"tag {tag!r} is not allowed: job files may only use plain YAML values "
            "(mappings, lists, strings, numbers, booleans, null, timestamps)",
            **where,
        )


class JobFileStructureError(JobFileError):
    """A document whose shape jobfsm cannot use: not a mapping, a bad ``type`` value, ...

    ``key`` is the offending key (``None`` for the document itself) and
    ``expected`` says what would be valid.
    """

    def __init__(self, message: str, *, key: str | None, expected: str, **where: Any) -> None:
        self.key = key
        self.expected = expected
        super().__init__(f"{message}; expected {expected}", **where)


class JobFileStatusError(JobFileError):
    """A ``status`` (or history status) that is not a status of the lifecycle."""

    def __init__(self, value: object, known: Sequence[str], *, key: str, **where: Any) -> None:
        self.value = value
        self.key = key
        self.known = tuple(str(k) for k in known)
        self.suggestion = closest(value, self.known) if isinstance(value, str) else None
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        if isinstance(value, str):
            kind = ""
        elif value is None:
            kind = " (null, not a string)"
        else:
            kind = f" (of type {type(value).__name__}, not a string)"
        super().__init__(
            f"{key}: unknown status {value!r}{kind}{hint} (known statuses: {_quoted(self.known)})",
            **where,
        )


class JobFileHistoryError(JobFileError):
    """A ``status_history`` that the lifecycle cannot have produced; ``index`` is 0-based."""

    def __init__(self, message: str, *, index: int | None, **where: Any) -> None:
        self.index = index
        super().__init__(message, **where)


class JobFileExistsError(JobFSMError, FileExistsError):
    """``dump`` to a path that already exists; the existing file was not touched."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            errno.EEXIST,
            f"{path} already exists; jobfsm never overwrites a job file (remove it or "
            "choose another name)",
            path,
        )

    def __str__(self) -> str:
        return str(self.args[1])


class StreamNotWritableError(JobFSMError, io.UnsupportedOperation):
    """``dump`` to an open stream that cannot be written (e.g. opened for reading)."""

    def __init__(self, stream: object, problem: str = "is not writable") -> None:
        self.stream = stream
        name = getattr(stream, "name", None)
        what = f"stream {name!r}" if isinstance(name, str) else f"{type(stream).__name__} stream"
        super().__init__(f"{what} {problem}; open it with mode 'w' or pass a path")


class JobDumpError(JobFSMError, ValueError):
    """A job that cannot be written as YAML (a value YAML cannot hold, a reserved key)."""


# -- validation input errors (jobfsm.validate) -------------------------------------


class EventLogError(JobFSMError, ValueError):
    """An event log that cannot be read at all (not text, unknown format).

    Single malformed lines are not errors: they are reported in the
    validation report and reading goes on. This is for problems that stop
    reading, such as bytes that are not UTF-8.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        super().__init__(f"{_location(source, line)}: {message}")


class MissingExtraError(JobFSMError, ImportError):
    """An optional feature needs a package that is not installed.

    ``module`` is the missing import, ``extra`` the jobfsm extra that installs
    it and ``feature`` what it is needed for.
    """

    def __init__(self, module: str, extra: str, feature: str) -> None:
        self.module = module
        self.extra = extra
        self.feature = feature
        super().__init__(
            f"{feature} needs {module}, which is not installed: pip install 'jobfsm[{extra}]'",
            name=module,
        )


# -- diagram errors (jobfsm.diagrams) ----------------------------------------------


class GraphvizNotFoundError(JobFSMError, FileNotFoundError):
    """The Graphviz ``dot`` program, needed for SVG and PNG, is not on ``PATH``.

    ``FileNotFoundError`` is what running a missing program raises, so callers
    that already catch it keep working. ``hint`` says how to install Graphviz.
    """

    def __init__(self, executable: str, fmt: str) -> None:
        self.executable = executable
        self.format = fmt
        self.hint = (
            "install Graphviz (Debian/Ubuntu: apt-get install graphviz; "
            "macOS: brew install graphviz; others: https://graphviz.org/download/)"
        )
        super().__init__(
            f"rendering {fmt.upper()} needs the Graphviz {executable!r} program, "
            f"which is not on PATH; {self.hint}"
        )


class DiagramFormatError(JobFSMError, ValueError):
    """A diagram format jobfsm cannot produce; ``supported`` lists the valid ones."""

    def __init__(self, fmt: str, supported: Sequence[str]) -> None:
        self.format = fmt
        self.supported = tuple(supported)
        super().__init__(
            f"unknown diagram format {fmt!r} (supported formats: {_quoted(self.supported)})"
        )


class DiagramRenderError(JobFSMError, RuntimeError):
    """Graphviz ran but did not produce the picture; ``stderr`` is what it said."""

    def __init__(self, fmt: str, returncode: int | None, stderr: str) -> None:
        self.format = fmt
        self.returncode = returncode
        self.stderr = stderr
        status = "timed out" if returncode is None else f"exited with status {returncode}"
        detail = stderr.strip().splitlines()[0] if stderr.strip() else "no message"
        super().__init__(f"Graphviz dot {status} while rendering {fmt.upper()}: {detail}")


class LifecycleAssertionError(JobFSMError, AssertionError):
    """A system under test, or a trace, does not follow its lifecycle.

    Raised by the testing kit (``jobfsm.testing``): ``assert_follows`` sets
    ``report`` (the validator's :class:`~jobfsm.validate.Report`, or ``None``
    for a refused event); a ``LifecycleModel`` sets ``event`` (the event fired),
    ``from_`` (the status before it), ``expected`` (the status the lifecycle
    leads to, ``None`` when it refuses the event) and ``actual`` (what the
    system did: its status, or ``None`` when it refused).
    """

    def __init__(
        self,
        message: str,
        *,
        report: Any = None,
        event: str | None = None,
        from_: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        self.report = report
        self.event = event
        self.from_ = from_
        self.expected = expected
        self.actual = actual
        super().__init__(message)
