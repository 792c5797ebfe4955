"""Error answers: a branded page for browsers, RFC 9457 problem JSON under /api/."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from gateway.deps import deps_of
from gateway.identity import PRINCIPAL_STATE, session_of
from gateway.rendering import nav_for
from resources.kit.errors import problem

log = logging.getLogger("gateway")

_PAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please sign in", "You need to sign in to see this page."),
    403: (
        "Not allowed",
        "Your account does not have access to this page. If you need it, ask your administrator to grant it.",
    ),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The request was too large."),
    500: ("Something went wrong", "An unexpected error occurred. Please try again later."),
    502: ("Service unavailable", "A part of the portal is not answering right now."),
    504: ("Service unavailable", "A part of the portal is not answering right now."),
}


def wants_json(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == "/api" or path.startswith("/api/") or path == "/healthz"


def error_response(
    scope: Scope,
    status: int,
    *,
    heading: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_heading, default_message = _PAGES.get(status, ("Error", "The request failed."))
    heading = heading or default_heading
    message = message or default_message
    if wants_json(scope):
        return problem(status, detail=message, headers=headers)
    deps = deps_of(scope)
    principal = scope.get("state", {}).get(PRINCIPAL_STATE)
    record = session_of(scope)
    try:
        return deps.renderer.render(
            scope,
            "error.html",
            {"status": status, "heading": heading, "message": message},
            title=heading,
            principal=principal,
            nav=nav_for(deps.dispatcher.manifests, principal, str(scope.get("path", ""))),
            csrf_token=record.csrf_token if record is not None else "",
            status=status,
            headers=headers,
        )
    except Exception:
        log.exception("rendering the %s page failed", status)
        return Response(
            f"{heading}\n\n{message}\n", status_code=status, media_type="text/plain", headers=headers
        )


async def error_page_for(scope: Scope) -> Response:
    """The last-resort 500 (used by the security headers middleware)."""
    return error_response(scope, 500)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(request.scope, exc.status_code, headers=dict(exc.headers or {}))
