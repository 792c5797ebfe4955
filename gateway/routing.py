"""Forwarding customer requests to resources through the dispatcher.

`/{resource}/{rest}` (browser UI; websockets too) → resource path `/{rest}`;
`/api/{resource}/{rest}` (JSON) → resource path `/api/{rest}`. Order of checks: known resource
and clean path (anything whose resource-relative part starts with /internal or /network → 404)
→ identity (session cookie; on /api/ also `Authorization: Bearer sbt_…`) → policy
(dispatcher.decide, default deny) → dispatcher.forward. Resource UI pages (response header
`X-Switchboard-Page`) are wrapped in webui's base.html unless htmx asked for the fragment.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from markupsafe import Markup
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Message, Receive, Scope, Send

from dispatcher.errors import PolicyDenied, ResourceUnavailable
from gateway.deps import GatewayDeps, deps_of
from gateway.errors import error_response
from gateway.headers import request_id_of
from gateway.identity import PRINCIPAL_STATE, session_of, session_principal
from gateway.rendering import nav_for
from resources.kit.caller import Principal

log = logging.getLogger("gateway")

RESOURCE_NAME = re.compile(r"[a-z]+")
HIDDEN_PREFIXES = frozenset({"internal", "network"})
PAGE_HEADER = "x-switchboard-page"
API_TOKEN_PREFIX = "sbt_"  # noqa: S105 - a prefix, not a secret
MAX_DECORATED_BODY = 8 * 1024 * 1024
WS_POLICY_CLOSE = 1008


def resource_path(rest: str, *, api: bool) -> str | None:
    """The resource-relative path, or None when it must not be reachable from outside
    (dot segments, or a first segment naming the service or network plane)."""
    segments = [s for s in rest.split("/") if s]
    if any(s in (".", "..") for s in segments):
        return None
    if segments and segments[0].lower() in HIDDEN_PREFIXES:
        return None
    path = "/" + "/".join(segments)
    if segments and rest.endswith("/"):
        path += "/"
    return ("/api" + path) if api else path


def bearer_token(scope: Scope) -> str | None:
    auth = Headers(scope=scope).get("authorization")
    if auth is None:
        return None
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def same_origin(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    origin, host = headers.get("origin"), headers.get("host")
    if not origin or not host:
        return False
    scheme, _, netloc = origin.partition("://")
    return scheme in ("https", "http") and netloc.lower() == host.lower()


@dataclass
class _Decorator:
    """Wraps a resource page (X-Switchboard-Page) in base.html; passes everything else through."""

    send: Send
    scope: Scope
    deps: GatewayDeps
    principal: Principal
    decorate: bool
    start: Message | None = None
    title: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            title = headers.get(PAGE_HEADER)
            if PAGE_HEADER in headers:
                del headers[PAGE_HEADER]
            status = int(message["status"])
            # a page: a success, or a form shown again with its errors (422) or another refusal
            # the resource rendered as a page; never a server error
            if title is not None and self.decorate and (200 <= status < 300 or 400 <= status < 500):
                self.start, self.title = message, unquote(title)
                return
            await self.send(message)
            return
        if message["type"] == "http.response.body" and self.start is not None:
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > MAX_DECORATED_BODY:
                raise ResourceUnavailable("page", 502, "decorated page too large")
            self.chunks.append(chunk)
            if not message.get("more_body", False):
                await self._flush()
            return
        await self.send(message)

    async def _flush(self) -> None:
        assert self.start is not None
        record = session_of(self.scope)
        html = b"".join(self.chunks).decode("utf-8", errors="replace")
        page = self.deps.renderer.render(
            self.scope,
            "base.html",
            {"content": Markup(html)},  # noqa: S704 - the resource rendered it with autoescape
            title=self.title or "",
            principal=self.principal,
            nav=nav_for(self.deps.dispatcher.manifests, self.principal, str(self.scope.get("path", ""))),
            csrf_token=record.csrf_token if record is not None else "",
            status=int(self.start["status"]),
        )
        keep = MutableHeaders(scope=self.start)
        for name in ("content-length", "content-type", "content-encoding", "etag", "last-modified"):
            if name in keep:
                del keep[name]
        for name, value in keep.items():
            if name not in page.headers:
                page.headers.append(name, value)
        await page(self.scope, _no_receive, self.send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


class Forwarder:
    """ASGI endpoint for the resource routes (HTTP and websocket)."""

    def __init__(self, *, api: bool) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        deps = deps_of(scope)
        params = scope.get("path_params", {})
        resource, rest = str(params.get("resource", "")), str(params.get("rest", ""))
        manifest = deps.dispatcher.manifests.get(resource) if RESOURCE_NAME.fullmatch(resource) else None
        path = resource_path(rest, api=self.api) if manifest is not None else None
        websocket = scope["type"] == "websocket"
        if manifest is None or path is None:
            await self._refuse(scope, receive, send, 404)
            return
        request_id = request_id_of(scope)
        principal, session_ref = await self.identify(scope, deps, request_id)
        if principal is None:
            await self._unauthenticated(scope, receive, send)
            return
        scope["state"][PRINCIPAL_STATE] = principal
        method = "WS" if websocket else str(scope["method"])
        decision = deps.dispatcher.decide(principal=principal, resource=resource, method=method, path=path)
        if not decision.allow:
            log.info(
                "rid=%s deny %s %s/%s: %s", request_id, method, resource, path, "; ".join(decision.reasons)
            )
            await self._refuse(scope, receive, send, 403)
            return
        outgoing: Any = send
        if not websocket:
            htmx = Headers(scope=scope).get("hx-request") is not None
            outgoing = _Decorator(send, scope, deps, principal, decorate=not self.api and not htmx)
        try:
            await deps.dispatcher.forward(
                scope,
                receive,
                outgoing,
                resource=resource,
                path=path,
                principal=principal,
                plane="customer",
                session_ref=session_ref,
                request_id=request_id,
            )
        except PolicyDenied:
            await self._refuse(scope, receive, send, 403)
        except ResourceUnavailable as exc:
            log.warning("rid=%s %s unavailable: %s %s", request_id, resource, exc.status, exc.detail)
            if deps.metrics is not None:
                deps.metrics.resource_error(resource, exc.status)
            if websocket:
                await send({"type": "websocket.close", "code": 1011})
                return
            status = exc.status if exc.status in (502, 503, 504) else 502
            response = error_response(
                scope,
                status,
                heading=f"{manifest.title} is not answering right now",
                message="Please try again in a few minutes. Everything else keeps working.",
            )
            await response(scope, receive, send)

    async def identify(
        self, scope: Scope, deps: GatewayDeps, request_id: str
    ) -> tuple[Principal | None, str | None]:
        token = bearer_token(scope) if self.api else None
        if token is not None:
            # an API call that names a credential is judged on that credential alone
            if not token.startswith(API_TOKEN_PREFIX) or len(token) > 512:
                return None, None
            identity = await deps.directory.verify_token(token, request_id=request_id)
            if identity is None:
                return None, None
            return identity.principal, f"token:{identity.token_id}"
        if scope["type"] == "websocket" and not same_origin(scope):
            return None, None  # cross-site websocket hijacking: cookies ride along, Origin does not lie
        principal = await session_principal(
            scope, directory=deps.directory, sessions=deps.sessions, request_id=request_id
        )
        record = session_of(scope)
        return principal, (record.ref if record is not None and principal is not None else None)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WS_POLICY_CLOSE})
            return
        await error_response(scope, status)(scope, receive, send)

    async def _unauthenticated(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WS_POLICY_CLOSE})
            return
        if self.api:
            response = error_response(scope, 401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        target = str(scope.get("path", "/"))
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            target += "?" + query
        login = "/login?next=" + quote(target, safe="/") if scope["method"] == "GET" else "/login"
        if Headers(scope=scope).get("hx-request") is not None:
            response = Response(status_code=401, headers={"HX-Redirect": login})
        else:
            response = RedirectResponse(login, status_code=303)
        await response(scope, receive, send)


async def resource_root(request: Request) -> Response:
    """`/directory` → `/directory/` (only for known resources)."""
    resource = str(request.path_params.get("resource", ""))
    if resource not in deps_of(request.scope).dispatcher.manifests:
        return error_response(request.scope, 404)
    return RedirectResponse(f"/{resource}/", status_code=307)
