"""Plumbing shared by the outbound pages: whose configuration a page shows, rendering, form
fields, inline errors and before/after changes.

A customer user works on its own customer; provider staff name one with `?customer=<id>` (as on
the JSON API) and every link and form of the page keeps that query. A page asked for by provider
staff without a customer shows a small form asking for one.

Errors are inline: the page again with status 422 (htmx swaps 422, see webui's base.html), the
message next to the input the error's `field` names (`countries.deny[1]` → the deny list) and
the form as typed; anything no input stands for (a 409, "already configured like that") at the
top of the form. A customer the caller may not see is a plain 404, a change it may not make 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import changes, flatten, problem_text, text_fields
from resources.kit.requests import customer_of
from resources.outbound import access
from resources.outbound.access import EDIT
from resources.outbound.routes import ctx_of

__all__ = ["changes", "ctx_of", "flatten", "problem_text", "text_fields"]

BASE = "/outbound"  # the pages' address in the portal
FORM = "form"  # the errors key of a message shown at the top of the form


class NoCustomer(Exception):
    """Provider staff opened a page without naming the customer."""


@dataclass(frozen=True)
class Who:
    caller: Caller
    customer: str
    named: str | None  # the customer the request named (?customer=), None for the caller's own
    can_edit: bool

    def url(self, path: str, **params: str | None) -> str:
        """A page's portal address that keeps `?customer=`; None parameters are left out."""
        query = {"customer": self.named, **params}
        kept = {k: v for k, v in query.items() if v is not None}
        return BASE + path + ("?" + urlencode(kept) if kept else "")


def who(request: Request) -> Who:
    caller = caller_of(request)
    named = request.query_params.get("customer")
    if named is None and caller.customer_id is None:
        raise NoCustomer
    customer = customer_of(request, caller)
    return Who(caller=caller, customer=customer, named=named, can_edit=caller.has(EDIT))


def require_edit(request: Request, whom: Who) -> None:
    """Before a change: 404 for a customer the caller does not reach, 403 without outbound:edit
    (so a refused caller never sees a form's message instead)."""
    access.require_edit(whom.caller, whom.customer, tenancy=ctx_of(request).tenancy.current)


def render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    values = {"base": BASE, **context}
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, values, title=title, status=status
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def page(title: str) -> Callable[[Callable[[Request, Who], Awaitable[Response]]], Endpoint]:
    """An endpoint that gets the request's `Who` (provider staff naming no customer: a form
    asking which customer)."""

    def wrap(handler: Callable[[Request, Who], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                whom = who(request)
            except NoCustomer:
                return render(request, "outbound/customer.html", title, {"action": BASE + request.url.path})
            return await handler(request, whom)

        return endpoint

    return wrap


def errors_of(exc: ProblemError, inputs: Collection[str]) -> dict[str, str]:
    """The messages by input: a field path without its list index (`countries.deny[1]` →
    `countries.deny`) when the form has that input; everything else under FORM."""
    if not isinstance(exc, ValidationFailed):
        return {FORM: problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = e["field"].split("[")[0]
        if key in inputs:
            out.setdefault(key, e["message"])
        else:
            out.setdefault(FORM, problem_text(ValidationFailed([e])))
    return out


def refusal(exc: ProblemError) -> None:
    """Re-raise what a page does not show inline: not visible (404) and not allowed (403)."""
    if exc.status in (403, 404):
        raise exc


def whole_number(text: str) -> int | str | None:
    """A typed number as an int, blank as None; anything else as typed, so the parser says what
    is wrong with it."""
    value = text.strip()
    if not value:
        return None
    digits = value.removeprefix("-")
    return int(value) if digits.isdigit() and len(digits) <= 12 else value


def split_list(text: str) -> list[str]:
    """`"GB, fr  DE"` → `["GB", "FR", "DE"]` (commas or spaces; capitals)."""
    return [part.upper() for part in text.replace(",", " ").split()]


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
