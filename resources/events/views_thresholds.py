"""The thresholds page (`/thresholds`): the customer's quality thresholds and their form (new, or
`?edit=<metric> <target>`), deleting one. Provider and reseller staff name the customer with
`?customer=<id>` (without it the page asks). A refused form is the page again (422) with each
message next to its input and the form as typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.events import thresholds
from resources.events.access import MANAGE
from resources.events.conditions import SEVERITIES, Threshold
from resources.events.context import transaction
from resources.events.routes import ctx_of
from resources.events.views_common import BASE, url
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import problem_text, text_fields
from resources.kit.requests import customer_of

TITLE = "Alarm thresholds"
INPUTS = ("metric", "target", "window_seconds", "min_calls", "raise_below", "clear_at", "severity")
FORM = "form"
EMPTY = {"metric": "asr", "target": "number:*", "window_seconds": "300", "min_calls": "20",
         "raise_below": "0.5", "clear_at": "0.6", "severity": "major"}  # fmt: skip


def _render(request: Request, context: Mapping[str, Any], *, status: int = 200) -> Response:
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, "events/thresholds.html", {"base": BASE, "url": url, **context}, title=TITLE, status=status
    )


def form_of(t: Threshold) -> dict[str, str]:
    return {k: str(getattr(t, k)) for k in INPUTS}


def _number(text: str) -> int | float | str:
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def errors_of(exc: ProblemError) -> dict[str, str]:
    if not isinstance(exc, ValidationFailed):
        return {FORM: problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = e["field"] if e["field"] in INPUTS else FORM
        out.setdefault(key, e["message"][:1].upper() + e["message"][1:] + ".")
    return out


async def thresholds_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    caller = caller_of(request)
    if caller.customer_id is None and not request.query_params.get("customer"):
        return _render(request, {"ask": True, "action": "/events/thresholds"})
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=False) as tx:
        items = await thresholds.listing(tx, caller=caller, customer_id=customer)
    editing = request.query_params.get("edit")
    current = next((t for t in items if f"{t.metric} {t.target}" == editing), None)
    named = request.query_params.get("customer")
    return _render(request, {
        "ask": False, "items": items, "customer": customer, "named": named, "can_manage": caller.has(MANAGE),
        "form": form if form is not None else (form_of(current) if current else dict(EMPTY)),
        "editing": current, "errors": errors or {}, "notice": notice,
        "severity_options": [(s, s) for s in SEVERITIES],
        "quote": lambda v: quote(v, safe=""),
    }, status=status)  # fmt: skip


async def page_get(request: Request) -> Response:
    return await thresholds_page(request)


async def save(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    fields = text_fields(await request.form())
    typed = {k: fields.get(k, "") for k in INPUTS}
    body: dict[str, Any] = {
        k: _number(typed[k]) for k in ("window_seconds", "min_calls", "raise_below", "clear_at")
    }
    body["severity"] = typed["severity"]
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            _, created = await thresholds.put(
                tx, caller=caller, customer_id=customer, metric=typed["metric"].strip(),
                target=typed["target"].strip(), body=body,
            )  # fmt: skip
    except ProblemError as exc:
        if exc.status in (403, 404):
            raise
        return await thresholds_page(request, form=typed, errors=errors_of(exc), status=422)
    what = f"{typed['metric'].strip().upper()} threshold on {typed['target'].strip()}"
    return await thresholds_page(request, notice=f"{what} {'added' if created else 'saved'}.")


async def delete(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    metric, target = str(request.path_params["metric"]), str(request.path_params["target"])
    async with transaction(ctx_of(request), write=True) as tx:
        await thresholds.remove(tx, caller=caller, customer_id=customer, metric=metric, target=target)
    return await thresholds_page(request, notice=f"{metric.upper()} threshold on {target} deleted.")


def threshold_routes() -> list[Route]:
    return [
        Route("/thresholds", page_get, methods=["GET"]),
        Route("/thresholds", save, methods=["POST"]),
        Route("/thresholds/{metric}/{target}/delete", delete, methods=["POST"]),
    ]
