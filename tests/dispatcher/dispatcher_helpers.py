"""Helpers shared by the dispatcher tests (imported by module name: tests/dispatcher is on sys.path)."""

from __future__ import annotations

from typing import Any

from resources.kit.caller import Entitlement, Principal


def make_principal(*actions: str, user_id: str = "u-alice", kind: str = "customer") -> Principal:
    return Principal.from_json(
        {
            "user_id": user_id,
            "username": "alice",
            "display_name": "Alice",
            "kind": kind,
            "org_id": "org-acme",
            "customer_id": "cust-acme",
            "reseller_chain": ["res-1"],
            "brand": "acme",
            "entitlements": [Entitlement(action=a).to_claim() for a in actions],
        }
    )


# --- a small resource used by the forwarding tests --------------------------------------------


def orders_manifest(*, timeout: float = 0.5) -> Any:
    from resources.kit.manifest import Action, Manifest, Rule

    return Manifest(
        name="orders",
        title="Orders",
        create_app=lambda settings: None,
        actions=(
            Action(name="orders:view", description="See orders"),
            Action(name="orders:edit", description="Change orders"),
            Action(name="orders:sync", description="Service calls", scope_kind="service"),
        ),
        rules=(
            Rule(method="GET", path="/plain", action="orders:view"),
            Rule(method="GET", path="/stream", action="orders:view"),
            Rule(method="GET", path="/slow", action="orders:view"),
            Rule(method="GET", path="/cookie", action="orders:view"),
            Rule(method="GET", path="/boom", action="orders:view"),
            Rule(method="GET", path="/files/{rest:path}", action="orders:view"),
            Rule(method="POST", path="/echo", action="orders:edit"),
            Rule(method="WS", path="/ws", action="orders:view"),
            Rule(method="WS", path="/wsdeny", action="orders:view"),
            Rule(method="GET", path="/internal/ping", action="orders:sync", plane="service"),
            Rule(method="POST", path="/internal/sum", action="orders:sync", plane="service"),
        ),
        timeout=timeout,
    )


def orders_app(jwks: dict[str, Any], *, events: list[str] | None = None) -> Any:
    """A starlette resource wrapped in the kit's assertion middleware."""
    import asyncio
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    from resources.kit.assertion import AssertionVerifier
    from resources.kit.middleware import AssertionMiddleware

    log = events if events is not None else []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        log.append("startup")
        yield {"db": "orders-engine"}
        log.append("shutdown")

    async def plain(request: Request) -> JSONResponse:
        caller = request.state.caller
        return JSONResponse(
            {
                "sub": caller.subject,
                "plane": caller.plane,
                "ent": [e.action for e in caller.entitlements],
                "sid": caller.session,
                "rid": request.state.request_id,
                "db": request.state.db,
                "path": request.url.path,
                "root_path": request.scope["root_path"],
                "query": request.url.query,
                "headers": sorted(
                    [k, v] for k, v in request.headers.items() if k != "x-switchboard-assertion"
                ),
            }
        )

    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"chunk-{i};".encode()
                await asyncio.sleep(0.01)

        return StreamingResponse(chunks(), media_type="text/plain")

    async def slow(request: Request) -> PlainTextResponse:
        await asyncio.sleep(5)
        return PlainTextResponse("late")

    async def cookie(request: Request) -> Response:
        return Response(
            "c",
            headers={
                "set-cookie": "sid=evil; Path=/",
                "x-switchboard-page": "Orders",
                "keep-alive": "timeout=5",
            },
        )

    async def boom(request: Request) -> Response:
        raise RuntimeError("resource bug")

    async def files(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.url.path)

    async def echo(request: Request) -> Response:
        parts = [chunk async for chunk in request.stream()]
        return Response(b"|".join(p for p in parts if p), media_type="application/octet-stream")

    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"pong": request.state.caller.subject, "q": request.query_params.get("q")})

    async def total(request: Request) -> JSONResponse:
        data = await request.json()
        return JSONResponse({"sum": sum(data["numbers"])}, status_code=201)

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=(websocket.scope.get("subprotocols") or [None])[0])
        await websocket.send_text(f"hi {websocket.state.caller.username}")
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    log.append(f"ws closed by client {message.get('code')}")
                    return
                if message.get("text") == "bye":
                    await websocket.close(code=4321, reason="see you")
                    return
                if message.get("text") is not None:
                    await websocket.send_text("echo:" + message["text"])
                else:
                    await websocket.send_bytes(b"echo:" + message["bytes"])
        except WebSocketDisconnect as exc:
            log.append(f"ws closed by client {exc.code}")

    async def ws_deny(websocket: WebSocket) -> None:
        await websocket.close(code=4403)

    app = Starlette(
        routes=[
            Route("/plain", plain),
            Route("/stream", stream),
            Route("/slow", slow),
            Route("/cookie", cookie),
            Route("/boom", boom),
            Route("/files/{rest:path}", files),
            Route("/echo", echo, methods=["POST"]),
            Route("/internal/ping", ping),
            Route("/internal/sum", total, methods=["POST"]),
            Route("/healthz", healthz),
            WebSocketRoute("/ws", ws),
            WebSocketRoute("/wsdeny", ws_deny),
        ],
        lifespan=lifespan,
    )
    return AssertionMiddleware(app, AssertionVerifier(jwks, audience="orders"))
