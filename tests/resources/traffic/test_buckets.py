"""bucket_increments: 5-minute rows from contributions, boundaries and late events."""

from __future__ import annotations

import pytest
from traffic_builders import EAST, T0, WEST, Calls, contribution, event, vector

from resources.traffic.buckets import bucket_increments, bucket_start

B0 = int(T0)  # 09:00:00


def test_a_call_across_the_boundary_lands_in_two_buckets() -> None:
    # seized 09:04:59.9, ended 09:05:00.0
    calls = Calls()
    calls.feed([event("routed", 299.9, site="east"), event("ended", 300.0, sip_code=487)])
    assert bucket_increments(calls.contributions, bucket_seconds=300) == {
        (B0, EAST): vector({"offered": 1, "starts": 1}),
        (B0 + 300, EAST): vector({"short": 1, "ends": 1}),
    }


def test_sums_per_bucket_and_key() -> None:
    contributions = [
        contribution(EAST, 0, "offered", 1),
        contribution(EAST, 299, "offered", 1),
        contribution(EAST, 299, "talk_seconds", 40),
        contribution(WEST, 10, "offered", 1),
        contribution(EAST, 300, "offered", 1),
        contribution(EAST, 301, "talk_seconds", 2),
    ]
    assert bucket_increments(contributions, bucket_seconds=300) == {
        (B0, EAST): vector({"offered": 2, "talk_seconds": 40}),
        (B0, WEST): vector({"offered": 1}),
        (B0 + 300, EAST): vector({"offered": 1, "talk_seconds": 2}),
    }
    assert bucket_increments(contributions, bucket_seconds=60) == {
        (B0, EAST): vector({"offered": 1}),
        (B0 + 240, EAST): vector({"offered": 1, "talk_seconds": 40}),
        (B0, WEST): vector({"offered": 1}),
        (B0 + 300, EAST): vector({"offered": 1, "talk_seconds": 2}),
    }


def test_late_events_land_in_the_bucket_of_their_own_time() -> None:
    calls = Calls()
    # reported a day later: still the 09:00 and 09:05 buckets
    calls.feed([event("routed", 290.0, site="east"), event("failed", 310.0, sip_code=486)], now=T0 + 86_400)
    assert bucket_increments(calls.contributions, bucket_seconds=300) == {
        (B0, EAST): vector({"offered": 1, "starts": 1}),
        (B0 + 300, EAST): vector({"busy": 1, "ends": 1}),
    }


def test_nothing_in_nothing_out() -> None:
    assert bucket_increments([], bucket_seconds=300) == {}


def test_bucket_start() -> None:
    assert bucket_start(B0 + 299, bucket_seconds=300) == B0
    assert bucket_start(B0 + 300, bucket_seconds=300) == B0 + 300
    assert bucket_start(B0 - 1, bucket_seconds=300) == B0 - 300


def test_bucket_seconds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bucket_seconds must be positive"):
        bucket_increments([contribution(EAST, 0, "offered", 1)], bucket_seconds=0)
