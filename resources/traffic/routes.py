"""JSON API (`/api/...`, customer plane; the browser sees `/api/traffic/...`). Thin: parse →
service → serialise. Times in query strings are UTC (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, with an
offset, or epoch seconds); times in answers are epoch seconds (CallSummary) or ISO 8601 (buckets).
Errors are RFC 9457 problems; 422 carries `errors: [{"field", "message"}]`; what the caller may
not see is 404.

* `GET /api/buckets?select=&day=|from=&to=` → `{"selection", "from", "to", "bucket_seconds",
  "items": [{"start", FIELDS…, "peak_concurrent", "asr", "ner", "acd", "tta"}], "totals"}`
* `GET /api/calls?number=&disposition=&from=&to=&limit=&before=` → `{"items": [CallSummary],
  "next": cursor | null}`; `format=csv` downloads every match.
* `GET /api/calls/{call_id}` → CallSummary + the other CDR fields.
* `GET /api/live?select=` → totals of the live window (see `live_totals`).
* `GET /api/ingest` → the ingest writer's counters (`Ingestor.stats()`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.db import unit_of_work
from resources.kit.middleware import caller_of
from resources.traffic import calls as call_rules
from resources.traffic import service
from resources.traffic.context import Context
from resources.traffic.schemas import (
    call_detail_json,
    parse_call_query,
    parse_history_query,
    parse_selection,
    vector_json,
)


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def params_of(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def history_json(h: service.History) -> dict[str, Any]:
    return {
        "selection": service.selection_json(h.selection),
        "from": h.period.start.isoformat(),
        "to": h.period.end.isoformat(),
        "bucket_seconds": h.bucket_seconds,
        "items": [
            {
                "start": r.start.isoformat(),
                **vector_json(r.vector, r.derived),
                "peak_concurrent": r.peak_concurrent,
            }
            for r in h.rows
        ],
        "totals": {**vector_json(h.totals, h.derived), "peak_concurrent": h.peak_concurrent},
    }


async def api_buckets(request: Request) -> Response:
    ctx = ctx_of(request)
    today = datetime.fromtimestamp(ctx.clock(), UTC).date()
    value, period = parse_history_query(params_of(request), today=today, epoch=True)
    async with unit_of_work(ctx.maker, write=False) as session:
        h = await service.history(
            session,
            caller=caller_of(request),
            numbers=ctx.numbers,
            value=value,
            period=period,
            bucket_seconds=ctx.settings.bucket_seconds,
        )
    if request.query_params.get("format") == "csv":
        return csv_response(service.history_csv(h), f"traffic-{period.start:%Y%m%d}.csv")
    return JSONResponse(history_json(h))


async def api_calls(request: Request) -> Response:
    ctx = ctx_of(request)
    query = parse_call_query(params_of(request), epoch=True)
    async with unit_of_work(ctx.maker, write=False) as session:
        if request.query_params.get("format") == "csv":
            text = await service.export_calls(
                session, caller=caller_of(request), numbers=ctx.numbers, query=query
            )
            return csv_response(text, "calls.csv")
        page = await service.search_calls(
            session, caller=caller_of(request), numbers=ctx.numbers, query=query
        )
    return JSONResponse({"items": page.summaries, "next": page.next_cursor})


async def api_call(request: Request) -> Response:
    ctx = ctx_of(request)
    async with unit_of_work(ctx.maker, write=False) as session:
        record = await service.get_call(
            session,
            caller=caller_of(request),
            numbers=ctx.numbers,
            call_id=str(request.path_params["call_id"]),
        )
    return JSONResponse(call_detail_json(record, call_rules.summary(record)))


async def api_live(request: Request) -> Response:
    ctx = ctx_of(request)
    value = parse_selection(request.query_params.get("select"))
    answer = service.live_totals(caller=caller_of(request), numbers=ctx.numbers, live=ctx.live, value=value)
    return JSONResponse(answer)


async def api_ingest(request: Request) -> Response:
    caller_of(request)
    return JSONResponse(ctx_of(request).ingestor.stats())


def routes() -> list[Route]:
    return [
        Route("/api/buckets", api_buckets, methods=["GET"]),
        Route("/api/calls", api_calls, methods=["GET"]),
        Route("/api/calls/{call_id}", api_call, methods=["GET"]),
        Route("/api/live", api_live, methods=["GET"]),
        Route("/api/ingest", api_ingest, methods=["GET"]),
    ]
