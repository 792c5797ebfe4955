"""The gateway's own pages: dashboard, account sessions, health (brand files: `branding.web`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.deps import GatewayDeps, deps_of
from gateway.errors import error_response
from gateway.headers import request_id_of
from gateway.identity import client_ip, session_of, session_principal
from gateway.rendering import nav_for
from gateway.sessions import SessionRecord
from resources.kit.caller import Principal

STATIC_CACHE = "public, max-age=3600"


async def signed_in(request: Request) -> tuple[GatewayDeps, SessionRecord, Principal] | Response:
    deps = deps_of(request.scope)
    principal = await session_principal(
        request.scope,
        directory=deps.directory,
        sessions=deps.sessions,
        request_id=request_id_of(request.scope),
    )
    record = session_of(request.scope)
    if principal is None or record is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return deps, record, principal


def tiles_for(deps: GatewayDeps, principal: Principal) -> list[dict[str, Any]]:
    tiles = []
    for manifest in deps.dispatcher.manifests.values():
        described = {a.name: a.description for a in manifest.actions}
        for entry in sorted(manifest.nav, key=lambda e: (e.order, e.title)):
            if principal.has(entry.action):
                tiles.append(
                    {
                        "title": entry.title,
                        "path": entry.path,
                        # the entry's own action says what the page is for; every tile of a
                        # resource showing the same resource blurb told the user nothing
                        "description": described.get(entry.action) or manifest.description or manifest.title,
                    }
                )
    return tiles


async def dashboard(request: Request) -> Response:
    found = await signed_in(request)
    if isinstance(found, Response):
        return found
    deps, record, principal = found
    return deps.renderer.render(
        request.scope,
        "dashboard.html",
        {"tiles": tiles_for(deps, principal)},
        title="Overview",
        principal=principal,
        nav=nav_for(deps.dispatcher.manifests, principal, request.url.path),
        csrf_token=record.csrf_token,
    )


async def account_sessions(request: Request) -> Response:
    found = await signed_in(request)
    if isinstance(found, Response):
        return found
    deps, record, principal = found
    sessions = [
        {
            "id_ref": s.ref,
            "created": s.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "last_seen": s.last_seen.strftime("%Y-%m-%d %H:%M UTC"),
            "ip": s.ip,
            "user_agent": s.user_agent,
            "current": s.key == record.key,
        }
        for s in await deps.sessions.list_for_user(record.user_id)
    ]
    return deps.renderer.render(
        request.scope,
        "account_sessions.html",
        {"sessions": sessions},
        title="Your sessions",
        principal=principal,
        nav=nav_for(deps.dispatcher.manifests, principal, request.url.path),
        csrf_token=record.csrf_token,
    )


async def revoke_sessions(request: Request) -> Response:
    """Form fields: `session` (an id_ref) or `all_others=1`. CSRF checked by the middleware."""
    found = await signed_in(request)
    if isinstance(found, Response):
        return found
    deps, record, _principal = found
    form = await request.form(max_files=0, max_fields=10)
    ip = client_ip(request.scope)
    revoked: list[str] = []
    if form.get("all_others"):
        revoked = [key[:32] for key in await deps.sessions.revoke_others(user_id=record.user_id, keep=record)]
    else:
        ref = str(form.get("session") or "")
        gone = await deps.sessions.revoke(user_id=record.user_id, ref=ref) if len(ref) == 32 else None
        if gone is None:
            return error_response(request.scope, 404, message="No such session.")
        revoked = [gone.ref]
    for ref in revoked:
        await deps.directory.audit(
            event="session.revoked",
            user_id=record.user_id,
            ip=ip,
            session=record.ref,
            detail={"revoked": ref},
            request_id=request_id_of(request.scope),
        )
    if record.ref in revoked:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/account/sessions", status_code=303)


async def healthz(request: Request) -> Response:
    deps = deps_of(request.scope)
    health = await deps.dispatcher.health()
    # status and timing only: failure details may name hosts or internals
    resources = {
        name: {"status": "ok" if h.get("status") == "ok" else "down", "ms": h.get("ms")}
        for name, h in sorted(health.items())
    }
    status = "ok" if all(r["status"] == "ok" for r in resources.values()) else "degraded"
    return JSONResponse({"status": status, "resources": resources})


def routes() -> list[Route]:
    return [
        Route("/", dashboard, methods=["GET"]),
        Route("/account/sessions", account_sessions, methods=["GET"]),
        Route("/account/sessions/revoke", revoke_sessions, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
