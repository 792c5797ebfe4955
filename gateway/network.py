"""The network-plane listener (spine "Network plane"): network elements only.

An element authenticates with a verified client certificate (CN `element:<name>`, see
gateway.tlsproto) or `Authorization: Bearer sbe_…`. Nothing else counts: session cookies and
customer API tokens (`sbt_…`) get 401 here, before any routing, so an unauthenticated caller
learns nothing about which resources exist.

    GET /metrics                → Prometheus text (any element)
    /<resource>/<rest>          → resource path /network/<rest>, plane "network" (http + websocket)
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from dispatcher.errors import PolicyDenied, ResourceUnavailable
from gateway.elements import TOKEN_PREFIX, Element, ElementRegistry
from gateway.logs import AccessLogMiddleware, new_request_id
from gateway.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from gateway.ports import ForwardingPort
from gateway.tlsproto import peer_common_name
from resources.kit.errors import install_error_handlers, problem
from resources.kit.manifest import Plane

log = logging.getLogger("gateway.network")

PLANE: Plane = "network"
WS_POLICY_VIOLATION = 1008
WS_TRY_AGAIN_LATER = 1013


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == b"authorization":
            scheme, _, credential = bytes(value).decode("latin-1").partition(" ")
            return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None
    return None


def authenticate(scope: Scope, elements: ElementRegistry) -> tuple[Element | None, str]:
    """The element behind this connection/request, and a reason for the log when there is none."""
    cn = peer_common_name(scope)
    by_cert = elements.by_common_name(cn) if cn else None
    token = _bearer(scope)
    by_token = None
    if token is not None:
        if not token.startswith(TOKEN_PREFIX):
            return None, "not an element token"
        by_token = elements.authenticate_token(token)
        if by_token is None:
            return None, "unknown element token"
    if by_cert is not None and by_token is not None and by_cert.name != by_token.name:
        return None, "certificate and token name different elements"
    element = by_cert or by_token
    if element is None:
        return None, f"certificate CN {cn!r} is not an element" if cn else "no element credential"
    return element, "ok"


class ElementAuthMiddleware:
    """Default deny: every http/websocket request needs an element; sets scope state `element`."""

    def __init__(self, app: ASGIApp, elements: ElementRegistry) -> None:
        self.app = app
        self.elements = elements

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        element, reason = authenticate(scope, self.elements)
        if element is None:
            log.info("network plane: refused (%s)", reason, extra={"reason": reason})
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION})
                return
            response = problem(
                401,
                detail="a network element certificate or element token is required",
                headers={"WWW-Authenticate": 'Bearer realm="switchboard-network"'},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["element"] = element
        await self.app(scope, receive, send)


def _resource_path(rest: str) -> str | None:
    """`/network/<rest>`, or None for dot segments (never let `..` climb out of /network)."""
    if any(segment in (".", "..") for segment in rest.split("/")):
        return None
    return f"/network/{rest}"


class Forwarder:
    """ASGI endpoint for `/{resource}/{rest:path}` (http and websocket)."""

    def __init__(self, dispatcher: ForwardingPort, metrics: Metrics) -> None:
        self.dispatcher = dispatcher
        self.metrics = metrics

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            code = WS_TRY_AGAIN_LATER if status >= 500 else WS_POLICY_VIOLATION
            await send({"type": "websocket.close", "code": code})
            return
        await problem(status, detail=detail)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        element: Element = state["element"]
        params = scope["path_params"]
        resource, path = str(params["resource"]), _resource_path(str(params["rest"]))
        if resource not in self.dispatcher.manifests or path is None:
            await self._refuse(scope, receive, send, 404, "no such resource")
            return
        principal = element.principal()
        method = "WS" if scope["type"] == "websocket" else str(scope["method"])
        decision = self.dispatcher.decide(
            principal=principal, resource=resource, method=method, path=path, plane=PLANE
        )
        if not decision.allow:
            log.info(
                "network plane: %s denied %s %s",
                element.name,
                method,
                path,
                extra={"element": element.name, "resource": resource, "reasons": list(decision.reasons)},
            )
            await self._refuse(scope, receive, send, 403, f"{method} {path} is not allowed for this element")
            return
        request_id = str(state.get("request_id") or new_request_id())
        try:
            await self.dispatcher.forward(
                scope,
                receive,
                send,
                resource=resource,
                path=path,
                principal=principal,
                plane=PLANE,
                session_ref=None,
                request_id=request_id,
            )
        except PolicyDenied:
            await self._refuse(scope, receive, send, 403, f"{method} {path} is not allowed for this element")
        except ResourceUnavailable as exc:
            self.metrics.resource_error(resource, exc.status)
            log.warning("network plane: %s unavailable (%s)", resource, exc.detail)
            await self._refuse(scope, receive, send, exc.status, f"{resource} is not answering")


def create_network_app(*, dispatcher: ForwardingPort, elements: ElementRegistry, metrics: Metrics) -> ASGIApp:
    """The ASGI app served on the network port (TLS with optional client certs, tlsproto)."""

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    forwarder = Forwarder(dispatcher, metrics)
    app = Starlette(
        routes=[
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route(
                "/{resource}/{rest:path}",
                forwarder,
                methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            ),
            WebSocketRoute("/{resource}/{rest:path}", forwarder),
        ]
    )
    install_error_handlers(app)
    inner: ASGIApp = ElementAuthMiddleware(app, elements)
    inner = MetricsMiddleware(inner, metrics, PLANE)
    # the switch's per-call traffic: successes at DEBUG, refusals and errors at INFO
    return AccessLogMiddleware(
        inner, logger="gateway.network.access", plane=PLANE, success_level=logging.DEBUG
    )
