"""jobfsm: a run-status state machine engine for Azure ML style jobs.

The public API is re-exported here; the implementation lives in one module
per responsibility: ``lifecycle`` (the lifecycle value), ``machine`` (the
shared transitions machine), ``job`` and ``services`` (attrs job classes and
the records they carry), ``validate`` and
``eventlog`` (checking observed statuses), ``yamlio`` (job files), ``store``
(durable SQLite store), ``diagrams`` and ``docgen`` (pictures and tables),
``cli`` (the command line) and ``errors`` (every exception). The testing kit,
``jobfsm.testing`` (Hypothesis strategies and a model-based test), and its pytest
plugin, ``jobfsm.pytest_plugin``, are imported only by those who use them.
"""

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
    ReadOnlyAttributeError,
    StreamNotWritableError,
    TimeWentBackwardsError,
    UnknownEventError,
    UnknownStatusError,
    UnreachableStatusError,
    UnsafeTagError,
)
from jobfsm.eventlog import EventLog, MalformedEvent, read_csv, read_jsonl
from jobfsm.heartbeat import HeartbeatMonitor
from jobfsm.job import CommandJob, GenericJob, Job, PipelineJob, SweepJob
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Edge, EventSpec, JobStatus, Lifecycle
from jobfsm.machine import (
    HistoryEntry,
    Observer,
    add_observer,
    remove_observer,
    set_compiled_dispatch,
)
from jobfsm.names import generate_name
from jobfsm.services import JobService, JobServiceType, SystemData
from jobfsm.store import JobStore
from jobfsm.validate import Gap, Reason, Report, Violation, validate_events, validate_trace
from jobfsm.yamlio import load_job

__all__ = [
    "DEFAULT_LIFECYCLE",
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
    "JobRunError",
    "JobService",
    "JobServiceType",
    "JobStatus",
    "JobStore",
    "JobStoreError",
    "Lifecycle",
    "LifecycleAssertionError",
    "LifecycleDefinitionError",
    "MalformedEvent",
    "Observer",
    "PipelineJob",
    "ReadOnlyAttributeError",
    "Reason",
    "Report",
    "StreamNotWritableError",
    "SweepJob",
    "SystemData",
    "TimeWentBackwardsError",
    "UnknownEventError",
    "UnknownStatusError",
    "UnreachableStatusError",
    "UnsafeTagError",
    "Violation",
    "add_observer",
    "generate_name",
    "load_job",
    "read_csv",
    "read_jsonl",
    "remove_observer",
    "render",
    "set_compiled_dispatch",
    "to_dot",
    "to_mermaid",
    "validate_events",
    "validate_trace",
]

__version__ = "0.1.0"
