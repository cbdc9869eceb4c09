"""Job types: the ones Azure ML defines, those allowed at run time, and the
spelling checks that suggest the closest known name."""

from __future__ import annotations

import re

from jobfsm.errors import UnknownJobTypeError

__all__ = ["AZURE_JOB_TYPES", "allow_job_type", "job_type", "job_types", "one_edit"]

#: The job types Azure ML defines: azure-ai-ml's ``JobType`` (1.35) and the
#: REST API's job kinds, as job files spell them.
AZURE_JOB_TYPES = frozenset(
    {
        "automl", "base", "command", "component", "data_transfer", "distillation",
        "finetuning", "import", "labeling", "parallel", "pipeline", "spark", "sweep",
    }
)  # fmt: skip
_allowed_types: set[str] = set()
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def job_types() -> frozenset[str]:
    """The job types a job file or :class:`GenericJob` may name: Azure ML's and
    those allowed with :func:`allow_job_type`."""
    return AZURE_JOB_TYPES | _allowed_types


def allow_job_type(name: str) -> None:
    """Accept *name* as a job type from now on (a newer Azure ML type, or your own).

    Raises:
        ValueError: *name* is not a type name (a letter, then letters, digits,
            ``_``, ``.`` or ``-``).
    """
    _allowed_types.add(_type_name(name))


def _type_name(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a job type must be a string, got {value!r}")
    if not _TYPE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a job type name (a letter, then letters, digits, _ . or -)"
        )
    return value


def job_type(value: object) -> str:
    """*value* as a :class:`GenericJob` type, or why it cannot be one."""
    name = _type_name(value)
    if name not in AZURE_JOB_TYPES and name not in _allowed_types:
        raise UnknownJobTypeError(name, job_types())
    return name


def one_edit(a: str, b: str) -> bool:
    """Whether *a* and *b* differ by case alone or by one insertion, deletion,
    substitution or swap of neighbours."""
    if a.lower() == b.lower():
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
