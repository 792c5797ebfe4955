"""The sites page (`/sites`): the sites in effect now — address, capacity, zone, today's hours,
open now, scheduled changes — with an edit form per site, a new-site form and the supervisor's
one-click actions (set the capacity, close for the rest of today), and removal.

Every change goes through `service.change_site` (or `service.remove`). A refused change shows
the page again (422) with the message next to the input the error's field names and the form as
the user typed it; nothing changed. Forms post with htmx (`#cc-page` swapped) and work without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.callcenter import service
from resources.callcenter.context import transaction
from resources.callcenter.models import SITE, RevisionRow
from resources.callcenter.overflow import NO_OVERFLOW, SiteOverflow
from resources.callcenter.sites import Site
from resources.callcenter.views_common import (
    Who,
    changes,
    ctx_of,
    effective_moment,
    local_text,
    page,
    problem_text,
    render,
    text_fields,
    utc_text,
    whole_number,
)
from resources.kit.errors import FieldError, ProblemError, ValidationFailed
from resources.kit.hours import MAX_CLOSURES, WEEKDAYS, Hours, closed_rest_of_day

TITLE = "Call-center sites"
CLOSED_TODAY = "Closed for the rest of today"
BLANK_CLOSURES = 2  # empty closure rows under a site's own
_CLOSURE_KEY = re.compile(r"^closure_(\d{1,3})_(from|to|reason)$")
_WEEKDAY = re.compile(r"^hours\.weekly\.(mon|tue|wed|thu|fri|sat|sun)(\[\d+\])?$")
_CLOSURE = re.compile(r"^hours\.closures\[(\d+)\](?:\.(from|to|reason))?$")
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                "Sunday"), strict=True))  # fmt: skip


@dataclass(frozen=True)
class Scheduled:
    """A revision that takes effect later: when, and what it changes against now."""

    number: int
    local: str  # in the object's zone ("" for distributions)
    utc: str
    changes: list[tuple[str, str, str]]
    removes: bool


@dataclass(frozen=True)
class SiteRow:
    site: Site
    open_now: bool
    local_now: str  # the site's wall clock now, e.g. "10:00 EST"
    today: str  # today's weekly hours, local
    closures_today: list[str]
    scheduled: list[Scheduled]
    live: int = 0  # calls up now, as the router counts them (service.live_view)
    overflow: SiteOverflow = NO_OVERFLOW  # last 15 minutes
    traffic: str = ""  # the traffic live monitor of this site

    @property
    def occupancy(self) -> str:
        return f"{self.live / self.site.capacity:.0%}" if self.site.capacity else "—"


def scheduled(rows: list[RevisionRow], *, now: datetime, current: Any, zone: str | None) -> list[Scheduled]:
    return [
        Scheduled(
            number=r.number,
            local=local_text(r.effective_at, zone) if zone else "",
            utc=utc_text(r.effective_at),
            changes=changes(current, r.document),
            removes=r.document is None,
        )
        for r in sorted(rows, key=lambda r: (r.effective_at, r.number))
        if not r.cancelled and r.effective_at > now
    ]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def today_of(hours: Hours, now: datetime) -> tuple[str, list[str]]:
    """Today's weekly hours in the site's zone (with what runs over from yesterday) and the
    closures that fall on today."""
    local = now.astimezone(ZoneInfo(hours.zone)).replace(tzinfo=None)
    day = local.weekday()
    spill = [f"00:00-{_hhmm(i.end)}" for i in hours.weekly[(day - 1) % 7] if i.overnight]
    intervals = [*spill, *(str(i) for i in hours.weekly[day])]
    midnight = datetime.combine(local.date(), datetime.min.time())
    tomorrow = midnight + timedelta(days=1)
    closures = [
        f"closed {max(c.start, midnight):%H:%M}-{'24:00' if c.end >= tomorrow else f'{c.end:%H:%M}'}"
        + (f" ({c.reason})" if c.reason else "")
        for c in hours.closures
        if c.start < tomorrow and c.end > midnight
    ]
    return (", ".join(intervals) or "closed all day"), closures


# --- the forms --------------------------------------------------------------------------------


def form_of(site: Site | None) -> dict[str, Any]:
    """The edit form's values for a site (None: the empty new-site form)."""
    if site is None:
        hours: dict[str, Any] = {"zone": "", "weekly": {}, "closures": []}
        values = {"name": "", "uri": "", "capacity": "", "description": ""}
    else:
        hours = site.hours.as_json()
        values = {"name": site.name, "uri": site.uri, "capacity": str(site.capacity),
                  "description": site.description}  # fmt: skip
    closures = [(c["from"], c["to"], c["reason"]) for c in hours["closures"]]
    return {
        **values,
        "zone": hours["zone"],
        **{f"weekly_{d}": ", ".join(hours["weekly"].get(d, [])) for d in WEEKDAYS},
        "closures": [*closures, *([("", "", "")] * BLANK_CLOSURES)],
        "effective_at": "",
        "effective_zone": "",
    }


def submitted(fields: Mapping[str, str]) -> dict[str, Any]:
    """The edit form as the user typed it (closure rows in the order of the form)."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in fields.items():
        match = _CLOSURE_KEY.match(key)
        if match and int(match.group(1)) < MAX_CLOSURES + BLANK_CLOSURES:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    closures = [(r.get("from", ""), r.get("to", ""), r.get("reason", "")) for _, r in sorted(rows.items())]
    keys = ("name", "uri", "capacity", "description", "zone", "effective_at", "effective_zone")
    return {
        **{k: fields.get(k, "") for k in keys},
        **{f"weekly_{d}": fields.get(f"weekly_{d}", "") for d in WEEKDAYS},
        "closures": closures,
    }


def intervals(text: str) -> list[str]:
    """`08:00-12:00, 13:00-17:00` → ["08:00-12:00", "13:00-17:00"]; empty or "closed": none."""
    if text.strip().lower() == "closed":
        return []
    return [part.replace(" ", "") for part in text.split(",") if part.strip()]


def document_of(form: Mapping[str, Any], name: str) -> tuple[dict[str, Any], list[int]]:
    """The site JSON `parse_site` reads, and for each closure sent the form row it came from."""
    closures, rows = [], []
    for n, (start, end, reason) in enumerate(form["closures"]):
        if start.strip() or end.strip() or reason.strip():
            closures.append({"from": start.strip(), "to": end.strip(), "reason": reason})
            rows.append(n)
    hours = {
        "zone": form["zone"].strip(),
        "weekly": {d: intervals(form[f"weekly_{d}"]) for d in WEEKDAYS},
        "closures": closures,
    }
    raw = {"name": name, "uri": form["uri"], "capacity": whole_number(form["capacity"]),
           "description": form["description"], "hours": hours}  # fmt: skip
    return raw, rows


def input_of(field: str, rows: list[int]) -> str:
    """The input a parser's field path points at (`hours.closures[1].to` → `closure_4_to`);
    "form" for what belongs to the whole form."""
    if field in ("name", "uri", "capacity", "description", "effective_at", "effective_zone"):
        return field
    if field == "hours.zone":
        return "zone"
    day = _WEEKDAY.match(field)
    if day:
        return f"weekly_{day.group(1)}"
    closure = _CLOSURE.match(field)
    if closure and int(closure.group(1)) < len(rows):
        row = rows[int(closure.group(1))]
        return f"closure_{row}_{closure.group(2)}" if closure.group(2) else f"closure_{row}"
    return "form"


def errors_of(exc: ProblemError, rows: list[int] | None = None) -> dict[str, str]:
    if not isinstance(exc, ValidationFailed):
        return {"form": problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = input_of(e["field"], rows or [])
        out.setdefault(key, problem_text(exc) if key == "form" else e["message"])
    return out


# --- the page ---------------------------------------------------------------------------------


async def sites_page(
    request: Request,
    whom: Who,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    forms: dict[str, dict[str, Any]] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """`errors` and `forms`: by form ("new", "edit-east", "capacity-east", "close-east",
    "delete-east", "cancel-east"), the messages by input and the values as typed."""
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config_at(tx, caller=whom.caller, customer_id=whom.customer)
        histories = {
            name: await service.history(
                tx, caller=whom.caller, customer_id=whom.customer, kind=SITE, name=name
            )
            for name in sorted(config.sites)
        }
        now_live = await service.live_view(tx, caller=whom.caller, customer_id=whom.customer)
        live = {s.site.name: s for s in now_live}
        now = tx.now
    rows = []
    for name, site in sorted(config.sites.items()):
        today, closures = today_of(site.hours, now)
        rows.append(SiteRow(
            site=site, open_now=site.hours.is_open(now), local_now=local_text(now, site.hours.zone)[11:],
            today=today, closures_today=closures,
            scheduled=scheduled(histories[name], now=now, current=site.as_json(), zone=site.hours.zone),
            live=live[name].live if name in live else 0,
            overflow=live[name].overflow if name in live else NO_OVERFLOW,
            traffic="/traffic/live?" + urlencode({"select": f"site:{whom.customer}/{name}"}),
        ))  # fmt: skip
    edit_forms = {f"edit-{r.site.name}": form_of(r.site) for r in rows} | {"new": form_of(None)}
    return render(request, "callcenter/sites.html", TITLE, {
        "who": whom, "rows": rows, "now": now, "form_values": edit_forms | (forms or {}),
        "errors": errors or {}, "notice": notice, "weekdays": [(d, DAY_NAMES[d]) for d in WEEKDAYS],
        "utc": utc_text(now), "current": "sites",
    }, status=status)  # fmt: skip


@page(TITLE)
async def sites_get(request: Request, whom: Who) -> Response:
    return await sites_page(request, whom)


def saved(row: RevisionRow, zone: str | None, now: datetime) -> str:
    if row.effective_at <= now:
        return f"revision {row.number} is in effect now."
    local = f"{local_text(row.effective_at, zone)} (" if zone else ""
    return f"revision {row.number} takes effect {local}{utc_text(row.effective_at)}{')' if zone else ''}."


async def _save(request: Request, whom: Who, *, key: str, name: str | None = None) -> Response:
    """Create (`name` None: the form names it) or change a site from the edit form."""
    form = submitted(text_fields(await request.form()))
    new = name is None
    name = form["name"].strip() if name is None else name
    raw, rows = document_of(form, name)
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if new:
                config = await service.config_at(tx, caller=whom.caller, customer_id=whom.customer)
                if name in config.sites:
                    raise FieldError("name", f"there is already a site {name}; change it with its Edit form")
            when = effective_moment(form, default_zone=raw["hours"]["zone"], zone_field="hours.zone")
            row = await service.change_site(
                tx, caller=whom.caller, customer_id=whom.customer, raw=raw, effective_at=when
            )
            now = tx.now
    except FieldError as exc:
        return await sites_page(request, whom, errors={key: errors_of(exc.problem())}, forms={key: form},
                                status=422)  # fmt: skip
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await sites_page(request, whom, errors={key: errors_of(exc, rows)}, forms={key: form},
                                status=422)  # fmt: skip
    notice = f"Site {name} saved: {saved(row, raw['hours']['zone'], now)}"
    return await sites_page(request, whom, notice=notice)


@page(TITLE)
async def create(request: Request, whom: Who) -> Response:
    return await _save(request, whom, key="new")


@page(TITLE)
async def change(request: Request, whom: Who) -> Response:
    name = str(request.path_params["name"])
    return await _save(request, whom, key=f"edit-{name}", name=name)


async def _current(tx: Any, whom: Who, name: str) -> Site:
    config = await service.config_at(tx, caller=whom.caller, customer_id=whom.customer)
    site = config.sites.get(name)
    if site is None:
        raise ProblemError(404, detail=f"no such site: {name}")
    return site


def _local_minute(hours: Hours, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(hours.zone)).replace(tzinfo=None, second=0, microsecond=0)


def _midnight_after(local: datetime) -> datetime:
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time())


def _already_closed(hours: Hours, now: datetime) -> bool:
    local = _local_minute(hours, now)
    return any(c.start <= local and c.end >= _midnight_after(local) for c in hours.closures)


@page(TITLE)
async def quick(request: Request, whom: Who) -> Response:
    """`…/capacity` (just the number) or `…/close-today` (a closure from now to local midnight)."""
    name, what = str(request.path_params["name"]), request.url.path.rsplit("/", 1)[1]
    fields = text_fields(await request.form())
    key = f"{'capacity' if what == 'capacity' else 'close'}-{name}"
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            site = await _current(tx, whom, name)
            raw = site.as_json()
            if what == "capacity":
                raw["capacity"] = whole_number(fields.get("capacity", ""))
            else:
                if _already_closed(site.hours, tx.now):
                    raise FieldError("form", f"site {name} is already closed for the rest of today")
                raw["hours"] = closed_rest_of_day(site.hours, at=tx.now, reason=CLOSED_TODAY).as_json()
            row = await service.change_site(tx, caller=whom.caller, customer_id=whom.customer, raw=raw)
    except FieldError as exc:
        return await sites_page(request, whom, errors={key: errors_of(exc.problem())}, status=422)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await sites_page(request, whom, errors={key: errors_of(exc)}, forms={key: fields}, status=422)
    if what == "capacity":
        notice = f"Site {name} now takes {raw['capacity']} calls at a time (revision {row.number})."
    else:
        until = _midnight_after(_local_minute(site.hours, row.effective_at))
        notice = (
            f"Site {name} is closed until {until:%Y-%m-%d %H:%M} {site.hours.zone} (revision {row.number})."
        )
    return await sites_page(request, whom, notice=notice)


@page(TITLE)
async def delete(request: Request, whom: Who) -> Response:
    name = str(request.path_params["name"])
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            row = await service.remove(
                tx, caller=whom.caller, customer_id=whom.customer, kind=SITE, name=name
            )
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await sites_page(request, whom, errors={f"delete-{name}": errors_of(exc)}, status=422)
    return await sites_page(request, whom, notice=f"Site {name} removed (revision {row.number}).")


def site_routes() -> list[Route]:
    return [
        Route("/sites", sites_get, methods=["GET"]),
        Route("/sites", create, methods=["POST"]),
        Route("/sites/{name}", change, methods=["POST"]),
        Route("/sites/{name}/capacity", quick, methods=["POST"]),
        Route("/sites/{name}/close-today", quick, methods=["POST"]),
        Route("/sites/{name}/delete", delete, methods=["POST"]),
    ]
