"""RemoteBackend against a real uvicorn server with mutual TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from dispatcher_certs import Pki, make_pki
from dispatcher_helpers import make_principal, orders_app, orders_manifest
from starlette.types import Message, Scope

from dispatcher.assertion import AssertionSigner, SigningKeys, public_jwks
from dispatcher.core import Dispatcher
from dispatcher.errors import ResourceUnavailable
from dispatcher.remote import RemoteBackend, client_ssl_context

ALICE = make_principal("orders:view", "orders:edit")
GATEWAY = make_principal("orders:sync", user_id="service:gateway", kind="service")


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
async def server(pki: Pki, signing_keys: SigningKeys) -> AsyncIterator[tuple[str, list[str]]]:
    events: list[str] = []
    config = uvicorn.Config(
        orders_app(public_jwks(signing_keys), events=events),
        host="127.0.0.1",
        port=0,
        ssl_certfile=str(pki.server_cert),
        ssl_keyfile=str(pki.server_key),
        ssl_ca_certs=str(pki.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        ws="websockets-sansio",
        lifespan="on",
        log_level="critical",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(500):
        if srv.started:
            break
        await asyncio.sleep(0.01)
    assert srv.started
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"https://127.0.0.1:{port}", events
    srv.should_exit = True
    await asyncio.wait_for(task, 10)


async def make_dispatcher(
    url: str, ctx: ssl.SSLContext, keys: SigningKeys, *, timeout: float = 2.0
) -> Dispatcher:
    backend = RemoteBackend(url, ctx, resource="orders")
    d = Dispatcher({"orders": orders_manifest(timeout=timeout)}, AssertionSigner(keys), {"orders": backend})
    await d.start()
    return d


def mtls(pki: Pki) -> ssl.SSLContext:
    return client_ssl_context(pki.ca, pki.client_cert, pki.client_key)


def no_client_cert(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca))


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "query_string": b"x=1",
        "headers": headers or [(b"host", b"portal.example"), (b"cookie", b"sid=secret")],
        "client": ("203.0.113.9", 1),
        "server": ("127.0.0.1", 8443),
    }


async def exchange(
    d: Dispatcher, scope: Scope, path: str, chunks: list[bytes] | None = None
) -> list[Message]:
    pending = list(chunks or [b""])
    sent: list[Message] = []
    done = asyncio.Event()

    async def receive() -> Message:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await asyncio.wait_for(
        d.forward(
            scope,
            receive,
            send,
            resource="orders",
            path=path,
            principal=ALICE,
            plane="customer",
            session_ref=None,
            request_id="rid-remote",
        ),
        10,
    )
    return sent


async def test_request_with_client_cert(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, events = server
    d = await make_dispatcher(url, mtls(pki), signing_keys)
    try:
        sent = await exchange(d, http_scope("GET", "/orders/plain"), "/plain")
    finally:
        await d.stop()
    assert events == ["startup"]
    assert sent[0]["status"] == 200
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    port = url.rsplit(":", 1)[1]
    assert body == {
        "sub": "u-alice",
        "plane": "customer",
        "ent": ["orders:view", "orders:edit"],
        "sid": None,
        "rid": "rid-remote",
        "db": "orders-engine",
        "path": "/plain",
        "root_path": "",
        "query": "x=1",
        "headers": [
            *([k, v] for k, v in sorted(_httpx_defaults().items()) if k < "host"),
            ["host", f"127.0.0.1:{port}"],
            ["user-agent", _httpx_defaults()["user-agent"]],
            ["x-forwarded-for", "203.0.113.9"],
            ["x-forwarded-host", "portal.example"],
            ["x-forwarded-proto", "https"],
            ["x-request-id", "rid-remote"],
        ],
    }


def _httpx_defaults() -> dict[str, str]:
    with httpx.Client() as c:
        return {k: c.headers[k] for k in ("accept", "accept-encoding", "connection", "user-agent")}


async def test_streams_both_ways(server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys) -> None:
    url, _ = server
    d = await make_dispatcher(url, mtls(pki), signing_keys)
    try:
        echoed = await exchange(d, http_scope("POST", "/orders/echo"), "/echo", [b"ab", b"cd", b"ef"])
        streamed = await exchange(d, http_scope("GET", "/orders/stream"), "/stream")
        cookie = await exchange(d, http_scope("GET", "/orders/cookie"), "/cookie")
        call = await d.call(
            resource="orders",
            method="POST",
            path="/internal/sum",
            principal=GATEWAY,
            json={"numbers": [2, 3]},
        )
        health = await d.health()
    finally:
        await d.stop()
    assert echoed[0]["status"] == 200
    # chunked upload: the resource may see the chunks coalesced, but never a buffered copy of a changed body
    assert b"".join(m.get("body", b"") for m in echoed[1:]).replace(b"|", b"") == b"abcdef"
    assert streamed[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in streamed[1:]) == b"chunk-0;chunk-1;chunk-2;"
    assert streamed[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    headers = dict(cookie[0]["headers"])
    assert b"set-cookie" not in headers
    assert headers[b"x-switchboard-page"] == b"Orders"
    assert (call.status, call.json()) == (201, {"sum": 5})
    assert health["orders"]["status"] == "ok"


async def test_client_without_cert_is_refused(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, _ = server
    d = await make_dispatcher(url, no_client_cert(pki), signing_keys)
    try:
        with pytest.raises(ResourceUnavailable) as exc:
            await exchange(d, http_scope("GET", "/orders/plain"), "/plain")
        with pytest.raises(ResourceUnavailable) as ws_exc:
            await run_ws(d, [])
        health = await d.health()
    finally:
        await d.stop()
    assert (exc.value.resource, exc.value.status) == ("orders", 502)
    assert ws_exc.value.status == 502
    assert health["orders"]["status"] == "down"


async def test_untrusted_server_is_refused(
    server: tuple[str, list[str]], tmp_path: Path, pki: Pki, signing_keys: SigningKeys
) -> None:
    (tmp_path / "other").mkdir()
    other = make_pki(tmp_path / "other")
    url, _ = server
    ctx = client_ssl_context(other.ca, pki.client_cert, pki.client_key)  # trusts another CA only
    d = await make_dispatcher(url, ctx, signing_keys)
    try:
        with pytest.raises(ResourceUnavailable) as exc:
            await exchange(d, http_scope("GET", "/orders/plain"), "/plain")
    finally:
        await d.stop()
    assert exc.value.status == 502
    assert "CERTIFICATE_VERIFY_FAILED" in exc.value.detail


async def test_connection_refused_is_502_and_timeout_504(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, _ = server
    d = await make_dispatcher("https://127.0.0.1:9", mtls(pki), signing_keys)
    try:
        with pytest.raises(ResourceUnavailable) as refused:
            await exchange(d, http_scope("GET", "/orders/plain"), "/plain")
    finally:
        await d.stop()
    assert refused.value.status == 502
    d = await make_dispatcher(url, mtls(pki), signing_keys, timeout=0.3)
    try:
        with pytest.raises(ResourceUnavailable) as slow:
            await exchange(d, http_scope("GET", "/orders/slow"), "/slow")
    finally:
        await d.stop()
    assert (slow.value.status, slow.value.detail) == (504, "no response within 0.3 s")


async def run_ws(
    d: Dispatcher,
    client_messages: list[Message],
    *,
    then: tuple[str, Message] | None = None,
    path: str = "/ws",
) -> list[Message]:
    """Drive a websocket through the dispatcher; `then=(text, message)` sends `message` once the
    client has received `text` (so the resource is not mid-send when the client goes away)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    for m in client_messages:
        inbox.put_nowait(m)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if then is not None and message.get("text") == then[0]:
            inbox.put_nowait(then[1])

    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "wss",
        "path": "/orders/ws",
        "query_string": b"",
        "headers": [
            (b"host", b"portal.example"),
            (b"sec-websocket-key", b"abc"),
            (b"sec-websocket-version", b"13"),
        ],
        "client": ("203.0.113.9", 1),
        "server": ("127.0.0.1", 8443),
        "subprotocols": ["orders.v1"],
    }
    await asyncio.wait_for(
        d.forward(
            scope,
            inbox.get,
            send,
            resource="orders",
            path=path,
            principal=ALICE,
            plane="customer",
            session_ref=None,
            request_id="rid-ws",
        ),
        10,
    )
    return sent


async def test_websocket_with_client_cert(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, _ = server
    d = await make_dispatcher(url, mtls(pki), signing_keys)
    try:
        sent = await run_ws(
            d,
            [
                {"type": "websocket.receive", "text": "ping"},
                {"type": "websocket.receive", "bytes": b"bin"},
                {"type": "websocket.receive", "text": "bye"},
            ],
        )
    finally:
        await d.stop()
    assert sent == [
        {"type": "websocket.accept", "subprotocol": "orders.v1", "headers": []},
        {"type": "websocket.send", "text": "hi alice"},
        {"type": "websocket.send", "text": "echo:ping"},
        {"type": "websocket.send", "bytes": b"echo:bin"},
        {"type": "websocket.close", "code": 4321, "reason": "see you"},
    ]


async def test_websocket_client_close_code_reaches_resource(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, events = server
    d = await make_dispatcher(url, mtls(pki), signing_keys)
    try:
        sent = await run_ws(
            d,
            [{"type": "websocket.receive", "text": "ping"}],
            then=("echo:ping", {"type": "websocket.disconnect", "code": 1001}),
        )
        for _ in range(200):
            if len(events) > 1:
                break
            await asyncio.sleep(0.01)
    finally:
        await d.stop()
    assert [m["type"] for m in sent][:2] == ["websocket.accept", "websocket.send"]
    assert events == ["startup", "ws closed by client 1001"]


async def test_websocket_refused_by_resource(
    server: tuple[str, list[str]], pki: Pki, signing_keys: SigningKeys
) -> None:
    url, _ = server
    d = await make_dispatcher(url, mtls(pki), signing_keys)
    try:
        sent = await run_ws(d, [], path="/wsdeny")
    finally:
        await d.stop()
    # over the wire a close before accept is an HTTP 403; the client gets 4000 + that status
    assert sent == [{"type": "websocket.close", "code": 4403, "reason": ""}]


def test_remote_needs_https(pki: Pki) -> None:
    with pytest.raises(ValueError, match="orders: remote resources are reached over https"):
        RemoteBackend("http://127.0.0.1:1", mtls(pki), resource="orders")
