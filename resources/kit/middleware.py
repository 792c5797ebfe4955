"""Pure-ASGI middleware every resource app wraps itself in: verify the dispatcher's assertion.

* `GET /healthz` passes without an assertion.
* Missing or invalid `X-Switchboard-Assertion` → 401 problem JSON (websocket: close 4401 before
  accept); the reason is logged, never returned.
* Plane rule: `/internal/…` needs plane "service", `/network/…` plane "network", everything
  else plane "customer"; a mismatch → 403 problem JSON (websocket: close 4403).
* On success `scope["state"]["caller"]` is the `Caller` and `scope["state"]["request_id"]` the
  request id (the `rid` claim, else the `X-Request-Id` header).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from resources.kit.assertion import InvalidAssertion
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, problem

log = logging.getLogger("resources.kit.middleware")

HEADER = b"x-switchboard-assertion"
WS_UNAUTHENTICATED = 4401
WS_FORBIDDEN = 4403


class Verifier(Protocol):
    def verify(self, token: str, *, now: float | None = None) -> Caller: ...


def required_plane(path: str) -> str:
    if path == "/internal" or path.startswith("/internal/"):
        return "service"
    if path == "/network" or path.startswith("/network/"):
        return "network"
    return "customer"


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [v for k, v in scope.get("headers") or () if k.lower() == name]


class AssertionMiddleware:
    def __init__(self, app: ASGIApp, verifier: Verifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and path == "/healthz":
            await self.app(scope, receive, send)
            return
        tokens = _header(scope, HEADER)
        if len(tokens) != 1:
            log.info("rejected %s: %s assertion headers", path, len(tokens))
            await self._deny(scope, receive, send, 401, "missing assertion")
            return
        try:
            caller = self.verifier.verify(tokens[0].decode("latin-1"))
        except InvalidAssertion as exc:
            log.info("rejected %s: invalid assertion (%s)", path, exc.reason)
            await self._deny(scope, receive, send, 401, "invalid assertion")
            return
        needed = required_plane(path)
        if caller.plane != needed:
            log.info("rejected %s: plane %s, needs %s", path, caller.plane, needed)
            await self._deny(scope, receive, send, 403, f"the {caller.plane} plane cannot reach this path")
            return
        request_ids = _header(scope, b"x-request-id")
        state: dict[str, Any] = dict(scope.get("state") or {})
        state["caller"] = caller
        state["request_id"] = caller.request_id or (request_ids[0].decode("latin-1") if request_ids else None)
        await self.app({**scope, "state": state}, receive, send)

    @staticmethod
    async def _deny(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            code = WS_UNAUTHENTICATED if status == 401 else WS_FORBIDDEN
            await send({"type": "websocket.close", "code": code, "reason": detail})
            return
        await problem(status, detail=detail)(scope, receive, send)


def caller_of(request: Request) -> Caller:
    """The verified caller the middleware put on the request (401 when there is none)."""
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise ProblemError(401, detail="no verified caller")
    return caller
