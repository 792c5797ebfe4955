"""Brand host rules (whitelabel contract "Host rules").

The session cookie is host-only, so a signed-in user belongs on the canonical host of their own
brand (`principal.brand`). A session used on another brand's host gets:

* GET/HEAD page requests: `303` to `https://<canonical host>[:<port>]<path>?<query>` — the user
  signs in there (the cookie does not travel);
* any other method, any `/api/` request authenticated by the cookie and websockets: `421`
  problem JSON ("use https://<host>") — nothing is done on the wrong host; htmx requests also get
  `HX-Redirect` to the page the browser shows (`HX-Current-URL`'s path) on the right host.

Bearer-token API calls carry no ambient credential and are never redirected; the static files,
brand files, `/healthz` and `/logout` (a user can always end a session) are exempt. A brand
without hosts of its own has no canonical host: its users are served wherever they are.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from branding import BrandRegistry
from gateway.deps import deps_of
from gateway.headers import request_id_of
from gateway.identity import session_of, session_principal
from gateway.routing import bearer_token
from resources.kit.caller import Principal
from resources.kit.errors import problem

log = logging.getLogger("gateway")

EXEMPT_PREFIXES = ("/static/", "/brand/")
EXEMPT_PATHS = frozenset({"/healthz", "/logout"})
WS_POLICY_CLOSE = 1008


def host_port(host: str | None) -> int | None:
    """The port of a `Host` header value (None when it names none)."""
    if not host:
        return None
    host = host.strip()
    tail = host.rpartition("]")[2] if host.startswith("[") else host
    if tail.count(":") != 1:
        return None
    port = tail.rpartition(":")[2]
    return int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def origin_of(host: str, port: int | None) -> str:
    name = f"[{host}]" if ":" in host else host
    return f"https://{name}" + (f":{port}" if port is not None else "")


def wrong_host_origin(brands: BrandRegistry, host: str | None, principal: Principal) -> str | None:
    """`https://<canonical host of the principal's brand>[:<port>]` when `host` belongs to another
    brand; None when the principal is on the right host (or its brand has no host of its own).
    The port is the one the request came in on."""
    mine = brands.find(principal.brand)
    canonical = mine.canonical_host
    if canonical is None or brands.for_host(host).id == mine.id:
        return None
    return origin_of(canonical, host_port(host))


def _target(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else quote(str(scope.get("path", "/")))
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


def _current_path(url: str | None) -> str:
    """The path and query of htmx's `HX-Current-URL` (the page the browser shows), "/" when it
    is missing or not a plain URL."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return "/"
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or any(c in path for c in "\\\r\n"):
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


class BrandHostMiddleware:
    """Runs after the session middleware: only requests carrying an active session are judged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = await self._misdirected(scope) if scope["type"] in ("http", "websocket") else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if scope["type"] == "websocket":
            await self._refuse_websocket(scope, send, origin)
            return
        method = str(scope.get("method", "GET"))
        headers = Headers(scope=scope)
        page = method in ("GET", "HEAD") and not path.startswith("/api/") and "hx-request" not in headers
        if page:
            response: Response = RedirectResponse(origin + _target(scope), status_code=303)
        else:
            response = problem(421, "Misdirected request", f"use {origin}", location=origin + "/")
            if "hx-request" in headers:  # htmx follows this whatever the status: the same page there
                response.headers["HX-Redirect"] = origin + _current_path(headers.get("hx-current-url"))
        await response(scope, receive, send)

    async def _misdirected(self, scope: Scope) -> str | None:
        path = str(scope.get("path", ""))
        if path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            return None
        if (path == "/api" or path.startswith("/api/")) and bearer_token(scope) is not None:
            return None  # judged on the token alone, never on the cookie
        record = session_of(scope)
        if record is None or not record.active:
            return None
        deps = deps_of(scope)
        try:
            principal = await session_principal(
                scope, directory=deps.directory, sessions=deps.sessions, request_id=request_id_of(scope)
            )
        except Exception as exc:  # the directory is down: the route answers that, as it would anyway
            log.warning("host rule: principal lookup failed: %s", exc)
            return None
        if principal is None:
            return None
        origin = wrong_host_origin(deps.brands.current, Headers(scope=scope).get("host"), principal)
        if origin is not None:
            log.info(
                "rid=%s %s %s on a host of another brand; user %s belongs on %s",
                request_id_of(scope),
                scope.get("method", "WS"),
                path,
                principal.user_id,
                origin,
            )
        return origin

    async def _refuse_websocket(self, scope: Scope, send: Send, origin: str) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            response = problem(421, "Misdirected request", f"use {origin}", location=origin + "/")
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": 421,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
                    ],
                }
            )
            await send({"type": "websocket.http.response.body", "body": response.body})
            return
        await send({"type": "websocket.close", "code": WS_POLICY_CLOSE})
