"""`WS /live/ws?select=…&since=…`: the live monitor's websocket (docs/traffic-contracts.md,
"Live websocket protocol").

Accept, then: a caller without a live scope or a selection outside it is closed with 4404 (a
browser cannot read a refusal before accept), a `since` that is not a whole number of
milliseconds with 4400. Otherwise the hub takes over: hello, the first frame (the whole window,
or — `since` recent enough — every second touched since `since` - 2 s), then coalesced frames and
pings. Messages from the client are read (to notice it leaving) and ignored."""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from resources.kit.caller import Caller
from resources.traffic.live import LIVE_FIELDS
from resources.traffic.model import FIELDS
from resources.traffic.scope import ALL, ViewScope

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
HELLO_FIELDS = [*FIELDS[:LIVE_FIELDS], "concurrent"]


def parse_since(raw: str | None) -> int | None:
    """`since`: the stamp (epoch ms) of the last frame the client applied; ValueError if bad."""
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise ValueError("since must be the stamp of the last frame (whole epoch milliseconds)")
    return int(raw)


async def _client_gone(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def live_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    caller = (websocket.scope.get("state") or {}).get("caller")
    if not isinstance(caller, Caller):
        await websocket.close(CLOSE_UNAUTHENTICATED, "no caller")
        return
    ctx: Any = websocket.app.state.ctx
    scope = ViewScope.for_caller(caller, ctx.numbers)
    if scope is None:
        await websocket.close(CLOSE_NOT_FOUND, "you may not watch live traffic")
        return
    value = websocket.query_params.get("select") or ALL
    selection = scope.selection(value)
    if selection is None:
        await websocket.close(CLOSE_NOT_FOUND, f"no such selection: {value[:100]}")
        return
    try:
        since = parse_since(websocket.query_params.get("since"))
    except ValueError as exc:
        await websocket.close(CLOSE_BAD_REQUEST, str(exc))
        return
    live = ctx.live
    resumed = since is not None and live.resumable(since)
    hello = {
        "type": "hello",
        "now": math.floor(ctx.clock() * 1000),
        "window": live.window,
        "selection": selection.as_json(),
        "choices": [c.as_json() for c in scope.choices()],
        "resumed": resumed,
        "fields": HELLO_FIELDS,
    }
    viewer = ctx.hub.attach(
        scope=scope,
        selection=selection,
        user_id=caller.subject,
        send=websocket.send_text,
        close=websocket.close,
        hello=hello,
        since_ms=since if resumed else None,
    )
    gone = asyncio.create_task(_client_gone(websocket), name="traffic-ws-receive")
    closed = asyncio.create_task(viewer.done.wait(), name="traffic-ws-closed")
    try:
        await asyncio.wait({gone, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ctx.hub.detach(viewer)
        for task in (gone, closed):
            task.cancel()
        for task in (gone, closed):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def routes() -> list[BaseRoute]:
    return [WebSocketRoute("/live/ws", live_ws)]
