"""JSON routes: `/api/...` (customer plane) and `/internal/...` (the gateway's service plane).
Thin: parse → service → serialise. Views (HTML) live in views.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.directory import account, authn, service
from resources.directory.context import Context, transaction
from resources.directory.manifest import AUTHENTICATE
from resources.directory.schemas import (
    audit_json,
    ent_json,
    parse_grants,
    parse_new_token,
    parse_user_patch,
    role_json,
    token_json,
    user_json,
)
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.requests import json_object


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def body_of(request: Request) -> dict[str, Any]:
    return await json_object(request)


def _int(request: Request, key: str, default: int) -> int:
    value = request.query_params.get(key)
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise ValidationFailed([{"field": key, "message": "Must be a whole number."}])
    return int(value)


def _view_json(view: service.UserView) -> dict[str, Any]:
    out = user_json(view.user, roles=view.roles, entitlements=view.effective)
    out["direct_entitlements"] = [ent_json(e) for e in view.direct]
    return out


async def api_users(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        allowed = {"username", "display_name", "email", "phone", "org_id", "password", "roles"}
        if unknown := sorted(set(raw) - allowed):
            raise ValidationFailed([{"field": k, "message": "Unknown field."} for k in unknown])
        async with transaction(ctx, write=True) as tx:
            user, temporary = await service.add_user(tx=tx, caller=caller, **raw)
            view = await service.user_view(tx, user)
        out = _view_json(view)
        if temporary is not None:
            out["temporary_password"] = temporary
        return JSONResponse(out, status_code=201, headers={"Cache-Control": "no-store"})
    async with transaction(ctx, write=False) as tx:
        users, total = await service.list_users(
            tx=tx, caller=caller, q=request.query_params.get("q"),
            limit=_int(request, "limit", 50), offset=_int(request, "offset", 0),
        )  # fmt: skip
        roles = await service.role_ids(tx=tx, users=users)
    return JSONResponse({"total": total, "items": [user_json(u, roles=roles[u.id]) for u in users]})


async def api_user(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    user_id = request.path_params["user_id"]
    if request.method == "PATCH":
        patch = parse_user_patch(await body_of(request))
        async with transaction(ctx, write=True) as tx:
            await service.update_user(
                tx=tx, caller=caller, user_id=user_id, display_name=patch.profile.display_name,
                email=patch.profile.email, phone=patch.profile.phone, fields=patch.fields,
            )  # fmt: skip
            if patch.disabled is not None:
                await service.set_disabled(tx=tx, caller=caller, user_id=user_id, disabled=patch.disabled)
            view = await service.get_user(tx=tx, caller=caller, user_id=user_id)
        return JSONResponse(_view_json(view))
    async with transaction(ctx, write=False) as tx:
        view = await service.get_user(tx=tx, caller=caller, user_id=user_id)
    return JSONResponse(_view_json(view))


async def api_password_reset(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        temporary = await service.reset_password(
            tx=tx, caller=caller_of(request), user_id=request.path_params["user_id"]
        )
    return JSONResponse({"temporary_password": temporary}, headers={"Cache-Control": "no-store"})


async def api_mfa_reset(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await service.reset_mfa(tx=tx, caller=caller_of(request), user_id=request.path_params["user_id"])
    return Response(status_code=204)


async def api_entitlements(request: Request) -> Response:
    grants = parse_grants(await body_of(request))
    async with transaction(ctx_of(request), write=True) as tx:
        view = await service.set_grants(
            tx=tx, caller=caller_of(request), user_id=request.path_params["user_id"], grants=grants
        )
    return JSONResponse(_view_json(view))


async def api_roles(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        roles = await service.list_roles(tx=tx, caller=caller_of(request))
    return JSONResponse({"items": [role_json(r, ents) for r, ents in roles]})


async def api_audit(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.list_audit(
            tx=tx, caller=caller_of(request), event=request.query_params.get("event"),
            limit=_int(request, "limit", 50), offset=_int(request, "offset", 0),
        )  # fmt: skip
    return JSONResponse({"total": total, "items": [audit_json(r) for r in rows]})


async def api_me(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        view = await account.me(tx=tx, caller=caller_of(request))
    return JSONResponse(_view_json(view))


async def api_tokens(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        async with transaction(ctx, write=True) as tx:
            data = parse_new_token(raw, now=tx.now)
            row, token = await account.create_token(
                tx=tx, caller=caller, name=data.name, actions=data.actions, expires_at=data.expires_at
            )
        return JSONResponse(
            token_json(row) | {"token": token}, status_code=201, headers={"Cache-Control": "no-store"}
        )
    async with transaction(ctx, write=False) as tx:
        rows = await account.list_tokens(tx=tx, caller=caller)
    return JSONResponse({"items": [token_json(r) for r in rows]})


async def api_token_delete(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await account.revoke_token(tx=tx, caller=caller_of(request), token_id=request.path_params["token_id"])
    return Response(status_code=204)


def _service_caller(request: Request) -> Caller:
    caller = caller_of(request)
    if caller.plane != "service" or not caller.has(AUTHENTICATE):
        raise ProblemError(403, detail=f"needs {AUTHENTICATE} on the service plane")
    return caller


def _str(raw: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ValidationFailed([{"field": key, "message": "Must be a string."}])
    return value


async def internal_authenticate(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    username, password = _str(raw, "username") or "", _str(raw, "password") or ""
    async with transaction(ctx_of(request), write=True) as tx:
        result = await authn.authenticate(
            tx=tx, username=username, password=password, ip=_str(raw, "ip", required=False)
        )
    return JSONResponse(result.to_json())


async def internal_mfa_verify(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    async with transaction(ctx_of(request), write=True) as tx:
        ok = await authn.verify_mfa(
            tx=tx, user_id=_str(raw, "user_id") or "", code=_str(raw, "code") or "",
            ip=_str(raw, "ip", required=False),
        )  # fmt: skip
    return JSONResponse({"ok": ok})


async def internal_principal(request: Request) -> Response:
    _service_caller(request)
    async with transaction(ctx_of(request), write=False) as tx:
        principal = await authn.resolve_principal(tx=tx, user_id=request.path_params["user_id"])
    if principal is None:
        raise ProblemError(404, detail="no such active user")
    return JSONResponse(principal.to_json())


async def internal_token_verify(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    async with transaction(ctx_of(request), write=True) as tx:
        found = await authn.verify_token(tx=tx, token=_str(raw, "token") or "")
    if found is None:
        return JSONResponse({"ok": False})
    return JSONResponse({"ok": True, "token_id": found[0], "principal": found[1].to_json()})


async def internal_audit(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    detail = raw.get("detail") or {}
    if not isinstance(detail, dict):
        raise ValidationFailed([{"field": "detail", "message": "Must be an object."}])
    async with transaction(ctx_of(request), write=True) as tx:
        await authn.append_audit(
            tx=tx, event=_str(raw, "event") or "", user_id=_str(raw, "user_id", required=False),
            username=_str(raw, "username", required=False), ip=_str(raw, "ip", required=False),
            session=_str(raw, "session", required=False), detail=detail,
        )  # fmt: skip
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route("/api/users", api_users, methods=["GET", "POST"]),
        Route("/api/users/{user_id}", api_user, methods=["GET", "PATCH"]),
        Route("/api/users/{user_id}/password-reset", api_password_reset, methods=["POST"]),
        Route("/api/users/{user_id}/mfa-reset", api_mfa_reset, methods=["POST"]),
        Route("/api/users/{user_id}/entitlements", api_entitlements, methods=["PUT"]),
        Route("/api/roles", api_roles, methods=["GET"]),
        Route("/api/audit", api_audit, methods=["GET"]),
        Route("/api/me", api_me, methods=["GET"]),
        Route("/api/me/tokens", api_tokens, methods=["GET", "POST"]),
        Route("/api/me/tokens/{token_id}", api_token_delete, methods=["DELETE"]),
        Route("/internal/authenticate", internal_authenticate, methods=["POST"]),
        Route("/internal/mfa/verify", internal_mfa_verify, methods=["POST"]),
        Route("/internal/principals/{user_id}", internal_principal, methods=["GET"]),
        Route("/internal/tokens/verify", internal_token_verify, methods=["POST"]),
        Route("/internal/audit", internal_audit, methods=["POST"]),
    ]
