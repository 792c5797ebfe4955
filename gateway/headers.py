"""Security headers and the request id, as one pure ASGI middleware (outermost).

* Every response — pages, errors, resource answers — gets HSTS, CSP, nosniff, Referrer-Policy,
  X-Frame-Options, Permissions-Policy and COOP; the gateway's values replace a resource's, except
  the stricter sandboxing CSP `branding.web` sends with SVG brand files.
* `Cache-Control: no-store` unless the response set its own (static files do).
* Referrer-Policy `same-origin`: nothing (not even our host name) leaks to other sites, while
  same-origin form posts keep a real `Origin` header — with `no-referrer` browsers send
  `Origin: null` on same-origin POSTs, which would defeat the CSRF Origin check.
* X-Request-Id is generated here for every request and echoed; a client-sent X-Request-Id and
  any client-sent X-Switchboard-* header are removed from the scope before anything else runs.
* An exception that escapes before the response started is answered here with a 500 (branded
  through `on_error` when possible) so even that response carries the headers; it is re-raised
  for the server's log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from branding.web import SVG_CSP

log = logging.getLogger("gateway")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: dict[str, str] = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}
REQUEST_ID_HEADER = "x-request-id"
_STRIP_PREFIX = b"x-switchboard-"

ErrorRenderer = Callable[[Scope], Awaitable[Response]]


def new_request_id() -> str:
    return secrets.token_hex(16)


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, on_error: ErrorRenderer | None = None) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        scope["headers"] = [
            (name, value)
            for name, value in scope.get("headers", [])
            if name.lower() != REQUEST_ID_HEADER.encode() and not name.lower().startswith(_STRIP_PREFIX)
        ]
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                keep_csp = headers.get("content-security-policy") == SVG_CSP  # stricter, brand SVGs
                for name, value in SECURITY_HEADERS.items():
                    if not (keep_csp and name == "content-security-policy"):
                        headers[name] = value
                headers[REQUEST_ID_HEADER] = request_id
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            response: Response = PlainTextResponse("Internal error", status_code=500)
            if self.on_error is not None:
                try:
                    response = await self.on_error(scope)
                except Exception:
                    log.exception("error page failed")
            await response(scope, receive, send_with_headers)
            raise
