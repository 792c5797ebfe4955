"""Distributions: each method's order, overflow, skipped sites, treatments, validation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from resources.callcenter.distribution import (
    Choice,
    Distribution,
    DistributionError,
    Member,
    Method,
    Rotation,
    SiteState,
    Treatment,
    choose,
    parse_distribution,
)
from resources.kit.shares import percent_bucket

SITES = ("east", "west", "south", "vm")
CLOSED = Treatment(kind="announcement", target="after-hours")
BUSY = Treatment(kind="ring-to", target="+13125550100")


def state(site: str, *, open: bool = True, capacity: int = 10, live: int = 0, **kw: Any) -> SiteState:
    return SiteState(site=site, open=open, capacity=capacity, live=live, **kw)


def dist(method: Method, *members: tuple[str, int], overflow: tuple[str, ...] = ("south",)) -> Distribution:
    return Distribution(
        name="main",
        method=method,
        members=tuple(Member(site=s, share=n) for s, n in members),
        overflow=overflow,
        after_hours=CLOSED,
        all_busy=BUSY,
    )


def test_percent_leads_with_the_call_bucket_site_and_one_call_always_gets_the_same_answer() -> None:
    d = dist(Method.PERCENT, ("east", 60), ("west", 40))
    states = {s: state(s) for s in SITES}
    firsts = Counter(choose(d, states, call_id=f"c{i}").sites[0] for i in range(2000))
    expected_east = sum(percent_bucket(f"c{i}", "main") < 6000 for i in range(2000))
    assert firsts == {"east": expected_east, "west": 2000 - expected_east}
    assert 1100 < expected_east < 1300  # the hash spreads calls (a sanity check of the oracle)
    one = choose(d, states, call_id="c7")
    assert choose(d, states, call_id="c7") == one
    assert one.sites[1:] == (("west",) if one.sites[0] == "east" else ("east",)) + ("south",)


def test_percent_spreads_an_unavailable_members_share_over_the_others() -> None:
    d = dist(Method.PERCENT, ("east", 50), ("west", 30), ("south", 20), overflow=())
    states = {s: state(s) for s in SITES} | {"east": state("east", capacity=5, live=5)}
    for i in range(500):
        choice = choose(d, states, call_id=f"x{i}")
        west_first = percent_bucket(f"x{i}", "main") < 6000  # west 30 of the 50 left
        assert choice.sites == (("west", "south") if west_first else ("south", "west"))
        assert choice.skipped == (("east", "at capacity"),)


def test_weighted_round_robin_interleaves_by_weight() -> None:
    d = dist(Method.WEIGHTED, ("a", 5), ("b", 1), ("c", 1), overflow=())
    states = {s: state(s) for s in "abc"}
    rotation = Rotation()
    leads = [choose(d, states, call_id="-", rotation=rotation).sites[0] for _ in range(14)]
    assert leads == list("aabacaa" * 2)  # nginx's smooth weighted round-robin sequence for 5:1:1
    assert choose(d, states, call_id="-", rotation=rotation).sites == ("a", "b", "c")


def test_weighted_round_robin_skips_a_closed_member_and_keeps_the_others_ratio() -> None:
    d = dist(Method.WEIGHTED, ("a", 2), ("b", 1), ("c", 1), overflow=())
    states = {s: state(s) for s in "abc"} | {"a": state("a", open=False)}
    rotation = Rotation()
    leads = [choose(d, states, call_id="-", rotation=rotation).sites[0] for _ in range(6)]
    assert leads == ["b", "c", "b", "c", "b", "c"]


def test_least_busy_orders_by_occupancy_then_size() -> None:
    d = dist(Method.LEAST_BUSY, ("east", 1), ("west", 1))
    busy = {"east": state("east", capacity=5, live=2), "west": state("west", capacity=10, live=3)}
    assert choose(d, busy | {"south": state("south")}, call_id="-").sites == ("west", "east", "south")
    tie = {"east": state("east", capacity=5, live=1), "west": state("west", capacity=10, live=2)}
    assert choose(d, tie | {"south": state("south")}, call_id="-").sites == ("west", "east", "south")


def test_least_busy_under_sustained_load_fills_both_sites_to_capacity_then_overflows_then_is_busy() -> None:
    d = dist(Method.LEAST_BUSY, ("east", 1), ("west", 1))
    live = {"east": 0, "west": 0, "south": 0}
    capacity = {"east": 5, "west": 10, "south": 2}
    for _ in range(17):
        states = {s: state(s, capacity=capacity[s], live=live[s]) for s in live}
        live[choose(d, states, call_id="-").sites[0]] += 1
    assert live == {"east": 5, "west": 10, "south": 2}
    states = {s: state(s, capacity=capacity[s], live=live[s]) for s in live}
    assert choose(d, states, call_id="-") == Choice(
        outcome="all-busy",
        sites=(),
        treatment=BUSY,
        skipped=(("east", "at capacity"), ("west", "at capacity"), ("south", "at capacity")),
    )


def test_longest_idle_offers_the_site_that_waited_longest() -> None:
    d = dist(Method.LONGEST_IDLE, ("east", 1), ("west", 1), ("south", 1), overflow=())
    states = {
        "east": state("east", last_offered=1_000.0),
        "west": state("west", last_offered=400.0),
        "south": state("south", last_offered=None),
    }
    assert choose(d, states, call_id="-").sites == ("south", "west", "east")


def test_every_site_closed_gets_the_after_hours_treatment() -> None:
    d = dist(Method.LEAST_BUSY, ("east", 1), ("west", 1))
    states = {s: state(s, open=False) for s in SITES}
    assert choose(d, states, call_id="-") == Choice(
        outcome="after-hours",
        sites=(),
        treatment=CLOSED,
        skipped=(("east", "closed"), ("west", "closed"), ("south", "closed")),
    )


def test_closed_and_busy_together_are_all_busy_and_an_unknown_site_is_not_answering() -> None:
    d = dist(Method.LEAST_BUSY, ("east", 1), ("west", 1))
    states = {"east": state("east", open=False), "west": state("west", answering=False)}
    assert choose(d, states, call_id="-") == Choice(
        outcome="all-busy",
        sites=(),
        treatment=BUSY,
        skipped=(("east", "closed"), ("west", "not answering"), ("south", "not answering")),
    )


def test_a_closed_member_overflows_to_the_chain() -> None:
    d = dist(Method.PERCENT, ("east", 100))
    states = {"east": state("east", open=False), "south": state("south")}
    assert choose(d, states, call_id="c1") == Choice(
        outcome="route", sites=("south",), treatment=None, skipped=(("east", "closed"),)
    )


RAW = {
    "name": "main",
    "method": "percent",
    "members": [{"site": "east", "share": 60}, {"site": "west", "share": 40}],
    "overflow": ["south"],
    "after_hours": {"kind": "voicemail", "target": "vm"},
    "all_busy": {"kind": "ring-to", "target": "+13125550100"},
}


def test_parse_and_as_json_round_trip() -> None:
    parsed = parse_distribution(RAW, sites=SITES)
    assert parsed == Distribution(
        name="main",
        method=Method.PERCENT,
        members=(Member("east", 60), Member("west", 40)),
        overflow=("south",),
        after_hours=Treatment("voicemail", "vm"),
        all_busy=Treatment("ring-to", "+13125550100"),
    )
    assert parsed.as_json() == RAW
    assert parse_distribution(
        {"name": "lb", "method": "least-busy", "members": [{"site": "east"}]}, sites=SITES
    ) == (Distribution(name="lb", method=Method.LEAST_BUSY, members=(Member("east", 1),)))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"name": "Main"},
            "name",
            "1-40 lowercase letters, digits and hyphens, starting with a letter or digit",
        ),
        ({"method": "random"}, "method", "must be one of percent, weighted, least-busy, longest-idle"),
        ({"members": []}, "members", "must list at least one site"),
        (
            {"members": [{"site": "north", "share": 100}]},
            "members[0].site",
            "'north' is not one of your sites",
        ),
        (
            {"members": [{"site": "east", "share": 50}, {"site": "east", "share": 50}]},
            "members[1].site",
            "'east' is listed twice",
        ),
        (
            {"members": [{"site": "east", "share": 60}, {"site": "west", "share": 30}]},
            "members",
            "percent shares must total 100 (they total 90)",
        ),
        (
            {"members": [{"site": "east", "share": 0}]},
            "members[0].share",
            "must be a whole number from 1 to 100",
        ),
        (
            {"members": [{"site": "east", "share": True}]},
            "members[0].share",
            "must be a whole number from 1 to 100",
        ),
        (
            {"method": "least-busy", "members": [{"site": "east", "share": 5}]},
            "members[0].share",
            "least-busy takes no shares (leave share out)",
        ),
        (
            {"method": "weighted", "members": [{"site": "east", "share": 1001}]},
            "members[0].share",
            "must be a whole number from 1 to 1000",
        ),
        ({"overflow": ["east"]}, "overflow[0]", "'east' is already a member"),
        ({"overflow": ["south", "south"]}, "overflow[1]", "'south' is listed twice"),
        ({"overflow": ["mars"]}, "overflow[0]", "'mars' is not one of your sites"),
        (
            {"after_hours": {"kind": "music", "target": "x"}},
            "after_hours.kind",
            "must be one of announcement, ring-to, voicemail",
        ),
        (
            {"all_busy": {"kind": "ring-to", "target": "3125550100"}},
            "all_busy.target",
            "'3125550100' is not an E.164 number such as +13125550100",
        ),
        (
            {"after_hours": {"kind": "voicemail", "target": "mars"}},
            "after_hours.target",
            "'mars' is not one of your sites",
        ),
        (
            {"after_hours": {"kind": "voicemail"}},
            "after_hours",
            "must be an object with kind and target, or null",
        ),
        ({"colour": "red"}, "distribution", "unknown field 'colour'"),
    ],
)
def test_bad_distributions_name_the_field_and_the_problem(
    change: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(DistributionError) as caught:
        parse_distribution(RAW | change, sites=SITES)
    assert (caught.value.field, caught.value.message) == (field, message)
