"""A call-center site as the customer configures it, and its state for one call.

A site is a SIP destination (`sip:host:port`, the same rule as a toll-free plan's sites) with a
capacity (agents or trunks) and hours of operation. For a routing decision `state_of` combines
that configuration with what is known now — live concurrent calls from the traffic resource,
whether the switch reported the site failing, when it was last offered a call — into the
`SiteState` that `distribution.choose` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resources.callcenter.distribution import SiteState
from resources.kit.errors import FieldError
from resources.kit.hours import Hours, HoursError, always_open, parse_hours
from resources.kit.sites import SITE_NAME_HINT, SITE_NAME_RE, SITE_URI_HINT, SITE_URI_RE

MAX_CAPACITY = 100_000


class SiteError(FieldError):
    """A site that cannot be used; `field` names the part of the input."""


@dataclass(frozen=True)
class Site:
    name: str
    uri: str
    capacity: int
    hours: Hours
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uri": self.uri,
            "capacity": self.capacity,
            "hours": self.hours.as_json(),
            "description": self.description,
        }


def parse_site(raw: Any) -> Site:
    """`{"name": "east", "uri": "sip:10.0.0.5:5060", "capacity": 40, "hours": {…}, "description": ""}`;
    hours left out means always open (UTC)."""
    if not isinstance(raw, Mapping):
        raise SiteError("site", "must be an object with name, uri, capacity and hours")
    unknown = sorted(set(raw) - {"name", "uri", "capacity", "hours", "description"})
    if unknown:
        raise SiteError("site", f"unknown field {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not SITE_NAME_RE.match(name):
        raise SiteError("name", SITE_NAME_HINT)
    raw_uri = raw.get("uri")
    uri = raw_uri.strip() if isinstance(raw_uri, str) else ""
    match = SITE_URI_RE.match(uri)
    if match is None:
        raise SiteError("uri", SITE_URI_HINT)
    if not 1 <= int(match.group("port")) <= 65535:
        raise SiteError("uri", "The port must be between 1 and 65535.")
    capacity = raw.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        raise SiteError("capacity", f"must be a whole number of agents or trunks from 0 to {MAX_CAPACITY:,}")
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > 200:
        raise SiteError("description", "must be text of at most 200 characters")
    try:
        hours = always_open() if raw.get("hours") is None else parse_hours(raw["hours"])
    except HoursError as exc:
        raise SiteError(exc.field, exc.message) from None
    return Site(name=name, uri=uri, capacity=capacity, hours=hours, description=description.strip())


def state_of(
    site: Site,
    *,
    at: datetime,
    live: int = 0,
    answering: bool = True,
    last_offered: float | None = None,
) -> SiteState:
    return SiteState(
        site=site.name,
        open=site.hours.is_open(at),
        capacity=site.capacity,
        live=live,
        answering=answering,
        last_offered=last_offered,
    )
