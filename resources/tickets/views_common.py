"""Plumbing shared by the tickets pages: rendering, the caller's role, form fields and errors.

A customer user sees its own company's tickets; staff (provider, reseller) the tickets of every
customer they reach, with the customer shown. Errors are inline: the page again with status 422
(htmx swaps 422, see webui's base.html), the message next to the input the error's `field`
names, the form as typed; anything no input stands for (a refused move, a stale form) at the
top. A ticket the caller may not see is a plain 404, a change it may not make 403.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.pages import problem_text, text_fields
from resources.tickets.routes import ctx_of

__all__ = ["ctx_of", "problem_text", "text_fields"]

BASE = "/tickets"  # the pages' address in the portal
FORM = "form"
SLA_BADGE = {"ok": "success", "warning": "warning", "breached": "danger"}
STATUS_TEXT = {
    "acknowledged": "Acknowledged",
    "inProgress": "In progress",
    "pending": "Pending",
    "held": "Held",
    "resolved": "Resolved",
    "closed": "Closed",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}


def render(
    request: Request,
    name: str,
    title: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    values = {
        "base": BASE,
        "sla_badge": SLA_BADGE,
        "status_text": STATUS_TEXT,
        "utc_text": utc_text,
        **context,
    }
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, values, title=title, status=status, headers=headers
    )


def errors_of(exc: ProblemError, inputs: Mapping[str, str] | Collection[str]) -> dict[str, str]:
    """The messages by input (`inputs` maps the API's field names to the form's, or lists names
    that are the same in both); everything else under FORM."""
    names = dict(inputs) if isinstance(inputs, Mapping) else {k: k for k in inputs}
    if not isinstance(exc, ValidationFailed):
        return {FORM: problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = names.get(e["field"].split("[")[0].split(".")[0])
        if key is not None:
            out.setdefault(key, e["message"][:1].upper() + e["message"][1:] + ".")
        else:
            out.setdefault(FORM, problem_text(ValidationFailed([e])))
    return out


def refusal(exc: ProblemError) -> None:
    """Re-raise what a page does not show inline: not visible (404) and not allowed (403)."""
    if exc.status in (403, 404):
        raise exc


def utc_text(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at is not None else "—"
