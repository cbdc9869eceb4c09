"""YAML dump and load of job documents."""

from __future__ import annotations

import os
from typing import IO, Any

from jobfsm.job import Job


def dump_job(job: Job, dest: str | os.PathLike[str] | IO[str], **kwargs: Any) -> None:
    """Write *job* as YAML to *dest*."""
    raise NotImplementedError("YAML support is not written yet")
