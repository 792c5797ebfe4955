from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.assertion import AssertionVerifier
from resources.kit.caller import Entitlement, Principal
from resources.kit.middleware import AssertionMiddleware, required_plane

PRINCIPAL = Principal(
    user_id="u-carol",
    username="carol",
    display_name="Carol",
    kind="customer",
    org_id="org-1",
    customer_id="cust-1",
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="orders:view"),),
)
KEYS = SigningKeys.from_jwks(new_signing_jwk())


async def whoami(request: Request) -> JSONResponse:
    caller = request.state.caller
    return JSONResponse(
        {
            "sub": caller.subject,
            "plane": caller.plane,
            "rid": request.state.request_id,
            "lifespan": request.state.db,
        }
    )


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(f"hello {websocket.state.caller.username}")
    await websocket.close()


def make_app() -> AssertionMiddleware:
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/orders", whoami),
            Route("/internal/orders", whoami),
            Route("/network/orders", whoami),
            WebSocketRoute("/live", ws_echo),
        ]
    )
    return AssertionMiddleware(app, AssertionVerifier(public_jwks(KEYS), audience="orders"))


def token(plane: str = "customer", *, audience: str = "orders", request_id: str | None = "rid-7") -> str:
    return AssertionSigner(KEYS).mint(
        audience=audience,
        principal=PRINCIPAL,
        plane=plane,  # type: ignore[arg-type]
        session_ref=None,
        request_id=request_id,
    )


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(make_app()), base_url="http://orders")


def with_state(app: Any) -> Any:
    """Emulate the server copying lifespan state into each request scope."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "state": {"db": "engine"}}, receive, send)

    return wrapped


@pytest.mark.parametrize(
    ("path", "plane"),
    [
        ("/x", "customer"),
        ("/internal/a", "service"),
        ("/internal", "service"),
        ("/internalx", "customer"),
        ("/network/a", "network"),
        ("/networks", "customer"),
    ],
)
def test_required_plane(path: str, plane: str) -> None:
    assert required_plane(path) == plane


async def test_missing_assertion_is_401_problem() -> None:
    async with client() as c:
        response = await c.get("/orders")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not authenticated",
        "status": 401,
        "detail": "missing assertion",
    }


async def test_invalid_assertion_is_401_problem() -> None:
    async with client() as c:
        response = await c.get("/orders", headers={"X-Switchboard-Assertion": token(audience="billing")})
    assert response.status_code == 401
    assert response.json() == {
        "type": "about:blank",
        "title": "Not authenticated",
        "status": 401,
        "detail": "invalid assertion",
    }


async def test_two_assertion_headers_are_refused() -> None:
    transport = httpx.ASGITransport(make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as c:
        headers = [("X-Switchboard-Assertion", token()), ("X-Switchboard-Assertion", token())]
        response = await c.get("/orders", headers=headers)
    assert response.status_code == 401


async def test_healthz_is_open_but_only_for_get() -> None:
    async with client() as c:
        ok = await c.get("/healthz")
        posted = await c.post("/healthz")
    assert (ok.status_code, ok.text) == (200, "ok")
    assert posted.status_code == 401


async def test_valid_assertion_sets_caller_and_request_id() -> None:
    transport = httpx.ASGITransport(with_state(make_app()))
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as c:
        response = await c.get("/orders", headers={"X-Switchboard-Assertion": token()})
    assert response.status_code == 200
    assert response.json() == {"sub": "u-carol", "plane": "customer", "rid": "rid-7", "lifespan": "engine"}


async def test_request_id_falls_back_to_header() -> None:
    transport = httpx.ASGITransport(with_state(make_app()))
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as c:
        response = await c.get(
            "/orders", headers={"X-Switchboard-Assertion": token(request_id=None), "X-Request-Id": "hdr-1"}
        )
    assert response.json()["rid"] == "hdr-1"


@pytest.mark.parametrize(
    ("path", "plane", "status"),
    [
        ("/orders", "customer", 200),
        ("/orders", "service", 403),
        ("/orders", "network", 403),
        ("/internal/orders", "service", 200),
        ("/internal/orders", "customer", 403),
        ("/network/orders", "network", 200),
        ("/network/orders", "customer", 403),
        ("/network/orders", "service", 403),
    ],
)
async def test_plane_rule(path: str, plane: str, status: int) -> None:
    transport = httpx.ASGITransport(with_state(make_app()))
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as c:
        response = await c.get(path, headers={"X-Switchboard-Assertion": token(plane)})
    assert response.status_code == status
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
            "detail": f"the {plane} plane cannot reach this path",
        }


async def run_websocket(headers: list[tuple[bytes, bytes]], path: str = "/live") -> list[Message]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[Message] = []
    await inbox.put({"type": "websocket.connect"})

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            await inbox.put({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "scheme": "ws",
        "client": ("127.0.0.1", 5000),
        "server": ("orders", 80),
        "subprotocols": [],
        "state": {},
    }
    await asyncio.wait_for(make_app()(scope, inbox.get, send), 5)
    return sent


async def test_websocket_without_assertion_closes_4401_before_accept() -> None:
    sent = await run_websocket([])
    assert sent == [{"type": "websocket.close", "code": 4401, "reason": "missing assertion"}]


async def test_websocket_with_wrong_plane_closes_4403() -> None:
    sent = await run_websocket([(b"x-switchboard-assertion", token("network").encode())])
    assert sent == [
        {"type": "websocket.close", "code": 4403, "reason": "the network plane cannot reach this path"}
    ]


async def test_websocket_with_assertion_is_accepted() -> None:
    sent = await run_websocket([(b"x-switchboard-assertion", token().encode())])
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "hello carol"


async def test_lifespan_scope_passes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await AssertionMiddleware(inner, AssertionVerifier({"keys": []}, audience="orders"))(
        {"type": "lifespan"},
        None,
        None,  # type: ignore[arg-type]
    )
    assert seen == ["lifespan"]
