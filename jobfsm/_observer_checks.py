"""The checks that keep observers plain functions.

Observers run inside the job's lock, in the middle of the change they may
veto, so an ``async def`` observer is refused when it is added
(:func:`check_observer`) and an awaitable it hands back is refused when it is
called (:func:`_check_result`). The checks need neither the engine nor
``transitions``; :mod:`jobfsm.machine` re-exports :func:`check_observer`.
"""

from __future__ import annotations

import inspect

from jobfsm.errors import AsyncObserverError

__all__ = ["check_observer"]


def _check_result(observer: object, result: object) -> None:
    """Refuse an observer that handed back an awaitable: its work would never run."""
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()  # no "coroutine was never awaited" warning on top of the error
        raise AsyncObserverError(observer, returned=True)


def check_observer(observer: object) -> None:
    """Refuse what cannot be an observer: not callable, or an ``async def``.

    Raises:
        AsyncObserverError: *observer* is a coroutine function.
        TypeError: *observer* is not callable.
    """
    if not callable(observer):
        raise TypeError(f"an observer must be callable, got {observer!r}")
    call = getattr(observer, "__call__", None)  # noqa: B004 - the method of a callable object
    if inspect.iscoroutinefunction(observer) or inspect.iscoroutinefunction(call):
        raise AsyncObserverError(observer)
