"""JSON API of the change log (`GET /api/audit`, action `tollfree:view-audit`). Thin: parse →
audit_log.py → serialise.

`GET /api/audit?customer=&target=&actor=&action=&since=&until=&before=&limit=` →
`{"items": [audit rows as a number's GET …/audit shows them], "next": "<the query string of the
next, older page>" | null}`; 422 names every bad parameter; a customer the caller does not serve is 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.middleware import caller_of
from resources.tollfree import audit_log
from resources.tollfree.context import transaction
from resources.tollfree.routes import ctx_of
from resources.tollfree.schemas import audit_json


async def api_audit_log(request: Request) -> Response:
    query = audit_log.parse_query(dict(request.query_params))
    async with transaction(ctx_of(request), write=False) as tx:
        page = await audit_log.search(tx, caller=caller_of(request), query=query)
    after = None if page.next_before is None else urlencode(query.params(before=page.next_before))
    return JSONResponse({"items": [audit_json(v) for v in page.items], "next": after})


def routes() -> list[Route]:
    return [Route("/api/audit", api_audit_log, methods=["GET"])]
