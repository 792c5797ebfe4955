"""`WS /{id}/chat/ws` (the portal's `/tickets/{id}/chat/ws`): a ticket's live chat.

Accept, then (a browser cannot read a refusal before accept) close with a reason: 4401 no
caller, 4403 not a participant (`access.chat_refusal`: no `tickets:view`, staff without
`tickets:work`, another customer's ticket), 4404 no such ticket. Otherwise the socket joins the
ticket's room in this process's hub (chat_hub.py) *before* the transcript is read, so nothing
stored meanwhile is missed, and gets:

* `{"type": "history", "messages": [{id, author, author_kind, name, text, at}, …]}` first;
* `{"type": "presence", "staff_online": bool, "customers_online": n}` on every join and leave;
* `{"type": "message", id, author, author_kind, name, text, at}` for every message stored from
  then on, its own included, once each;
* `{"type": "error", "message"}` for a frame the chat does not take.

The client sends `{"type": "say", "text": "…"}` (trimmed, 1..2000 characters; at most 5 in any
5 s per connection, by the resource's clock). Each is stored and committed before anyone sees
it (chat.post).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.tickets import access, chat
from resources.tickets import repository as repo
from resources.tickets.chat_hub import Member, RateLimit
from resources.tickets.chat_script import SCRIPT
from resources.tickets.context import Context, transaction

log = logging.getLogger("resources.tickets")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
MAX_FRAME = 16 * 1024  # characters of one client frame
SAY_HELP = 'send {"type": "say", "text": "…"}'


def error(message: str) -> dict[str, Any]:
    return {"type": "error", "message": message}


def parse_frame(text: str | None) -> dict[str, Any]:
    """A client frame: ChatRefused unless it is a JSON object of type `say`."""
    if text is None or len(text) > MAX_FRAME:
        raise chat.ChatRefused(SAY_HELP)
    try:
        frame = json.loads(text)
    except ValueError:
        raise chat.ChatRefused(f"not JSON: {SAY_HELP}") from None
    if not isinstance(frame, dict) or frame.get("type") != "say":
        raise chat.ChatRefused(SAY_HELP)
    return frame


async def _read(websocket: WebSocket, ctx: Context, caller: Caller, ticket_id: str, member: Member) -> None:
    limit = RateLimit(chat.RATE_COUNT, chat.RATE_SECONDS)
    while True:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            return
        try:
            frame = parse_frame(received.get("text"))
            if not limit.allow(ctx.clock()):
                raise chat.ChatRefused(
                    f"slow down: at most {chat.RATE_COUNT} messages in {chat.RATE_SECONDS:g} seconds"
                )
            text = chat.parse_text(frame.get("text"))
            await chat.post(ctx, caller=caller, ticket_id=ticket_id, text=text)
        except chat.ChatRefused as exc:
            member.offer(error(str(exc)))
        except ProblemError as exc:
            member.offer(error(exc.detail or exc.title))
        except Exception:
            log.exception("tickets chat %s: a message of %s failed", ticket_id, caller.username)
            member.offer(error("the message could not be stored: please send it again"))


async def _refusal(ctx: Context, caller: Caller, ticket_id: str) -> tuple[int, str] | None:
    reason = access.chat_refusal(caller, None, tenancy=ctx.tenancy.current)
    if reason is not None:
        return CLOSE_FORBIDDEN, reason
    async with transaction(ctx, write=False) as tx:
        row = await repo.get(tx.session, ticket_id)
    if row is None:
        return CLOSE_NOT_FOUND, f"no such ticket: {ticket_id[:30]}"
    reason = access.chat_refusal(caller, row.customer_id, tenancy=ctx.tenancy.current)
    return (CLOSE_FORBIDDEN, reason) if reason is not None else None


async def chat_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    caller = (websocket.scope.get("state") or {}).get("caller")
    if not isinstance(caller, Caller):
        await websocket.close(CLOSE_UNAUTHENTICATED, "no caller")
        return
    ctx: Context = websocket.app.state.ctx
    ticket_id = str(websocket.path_params["id"])
    refused = await _refusal(ctx, caller, ticket_id)
    if refused is not None:
        await websocket.close(*refused)
        return
    member = ctx.chat.join(ticket_id, user=caller.username, role=access.chat_role(caller))
    tasks: list[asyncio.Task[None]] = []
    try:
        async with transaction(ctx, write=False) as tx:
            history = [chat.message_json(m) for m in await repo.chat_messages(tx.session, ticket_id)]
        member.begin(history)
        tasks.append(
            asyncio.create_task(member.pump(websocket.send_json, websocket.close), name="tickets-chat-send")
        )
        tasks.append(
            asyncio.create_task(_read(websocket, ctx, caller, ticket_id, member), name="tickets-chat-read")
        )
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ctx.chat.leave(member)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def script(request: Request) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


def routes() -> list[BaseRoute]:
    return [WebSocketRoute("/{id}/chat/ws", chat_ws), Route("/chat.js", script, methods=["GET"])]
