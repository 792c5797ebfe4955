"""Plain-ASGI helpers for the network plane's hot endpoints (no Request object): read a
size-capped body, send a JSON answer."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Send

_JSON_HEADERS = [(b"content-type", b"application/json")]


class Disconnected(Exception):
    """The client went away before its body arrived (nothing to answer)."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it is larger than `limit` bytes; `Disconnected` when the
    client left."""
    message = await receive()
    if message["type"] != "http.request":
        raise Disconnected
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: one message
        return body if len(body) <= limit else None
    chunks, size = [body], len(body)
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
