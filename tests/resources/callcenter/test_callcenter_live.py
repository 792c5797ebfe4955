"""Live calls per site: traffic's reports, the router's own offers, and how they meet."""

from __future__ import annotations

from resources.callcenter.live import Occupancy


def count(o: Occupancy, site: str, now: float = 100.0) -> int:
    return o.live(customer_id="globex", site=site, now=now)


def test_an_offer_counts_until_traffic_reports_the_call_then_traffic_decides() -> None:
    o = Occupancy(pending_seconds=30)
    o.offered(customer_id="globex", site="east", call_id="c1", now=100.0)
    assert (count(o, "east", 129.9), o.last_offered(customer_id="globex", site="east")) == (1, 100.0)
    # traffic: the call is up at west (the switch failed over before reporting)
    o.reported([{"call_id": "c1", "customer_id": "globex", "site": "west", "end": None}])
    assert (count(o, "east"), count(o, "west", 500.0)) == (0, 1)  # reported calls do not lapse
    o.offered(customer_id="globex", site="east", call_id="c1", now=101.0)  # a late offer changes nothing
    assert (count(o, "east"), count(o, "west")) == (0, 1)
    o.reported([{"call_id": "c1", "customer_id": "globex", "site": "west", "end": 160.0}])
    assert (count(o, "east"), count(o, "west")) == (0, 0)


def test_offers_lapse_and_customers_are_apart() -> None:
    o = Occupancy(pending_seconds=30)
    o.offered(customer_id="globex", site="east", call_id="c1", now=100.0)
    o.offered(customer_id="initech", site="east", call_id="c2", now=100.0)
    assert (count(o, "east", 129.0), o.live(customer_id="initech", site="east", now=129.0)) == (1, 1)
    assert count(o, "east", 130.0) == 0


def test_malformed_reports_are_skipped() -> None:
    o = Occupancy(pending_seconds=30)
    o.reported(
        [
            {"call_id": 5, "customer_id": "globex", "site": "east", "end": None},
            {"call_id": "c1", "customer_id": None, "site": "east", "end": None},
            {"call_id": "c2", "customer_id": "globex", "site": "", "end": None},
            {"call_id": "c3", "customer_id": "globex", "site": "east", "end": None},
        ]
    )
    assert count(o, "east") == 1
