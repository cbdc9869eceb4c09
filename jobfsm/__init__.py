"""jobfsm: a run-status state machine engine for Azure ML style jobs.

The public API is re-exported here; the implementation lives in the
submodules (``lifecycle``, ``machine``, ``job``, ``validate``, ``yamlio``,
``diagrams``, ``cli``, ``errors``).
"""

from jobfsm.errors import (
    IllegalTransitionError,
    InvalidHistoryError,
    JobFileError,
    JobFSMError,
    LifecycleDefinitionError,
    ReadOnlyAttributeError,
    UnknownEventError,
    UnknownStatusError,
)
from jobfsm.job import (
    CommandJob,
    GenericJob,
    Job,
    JobService,
    JobServiceType,
    PipelineJob,
    SweepJob,
    SystemData,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Edge, EventSpec, JobStatus, Lifecycle
from jobfsm.machine import HistoryEntry, Observer, add_observer, remove_observer
from jobfsm.names import generate_name

__all__ = [
    "DEFAULT_LIFECYCLE",
    "CommandJob",
    "Edge",
    "EventSpec",
    "GenericJob",
    "HistoryEntry",
    "IllegalTransitionError",
    "InvalidHistoryError",
    "Job",
    "JobFSMError",
    "JobFileError",
    "JobService",
    "JobServiceType",
    "JobStatus",
    "Lifecycle",
    "LifecycleDefinitionError",
    "Observer",
    "PipelineJob",
    "ReadOnlyAttributeError",
    "SweepJob",
    "SystemData",
    "UnknownEventError",
    "UnknownStatusError",
    "add_observer",
    "generate_name",
    "remove_observer",
]

# -- YAML (jobfsm.yamlio) --
from jobfsm.errors import (
    JobDumpError,
    JobFileExistsError,
    JobFileHistoryError,
    JobFileStatusError,
    JobFileStructureError,
    JobFileSyntaxError,
    StreamNotWritableError,
    UnsafeTagError,
)
from jobfsm.yamlio import load_job

__all__ += [
    "JobDumpError",
    "JobFileExistsError",
    "JobFileHistoryError",
    "JobFileStatusError",
    "JobFileStructureError",
    "JobFileSyntaxError",
    "StreamNotWritableError",
    "UnsafeTagError",
    "load_job",
]

# -- validation (jobfsm.validate) --
from jobfsm.errors import EventLogError
from jobfsm.eventlog import EventLog, MalformedEvent, read_csv, read_jsonl
from jobfsm.validate import (
    Gap,
    Reason,
    Report,
    Violation,
    validate_events,
    validate_trace,
)

__all__ += [
    "EventLog",
    "EventLogError",
    "Gap",
    "MalformedEvent",
    "Reason",
    "Report",
    "Violation",
    "read_csv",
    "read_jsonl",
    "validate_events",
    "validate_trace",
]

# -- diagrams (jobfsm.diagrams) --
from jobfsm.diagrams import render, to_dot, to_mermaid
from jobfsm.errors import (
    DiagramFormatError,
    DiagramRenderError,
    GraphvizNotFoundError,
)

__all__ += [
    "DiagramFormatError",
    "DiagramRenderError",
    "GraphvizNotFoundError",
    "render",
    "to_dot",
    "to_mermaid",
]

__version__ = "0.1.0"
