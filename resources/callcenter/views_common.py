"""Plumbing shared by the call-center pages: whose call centers a page shows, rendering, form
fields, inline errors, local times and before/after changes.

A customer user works on its own customer; provider staff name one with `?customer=<id>` (as
on the JSON API), and every link and form of the page keeps that query. A page asked for by
provider staff without a customer shows a small form asking for one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from resources.callcenter.access import EDIT
from resources.callcenter.routes import ctx_of
from resources.callcenter.schemas import moment
from resources.kit import pages
from resources.kit.caller import Caller
from resources.kit.errors import FieldError
from resources.kit.hours import HoursError, parse_hours
from resources.kit.middleware import caller_of
from resources.kit.pages import problem_text, text_fields
from resources.kit.requests import customer_of

__all__ = ["ctx_of", "problem_text", "text_fields"]

BASE = "/callcenter"  # the pages' address in the portal
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">, hours.py's closures
EFFECTIVE_HINT = "give a date and time as YYYY-MM-DDTHH:MM, e.g. 2026-12-24T15:00"


class NoCustomer(Exception):
    """Provider staff opened a page without naming the customer."""


@dataclass(frozen=True)
class Who:
    caller: Caller
    customer: str
    query: str  # "?customer=<id>" when the request named the customer, else ""
    can_edit: bool


def who(request: Request) -> Who:
    caller = caller_of(request)
    named = request.query_params.get("customer")
    if named is None and caller.customer_id is None:
        raise NoCustomer
    customer = customer_of(request, caller)
    query = "?" + urlencode({"customer": named}) if named is not None else ""
    return Who(caller=caller, customer=customer, query=query, can_edit=caller.has(EDIT))


def render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    values = {"base": BASE, **context}
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, values, title=title, status=status
    )


def customer_picker(request: Request, title: str) -> Response:
    """The page for provider staff who did not say which customer's call centers they mean."""
    return render(request, "callcenter/customer.html", title, {"action": BASE + request.url.path})


Endpoint = Callable[[Request], Awaitable[Response]]


def page(title: str) -> Callable[[Callable[[Request, Who], Awaitable[Response]]], Endpoint]:
    """An endpoint that gets the request's `Who` (provider staff naming no customer: the picker)."""

    def wrap(handler: Callable[[Request, Who], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                whom = who(request)
            except NoCustomer:
                return customer_picker(request, title)
            return await handler(request, whom)

        return endpoint

    return wrap


def whole_number(text: str) -> int | str:
    """A typed number as an int; anything else as typed, so the parser says what is wrong with it."""
    value = text.strip()
    digits = value.removeprefix("-")
    return int(value) if digits.isdigit() and len(digits) <= 9 else value


# --- times ------------------------------------------------------------------------------------


def local_text(at: datetime, zone: str) -> str:
    """`2026-12-07 10:00 EST` — an instant in a zone."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def check_zone(zone: str, field: str) -> str:
    """`zone` when it is an IANA time zone; else hours.py's own message, on `field`."""
    try:
        return parse_hours({"zone": zone, "weekly": {}}).zone
    except HoursError as exc:
        raise FieldError(field, exc.message).problem() from None


def effective_moment(form: Mapping[str, str], *, default_zone: str, zone_field: str) -> datetime | None:
    """The form's "effective at" (`effective_at`, local wall-clock time, and `effective_zone`;
    no zone: `default_zone`, which came from the field `zone_field`) as UTC; None (now) when empty."""
    text = form.get("effective_at", "").strip()
    if not text:
        return None
    named = form.get("effective_zone", "").strip()
    zone = check_zone(named, "effective_zone") if named else check_zone(default_zone, zone_field)
    try:
        local = datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        raise FieldError("effective_at", EFFECTIVE_HINT).problem() from None
    at = moment(local.replace(tzinfo=ZoneInfo(zone)).isoformat(), "effective_at")
    assert at is not None
    return at


# --- before and after -------------------------------------------------------------------------


def _item_text(item: Mapping[str, Any]) -> str:
    if "from" in item and "to" in item:  # a closure
        return f"{item['from']} to {item['to']}" + (f" {item['reason']}" if item.get("reason") else "")
    if "site" in item:  # a distribution's member
        return f"{item['site']} {item.get('share', '')}".strip()
    return ", ".join(f"{k} {v}" for k, v in item.items())


def flatten(document: Any, prefix: str = "") -> dict[str, str]:
    """A document as `path → text` (`hours.weekly.mon → 08:00-12:00, 13:00-17:00`)."""
    return pages.flatten(document, prefix, item_text=_item_text, sep="; ")


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """`(path, before, after)` for every value that differs, in the order of the documents."""
    return pages.changes(before, after, item_text=_item_text, sep="; ")
