"""How the dispatcher reaches a resource: the `Backend` protocol and the in-process backend.

A backend receives an already rewritten scope (resource path, cleaned headers, assertion) and
streams both ways. It raises `ResourceUnavailable` only before the first response message
(`http.response.start`, `websocket.accept` or `websocket.close`): 504 when nothing came within
`start_timeout` seconds, 502 when the resource failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatcher.errors import ResourceUnavailable

log = logging.getLogger("dispatcher")

_FIRST_MESSAGES = frozenset(
    {"http.response.start", "websocket.accept", "websocket.close", "websocket.http.response.start"}
)


class Backend(Protocol):
    resource: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def forward(self, scope: Scope, receive: Receive, send: Send, *, start_timeout: float) -> None: ...


class InProcessBackend:
    """Hands the scope straight to the resource's ASGI app and runs its lifespan itself
    (DESIGN.md §6.2, §7: neither `Mount` nor `ASGITransport` run sub-app lifespans)."""

    def __init__(self, app: ASGIApp, *, resource: str) -> None:
        self.app = app
        self.resource = resource
        self._state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._state = {}
        scope: Scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self._state,
        }

        async def run() -> None:
            await self.app(scope, self._inbox.get, self._outbox.put)

        self._task = asyncio.create_task(run())
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._next_lifespan_message()
        if message is None:
            log.info("%s: app does not support lifespan", self.resource)
            return
        if message["type"] != "lifespan.startup.complete":
            await self._reap()
            raise RuntimeError(f"{self.resource} failed to start: {message.get('message', '')}")

    async def stop(self) -> None:
        if self._task is None:
            return
        if not self._task.done():
            await self._inbox.put({"type": "lifespan.shutdown"})
            message = await self._next_lifespan_message()
            if message is not None and message["type"] != "lifespan.shutdown.complete":
                log.error("%s: shutdown failed: %s", self.resource, message.get("message", ""))
        await self._reap()

    async def _next_lifespan_message(self) -> Message | None:
        """The app's next lifespan message, or None when the app returned without one."""
        assert self._task is not None
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        if self._task.exception() is not None:
            raise RuntimeError(f"{self.resource} lifespan failed") from self._task.exception()
        return None

    async def _reap(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def forward(self, scope: Scope, receive: Receive, send: Send, *, start_timeout: float) -> None:
        started = False
        scope = {**scope, "state": dict(self._state)}
        deadline = asyncio.timeout(start_timeout)

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if not started and message["type"] in _FIRST_MESSAGES:
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # the client already has (part of) the answer; the server ends the stream
                log.error("%s failed after responding: %s", self.resource, type(exc).__name__, exc_info=exc)
                return
            if isinstance(exc, TimeoutError):
                raise ResourceUnavailable(
                    self.resource, 504, f"no response within {start_timeout:g} s"
                ) from None
            raise ResourceUnavailable(self.resource, 502, f"failed: {type(exc).__name__}") from exc
        if not started:
            raise ResourceUnavailable(self.resource, 502, "returned without a response")
