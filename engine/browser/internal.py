"""planact's own Playwright calls, kept out of the run's Playwright trace.

A run makes calls of its own beside the plan's actions: it describes each action's target, saves the
cookies after a step, vets navigations for the origin guard, waits for pages to load, opens the DevTools
session that takes screenshots.  The trace is the plan's story, so these calls are made as Playwright's
own helper calls are: internal, which the trace does not record.  An internal call also sends no Python
stack for the trace, and with ``--trace full`` takes no DOM snapshots around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


async def untraced(owner: Any, call: Callable[[], Awaitable[Any]]) -> Any:
    """``await call()``, one or more Playwright calls, as Playwright's internal calls; ``owner`` is a
    Playwright object of the call (a page, a locator, a context, a route).

    Playwright has no public switch for this.  Its client marks its own helper calls internal through a
    private wrapper, whose shape changed between releases (a zone with call options in newer ones, where
    every call that ``call`` makes runs in that zone; ``Connection.wrap_api_call(cb, is_internal)``
    before); both are tried, and a Playwright with neither makes ordinary, traced calls.  The wrappers are
    called before anything is sent, so a wrapper of another shape fails at once and the call is made
    plainly, once.
    """
    impl = getattr(owner, "_impl_obj", None)
    wrap = getattr(impl, "_wrap_api_call", None)
    if wrap is not None:  # newer Playwright: the calls run in an internal API zone
        try:
            from playwright._impl.channel_owner import ApiCallOptions

            waiting = wrap(lambda _zone: call(), ApiCallOptions(internal=True))
        except (ImportError, TypeError):
            pass
        else:
            return await waiting
    connection = getattr(impl, "_connection", None) or getattr(getattr(impl, "_frame", None), "_connection", None)
    if callable(getattr(connection, "wrap_api_call", None)):  # older Playwright
        return await connection.wrap_api_call(call, True)
    return await call()


async def loaded(page: Any, timeout: float | None = None) -> None:
    """Wait (at most ``timeout`` ms, else the page's navigation timeout) for ``page``'s ``load`` event, if it
    has not fired yet: planact settling a page, untraced."""
    await untraced(page, lambda: page.wait_for_load_state("load", timeout=timeout))
