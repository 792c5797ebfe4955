"""Who is asking: the session from the cookie (middleware) and the principal behind it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.directory_client import DirectoryClient
from gateway.sessions import SESSION_COOKIE, SessionManager, SessionRecord
from resources.kit.caller import Principal

SESSION_STATE = "session"
PRINCIPAL_STATE = "principal"


def cookie_value(scope: Scope, name: str) -> str | None:
    header = Headers(scope=scope).get("cookie")
    if not header:
        return None
    return cookie_parser(header).get(name)


def session_of(scope: Scope) -> SessionRecord | None:
    record = scope.get("state", {}).get(SESSION_STATE)
    return record if isinstance(record, SessionRecord) else None


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def user_agent(scope: Scope) -> str:
    return Headers(scope=scope).get("user-agent", "")[:256]


def set_session_cookie(response: Response, raw_id: str, *, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE, raw_id, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


class SessionMiddleware:
    """Loads the session named by `__Host-sb_session` (timeouts applied) into scope state."""

    def __init__(self, app: ASGIApp, *, sessions: SessionManager) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = cookie_value(scope, SESSION_COOKIE)
            record = await self.sessions.load(raw) if raw else None
            scope.setdefault("state", {})[SESSION_STATE] = record
        await self.app(scope, receive, send)


async def session_principal(
    scope: Scope, *, directory: DirectoryClient, sessions: SessionManager, request_id: str | None
) -> Principal | None:
    """The principal of an *active* session (MFA-pending sessions have none). A session whose
    user the directory no longer knows (disabled, locked, deleted) is ended."""
    state = scope.setdefault("state", {})
    if PRINCIPAL_STATE in state:
        cached = state[PRINCIPAL_STATE]
        return cached if isinstance(cached, Principal) else None
    record = session_of(scope)
    principal: Principal | None = None
    if record is not None and record.active:
        principal = await directory.principal(record.user_id, request_id=request_id)
        if principal is None:
            await sessions.end(record)
            state[SESSION_STATE] = None
    state[PRINCIPAL_STATE] = principal
    return principal
