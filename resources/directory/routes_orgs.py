"""JSON routes of delegated administration: `/api/orgs…` and `/api/roles…` (customer plane).
Thin: parse → orgs/roles service → serialise. Pages live in views_orgs.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.directory import orgs, roles
from resources.directory.context import transaction
from resources.directory.routes import body_of, ctx_of
from resources.directory.schemas import role_json
from resources.directory.schemas_orgs import (
    ADMIN_FIELDS,
    org_json,
    parse_new_org,
    parse_org_patch,
    parse_role,
)
from resources.kit.errors import ValidationFailed
from resources.kit.middleware import caller_of


def view_json(view: orgs.OrgView) -> dict[str, Any]:
    return org_json(view.org, suspended=view.suspended, users=view.users)


def role_view_json(view: roles.RoleView) -> dict[str, Any]:
    return role_json(view.role, view.entitlements) | {"holders": view.holders}


async def api_orgs(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        data = parse_new_org(await body_of(request))
        async with transaction(ctx, write=True) as tx:
            view = await orgs.create_org(tx=tx, caller=caller, data=data)
        return JSONResponse(view_json(view), status_code=201)
    async with transaction(ctx, write=False) as tx:
        views = await orgs.list_orgs(tx=tx, caller=caller)
    return JSONResponse({"items": [view_json(v) for v in views]})


async def api_org(request: Request) -> Response:
    caller, ctx, org_id = caller_of(request), ctx_of(request), request.path_params["org_id"]
    if request.method == "PATCH":
        patch = parse_org_patch(await body_of(request))
        async with transaction(ctx, write=True) as tx:
            view = await orgs.update_org(tx=tx, caller=caller, org_id=org_id, patch=patch)
        return JSONResponse(view_json(view))
    async with transaction(ctx, write=False) as tx:
        view = await orgs.get_org(tx=tx, caller=caller, org_id=org_id)
    return JSONResponse(view_json(view))


async def api_suspend(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        view = await orgs.suspend_org(tx=tx, caller=caller_of(request), org_id=request.path_params["org_id"])
    return JSONResponse(view_json(view))


async def api_resume(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        view = await orgs.resume_org(tx=tx, caller=caller_of(request), org_id=request.path_params["org_id"])
    return JSONResponse(view_json(view))


async def api_admin(request: Request) -> Response:
    """`{"username", "display_name"?, "email"?, "phone"?, "password"?}` → the admin user; 201 with
    `temporary_password` when it was created without a password, 200 when promoted."""
    raw = await body_of(request)
    if unknown := sorted(set(raw) - ADMIN_FIELDS):
        raise ValidationFailed([{"field": k, "message": "Unknown field."} for k in unknown])
    if not isinstance(raw.get("username"), str):
        raise ValidationFailed([{"field": "username", "message": "This field is required."}])
    async with transaction(ctx_of(request), write=True) as tx:
        user, temporary, created = await orgs.set_admin(
            tx=tx, caller=caller_of(request), org_id=request.path_params["org_id"], **raw
        )
    out: dict[str, Any] = {"user_id": user.id, "username": user.username, "created": created}
    if temporary is not None:
        out["temporary_password"] = temporary
    return JSONResponse(out, status_code=201 if created else 200, headers={"Cache-Control": "no-store"})


async def api_create_role(request: Request) -> Response:
    data = parse_role(await body_of(request), new=True)
    async with transaction(ctx_of(request), write=True) as tx:
        view = await roles.create_role(tx=tx, caller=caller_of(request), data=data)
    return JSONResponse(role_view_json(view), status_code=201)


async def api_role(request: Request) -> Response:
    caller, ctx, role_id = caller_of(request), ctx_of(request), request.path_params["role_id"]
    if request.method == "PUT":
        data = parse_role(await body_of(request), new=False)
        async with transaction(ctx, write=True) as tx:
            view = await roles.update_role(tx=tx, caller=caller, role_id=role_id, data=data)
        return JSONResponse(role_view_json(view))
    if request.method == "DELETE":
        async with transaction(ctx, write=True) as tx:
            await roles.delete_role(tx=tx, caller=caller, role_id=role_id)
        return Response(status_code=204)
    async with transaction(ctx, write=False) as tx:
        view = await roles.get_role(tx=tx, caller=caller, role_id=role_id)
    return JSONResponse(role_view_json(view))


def routes() -> list[Route]:
    return [
        Route("/api/orgs", api_orgs, methods=["GET", "POST"]),
        Route("/api/orgs/{org_id}", api_org, methods=["GET", "PATCH"]),
        Route("/api/orgs/{org_id}/suspend", api_suspend, methods=["POST"]),
        Route("/api/orgs/{org_id}/resume", api_resume, methods=["POST"]),
        Route("/api/orgs/{org_id}/admin", api_admin, methods=["POST"]),
        Route("/api/roles", api_create_role, methods=["POST"]),
        Route("/api/roles/{role_id}", api_role, methods=["GET", "PUT", "DELETE"]),
    ]
