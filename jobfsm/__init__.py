"""jobfsm: a run-status state machine engine for Azure ML style jobs.

The public API is re-exported here; the implementation lives in one module
per responsibility: ``lifecycle`` (the lifecycle value), ``lifecycle_file``
and ``profiles`` (lifecycles as files, built-in service profiles),
``mapping`` (statuses in another lifecycle's terms), ``machine`` (the
shared transitions machine), ``job`` and ``services`` (attrs job classes and
the records they carry), ``validate``, ``eventlog`` and ``columnar``
(checking observed statuses in lists, JSON Lines, CSV, Parquet and Arrow),
``spark`` (the same verdicts on Apache Spark, imported on its own),
``yamlio`` (job files), ``store`` (durable job stores: SQLite, PostgreSQL),
``diagrams`` and ``docgen`` (pictures and tables), ``cli`` (the command line)
and ``errors`` (every exception). The testing kit,
``jobfsm.testing`` (Hypothesis strategies and a model-based test), and its pytest
plugin, ``jobfsm.pytest_plugin``, are imported only by those who use them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobfsm.columnar import ArrowEventLog, read_arrow, read_parquet
    from jobfsm.diagrams import render, to_dot, to_mermaid
    from jobfsm.errors import (
        AsyncObserverError,
        DiagramFormatError,
        DiagramRenderError,
        EventLogError,
        GraphvizNotFoundError,
        IllegalTransitionError,
        InvalidHistoryError,
        JobDumpError,
        JobFileError,
        JobFileExistsError,
        JobFileHistoryError,
        JobFileStatusError,
        JobFileStructureError,
        JobFileSyntaxError,
        JobFSMError,
        JobNotFoundError,
        JobRunError,
        JobStoreError,
        LifecycleAssertionError,
        LifecycleDefinitionError,
        LifecycleFileError,
        MissingExtraError,
        NoWorkingDirectoryError,
        ReadOnlyAttributeError,
        StoreOptionError,
        StreamNotWritableError,
        TimeWentBackwardsError,
        TransitionIdReusedError,
        UnknownEventError,
        UnknownJobTypeError,
        UnknownProfileError,
        UnknownStatusError,
        UnreachableStatusError,
        UnsafeTagError,
        UnstorableJobError,
        VersionConflictError,
    )
    from jobfsm.eventlog import EventLog, MalformedEvent, read_csv, read_jsonl
    from jobfsm.heartbeat import HeartbeatMonitor
    from jobfsm.job import (
        CommandJob,
        GenericJob,
        Job,
        PipelineJob,
        SweepJob,
        allow_job_type,
        job_types,
    )
    from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Edge, EventSpec, JobStatus, Lifecycle
    from jobfsm.machine import (
        HistoryEntry,
        Observer,
        add_observer,
        remove_observer,
        set_compiled_dispatch,
    )
    from jobfsm.mapping import StatusMapping, translate_report
    from jobfsm.names import generate_name
    from jobfsm.profiles import resolve as resolve_lifecycle
    from jobfsm.services import JobService, JobServiceType, SystemData
    from jobfsm.store import Applied, JobRow, JobStore
    from jobfsm.validate import (
        AliasUse,
        Gap,
        Reason,
        Report,
        Violation,
        validate_events,
        validate_trace,
    )
    from jobfsm.yamlio import load_job

# Public name -> the module that defines it. Names are imported on first use
# (PEP 562), so that `jobfsm validate` does not pay for diagrams, YAML or the
# store, and `import jobfsm` stays cheap.
_EXPORTS: dict[str, str] = {
    "ArrowEventLog": "jobfsm.columnar",
    "read_arrow": "jobfsm.columnar",
    "read_parquet": "jobfsm.columnar",
    "render": "jobfsm.diagrams",
    "to_dot": "jobfsm.diagrams",
    "to_mermaid": "jobfsm.diagrams",
    "AsyncObserverError": "jobfsm.errors",
    "DiagramFormatError": "jobfsm.errors",
    "DiagramRenderError": "jobfsm.errors",
    "EventLogError": "jobfsm.errors",
    "GraphvizNotFoundError": "jobfsm.errors",
    "IllegalTransitionError": "jobfsm.errors",
    "InvalidHistoryError": "jobfsm.errors",
    "JobDumpError": "jobfsm.errors",
    "JobFileError": "jobfsm.errors",
    "JobFileExistsError": "jobfsm.errors",
    "JobFileHistoryError": "jobfsm.errors",
    "JobFileStatusError": "jobfsm.errors",
    "JobFileStructureError": "jobfsm.errors",
    "JobFileSyntaxError": "jobfsm.errors",
    "JobFSMError": "jobfsm.errors",
    "JobNotFoundError": "jobfsm.errors",
    "JobRunError": "jobfsm.errors",
    "JobStoreError": "jobfsm.errors",
    "LifecycleAssertionError": "jobfsm.errors",
    "LifecycleDefinitionError": "jobfsm.errors",
    "LifecycleFileError": "jobfsm.errors",
    "MissingExtraError": "jobfsm.errors",
    "NoWorkingDirectoryError": "jobfsm.errors",
    "ReadOnlyAttributeError": "jobfsm.errors",
    "StoreOptionError": "jobfsm.errors",
    "StreamNotWritableError": "jobfsm.errors",
    "TimeWentBackwardsError": "jobfsm.errors",
    "TransitionIdReusedError": "jobfsm.errors",
    "UnknownEventError": "jobfsm.errors",
    "UnknownJobTypeError": "jobfsm.errors",
    "UnknownProfileError": "jobfsm.errors",
    "UnknownStatusError": "jobfsm.errors",
    "UnreachableStatusError": "jobfsm.errors",
    "UnsafeTagError": "jobfsm.errors",
    "UnstorableJobError": "jobfsm.errors",
    "VersionConflictError": "jobfsm.errors",
    "EventLog": "jobfsm.eventlog",
    "MalformedEvent": "jobfsm.eventlog",
    "read_csv": "jobfsm.eventlog",
    "read_jsonl": "jobfsm.eventlog",
    "HeartbeatMonitor": "jobfsm.heartbeat",
    "CommandJob": "jobfsm.job",
    "GenericJob": "jobfsm.job",
    "Job": "jobfsm.job",
    "PipelineJob": "jobfsm.job",
    "SweepJob": "jobfsm.job",
    "allow_job_type": "jobfsm.job",
    "job_types": "jobfsm.job",
    "DEFAULT_LIFECYCLE": "jobfsm.lifecycle",
    "Edge": "jobfsm.lifecycle",
    "EventSpec": "jobfsm.lifecycle",
    "JobStatus": "jobfsm.lifecycle",
    "Lifecycle": "jobfsm.lifecycle",
    "HistoryEntry": "jobfsm.machine",
    "Observer": "jobfsm.machine",
    "add_observer": "jobfsm.machine",
    "remove_observer": "jobfsm.machine",
    "set_compiled_dispatch": "jobfsm.machine",
    "StatusMapping": "jobfsm.mapping",
    "translate_report": "jobfsm.mapping",
    "generate_name": "jobfsm.names",
    "resolve_lifecycle": "jobfsm.profiles",
    "JobService": "jobfsm.services",
    "JobServiceType": "jobfsm.services",
    "SystemData": "jobfsm.services",
    "Applied": "jobfsm.store",
    "JobRow": "jobfsm.store",
    "JobStore": "jobfsm.store",
    "AliasUse": "jobfsm.validate",
    "Gap": "jobfsm.validate",
    "Reason": "jobfsm.validate",
    "Report": "jobfsm.validate",
    "Violation": "jobfsm.validate",
    "validate_events": "jobfsm.validate",
    "validate_trace": "jobfsm.validate",
    "load_job": "jobfsm.yamlio",
}

__all__ = [
    "DEFAULT_LIFECYCLE",
    "AliasUse",
    "Applied",
    "ArrowEventLog",
    "AsyncObserverError",
    "CommandJob",
    "DiagramFormatError",
    "DiagramRenderError",
    "Edge",
    "EventLog",
    "EventLogError",
    "EventSpec",
    "Gap",
    "GenericJob",
    "GraphvizNotFoundError",
    "HeartbeatMonitor",
    "HistoryEntry",
    "IllegalTransitionError",
    "InvalidHistoryError",
    "Job",
    "JobDumpError",
    "JobFSMError",
    "JobFileError",
    "JobFileExistsError",
    "JobFileHistoryError",
    "JobFileStatusError",
    "JobFileStructureError",
    "JobFileSyntaxError",
    "JobNotFoundError",
    "JobRow",
    "JobRunError",
    "JobService",
    "JobServiceType",
    "JobStatus",
    "JobStore",
    "JobStoreError",
    "Lifecycle",
    "LifecycleAssertionError",
    "LifecycleDefinitionError",
    "LifecycleFileError",
    "MalformedEvent",
    "MissingExtraError",
    "NoWorkingDirectoryError",
    "Observer",
    "PipelineJob",
    "ReadOnlyAttributeError",
    "Reason",
    "Report",
    "StatusMapping",
    "StoreOptionError",
    "StreamNotWritableError",
    "SweepJob",
    "SystemData",
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
    "Violation",
    "add_observer",
    "allow_job_type",
    "generate_name",
    "job_types",
    "load_job",
    "read_arrow",
    "read_csv",
    "read_jsonl",
    "read_parquet",
    "remove_observer",
    "render",
    "resolve_lifecycle",
    "set_compiled_dispatch",
    "to_dot",
    "to_mermaid",
    "translate_report",
    "validate_events",
    "validate_trace",
]

__version__ = "0.1.0"

# Names exported under another name than their module's.
_RENAMED = {"resolve_lifecycle": "resolve"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jobfsm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
