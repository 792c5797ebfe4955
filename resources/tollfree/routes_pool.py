"""JSON API of number pools (`/api/pool…`, action `tollfree:manage-numbers`). Thin: parse →
pool.py → serialise.

* `GET /api/pool[?reseller=acme]` → `{"items": [{"tfn", "holder", "chain", "added_at", "added_by"}]}`
* `POST /api/pool` `{"tfn", "reseller"}` → 201, the pooled number (provider staff)
* `POST /api/pool/{tfn}/assign` `{"customer_id", "description"?}` → 201, the number as
  `GET /api/numbers` shows it
* `DELETE /api/pool/{tfn}` → 204 (provider staff)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.middleware import caller_of
from resources.tollfree import pool
from resources.tollfree.context import transaction
from resources.tollfree.routes import body_of, ctx_of
from resources.tollfree.schemas import iso, number_json, only


def pool_json(entry: pool.PoolNumber) -> dict[str, Any]:
    return {
        "tfn": entry.tfn,
        "holder": entry.holder,
        "chain": list(entry.chain),
        "added_at": iso(entry.added_at),
        "added_by": entry.added_by,
    }


async def api_pool(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        only(raw, ("tfn", "reseller"))
        async with transaction(ctx, write=True) as tx:
            entry = await pool.add_to_pool(
                tx, caller=caller, tfn=raw.get("tfn", ""), reseller=raw.get("reseller", "")
            )
        return JSONResponse(pool_json(entry), status_code=201)
    async with transaction(ctx, write=False) as tx:
        entries = await pool.list_pool(tx, caller=caller, reseller=request.query_params.get("reseller"))
    return JSONResponse({"items": [pool_json(e) for e in entries]})


async def api_pool_assign(request: Request) -> Response:
    raw = await body_of(request)
    only(raw, ("customer_id", "description"))
    async with transaction(ctx_of(request), write=True) as tx:
        view = await pool.assign_from_pool(
            tx,
            caller=caller_of(request),
            tfn=str(request.path_params["tfn"]),
            customer_id=raw.get("customer_id", ""),  # the service checks it
            description=raw.get("description") or "",
        )
    return JSONResponse(number_json(view), status_code=201)


async def api_pool_delete(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await pool.remove_from_pool(tx, caller=caller_of(request), tfn=str(request.path_params["tfn"]))
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route("/api/pool", api_pool, methods=["GET", "POST"]),
        Route("/api/pool/{tfn}/assign", api_pool_assign, methods=["POST"]),
        Route("/api/pool/{tfn}", api_pool_delete, methods=["DELETE"]),
    ]
