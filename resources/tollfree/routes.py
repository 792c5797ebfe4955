"""JSON API (`/api/...`, customer plane). Thin: parse → service → serialise.

A number in a path is E.164 (`/api/numbers/+18005550100`, `%2B` works too); a template is
written without its star (`/api/templates/EASTWEST`). Errors are RFC 9457 problems; 422 carries
`errors: [{"field", "message"}]` (for plans the field is `<node id>:<field>`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.tollfree import pool, service
from resources.tollfree.answer import answer_json
from resources.tollfree.compiler import Query
from resources.tollfree.context import Context, transaction
from resources.tollfree.schemas import (
    audit_json,
    fail,
    label_json,
    number_json,
    only,
    parse_effective_at,
    parse_int,
    parse_text,
    parse_tfn,
    site_json,
    target_json,
    template_json,
    template_target,
    version_json,
)

MAX_DEPTH = 200  # a valid plan (depth ≤ 20 decisions) nests about 70 containers deep
MAX_BODY = 2_000_000  # a plan of 999 leaves is well below this; origin CSVs can be large
MAX_CSV = 20_000_000


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def body_of(request: Request, *, limit: int = MAX_BODY) -> dict[str, Any]:
    raw_bytes = await request.body()
    if len(raw_bytes) > limit:
        raise ProblemError(413, detail=f"the body is larger than {limit} bytes")
    try:
        raw = json.loads(raw_bytes or b"{}")
    except ValueError:
        raise fail("body", "The body is not valid JSON.") from None
    except RecursionError:
        raise fail("body", f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    if not isinstance(raw, dict):
        raise fail("body", "Send a JSON object.")
    if nesting(raw) > MAX_DEPTH:
        raise fail("body", f"The body is nested more than {MAX_DEPTH} levels deep.")
    return raw


def nesting(value: Any) -> int:
    """How deeply JSON containers nest (iterative: never recurses on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return deepest


def target_of(request: Request) -> str:
    """The target named by the path; anything malformed is simply not found."""
    params = request.path_params
    if "name" in params:
        return template_target(str(params["name"]).upper())
    try:
        return parse_tfn(str(params["tfn"]))
    except ValidationFailed:
        raise ProblemError(404, detail="no such target") from None


def number_of(request: Request) -> int:
    try:
        return parse_int(request.path_params["n"], field="n")
    except ValidationFailed:
        raise ProblemError(404, detail="no such version") from None


def _optional_customer(raw: dict[str, Any] | None, request: Request) -> str | None:
    value = (raw or {}).get("customer_id") or request.query_params.get("customer_id")
    return str(value) if value else None


# --- numbers, templates, labels, sites, origin --------------------------------------------------


async def api_numbers(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        only(raw, ("tfn", "customer_id", "reseller_chain", "description"))
        async with transaction(ctx, write=True) as tx:
            view = await service.assign_number(
                tx,
                caller=caller,
                tfn=raw.get("tfn"),  # type: ignore[arg-type]  # the service checks it
                customer_id=raw.get("customer_id"),  # type: ignore[arg-type]
                reseller_chain=raw.get("reseller_chain") or (),
                description=raw.get("description") or "",
            )
        return JSONResponse(number_json(view), status_code=201)
    async with transaction(ctx, write=False) as tx:
        views = await service.list_numbers(tx, caller=caller)
    return JSONResponse({"items": [number_json(v) for v in views]})


async def api_number_delete(request: Request) -> Response:
    target = target_of(request)
    async with transaction(ctx_of(request), write=True) as tx:
        await pool.unassign_number(tx, caller=caller_of(request), tfn=target)  # back to its pool, if any
    return Response(status_code=204)


async def api_templates(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        only(raw, ("name", "description", "customer_id"))
        async with transaction(ctx, write=True) as tx:
            view = await service.create_template(
                tx,
                caller=caller,
                name=raw.get("name"),  # type: ignore[arg-type]
                description=raw.get("description") or "",
                customer_id=_optional_customer(raw, request),
            )
        return JSONResponse(template_json(view), status_code=201)
    async with transaction(ctx, write=False) as tx:
        views = await service.list_templates(tx, caller=caller, customer_id=_optional_customer(None, request))
    return JSONResponse({"items": [template_json(v) for v in views]})


async def api_labels(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        views = await service.list_labels(
            tx, caller=caller_of(request), customer_id=_optional_customer(None, request)
        )
    return JSONResponse({"items": [label_json(v) for v in views]})


async def api_label(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    name = str(request.path_params["name"])
    if request.method == "DELETE":
        async with transaction(ctx, write=True) as tx:
            await service.delete_label(
                tx, caller=caller, name=name, customer_id=_optional_customer(None, request)
            )
        return Response(status_code=204)
    raw = await body_of(request)
    only(raw, ("kind", "values", "customer_id"))
    async with transaction(ctx, write=True) as tx:
        view = await service.save_label(
            tx,
            caller=caller,
            name=name,
            kind=raw.get("kind"),  # type: ignore[arg-type]
            values=raw.get("values"),  # type: ignore[arg-type]
            customer_id=_optional_customer(raw, request),
        )
    return JSONResponse(label_json(view))


async def api_sites(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        views = await service.list_sites(
            tx, caller=caller_of(request), customer_id=_optional_customer(None, request)
        )
    return JSONResponse({"items": [site_json(v) for v in views]})


async def api_site(request: Request) -> Response:
    caller, ctx = caller_of(request), ctx_of(request)
    customer_id, name = str(request.path_params["customer_id"]), str(request.path_params["name"])
    if request.method == "DELETE":
        async with transaction(ctx, write=True) as tx:
            await service.delete_site(tx, caller=caller, customer_id=customer_id, name=name)
        return Response(status_code=204)
    raw = await body_of(request)
    only(raw, ("uri", "description"))
    async with transaction(ctx, write=True) as tx:
        view = await service.save_site(
            tx,
            caller=caller,
            customer_id=customer_id,
            name=name,
            uri=raw.get("uri"),  # type: ignore[arg-type]
            description=raw.get("description") or "",
        )
    return JSONResponse(site_json(view))


async def api_origin_import(request: Request) -> Response:
    """Body: the CSV itself (`text/csv`) or `{"csv": "..."}`."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "text/csv":
        body = await request.body()
        if len(body) > MAX_CSV:
            raise ProblemError(413, detail=f"the file is larger than {MAX_CSV} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise fail("csv", "The file is not UTF-8 text.") from None
    else:
        raw = await body_of(request, limit=MAX_CSV)
        only(raw, ("csv",))
        value = raw.get("csv")
        if not isinstance(value, str):
            raise fail("csv", "Send the CSV text.")
        text = value
    async with transaction(ctx_of(request), write=True) as tx:
        result = await service.import_origin(tx, caller=caller_of(request), csv_text=text)
    return JSONResponse({"rows": result.rows})


async def api_origin_lookup(request: Request) -> Response:
    caller_of(request)
    ani = request.query_params.get("ani") or None
    found = ctx_of(request).scp.origin.lookup(ani)
    return JSONResponse(found._asdict())


# --- one target ----------------------------------------------------------------------------------


async def api_target(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        view = await service.get_target(tx, caller=caller_of(request), target=target_of(request))
    return JSONResponse(target_json(view))


async def api_versions(request: Request) -> Response:
    caller, ctx, target = caller_of(request), ctx_of(request), target_of(request)
    if request.method == "POST":
        raw = await body_of(request)
        only(raw, ("document", "from_version", "note"))
        source = raw.get("from_version")
        async with transaction(ctx, write=True) as tx:
            view = await service.create_version(
                tx,
                caller=caller,
                target=target,
                document=raw.get("document"),
                from_version=None if source is None else parse_int(source, field="from_version"),
                note=parse_text(raw.get("note"), field="note", max_len=2000),
            )
        return JSONResponse(version_json(view), status_code=201)
    async with transaction(ctx, write=False) as tx:
        views = await service.list_versions(tx, caller=caller, target=target)
    return JSONResponse({"items": [version_json(v, full=False) for v in views]})


async def api_version(request: Request) -> Response:
    caller, ctx, target, number = caller_of(request), ctx_of(request), target_of(request), number_of(request)
    if request.method == "PUT":
        raw = await body_of(request)
        only(raw, ("document", "note"))
        if "document" not in raw:
            raise fail("document", "Send the plan document.")
        note = raw.get("note")
        async with transaction(ctx, write=True) as tx:
            view = await service.save_version(
                tx,
                caller=caller,
                target=target,
                number=number,
                document=raw["document"],
                note=None if note is None else parse_text(note, field="note", max_len=2000),
            )
        return JSONResponse(version_json(view))
    async with transaction(ctx, write=False) as tx:
        view = await service.get_version(tx, caller=caller, target=target, number=number)
    return JSONResponse(version_json(view))


async def api_diff(request: Request) -> Response:
    against = request.query_params.get("against")
    async with transaction(ctx_of(request), write=False) as tx:
        changes = await service.diff(
            tx,
            caller=caller_of(request),
            target=target_of(request),
            number=number_of(request),
            against=None if not against else parse_int(against, field="against"),
        )
    return JSONResponse({"changes": [c.to_json() for c in changes]})


async def api_activate(request: Request) -> Response:
    raw = await body_of(request)
    only(raw, ("effective_at",))
    effective_at = parse_effective_at(raw.get("effective_at"))
    async with transaction(ctx_of(request), write=True) as tx:
        view = await service.activate(
            tx,
            caller=caller_of(request),
            target=target_of(request),
            number=number_of(request),
            effective_at=effective_at,
        )
    return JSONResponse(version_json(view))


def _verb(
    fn: Callable[..., Awaitable[service.VersionView]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        async with transaction(ctx_of(request), write=True) as tx:
            view = await fn(
                tx, caller=caller_of(request), target=target_of(request), number=number_of(request)
            )
        return JSONResponse(version_json(view), status_code=201 if fn is service.rollback else 200)

    return endpoint


async def api_simulate(request: Request) -> Response:
    raw = await body_of(request)
    only(raw, ("version", "ani", "at", "call_id"))
    version = raw.get("version")
    ani, call_id = raw.get("ani"), raw.get("call_id")
    if ani is not None and not isinstance(ani, str):
        raise fail("ani", "Give the caller's number as text, like +13125550100.")
    if call_id is not None and not isinstance(call_id, str):
        raise fail("call_id", "Must be text.")
    number = None if version is None else parse_int(version, field="version")
    async with transaction(ctx_of(request), write=False) as tx:
        caller, target = caller_of(request), target_of(request)
        answer = await service.simulate(
            tx,
            caller=caller,
            target=target,
            number=number,
            ani=ani or None,
            at=parse_effective_at(raw.get("at"), field="at"),
            call_id=call_id,
        )
        if number is None:
            active = (await service.get_target(tx, caller=caller, target=target)).active
            number = active.number if active else None
    return JSONResponse({"target": target, "version": number, **answer_json(answer)})


async def api_whatif(request: Request) -> Response:
    """`{"version": n, "calls": [{"ani", "at" (ISO) or "ts" (epoch), "call_id"}]}`."""
    raw = await body_of(request, limit=MAX_CSV)
    only(raw, ("version", "calls"))
    number = parse_int(raw.get("version"), field="version")
    target = target_of(request)
    calls = parse_calls(raw.get("calls"), dnis=target)
    async with transaction(ctx_of(request), write=False) as tx:
        result = await service.whatif(
            tx, caller=caller_of(request), target=target, number=number, calls=calls
        )
    return JSONResponse({"target": target, "version": number, **result.to_json()})


def parse_calls(raw: Any, *, dnis: str) -> list[Query]:
    if not isinstance(raw, list) or not raw:
        raise fail("calls", "Give at least one call.")
    out: list[Query] = []
    for i, call in enumerate(raw):
        if not isinstance(call, dict) or set(call) - {"ani", "at", "ts", "call_id"}:
            raise fail(f"calls[{i}]", 'A call is {"ani", "at" or "ts", "call_id"}.')
        ani, call_id, ts = call.get("ani"), call.get("call_id"), call.get("ts")
        if ani is not None and not isinstance(ani, str):
            raise fail(f"calls[{i}].ani", "Give the caller's number as text.")
        if call_id is not None and not isinstance(call_id, str):
            raise fail(f"calls[{i}].call_id", "Must be text.")
        if ts is not None:
            if isinstance(ts, bool) or not isinstance(ts, int | float):
                raise fail(f"calls[{i}].ts", "Give epoch seconds.")
            when = float(ts)
        else:
            at = parse_effective_at(call.get("at"), field=f"calls[{i}].at")
            if at is None:
                raise fail(f"calls[{i}].at", "Give the time of the call.")
            when = at.timestamp()
        out.append(Query(dnis=dnis, ani=ani or None, ts=when, call_id=call_id))
    return out


async def api_audit(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        rows = await service.audit(tx, caller=caller_of(request), target=target_of(request))
    return JSONResponse({"items": [audit_json(r) for r in rows]})


def _target_routes(base: str) -> list[Route]:
    return [
        Route(base, api_target, methods=["GET"]),
        Route(f"{base}/versions", api_versions, methods=["GET", "POST"]),
        Route(f"{base}/versions/{{n}}", api_version, methods=["GET", "PUT"]),
        Route(f"{base}/versions/{{n}}/diff", api_diff, methods=["GET"]),
        Route(f"{base}/versions/{{n}}/activate", api_activate, methods=["POST"]),
        Route(f"{base}/versions/{{n}}/hold", _verb(service.hold), methods=["POST"]),
        Route(f"{base}/versions/{{n}}/release", _verb(service.release), methods=["POST"]),
        Route(f"{base}/versions/{{n}}/cancel", _verb(service.cancel), methods=["POST"]),
        Route(f"{base}/versions/{{n}}/rollback", _verb(service.rollback), methods=["POST"]),
        Route(f"{base}/simulate", api_simulate, methods=["POST"]),
        Route(f"{base}/whatif", api_whatif, methods=["POST"]),
        Route(f"{base}/audit", api_audit, methods=["GET"]),
    ]


def routes() -> list[Route]:
    return [
        Route("/api/numbers", api_numbers, methods=["GET", "POST"]),
        Route("/api/numbers/{tfn}", api_number_delete, methods=["DELETE"]),
        Route("/api/templates", api_templates, methods=["GET", "POST"]),
        Route("/api/labels", api_labels, methods=["GET"]),
        Route("/api/labels/{name}", api_label, methods=["PUT", "DELETE"]),
        Route("/api/sites", api_sites, methods=["GET"]),
        Route("/api/sites/{customer_id}/{name}", api_site, methods=["PUT", "DELETE"]),
        Route("/api/origin/import", api_origin_import, methods=["POST"]),
        Route("/api/origin/lookup", api_origin_lookup, methods=["GET"]),
        *_target_routes("/api/numbers/{tfn}"),
        *_target_routes("/api/templates/{name}"),
    ]
