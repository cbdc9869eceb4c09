"""Durable job stores: SQLite by default, PostgreSQL across machines.

``JobStore(target)`` opens the backend *target* names: a file path or
``sqlite:///path`` gives :class:`~jobfsm.store.sqlite.SQLiteStore`, a
``postgresql://`` URL gives :class:`~jobfsm.store.postgres.PostgresStore`
(the ``postgres`` extra). Both keep the same two tables (``jobs``, one row per
job, and the append-only ``transitions``), follow the contract in
:mod:`jobfsm.store._contract` (hooks and reads) and :mod:`jobfsm.store._base`
(writes), and pass one shared test suite. Only the backend
modules import their driver; nothing outside this package sees SQL.
"""

from jobfsm.store._base import DURABILITY, JobStore
from jobfsm.store._model import Applied, JobRow

__all__ = ["DURABILITY", "Applied", "JobRow", "JobStore"]
