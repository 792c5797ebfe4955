"""The remote backend: a resource running as its own service, reached over HTTPS with mutual TLS.

HTTP goes through httpx (request and response bodies streamed, never buffered); websockets
through the `websockets` client, bridged message by message until either side closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from starlette.types import Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from dispatcher.errors import ResourceUnavailable
from dispatcher.hygiene import clean_response_headers

log = logging.getLogger("dispatcher")

_WS_OWN_HEADERS = frozenset(
    {
        b"host",
        b"content-length",
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"sec-websocket-extensions",
        b"sec-websocket-accept",
        b"sec-websocket-protocol",
    }
)
MAX_WS_MESSAGE = 4 * 1024 * 1024
# the response-start deadline is enforced with asyncio.timeout; streams may then idle freely
_HTTPX_TIMEOUT = httpx.Timeout(connect=30.0, read=None, write=None, pool=30.0)


def client_ssl_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    """Verifies the resource against our CA and presents the dispatcher's client certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def _close_code(code: int | None) -> int:
    """A code that may be sent in a close frame (1005/1006/1015 and unknown ones may not)."""
    if code is None or code == 1005:
        return 1000
    if 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999:
        return code
    return 1011


class _ClientGone(Exception):
    pass


class RemoteBackend:
    def __init__(self, base_url: str, ssl_context: ssl.SSLContext, *, resource: str) -> None:
        if not base_url.startswith("https://"):
            raise ValueError(f"{resource}: remote resources are reached over https, got {base_url!r}")
        self.resource = resource
        self.base_url = httpx.URL(base_url)
        self.ws_base = httpx.URL(base_url).copy_with(scheme="wss")
        self.ssl_context = ssl_context
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(verify=self.ssl_context, timeout=_HTTPX_TIMEOUT, trust_env=False)

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _target(self, base: httpx.URL, scope: Scope) -> httpx.URL:
        raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
        query: bytes = scope.get("query_string") or b""
        return base.copy_with(raw_path=raw_path + (b"?" + query if query else b""))

    async def forward(self, scope: Scope, receive: Receive, send: Send, *, start_timeout: float) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, start_timeout=start_timeout)
        else:
            await self._http(scope, receive, send, start_timeout=start_timeout)

    # --- HTTP -------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send, *, start_timeout: float) -> None:
        if self._client is None:
            raise ResourceUnavailable(self.resource, 502, "backend not started")
        headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
        first = await receive()
        if first["type"] == "http.disconnect":
            return
        body_done = not first.get("more_body", False)
        content: bytes | AsyncIterator[bytes]
        if body_done:
            content = first.get("body", b"")
        else:

            async def stream() -> AsyncIterator[bytes]:
                nonlocal body_done
                yield first.get("body", b"")
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _ClientGone
                    yield message.get("body", b"")
                    if not message.get("more_body", False):
                        body_done = True
                        return

            content = stream()
        request = self._client.build_request(
            scope["method"], self._target(self.base_url, scope), headers=headers, content=content
        )
        try:
            async with asyncio.timeout(start_timeout):
                response = await self._client.send(request, stream=True)
        except _ClientGone:
            return
        except (TimeoutError, httpx.TimeoutException):
            raise ResourceUnavailable(self.resource, 504, f"no response within {start_timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ResourceUnavailable(self.resource, 502, f"{type(exc).__name__}: {exc}") from exc
        try:
            raw_headers = [(k.lower(), v) for k, v in response.headers.raw]
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": clean_response_headers(raw_headers),
                }
            )
            pump = self._pump(response, send)
            if body_done:
                await _until_first(pump, _disconnected(receive))
            else:
                await pump
        finally:
            await response.aclose()

    @staticmethod
    async def _pump(response: httpx.Response, send: Send) -> None:
        async for chunk in response.aiter_raw():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    # --- websockets ---------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, *, start_timeout: float) -> None:
        connect_message = await receive()
        if connect_message["type"] != "websocket.connect":
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k not in _WS_OWN_HEADERS
        ]
        subprotocols = [Subprotocol(p) for p in scope.get("subprotocols") or ()] or None
        try:
            async with asyncio.timeout(start_timeout):
                upstream = await connect(
                    str(self._target(self.ws_base, scope)),
                    ssl=self.ssl_context,
                    additional_headers=headers,
                    subprotocols=subprotocols,
                    user_agent_header=None,
                    proxy=None,
                    open_timeout=None,
                    compression=None,
                    max_size=MAX_WS_MESSAGE,
                )
        except TimeoutError:
            raise ResourceUnavailable(self.resource, 504, f"no response within {start_timeout:g} s") from None
        except InvalidStatus as exc:
            status = exc.response.status_code
            if 400 <= status < 500:  # the resource refused this connection: tell the client so
                await send({"type": "websocket.close", "code": 4000 + status, "reason": ""})
                return
            raise ResourceUnavailable(self.resource, 502, f"websocket handshake answered {status}") from exc
        except (OSError, InvalidHandshake) as exc:
            raise ResourceUnavailable(self.resource, 502, f"{type(exc).__name__}: {exc}") from exc
        try:
            await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol, "headers": []})
            await _bridge(upstream, receive, send)
        finally:
            await upstream.close()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _until_first(*steps: Awaitable[Any]) -> None:
    """Run the steps together; when the first finishes the others are cancelled."""
    tasks = [asyncio.ensure_future(s) for s in steps]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _bridge(upstream: ClientConnection, receive: Receive, send: Send) -> None:
    client_gone = False

    async def client_to_upstream() -> None:
        nonlocal client_gone
        while True:
            message: Message = await receive()
            if message["type"] == "websocket.receive":
                text = message.get("text")
                await upstream.send(text if text is not None else message.get("bytes") or b"")
            elif message["type"] == "websocket.disconnect":
                client_gone = True
                await upstream.close(code=_close_code(message.get("code", 1000)))
                return

    async def upstream_to_client() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in upstream:
                if isinstance(data, str):
                    await send({"type": "websocket.send", "text": data})
                else:
                    await send({"type": "websocket.send", "bytes": data})
        if not client_gone:
            await send(
                {
                    "type": "websocket.close",
                    "code": _close_code(upstream.close_code),
                    "reason": upstream.close_reason or "",
                }
            )

    await _until_first(client_to_upstream(), upstream_to_client())
