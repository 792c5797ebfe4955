"""Sites near their capacity become conditions for the event monitor (capacity.py): raised at
90 %, major when full, ended below 80 %, nothing in between, said again every 60 s."""

from __future__ import annotations

from typing import Any

from resources.callcenter.capacity import CapacityWatch
from resources.callcenter.service import Config
from resources.callcenter.sites import parse_site
from resources.events.intake import parse_condition


def config(**capacities: int) -> Config:
    sites = {
        n: parse_site({"name": n, "uri": f"sip:10.0.0.1:{5000 + c}", "capacity": c})
        for n, c in capacities.items()
    }
    return Config(sites=sites, distributions={})


def check(watch: CapacityWatch, live: dict[str, int], now: float, **capacities: int) -> list[tuple[Any, ...]]:
    out = watch.check(
        {"globex": config(**capacities)},
        live=lambda customer, site: live.get(site, 0),
        resellers=lambda customer: ("acme",),
        now=now,
    )
    return [(c["alarmed_object"], c["severity"], c["active"], c["specific_problem"]) for c in out]


def test_raise_at_ninety_percent_major_when_full_clear_below_eighty() -> None:
    watch = CapacityWatch()
    assert check(watch, {"east": 8}, 0.0, east=10, vm=0) == []
    assert check(watch, {"east": 9}, 1.0, east=10, vm=0) == [
        ("site:east", "warning", True, "Site east has 9 of 10 calls up (90% of its capacity)")
    ]
    assert check(watch, {"east": 9}, 2.0, east=10) == []  # the same band: said once
    assert check(watch, {"east": 10}, 3.0, east=10) == [
        ("site:east", "major", True, "Site east has 10 of 10 calls up (100% of its capacity)")
    ]
    assert check(watch, {"east": 8}, 4.0, east=10) == []  # 80 %: between the two, nothing changes
    assert check(watch, {"east": 8}, 64.0, east=10) == []  # not active any more by figures: no re-say
    assert check(watch, {"east": 7}, 65.0, east=10) == [
        ("site:east", "major", False, "Site east has 7 of 10 calls up (70% of its capacity)")
    ]


def test_an_active_condition_is_said_again_every_minute_and_ends_when_the_site_goes() -> None:
    watch = CapacityWatch()
    assert len(check(watch, {"east": 5}, 0.0, east=5)) == 1
    assert check(watch, {"east": 5}, 59.0, east=5) == []
    assert [c[2] for c in check(watch, {"east": 5}, 60.0, east=5)] == [True]
    assert check(watch, {}, 61.0, west=5) == [
        ("site:east", "major", False, "Site east is no longer watched for capacity")
    ]


def test_the_condition_names_the_customer_and_its_resellers() -> None:
    watch = CapacityWatch()
    [payload] = watch.check(
        {"globex": config(east=1)}, live=lambda c, s: 1, resellers=lambda c: ("acme",), now=12.5
    )
    assert payload == {
        "customer_id": "globex",
        "resellers": ["acme"],
        "alarmed_object": "site:east",
        "probable_cause": "nearCapacity",
        "alarm_type": "qualityOfServiceAlarm",
        "severity": "major",
        "specific_problem": "Site east has 1 of 1 calls up (100% of its capacity)",
        "active": True,
        "at": 12.5,
        "source": "callcenter",
    }
    # the event monitor takes it as it is
    assert parse_condition(payload).alarmed_object == "site:east"
