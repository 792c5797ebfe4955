"""The notification pages:

* `/alarms/subscriptions` — the customer's e-mail subscriptions and webhook (kind, where, minimum
  severity, changes, state), the form for a new one (errors next to their input, 422, the form
  as typed) and deleting one. A new webhook's signing secret is shown once, in the notice.
  Provider and reseller staff name the customer with `?customer=<id>` (without it the page asks).
* `/alarms/outbox` — the mail the demo SMTP sink received, newest first: subject, from, to,
  time, the HTML part in a sandboxed iframe (`srcdoc`, no scripts) and the text part. A
  customer's users see their customer's mail, reseller staff their customers', provider staff
  everyone's (filed by the message's `X-Switchboard-Customer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.events import access, outbox_mail, subscriptions
from resources.events import outbox_repository as outbox
from resources.events.access import MANAGE
from resources.events.context import transaction
from resources.events.notify import DEFAULT_KINDS, MIN_SEVERITIES, NOTIFY_KINDS
from resources.events.routes import ctx_of, named_customer
from resources.events.views_common import BASE, url
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import problem_text, text_fields
from resources.kit.requests import customer_of

TITLE, OUTBOX_TITLE = "Alarm notifications", "Mail outbox"
INPUTS = ("kind", "address", "url", "min_severity", "kinds")
FORM = "form"
EMPTY = {"kind": "email", "address": "", "url": "", "min_severity": "major", "kinds": list(DEFAULT_KINDS)}
OUTBOX_ROWS = 50


def _render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, {"base": BASE, "url": url, **context}, title=title, status=status
    )


def errors_of(exc: ProblemError) -> dict[str, str]:
    if not isinstance(exc, ValidationFailed):
        return {FORM: problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = e["field"] if e["field"] in INPUTS else FORM
        out.setdefault(key, e["message"][:1].upper() + e["message"][1:] + ".")
    return out


async def subscriptions_page(
    request: Request,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    secret: str | None = None,
    status: int = 200,
) -> Response:
    caller = caller_of(request)
    if caller.customer_id is None and not request.query_params.get("customer"):
        return _render(request, "events/subscriptions.html", TITLE, {"ask": True})
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=False) as tx:
        items = await subscriptions.listing(tx, caller=caller, customer_id=customer)
    return _render(request, "events/subscriptions.html", TITLE, {
        "ask": False, "items": items, "customer": customer, "named": request.query_params.get("customer"),
        "can_manage": caller.has(MANAGE), "form": form if form is not None else dict(EMPTY),
        "errors": errors or {}, "notice": notice, "secret": secret,
        "severity_options": [(s, s) for s in MIN_SEVERITIES], "kind_options": NOTIFY_KINDS,
        "has_webhook": any(s.kind == "webhook" for s in items),
    }, status=status)  # fmt: skip


async def page_get(request: Request) -> Response:
    return await subscriptions_page(request)


async def save(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    form = await request.form()
    fields = text_fields(form)
    kinds = [v for v in form.getlist("kinds") if isinstance(v, str)]
    typed: dict[str, Any] = {k: fields.get(k, "").strip() for k in ("kind", "address", "url", "min_severity")}
    typed["kinds"] = kinds
    body: dict[str, Any] = {"kind": typed["kind"], "min_severity": typed["min_severity"], "kinds": kinds}
    body["address" if typed["kind"] == "email" else "url"] = typed[
        "address" if typed["kind"] == "email" else "url"
    ]
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            row, secret = await subscriptions.create(tx, caller=caller, customer_id=customer, body=body)
    except ProblemError as exc:
        if exc.status in (403, 404):
            raise
        return await subscriptions_page(request, form=typed, errors=errors_of(exc), status=422)
    if row.kind == "webhook":
        notice = f"Webhook {row.url} added. Its signing secret is shown this once: keep it now."
    else:
        notice = (
            f"{row.address} will be told of {', '.join(row.kinds)} alarms of {row.min_severity} or worse."
        )
    return await subscriptions_page(request, notice=notice, secret=secret)


async def delete(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=True) as tx:
        row = await subscriptions.remove(
            tx,
            caller=caller,
            customer_id=customer,
            subscription_id=str(request.path_params["subscription_id"]),
        )
    what = f"Webhook {row.url}" if row.kind == "webhook" else f"The subscription of {row.address}"
    return await subscriptions_page(request, notice=f"{what} deleted.")


async def outbox_get(request: Request) -> Response:
    caller = caller_of(request)
    named = named_customer(request)
    async with transaction(ctx_of(request), write=False) as tx:
        customers = access.customers_seen(caller, tx.ctx.tenancy.current, named)
        rows = await outbox.mails(tx.session, customers=customers, limit=OUTBOX_ROWS)
        total = await outbox.mail_count(tx.session, customers=customers)
    return _render(request, "events/outbox.html", OUTBOX_TITLE, {
        "mails": [outbox_mail.shown(r) for r in rows], "total": total, "customer": named,
        "many": caller.customer_id is None, "sink": ctx_of(request).outbound.smtp_sink,
    })  # fmt: skip


def notify_routes() -> list[Route]:
    return [
        Route("/alarms/subscriptions", page_get, methods=["GET"]),
        Route("/alarms/subscriptions", save, methods=["POST"]),
        Route("/alarms/subscriptions/{subscription_id}/delete", delete, methods=["POST"]),
        Route("/alarms/outbox", outbox_get, methods=["GET"]),
    ]
