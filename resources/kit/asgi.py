"""Plain-ASGI helpers for the network plane's hot endpoints (no Request object): read a
size-capped body, send a JSON answer."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

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


MAX_TS = 253_402_300_800.0  # 10000-01-01T00:00:00Z
TS_MESSAGE = "ts must be a time in epoch seconds (a number) or null"


def epoch_ts(value: Any, *, now: float) -> float | None:
    """A network element's `ts` (epoch seconds; null or absent: `now`); None when it is not one."""
    if value is None:
        return now
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if 0 <= value < MAX_TS else None


def answer_format(scope: Scope) -> str | None:
    """`?format=json|rtjson` of a network-plane query (json when not given); None for another."""
    value = "json"
    for key, item in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if key == "format":
            value = item
    return value if value in ("json", "rtjson") else None
