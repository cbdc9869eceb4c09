"""The pytest plugin of the testing kit: a lifecycle fixture and a model check.

pytest loads it in every project where jobfsm is installed (entry point
``pytest11``), so it imports neither Hypothesis nor :mod:`jobfsm.testing`
until a test asks for ``jobfsm_check``: a project without the ``testing``
extra keeps a working pytest.

- ``jobfsm_lifecycle``: the lifecycle named by ``--jobfsm-lifecycle NAME|FILE``,
  else by the ini option ``jobfsm_lifecycle``, else ``azureml``; a test may
  name its own with ``@pytest.mark.jobfsm_lifecycle(NAME|FILE)``.
- ``jobfsm_check(adapter, **options)``: runs a
  :func:`~jobfsm.testing.LifecycleModel` of that lifecycle against *adapter*
  (see :func:`jobfsm.testing.run_model` for the options).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobfsm.lifecycle import Lifecycle
from jobfsm.profiles import resolve

__all__ = ["DEFAULT", "lifecycle_named"]

#: The lifecycle used when neither the command line nor the ini file names one.
DEFAULT = "azureml"
_OPTION = "--jobfsm-lifecycle"
_INI = "jobfsm_lifecycle"
_KEY = pytest.StashKey[Lifecycle]()


def lifecycle_named(name_or_path: str, base: Path | None = None) -> Lifecycle:
    """The lifecycle a ``NAME|FILE`` value names: a built-in profile, or a lifecycle file
    (relative to *base*), as :func:`jobfsm.profiles.resolve` reads them.

    Raises:
        ValueError: no profile has that name and no file that path, or the file
            is not a valid lifecycle (UnknownProfileError, LifecycleFileError).
        OSError: the file cannot be read.
    """
    return resolve(name_or_path, base=base)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobfsm", "jobfsm testing kit")
    group.addoption(
        _OPTION,
        metavar="NAME|FILE",
        default=None,
        help=f"lifecycle of the jobfsm_lifecycle fixture (default: ini {_INI}, else {DEFAULT})",
    )
    parser.addini(_INI, f"lifecycle (NAME|FILE) of the jobfsm_lifecycle fixture ({DEFAULT})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "jobfsm_lifecycle(name_or_path): the lifecycle the jobfsm_lifecycle fixture gives the test",
    )
    # A lifecycle named on the command line or in the ini file is read now, so a
    # wrong name stops the run at once; the default is read when a test needs it.
    given = config.getoption(_OPTION)
    if given is not None:
        source, value, base = _OPTION, str(given), Path(config.invocation_params.dir)
    elif config.getini(_INI):
        value = str(config.getini(_INI))
        source = f"ini option {_INI}"
        base = config.inipath.parent if config.inipath else config.rootpath
    else:
        return
    try:
        config.stash[_KEY] = lifecycle_named(value, base)
    except (ValueError, OSError) as exc:
        raise pytest.UsageError(f"{source}: {exc}") from None


@pytest.fixture
def jobfsm_lifecycle(request: pytest.FixtureRequest) -> Lifecycle:
    """The lifecycle under test: the test's marker, else the command line, else the ini file."""
    marker = request.node.get_closest_marker("jobfsm_lifecycle")
    if marker is None:
        if _KEY not in request.config.stash:
            request.config.stash[_KEY] = lifecycle_named(DEFAULT)
        return request.config.stash[_KEY]
    if len(marker.args) != 1 or not isinstance(marker.args[0], str | Path):
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.jobfsm_lifecycle takes one NAME or FILE"
        )
    base = Path(request.node.path).parent
    try:
        return lifecycle_named(str(marker.args[0]), base)
    except (ValueError, OSError) as exc:
        raise pytest.UsageError(f"{request.node.nodeid}: jobfsm_lifecycle marker: {exc}") from None


@pytest.fixture
def jobfsm_check(jobfsm_lifecycle: Lifecycle) -> Callable[..., None]:
    """``jobfsm_check(adapter, **options)``: model-test *adapter* against the lifecycle."""
    from jobfsm.testing import run_model  # needs the `testing` extra

    def check(adapter: Any, **options: Any) -> None:
        options.setdefault("lifecycle", jobfsm_lifecycle)
        run_model(adapter, **options)

    return check
