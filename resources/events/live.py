"""Live alarms for the browser: `WS /alarms/ws?after=<seq>` and the page's small script.

The websocket accepts, then (a caller without `events:view` is closed with 4404, a bad `after`
with 4400) sends `{"type": "hello"}`, then — with `after` — every log row after that cursor the
caller may see (the feed, in seq order), then each new `events.alarm` of the customers it sees as
`{"type": "alarm", seq, kind, customer_id, alarm_id, at, actor, alarm}`, never a seq twice. It
subscribes before reading the backlog, so nothing committed in between is missed. Messages from
the client are read (to notice it leaving) and ignored.

`GET /alarms/live.js` connects it (webui's `Portal.connect`, backoff and the live indicator) and
asks htmx to reload the alarm rows (`events-changed` on `[data-events-live]`) when something
changed; the rows also reload every 30 s without it (views.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from resources.events import access
from resources.events import repository as repo
from resources.events.context import ALARM_TOPIC, Context, transaction
from resources.events.schemas import entry_json
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.events import Event

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
BACKLOG_PAGE = 1000

SCRIPT = """(function () {
  "use strict";
  var root = document.querySelector("[data-events-live]");
  if (!root || !window.Portal || !window.htmx) return;
  var timer = null;
  window.Portal.connect(root.getAttribute("data-ws-url"), {
    onMessage: function (message) {
      if (!message || message.type !== "alarm" || timer !== null) return;
      timer = window.setTimeout(function () {
        timer = null;
        var rows = document.querySelector("[data-events-live]");
        if (rows) window.htmx.trigger(rows, "events-changed");
      }, 300);
    }
  });
})();
"""


def parse_after(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError("after must be the seq of the last change applied (a whole number)")
    return int(raw)


async def _client_gone(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def alarms_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    caller = (websocket.scope.get("state") or {}).get("caller")
    if not isinstance(caller, Caller):
        await websocket.close(CLOSE_UNAUTHENTICATED, "no caller")
        return
    ctx: Context = websocket.app.state.ctx
    try:
        customers = access.customers_seen(caller, ctx.tenancy.current, websocket.query_params.get("customer"))
        after = parse_after(websocket.query_params.get("after"))
    except ProblemError:
        await websocket.close(CLOSE_NOT_FOUND, "you may not watch these alarms")
        return
    except ValueError as exc:
        await websocket.close(CLOSE_BAD_REQUEST, str(exc))
        return
    wanted = None if customers is None else frozenset(customers)
    events: AsyncIterator[Event] = ctx.bus.subscribe(ALARM_TOPIC)
    pending: asyncio.Future[Event] = asyncio.ensure_future(anext(events))
    gone = asyncio.create_task(_client_gone(websocket), name="events-ws-receive")
    try:
        await asyncio.sleep(0)  # subscribed from here on
        await websocket.send_json({"type": "hello"})
        last = after or 0
        while after is not None:
            async with transaction(ctx, write=False) as tx:
                rows = await repo.log(tx.session, customers=customers, after=last, limit=BACKLOG_PAGE)
            for row in rows:
                await websocket.send_json({"type": "alarm", **entry_json(row)})
                last = row.seq
            if len(rows) < BACKLOG_PAGE:
                break
        while True:
            waiting: set[asyncio.Future[Any]] = {pending, gone}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if gone in done:
                return
            payload = pending.result().payload
            pending = asyncio.ensure_future(anext(events))
            seq = payload.get("seq")
            if not isinstance(seq, int) or seq <= last:
                continue
            if wanted is not None and payload.get("customer_id") not in wanted:
                continue
            await websocket.send_json({"type": "alarm", **payload})
            last = seq
    except StopAsyncIteration:
        await websocket.close(1012, "the server is restarting")
    finally:
        for task in (pending, gone):
            task.cancel()
        for task in (pending, gone):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


async def script(request: Request) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


def routes() -> list[BaseRoute]:
    return [WebSocketRoute("/alarms/ws", alarms_ws), Route("/alarms/live.js", script, methods=["GET"])]
