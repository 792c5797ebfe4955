"""Following bus topics for the life of a resource: one loop every runtime shares.

`follow` subscribes, then — every time it (re)subscribes — runs `on_subscribed(first_time)` (a
reload, a request for a fresh picture, a backfill), then hands each event to `on_event`. A
failing handler is logged and the loop goes on; a broken subscription (Redis gone) is logged,
and after `delay` seconds it subscribes again and runs `on_subscribed(False)`, since events may
have been missed meanwhile. It returns when the bus closes the subscription.

An async generator subscribes on its first step, so that step is started *before*
`on_subscribed` runs and before `subscribed` is set: nothing published after either can be
missed.

`following` runs `follow` for the body of an `async with`; `every` runs a step every `seconds`
seconds, logging failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from resources.kit.events import Event, EventBus

RESUBSCRIBE_DELAY = 1.0


async def follow(
    bus: EventBus,
    topics: tuple[str, ...],
    *,
    on_event: Callable[[Event], Awaitable[Any]],
    log: logging.Logger,
    what: str,
    on_subscribed: Callable[[bool], Awaitable[Any]] | None = None,
    subscribed: asyncio.Event | None = None,
    delay: float = RESUBSCRIBE_DELAY,
) -> None:
    first_time = True
    while True:
        events: AsyncIterator[Event] = bus.subscribe(*topics)
        pending: asyncio.Future[Event] | None = asyncio.ensure_future(anext(events))
        try:
            await asyncio.sleep(0)
            try:
                if on_subscribed is not None:
                    await on_subscribed(first_time)
            finally:
                first_time = False
                if subscribed is not None:
                    subscribed.set()
            while True:
                try:
                    event = await (pending if pending is not None else anext(events))
                except StopAsyncIteration:
                    return
                pending = None
                try:
                    await on_event(event)
                except Exception:
                    log.exception("%s: handling %s failed", what, event.topic)
        except Exception:
            log.exception("%s: subscription failed; subscribing again in %ss", what, delay)
        finally:
            if subscribed is not None:
                subscribed.set()
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending  # the generator must stop running before it can be closed
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        await asyncio.sleep(delay)


async def every(
    seconds: float, step: Callable[[], Awaitable[Any]], *, log: logging.Logger, what: str
) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except Exception:
            log.exception("%s failed", what)


@asynccontextmanager
async def following(
    bus: EventBus,
    topics: tuple[str, ...],
    *,
    on_event: Callable[[Event], Awaitable[Any]],
    log: logging.Logger,
    what: str,
    on_subscribed: Callable[[bool], Awaitable[Any]] | None = None,
) -> AsyncIterator[None]:
    """`follow` as a background task for the body of the `async with`: entered once subscribed
    (nothing published after that is missed), cancelled on exit."""
    subscribed = asyncio.Event()
    loop = follow(
        bus, topics, on_event=on_event, on_subscribed=on_subscribed, subscribed=subscribed, log=log, what=what
    )
    task = asyncio.create_task(loop, name=what)
    try:
        await subscribed.wait()
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
