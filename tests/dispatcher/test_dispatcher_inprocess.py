from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from dispatcher_helpers import make_principal, orders_app, orders_manifest
from starlette.types import Message, Receive, Scope, Send

from dispatcher.assertion import AssertionSigner, SigningKeys, public_jwks
from dispatcher.backends import InProcessBackend
from dispatcher.core import CallResult, Dispatcher
from dispatcher.errors import PolicyDenied, ResourceUnavailable

ALICE = make_principal("orders:view", "orders:edit", "directory:view")
GATEWAY = make_principal("orders:sync", user_id="service:gateway", kind="service")


@pytest.fixture
async def events() -> list[str]:
    return []


@pytest.fixture
async def dispatcher(signing_keys: SigningKeys, events: list[str]) -> AsyncIterator[Dispatcher]:
    backend = InProcessBackend(orders_app(public_jwks(signing_keys), events=events), resource="orders")
    d = Dispatcher(
        {"orders": orders_manifest(timeout=0.2)}, AssertionSigner(signing_keys), {"orders": backend}
    )
    await d.start()
    yield d
    await d.stop()


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b"") -> Scope:
    """What the gateway's server hands the gateway (gateway path, gateway state)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": f"/orders{path}",
        "raw_path": f"/orders{path}".encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("203.0.113.9", 40000),
        "server": ("127.0.0.1", 8443),
        "state": {"gateway_secret": "must not leak"},
        "app": object(),
        "path_params": {"rest": path},
        "extensions": {},
    }


class Exchange:
    """Our own receive/send pair: feeds request chunks, records every message sent back."""

    def __init__(self, chunks: list[bytes] | None = None) -> None:
        self.chunks = list(chunks or [b""])
        self.sent: list[Message] = []
        self.done = asyncio.Event()

    async def receive(self) -> Message:
        if self.chunks:
            body = self.chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(self.chunks)}
        await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.done.set()

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    @property
    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.sent[1:]]


async def forward(d: Dispatcher, scope: Scope, ex: Exchange, path: str, **kw: Any) -> None:
    args: dict[str, Any] = {
        "resource": "orders",
        "path": path,
        "principal": ALICE,
        "plane": "customer",
        "session_ref": "f" * 32,
        "request_id": "rid-1",
    }
    args.update(kw)
    await asyncio.wait_for(d.forward(scope, ex.receive, ex.send, **args), 5)


async def test_lifespan_runs_on_start_and_stop(signing_keys: SigningKeys) -> None:
    events: list[str] = []
    backend = InProcessBackend(orders_app(public_jwks(signing_keys), events=events), resource="orders")
    d = Dispatcher({"orders": orders_manifest()}, AssertionSigner(signing_keys), {"orders": backend})
    await d.start()
    assert events == ["startup"]
    await d.stop()
    assert events == ["startup", "shutdown"]


async def test_failing_startup_raises(signing_keys: SigningKeys) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(RuntimeError, match="orders failed to start: no database"):
        await InProcessBackend(broken, resource="orders").start()


async def test_plain_route_with_header_hygiene(dispatcher: Dispatcher) -> None:
    headers = [
        (b"host", b"portal.example"),
        (b"accept", b"application/json"),
        (b"cookie", b"__Host-sb=session-secret"),
        (b"authorization", b"Bearer sbt_secret"),
        (b"x-switchboard-assertion", b"forged.token.here"),
        (b"x-switchboard-page", b"forged"),
        (b"x-request-id", b"client-chosen"),
        (b"x-forwarded-for", b"6.6.6.6"),
        (b"forwarded", b"for=6.6.6.6"),
        (b"connection", b"keep-alive, x-custom"),
        (b"x-custom", b"hop"),
        (b"keep-alive", b"timeout=5"),
        (b"proxy-authorization", b"Basic eA=="),
        (b"te", b"trailers"),
    ]
    ex = Exchange()
    await forward(dispatcher, http_scope("GET", "/plain", headers, b"a=1"), ex, "/plain")
    assert ex.status == 200
    assert json.loads(b"".join(ex.bodies)) == {
        "sub": "u-alice",
        "plane": "customer",
        "ent": ["orders:view", "orders:edit"],
        "sid": "f" * 32,
        "rid": "rid-1",
        "db": "orders-engine",
        "path": "/plain",
        "root_path": "",
        "query": "a=1",
        "headers": [
            ["accept", "application/json"],
            ["host", "portal.example"],
            ["x-forwarded-for", "203.0.113.9"],
            ["x-forwarded-host", "portal.example"],
            ["x-forwarded-proto", "https"],
            ["x-request-id", "rid-1"],
        ],
    }


async def test_streamed_response_arrives_chunk_by_chunk(dispatcher: Dispatcher) -> None:
    ex = Exchange()
    await forward(dispatcher, http_scope("GET", "/stream", []), ex, "/stream")
    assert ex.status == 200
    assert [b for b in ex.bodies if b] == [b"chunk-0;", b"chunk-1;", b"chunk-2;"]
    assert [m.get("more_body", False) for m in ex.sent[1:]][-1] is False


async def test_request_body_is_streamed_to_the_resource(dispatcher: Dispatcher) -> None:
    ex = Exchange([b"ab", b"cd", b"ef"])
    await forward(dispatcher, http_scope("POST", "/echo", [(b"transfer-encoding", b"chunked")]), ex, "/echo")
    assert ex.status == 200
    assert b"".join(ex.bodies) == b"ab|cd|ef"  # the resource saw three separate chunks


async def test_response_header_hygiene(dispatcher: Dispatcher) -> None:
    ex = Exchange()
    await forward(dispatcher, http_scope("GET", "/cookie", []), ex, "/cookie")
    assert ex.headers == {"content-length": "1", "x-switchboard-page": "Orders"}


async def test_raw_path_is_rebuilt(dispatcher: Dispatcher) -> None:
    ex = Exchange()
    await forward(dispatcher, http_scope("GET", "/files/a b/c%2Fd", []), ex, "/files/a b/c%/d")
    assert (ex.status, b"".join(ex.bodies)) == (200, b"/files/a b/c%/d")


async def test_timeout_before_response_is_504(dispatcher: Dispatcher) -> None:
    ex = Exchange()
    with pytest.raises(ResourceUnavailable) as exc:
        await forward(dispatcher, http_scope("GET", "/slow", []), ex, "/slow")
    assert (exc.value.resource, exc.value.status, exc.value.detail) == (
        "orders",
        504,
        "no response within 0.2 s",
    )
    assert ex.sent == []


async def test_resource_500_passes_through(dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture) -> None:
    ex = Exchange()
    with caplog.at_level(logging.ERROR, logger="dispatcher"):
        await forward(dispatcher, http_scope("GET", "/boom", []), ex, "/boom")
    assert ex.status == 500
    assert "orders failed after responding: RuntimeError" in caplog.messages


async def raising_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        return
    raise RuntimeError("crash before answering")


async def silent_app(scope: Scope, receive: Receive, send: Send) -> None:
    return


@pytest.mark.parametrize(
    ("app", "detail"), [(raising_app, "failed: RuntimeError"), (silent_app, "returned without a response")]
)
async def test_failure_before_response_is_502(signing_keys: SigningKeys, app: Any, detail: str) -> None:
    d = Dispatcher(
        {"orders": orders_manifest()},
        AssertionSigner(signing_keys),
        {"orders": InProcessBackend(app, resource="orders")},
    )
    await d.start()
    ex = Exchange()
    with pytest.raises(ResourceUnavailable) as exc:
        await forward(d, http_scope("GET", "/plain", []), ex, "/plain")
    assert (exc.value.status, exc.value.detail) == (502, detail)
    await d.stop()


async def test_forward_enforces_policy(dispatcher: Dispatcher) -> None:
    with pytest.raises(PolicyDenied) as exc:
        await forward(
            dispatcher,
            http_scope("POST", "/echo", []),
            Exchange(),
            "/echo",
            principal=make_principal("orders:view"),
        )
    assert exc.value.reasons == ("u-alice lacks orders:edit",)


def ws_scope(path: str) -> Scope:
    scope = http_scope("GET", path, [(b"host", b"portal.example"), (b"sec-websocket-protocol", b"orders.v1")])
    del scope["method"]
    scope.update(type="websocket", scheme="wss", subprotocols=["orders.v1"])
    return scope


async def run_ws(d: Dispatcher, client_messages: list[Message]) -> list[Message]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    for m in [{"type": "websocket.connect"}, *client_messages]:
        inbox.put_nowait(m)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(
        d.forward(
            ws_scope("/ws"),
            inbox.get,
            send,
            resource="orders",
            path="/ws",
            principal=ALICE,
            plane="customer",
            session_ref=None,
            request_id="rid-ws",
        ),
        5,
    )
    return sent


async def test_websocket_echo_and_resource_close_code(dispatcher: Dispatcher) -> None:
    sent = await run_ws(
        dispatcher,
        [
            {"type": "websocket.receive", "text": "ping"},
            {"type": "websocket.receive", "bytes": b"bin"},
            {"type": "websocket.receive", "text": "bye"},
        ],
    )
    assert sent == [
        {"type": "websocket.accept", "subprotocol": "orders.v1", "headers": []},
        {"type": "websocket.send", "text": "hi alice"},
        {"type": "websocket.send", "text": "echo:ping"},
        {"type": "websocket.send", "bytes": b"echo:bin"},
        {"type": "websocket.close", "code": 4321, "reason": "see you"},
    ]


async def test_websocket_client_close_reaches_resource(dispatcher: Dispatcher, events: list[str]) -> None:
    sent = await run_ws(dispatcher, [{"type": "websocket.disconnect", "code": 1001}])
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send"]
    assert events == ["startup", "ws closed by client 1001"]


async def test_call_service_plane(dispatcher: Dispatcher) -> None:
    got = await dispatcher.call(resource="orders", method="GET", path="/internal/ping?q=7", principal=GATEWAY)
    body = b'{"pong":"service:gateway","q":"7"}'
    assert got == CallResult(
        status=200,
        headers={"content-length": str(len(body)), "content-type": "application/json"},
        body=body,
    )
    assert got.json() == {"pong": "service:gateway", "q": "7"}


async def test_call_with_json_body(dispatcher: Dispatcher) -> None:
    got = await dispatcher.call(
        resource="orders", method="POST", path="/internal/sum", principal=GATEWAY, json={"numbers": [1, 2, 3]}
    )
    assert (got.status, got.json(), got.headers["content-type"]) == (201, {"sum": 6}, "application/json")


async def test_call_denied_off_plane(dispatcher: Dispatcher) -> None:
    with pytest.raises(PolicyDenied) as exc:
        await dispatcher.call(
            resource="orders", method="GET", path="/internal/ping", principal=GATEWAY, plane="customer"
        )
    assert exc.value.reasons == ("no rule for GET /internal/ping on the customer plane",)


async def status_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        return
    await send({"type": "http.response.start", "status": 503, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_health_never_raises(dispatcher: Dispatcher, signing_keys: SigningKeys) -> None:
    manifests = {
        n: replace(orders_manifest(), name=n, actions=(), rules=()) for n in ("alpha", "beta", "gamma")
    }
    healthy = orders_app(public_jwks(signing_keys))
    backends = {
        "alpha": InProcessBackend(healthy, resource="alpha"),
        "beta": InProcessBackend(raising_app, resource="beta"),
        "gamma": InProcessBackend(status_app, resource="gamma"),
    }
    d = Dispatcher(manifests, AssertionSigner(signing_keys), backends)
    await d.start()
    report = await d.health()
    await d.stop()
    assert sorted(report) == ["alpha", "beta", "gamma"]
    assert {n: (r["status"], r["detail"]) for n, r in report.items()} == {
        "alpha": ("ok", ""),
        "beta": ("down", "502 failed: RuntimeError"),
        "gamma": ("down", "status 503"),
    }
    assert all(isinstance(r["ms"], float) for r in report.values())


def test_every_manifest_needs_a_backend(signing_keys: SigningKeys) -> None:
    with pytest.raises(ValueError, match=r"no backend for resources \['orders'\]"):
        Dispatcher({"orders": orders_manifest()}, AssertionSigner(signing_keys), {})


def test_decide_unknown_resource(dispatcher: Dispatcher) -> None:
    got = dispatcher.decide(principal=ALICE, resource="nope", method="GET", path="/")
    assert (got.allow, got.reasons) == (False, ("unknown resource 'nope'",))


async def test_reads_reuse_their_assertion_and_writes_get_a_fresh_one(signing_keys: SigningKeys) -> None:
    seen: list[bytes] = []

    async def capture(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        seen.append(dict(scope["headers"])[b"x-switchboard-assertion"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    d = Dispatcher(
        {"orders": orders_manifest()},
        AssertionSigner(signing_keys),
        {"orders": InProcessBackend(capture, resource="orders")},
    )
    await d.start()
    for method, path, rid in (
        ("GET", "/plain", "r-1"),
        ("GET", "/plain", "r-2"),
        ("POST", "/echo", "r-3"),
        ("POST", "/echo", "r-4"),
    ):
        await forward(d, http_scope(method, path, []), Exchange(), path, request_id=rid)
    await d.stop()

    def claims(token: bytes) -> dict[str, Any]:
        payload = token.split(b".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4))))

    assert seen[0] == seen[1]
    assert [claims(t)["rid"] for t in seen] == [None, None, "r-3", "r-4"]
    assert len({claims(t)["jti"] for t in seen}) == 3
