"""The pytest plugin (jobfsm.pytest_plugin), run by pytest's own pytester on sample projects.

The plugin is loaded explicitly with ``-p jobfsm.pytest_plugin`` (and the
installed entry point, if any, blocked by its name) so that these tests run
the worktree's plugin whatever jobfsm is installed.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from jobfsm import DEFAULT_LIFECYCLE, EventSpec

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
PLUGIN = ("-p", "no:jobfsm", "-p", "jobfsm.pytest_plugin")


@pytest.fixture(autouse=True)
def _only_named_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sample runs load only the plugins they name (quicker, and no installed copy of ours)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

SCHEDULER = '''
class Scheduler:
    """One job's status in a string; forgets that a cancel request can lose to completion."""

    MOVES = {
        ("NotStarted", "start"): "Starting", ("Starting", "provision"): "Provisioning",
        ("Starting", "prepare"): "Preparing", ("Provisioning", "prepare"): "Preparing",
        ("Preparing", "queue"): "Queued", ("Queued", "run"): "Running",
        ("Running", "finalize"): "Finalizing", ("Finalizing", "complete"): "Completed",
        ("CancelRequested", "cancel"): "Canceled",
    }
    FINISHED = ("Completed", "Failed", "Canceled")

    def __init__(self):
        self.current, self.before = "NotStarted", ""

    def fire(self, event):
        now = self.current
        if (now, event) in self.MOVES:
            new = self.MOVES[now, event]
        elif event == "fail" and now not in self.FINISHED:
            new = "Failed"
        elif event == "request_cancel" and now not in (*self.FINISHED, "CancelRequested"):
            new = "CancelRequested"
        elif event == "lose_heartbeat" and now not in (*self.FINISHED, "NotStarted",
                                                      "CancelRequested", "NotResponding"):
            new = "NotResponding"
        elif event == "resume" and now == "NotResponding":
            new = self.before
        else:
            raise RuntimeError(f"{event} is not allowed at {now}")
        self.before, self.current = now, new

    def status(self):
        return self.current
'''


def test_lifecycle_fixture_defaults_to_azureml(pytester: pytest.Pytester) -> None:
    """Without option or ini value, jobfsm_lifecycle is the Azure ML lifecycle."""
    pytester.makepyfile(
        """
        from jobfsm import DEFAULT_LIFECYCLE, EventSpec

        def test_default(jobfsm_lifecycle):
            assert jobfsm_lifecycle == DEFAULT_LIFECYCLE
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_lifecycle_option_and_ini(pytester: pytest.Pytester) -> None:
    """--jobfsm-lifecycle and the ini option name the lifecycle; the option wins."""
    pytester.makeini("[pytest]\njobfsm_lifecycle = azureml\n")
    pytester.makepyfile(
        """
        def test_named(jobfsm_lifecycle):
            assert jobfsm_lifecycle.name == "Azure ML job"
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)
    pytester.runpytest(*PLUGIN, "--jobfsm-lifecycle", "azureml").assert_outcomes(passed=1)


def test_profiles_and_lifecycle_files(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A built-in profile name, or a lifecycle file: from the command line relative to the
    current folder, from the ini file relative to the ini file's folder."""
    (pytester.path / "conf").mkdir()
    ticket = DEFAULT_LIFECYCLE.extend(
        name="Ticket job",
        states=["Paused"],
        events=[EventSpec("pause", "Running", "Paused"), EventSpec("unpause", "Paused", "Running")],
    )
    ticket.to_file(pytester.path / "conf" / "ticket.yaml")
    pytester.makepyfile(
        """
        import os

        def test_named(jobfsm_lifecycle):
            assert jobfsm_lifecycle.name == os.environ["EXPECTED_LIFECYCLE"]
        """
    )
    for value, name in [("slurm", "Slurm job"), ("conf/ticket.yaml", "Ticket job")]:
        monkeypatch.setenv("EXPECTED_LIFECYCLE", name)
        pytester.runpytest(*PLUGIN, "--jobfsm-lifecycle", value).assert_outcomes(passed=1)
    pytester.makefile(".ini", **{"conf/pytest": "[pytest]\njobfsm_lifecycle = ticket.yaml\n"})
    result = pytester.runpytest(*PLUGIN, "-c", "conf/pytest.ini", "--rootdir", ".")
    result.assert_outcomes(passed=1)


def test_unknown_lifecycle_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A lifecycle nobody knows stops the run with a usage error naming the source."""
    pytester.makepyfile("def test_never(jobfsm_lifecycle):\n    pass\n")
    result = pytester.runpytest(*PLUGIN, "--jobfsm-lifecycle", "no-such-lifecycle")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--jobfsm-lifecycle: no lifecycle named 'no-such-lifecycle' (built-in profiles: *"]
    )
    pytester.makeini("[pytest]\njobfsm_lifecycle = nowhere\n")
    result = pytester.runpytest(*PLUGIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option jobfsm_lifecycle: no lifecycle named 'nowhere'*"])
    pytester.makeini("[pytest]\njobfsm_lifecycle = broken.yaml\n")
    pytester.makefile(".yaml", broken="name: broken\nstates: []\n")
    result = pytester.runpytest(*PLUGIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option jobfsm_lifecycle: *broken.yaml*"])


def test_marker_names_a_tests_own_lifecycle(pytester: pytest.Pytester) -> None:
    """@pytest.mark.jobfsm_lifecycle overrides the session's lifecycle for one test."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.jobfsm_lifecycle("kubernetes-pod")
        def test_marked(jobfsm_lifecycle):
            assert jobfsm_lifecycle.name != "Azure ML job"

        def test_unmarked(jobfsm_lifecycle):
            assert jobfsm_lifecycle.name == "Azure ML job"

        @pytest.mark.jobfsm_lifecycle("elsewhere")
        def test_unknown(jobfsm_lifecycle):
            pass
        """
    )
    result = pytester.runpytest(*PLUGIN, "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*jobfsm_lifecycle marker: no lifecycle named 'elsewhere'*"])


def test_check_fixture_runs_the_model_against_an_adapter(pytester: pytest.Pytester) -> None:
    """jobfsm_check passes jobfsm's Job and fails a buggy scheduler with a shrunk run."""
    pytester.makepyfile(
        scheduler=SCHEDULER,
        test_schedulers="""
        from hypothesis import Phase, settings
        from jobfsm import CommandJob
        from scheduler import Scheduler

        class JobAdapter:
            def __init__(self):
                self.job = CommandJob(command="python train.py")
            def fire(self, event):
                self.job.fire(event)
            def status(self):
                return self.job.status

        def test_jobfsm_job(jobfsm_check):
            jobfsm_check(JobAdapter, max_examples=20)

        def test_scheduler(jobfsm_check):
            jobfsm_check(Scheduler, settings=settings(
                max_examples=100, derandomize=True, database=None, deadline=None,
                phases=[p for p in Phase if p is not Phase.explain]))
        """,
    )
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*LifecycleAssertionError: the system refused 'complete' at CancelRequested*",
            "*state = AzureMlJobModel()",
            "*state.request_cancel()",
            "*state.complete()",
            "*state.teardown()",
        ]
    )


def test_entry_point_declares_this_plugin() -> None:
    """pyproject's pytest11 entry point names a module with the plugin's hooks and fixtures."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["entry-points"]["pytest11"]
    assert declared == {"jobfsm": "jobfsm.pytest_plugin"}
    module = importlib.import_module(declared["jobfsm"])
    for hook in ("pytest_addoption", "pytest_configure", "jobfsm_lifecycle", "jobfsm_check"):
        assert callable(getattr(module, hook)), hook
    assert module.lifecycle_named("azureml") == DEFAULT_LIFECYCLE


def test_plugin_loads_without_hypothesis(tmp_path: Path) -> None:
    """Without Hypothesis, pytest still runs: the lifecycle fixture works, jobfsm_check says
    what to install (the entry point loads the plugin in every project with jobfsm)."""
    (tmp_path / "test_sample.py").write_text(
        "def test_lifecycle(jobfsm_lifecycle):\n"
        "    assert jobfsm_lifecycle.name == 'Azure ML job'\n\n"
        "def test_check(jobfsm_check):\n"
        "    pass\n"
    )
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import pytest\n"
        f"sys.exit(pytest.main(['-p', 'no:jobfsm', '-p', 'jobfsm.pytest_plugin', "
        f"'-p', 'no:cacheprovider', '-q', {str(tmp_path)!r}]))\n"
    )
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 1 error" in done.stdout
    assert "pip install 'jobfsm[testing]'" in done.stdout
