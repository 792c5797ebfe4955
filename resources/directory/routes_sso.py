"""Enterprise sign-in JSON routes: `/api/sso` (the caller's org, or `?org=` within its subtree)
and the gateway's `/internal/sso/discover` and `/internal/sso/signin`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.directory import sso, sso_signin
from resources.directory.context import transaction
from resources.directory.routes import _service_caller, _str, body_of, ctx_of
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of


def _org(request: Request) -> str | None:
    return request.query_params.get("org") or None


async def api_sso(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "PUT":
        raw = await body_of(request)
        async with transaction(ctx, write=True) as tx:
            cfg = await sso.put_sso(tx=tx, caller=caller, raw=raw, org_id=_org(request))
            out = sso.sso_json(cfg)
        return JSONResponse(out)
    if request.method == "DELETE":
        async with transaction(ctx, write=True) as tx:
            await sso.delete_sso(tx=tx, caller=caller, org_id=_org(request))
        return Response(status_code=204)
    async with transaction(ctx, write=False) as tx:
        _, found = await sso.get_sso(tx=tx, caller=caller, org_id=_org(request))
        if found is None:
            raise ProblemError(404, detail="this organisation has no identity provider")
        out = sso.sso_json(found)
    return JSONResponse(out)


async def internal_discover(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    email, org_id = _str(raw, "email", required=False), _str(raw, "org_id", required=False)
    if not email and not org_id:
        raise ValidationFailed([{"field": "email", "message": "Send an e-mail address or an org id."}])
    async with transaction(ctx_of(request), write=False) as tx:
        found = await sso_signin.discover(tx=tx, email=email, org_id=org_id)
    if found is None:
        raise ProblemError(404, detail="no identity provider for that address")
    return JSONResponse(found.to_json(), headers={"Cache-Control": "no-store"})


async def internal_signin(request: Request) -> Response:
    _service_caller(request)
    raw = await body_of(request)
    claims: Any = raw.get("claims")
    if not isinstance(claims, dict):
        raise ValidationFailed([{"field": "claims", "message": "Must be an object."}])
    async with transaction(ctx_of(request), write=True) as tx:
        result = await sso_signin.signin(
            tx=tx, org_id=_str(raw, "org_id") or "", issuer=_str(raw, "issuer") or "", claims=claims,
            ip=_str(raw, "ip", required=False),
        )  # fmt: skip
    return JSONResponse(result.to_json())


def routes() -> list[Route]:
    return [
        Route("/api/sso", api_sso, methods=["GET", "PUT", "DELETE"]),
        Route("/internal/sso/discover", internal_discover, methods=["POST"]),
        Route("/internal/sso/signin", internal_signin, methods=["POST"]),
    ]
