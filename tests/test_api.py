"""The public surface: what ``from jobfsm import ...`` offers, and nothing more."""

from __future__ import annotations

from pathlib import Path

import jobfsm

PUBLIC = {
    # the lifecycle value
    "DEFAULT_LIFECYCLE", "Edge", "EventSpec", "JobStatus", "Lifecycle",
    # lifecycles as files, service profiles, mappings
    "StatusMapping", "resolve_lifecycle", "translate_report",
    # jobs
    "CommandJob", "GenericJob", "HistoryEntry", "Job", "JobService", "JobServiceType",
    "Observer", "PipelineJob", "SweepJob", "SystemData", "add_observer", "generate_name",
    "remove_observer", "set_compiled_dispatch", "allow_job_type", "job_types",
    # scheduler kit
    "HeartbeatMonitor",
    # persistence
    "Applied", "JobRow", "JobStore", "load_job",
    # validation
    "AliasUse", "EventLog", "Gap", "MalformedEvent", "Reason", "Report", "Violation", "read_csv",
    "read_jsonl", "validate_events", "validate_trace",
    "ArrowEventLog", "read_arrow", "read_parquet",
    # diagrams
    "render", "to_dot", "to_mermaid",
    # errors
    "AsyncObserverError", "DiagramFormatError", "DiagramRenderError", "EventLogError",
    "GraphvizNotFoundError",
    "IllegalTransitionError", "InvalidHistoryError", "JobDumpError", "JobFSMError",
    "JobFileError", "JobFileExistsError", "JobFileHistoryError", "JobFileStatusError",
    "JobFileStructureError", "JobFileSyntaxError", "JobNotFoundError", "JobRunError",
    "JobStoreError",
    "LifecycleAssertionError", "LifecycleDefinitionError", "LifecycleFileError",
    "MissingExtraError", "NoWorkingDirectoryError", "ReadOnlyAttributeError",
    "UnknownProfileError",
    "StreamNotWritableError", "TimeWentBackwardsError", "TransitionIdReusedError",
    "UnknownEventError", "UnknownJobTypeError", "UnknownStatusError", "UnreachableStatusError",
    "UnsafeTagError", "VersionConflictError",
}  # fmt: skip


def test_all_is_pinned() -> None:
    """jobfsm.__all__ is exactly the documented public names, sorted and importable."""
    assert set(jobfsm.__all__) == PUBLIC
    assert len(jobfsm.__all__) == len(PUBLIC)
    assert jobfsm.__all__ == sorted(jobfsm.__all__, key=lambda n: (not n.isupper(), n))
    for name in jobfsm.__all__:
        assert getattr(jobfsm, name) is not None


def test_spec_names_are_public() -> None:
    """The names the specification promises are all importable from the package."""
    from jobfsm import (  # noqa: F401
        DEFAULT_LIFECYCLE,
        CommandJob,
        IllegalTransitionError,
        Job,
        JobFSMError,
        JobService,
        JobStatus,
        Lifecycle,
        PipelineJob,
        SweepJob,
        UnknownStatusError,
        load_job,
        validate_events,
        validate_trace,
    )


def test_every_error_is_a_jobfsm_error_and_a_builtin() -> None:
    """Each exported error derives from JobFSMError and from a builtin exception."""
    errors = [getattr(jobfsm, n) for n in PUBLIC if n.endswith("Error")]
    for error in errors:
        assert issubclass(error, jobfsm.JobFSMError)
        if error is not jobfsm.JobFSMError:
            builtins = [b for b in error.__mro__ if b.__module__ == "builtins"]
            assert set(builtins) - {Exception, BaseException, object}, error


def test_package_ships_type_information() -> None:
    """py.typed is installed with the package, so type checkers read the inline hints."""
    from importlib.resources import files

    assert files("jobfsm").joinpath("py.typed").is_file()


TESTING_KIT = {
    "Adapter", "LifecycleModel", "LogText", "Planted", "Trace", "assert_follows", "event_logs",
    "event_sequences", "events", "jobs", "lifecycles", "run_model", "statuses", "traces",
}  # fmt: skip


def test_testing_kit_names_are_pinned() -> None:
    """jobfsm.testing.__all__ is exactly the documented kit, sorted and importable."""
    import jobfsm.testing

    assert set(jobfsm.testing.__all__) == TESTING_KIT
    assert jobfsm.testing.__all__ == sorted(jobfsm.testing.__all__)
    for name in jobfsm.testing.__all__:
        assert getattr(jobfsm.testing, name) is not None


def test_importing_jobfsm_does_not_import_the_testing_kit() -> None:
    """The kit and its Hypothesis stay out of a plain ``import jobfsm``."""
    import subprocess
    import sys

    kit = ("hypothesis", "jobfsm.testing", "jobfsm.pytest_plugin")
    code = f"import sys, jobfsm; print(sorted(m for m in sys.modules if m.startswith({kit})))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.stdout.strip() == "[]", done.stderr


def test_picture_modules_are_pinned() -> None:
    """The picture modules' public names (imported from their modules, not the package)."""
    from jobfsm import diagram_compound, diagram_groups, processmap, quantiles, stats, timeline

    assert set(diagram_groups.__all__) == {
        "MIN_SAVED_ARROWS", "Group", "GroupedArrow", "GroupedView", "grouped_view"
    }  # fmt: skip
    assert set(diagram_compound.__all__) == {
        "LEGEND", "grouped_dot", "grouped_mermaid", "step_label"
    }  # fmt: skip
    assert set(processmap.__all__) == {
        "MapEdge", "ProcessMap", "format_seconds", "process_map", "render", "to_dot", "to_mermaid"
    }  # fmt: skip
    assert set(stats.__all__) == {
        "OpenJob", "Stats", "StatusStats", "TerminalStats", "stats_csv", "stats_text",
        "time_in_status",
    }  # fmt: skip
    assert set(timeline.__all__) == {
        "TIMELINE_FORMATS", "Bar", "render", "timelines", "to_dot", "to_gantt"
    }  # fmt: skip
    assert set(quantiles.__all__) == {
        "DEFAULT_EXACT_LIMIT", "MIN_VALUE", "Durations", "QuantileSketch", "nearest_rank"
    }  # fmt: skip
    for module in (diagram_groups, diagram_compound, processmap, stats, timeline, quantiles):
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_optional_modules_are_pinned() -> None:
    """The columnar reader and the Spark adapter keep their small public surfaces."""
    from jobfsm import columnar

    assert columnar.__all__ == ["ArrowEventLog", "read_arrow", "read_parquet"]
    from tests.conftest import needs

    spark = needs("jobfsm.spark", "spark")
    assert spark.__all__ == ["DataFrameReport", "Summary", "validate_dataframe"]
