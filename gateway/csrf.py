"""CSRF defence for the customer port.

Unsafe methods (POST/PUT/PATCH/DELETE) are refused when the browser says the request is
cross-site (`Sec-Fetch-Site` other than same-origin/none, or an `Origin` that is not this host,
including `Origin: null`). When a session cookie authenticates the request, it must also carry
the session's CSRF token in `X-CSRF-Token` or in the form field `csrf_token`; a form body
(urlencoded or multipart, ≤ 1 MiB) is read to find it and then replayed byte for byte to the
app below. Bearer-token calls to /api/… carry no ambient credential and are exempt. `/login` has
no session yet: its form carries a stateless token, HMAC(key, `__Host-sb_pre` nonce).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.identity import session_of

PRE_COOKIE = "__Host-sb_pre"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
MAX_FORM_BODY = 1024 * 1024
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

Refuse = Callable[[Scope, str], Awaitable[Response]]


class BodyTooLarge(Exception):
    pass


def new_pre_nonce() -> str:
    return secrets.token_urlsafe(32)


def login_token(key: bytes, nonce: str) -> str:
    mac = hmac.new(key, b"sb-login-csrf:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def login_token_valid(key: bytes, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(login_token(key, nonce), token)


def is_bearer_api(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    auth = Headers(scope=scope).get("authorization", "")
    return path.startswith("/api/") and auth[:7].lower() == "bearer "


def cross_site(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    host = headers.get("host", "")
    parts = urlsplit(origin)
    return origin == "null" or parts.scheme not in ("https", "http") or parts.netloc.lower() != host.lower()


async def read_body(receive: Receive, *, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise BodyTooLarge("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def form_token(scope: Scope, body: bytes) -> str | None:
    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, once)
    try:
        async with request.form(max_files=100, max_fields=1000) as form:
            value = form.get(FIELD)
            return value if isinstance(value, str) else None
    except Exception:
        return None


class CsrfMiddleware:
    def __init__(
        self, app: ASGIApp, *, refuse: Refuse, own_token_paths: frozenset[str] = frozenset({"/login"})
    ):
        self.app = app
        self.refuse = refuse
        self.own_token_paths = own_token_paths  # routes that check a pre-session token themselves

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE or is_bearer_api(scope):
            await self.app(scope, receive, send)
            return
        if cross_site(scope):
            await (await self.refuse(scope, "cross-site request"))(scope, receive, send)
            return
        record = session_of(scope)
        if record is None or scope["path"] in self.own_token_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = headers.get(HEADER)
        if token is None and headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES:
            try:
                body = await read_body(receive, limit=MAX_FORM_BODY)
            except BodyTooLarge:
                await (await self.refuse(scope, "form too large to check"))(scope, receive, send)
                return
            token = await form_token(scope, body)
            receive = replaying(body, receive)
        if token is None or not hmac.compare_digest(token.encode(), record.csrf_token.encode()):
            await (await self.refuse(scope, "missing or wrong CSRF token"))(scope, receive, send)
            return
        await self.app(scope, receive, send)
