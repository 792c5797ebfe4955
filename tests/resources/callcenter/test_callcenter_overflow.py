"""Overflowed calls per site over a rolling 15-minute window (overflow.py)."""

from __future__ import annotations

from resources.callcenter.overflow import Overflows, SiteOverflow


def test_sites_passed_by_count_per_reason_and_the_first_site_received_the_call() -> None:
    o = Overflows()
    passed = [("east", "closed"), ("west", "at capacity")]
    o.record(customer_id="globex", skipped=passed, first="south", now=600.0)
    o.record(customer_id="globex", skipped=[("east", "closed")], first="west", now=610.0)
    o.record(customer_id="globex", skipped=[("east", "not answering")], first=None, now=620.0)
    o.record(customer_id="globex", skipped=[], first="east", now=630.0)  # nothing overflowed
    o.record(customer_id="initech", skipped=[("east", "closed")], first="west", now=630.0)
    assert o.of(customer_id="globex", site="east", now=630.0) == SiteOverflow(closed=2, not_answering=1)
    assert o.of(customer_id="globex", site="west", now=630.0) == SiteOverflow(at_capacity=1, received=1)
    assert o.of(customer_id="globex", site="south", now=630.0) == SiteOverflow(received=1)
    assert o.of(customer_id="globex", site="east", now=630.0).overflowed == 3
    assert o.of(customer_id="globex", site="north", now=630.0) == SiteOverflow()


def test_minutes_older_than_the_window_no_longer_count() -> None:
    o = Overflows()
    o.record(customer_id="globex", skipped=[("east", "closed")], first="west", now=0.0)  # minute 0
    o.record(customer_id="globex", skipped=[("east", "closed")], first="west", now=300.0)  # minute 5
    assert o.of(customer_id="globex", site="east", now=899.0).closed == 2  # minute 14: both in
    assert o.of(customer_id="globex", site="east", now=900.0).closed == 1  # minute 15: minute 0 out
    assert o.of(customer_id="globex", site="west", now=1199.0).received == 1  # minute 19: minute 5 in
    assert o.of(customer_id="globex", site="west", now=1200.0).received == 0  # minute 20: out
