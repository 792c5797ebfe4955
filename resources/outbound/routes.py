"""JSON API (`/api/...`, customer plane; the browser sees `/api/outbound/...`). Thin: parse →
service → serialise. A customer user works on its own customer; provider staff name one with
`?customer=<id>`. Errors are RFC 9457 problems; 422 carries `errors: [{"field", "message"}]`.

* `GET /api/config` → policies, groups, lines (with the policy each dials under and whether it
  has an authorization code), account codes
* `PUT /api/{kind}/{name}` (kind: policies, groups, lines, account-codes) body = the document →
  201 created / 200 changed; `DELETE /api/{kind}/{name}` → 204 (409 while in use)
* `PUT /api/lines/{number}/authorization-code` `{"code": "4829"}` → 204; `DELETE` → 204
* `GET /api/audit?limit=` → newest first
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.caller import Caller
from resources.kit.errors import FieldError
from resources.kit.middleware import caller_of
from resources.kit.requests import customer_of, json_object
from resources.outbound import repository as repo
from resources.outbound import service
from resources.outbound.context import Context, transaction
from resources.outbound.models import ACCOUNT_CODE, GROUP, LINE, POLICY
from resources.outbound.schemas import audit_json, config_json

KINDS = {"policies": POLICY, "groups": GROUP, "lines": LINE, "account-codes": ACCOUNT_CODE}
Handler = Callable[[Request, Caller, str], Awaitable[Response]]


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        caller = caller_of(request)
        return await handler(request, caller, customer_of(request, caller))

    return run


async def get_config(request: Request, caller: Caller, customer: str) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config(tx, caller=caller, customer_id=customer)
        codes = {c.line_number: c for c in await repo.codes(tx.session, customer_id=customer)}
    return JSONResponse(config_json(customer, config, codes))


def for_kind(kind: str) -> tuple[Handler, Handler]:
    async def put(request: Request, caller: Caller, customer: str) -> Response:
        body = await json_object(request)
        async with transaction(ctx_of(request), write=True) as tx:
            row, created = await service.put(
                tx, caller=caller, customer_id=customer, kind=kind, name=request.path_params["name"], raw=body
            )
        return JSONResponse(row.document, status_code=201 if created else 200)

    async def delete(request: Request, caller: Caller, customer: str) -> Response:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.remove(
                tx, caller=caller, customer_id=customer, kind=kind, name=request.path_params["name"]
            )
        return Response(status_code=204)

    return put, delete


async def put_code(request: Request, caller: Caller, customer: str) -> Response:
    body = await json_object(request)
    async with transaction(ctx_of(request), write=True) as tx:
        await service.set_code(
            tx, caller=caller, customer_id=customer, number=request.path_params["name"], raw=body.get("code")
        )
    return Response(status_code=204)


async def delete_code(request: Request, caller: Caller, customer: str) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await service.clear_code(tx, caller=caller, customer_id=customer, number=request.path_params["name"])
    return Response(status_code=204)


async def audit(request: Request, caller: Caller, customer: str) -> Response:
    ctx = ctx_of(request)
    raw = request.query_params.get("limit") or str(ctx.audit_page)
    if not raw.isdigit() or not 1 <= int(raw) <= ctx.audit_page:
        raise FieldError("limit", f"must be a whole number from 1 to {ctx.audit_page}").problem()
    async with transaction(ctx, write=False) as tx:
        rows = await service.audit_log(tx, caller=caller, customer_id=customer, limit=int(raw))
    return JSONResponse({"items": [audit_json(r) for r in rows]})


def routes() -> list[Route]:
    out = [
        Route("/api/config", endpoint(get_config), methods=["GET"]),
        Route("/api/audit", endpoint(audit), methods=["GET"]),
        Route("/api/lines/{name}/authorization-code", endpoint(put_code), methods=["PUT"]),
        Route("/api/lines/{name}/authorization-code", endpoint(delete_code), methods=["DELETE"]),
    ]
    for plural, kind in KINDS.items():
        put, delete = for_kind(kind)
        out += [
            Route(f"/api/{plural}/{{name}}", endpoint(put), methods=["PUT"]),
            Route(f"/api/{plural}/{{name}}", endpoint(delete), methods=["DELETE"]),
        ]
    return out
