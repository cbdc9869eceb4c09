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
from jobfsm.job import CommandJob, GenericJob, Job, PipelineJob, SweepJob, allow_job_type, job_types
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
