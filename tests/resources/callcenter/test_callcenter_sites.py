"""Sites: parsing with field errors, and the state a routing decision reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from resources.callcenter.distribution import Distribution, Member, Method, SiteState, choose
from resources.callcenter.sites import Site, SiteError, parse_site, state_of
from resources.kit.hours import always_open, closed_rest_of_day, parse_hours

EAST = {
    "name": "east",
    "uri": "sip:10.0.0.5:5060;transport=tcp",
    "capacity": 5,
    "hours": {"zone": "America/New_York", "weekly": {"mon": ["08:00-17:00"]}},
    "description": " New York floor ",
}


def test_parse_site_and_back() -> None:
    site = parse_site(EAST)
    assert site == Site(
        name="east",
        uri="sip:10.0.0.5:5060;transport=tcp",
        capacity=5,
        hours=parse_hours(EAST["hours"]),
        description="New York floor",
    )
    assert parse_site(site.as_json()) == site
    assert parse_site({"name": "west", "uri": "sip:[::1]:5071", "capacity": 0}).hours == always_open()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "East"}, "name", "A site name is 1 to 32 lowercase letters, digits or dashes, like east."),
        (
            {"uri": "10.0.0.5:5060"},
            "uri",
            "Give the site as sip:host:port, optionally ;transport=udp or tcp.",
        ),
        ({"uri": "sip:10.0.0.5:70000"}, "uri", "The port must be between 1 and 65535."),
        ({"capacity": -1}, "capacity", "must be a whole number of agents or trunks from 0 to 100,000"),
        ({"capacity": 2.5}, "capacity", "must be a whole number of agents or trunks from 0 to 100,000"),
        ({"description": "x" * 201}, "description", "must be text of at most 200 characters"),
        (
            {"hours": {"zone": "UTC", "weekly": {"mon": ["9-5"]}}},
            "hours.weekly.mon[0]",
            '\'9-5\' is not "HH:MM-HH:MM" (24-hour clock, e.g. "08:00-17:30")',
        ),
        ({"agents": 4}, "site", "unknown field 'agents'"),
    ],
)
def test_bad_sites_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_site(EAST | change)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_state_of_a_site_reads_its_hours_at_the_instant() -> None:
    site = parse_site(EAST)
    monday_9am = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert state_of(site, at=monday_9am, live=3, last_offered=12.5) == SiteState(
        site="east", open=True, capacity=5, live=3, answering=True, last_offered=12.5
    )
    assert state_of(site, at=datetime(2026, 12, 7, 23, 0, tzinfo=UTC)).open is False


def test_east_closing_early_sends_its_calls_to_west() -> None:
    """'east closes early today': the same call, before and after, through the real pieces."""
    east = parse_site(EAST)
    west = parse_site({"name": "west", "uri": "sip:10.0.0.6:5060", "capacity": 10})
    d = Distribution(name="main", method=Method.LEAST_BUSY, members=(Member("east", 1), Member("west", 1)))
    at = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
    states = {s.name: state_of(s, at=at, live=0) for s in (east, west)}
    assert choose(d, states, call_id="c1").sites == ("west", "east")  # both idle: the larger first
    closed = Site(east.name, east.uri, east.capacity, closed_rest_of_day(east.hours, at=at, reason="early"))
    states["east"] = state_of(closed, at=at)
    choice = choose(d, states, call_id="c1")
    assert (choice.sites, choice.skipped) == (("west",), (("east", "closed"),))
