"""LiveState: per-second slots, the ring's edges, concurrency (incl. calls begun before the window
and late reports), touched stamps for resume, recent calls and bucket peaks."""

from __future__ import annotations

import pytest
from live_support import (
    EAST1,
    EAST2,
    EAST3,
    HQ,
    T0,
    WEST1,
    Clock,
    answered,
    c,
    call,
    ended,
    live_state,
    point,
    seized,
)

from resources.traffic.live import Changes, LiveState
from resources.traffic.model import FIELD_INDEX, NFIELDS, Key


def everything(key: Key) -> bool:
    return True


def vec(**counts: int) -> tuple[int, ...]:
    out = [0] * NFIELDS
    for name, v in counts.items():
        out[FIELD_INDEX[name]] = v
    return tuple(out)


def test_contributions_land_in_their_second_and_key() -> None:
    live = live_state(Clock())
    live.apply(
        [*seized(EAST1, T0 - 10), *seized(EAST2, T0 - 10), *answered(EAST1, T0 - 8, 2000)],
        [],
        stamp_ms=1000,
    )
    live.apply([*ended(EAST1, T0 - 2, talk=6), c(EAST1, T0 - 10, "offered")], [], stamp_ms=2000)
    assert live.vector(EAST1, T0 - 10) == vec(offered=2, starts=1)
    assert live.vector(EAST2, T0 - 10) == vec(offered=1, starts=1)
    assert live.vector(EAST1, T0 - 8) == vec(answered=1, tta_ms=2000)
    assert live.vector(EAST1, T0 - 2) == vec(talk_seconds=6, ends=1)
    assert live.vector(EAST1, T0 - 9) == vec()
    assert live.seconds() == [T0 - 10, T0 - 8, T0 - 2]
    assert (live.concurrency(EAST1), live.concurrency(EAST2), live.concurrency(WEST1)) == (0, 1, 0)
    assert live.stamp_ms == 2000
    assert live.origin_ms == 1000


def test_the_ring_keeps_window_plus_sixty_seconds_and_late_starts_still_count() -> None:
    clock = Clock()  # now = T0; the ring is T0 - 959 … T0 + 60
    live = live_state(clock)
    live.apply(
        [
            c(EAST1, T0 - 959, "offered"),  # the oldest second kept
            c(EAST1, T0 - 960, "offered"),  # too old: persisted by ingest, not kept here
            c(WEST1, T0 - 2000, "starts"),  # too old, but the call is still in progress
            c(EAST1, T0 + 60, "offered"),  # a clock a minute ahead
            c(EAST1, T0 + 61, "offered"),  # further: ignored
        ],
        [],
        stamp_ms=1,
    )
    assert live.seconds() == [T0 - 959, T0 + 60]
    assert live.ignored == 3
    assert live.concurrency(WEST1) == 1
    assert live.points(everything, [T0 - 959], anchors=[T0]) == [
        point(T0 - 959, 1, offered=1),
        point(T0, 1),
    ]


def test_concurrency_per_second_counts_calls_begun_before_the_window() -> None:
    live = live_state(Clock())
    live.apply(
        [
            c(WEST1, T0 - 2000, "starts"),  # began 33 minutes ago, still talking
            *seized(EAST1, T0 - 10),
            *seized(EAST2, T0 - 10),
            *answered(EAST1, T0 - 8, 2000),
            *ended(EAST1, T0 - 2, talk=6),
        ],
        [],
        stamp_ms=1,
    )
    assert live.points(everything, [T0 - 10, T0 - 8, T0 - 2]) == [
        point(T0 - 10, 3, offered=2),
        point(T0 - 8, 3, answered=1, tta_ms=2000),
        point(T0 - 2, 2, talk_seconds=6),
    ]
    # a view sums only its keys; seconds where it has nothing are left out
    assert live.points(lambda k: k == EAST1, [T0 - 10, T0 - 8, T0 - 2, T0 - 5]) == [
        point(T0 - 10, 1, offered=1),
        point(T0 - 8, 1, answered=1, tta_ms=2000),
        point(T0 - 2, 0, talk_seconds=6),
    ]
    # the whole window: its first and current second are always there
    assert live.window_points(everything) == [
        point(T0 - 899, 1),
        point(T0 - 10, 3, offered=2),
        point(T0 - 8, 3, answered=1, tta_ms=2000),
        point(T0 - 2, 2, talk_seconds=6),
        point(T0, 2),
    ]


def test_a_late_start_moves_the_concurrency_of_every_later_second() -> None:
    live = live_state(Clock())
    live.apply(
        [*seized(EAST1, T0 - 10), *answered(EAST1, T0 - 8, 2000), *ended(EAST1, T0 - 2, talk=6)],
        [],
        stamp_ms=10_000,
    )
    live.drain()
    live.apply(seized(EAST3, T0 - 9), [], stamp_ms=20_000)  # a report that arrived late
    changes = live.drain()
    assert changes.seconds == {EAST3: {T0 - 9}}
    assert changes.concurrency_from == {EAST3: T0 - 9}
    assert changes.stamp_ms == 20_000
    assert live.points(everything, live.seconds_from(T0 - 10)) == [
        point(T0 - 10, 1, offered=1),
        point(T0 - 9, 2, offered=1),
        point(T0 - 8, 2, answered=1, tta_ms=2000),
        point(T0 - 2, 1, talk_seconds=6),
    ]
    # every second from the late start on was touched again; the one before was not
    assert live.touched_since(21_000) == {T0 - 9, T0 - 8, T0 - 2}
    assert live.touched_since(22_001) == set()
    assert live.touched_since(12_000) == {T0 - 10, T0 - 9, T0 - 8, T0 - 2}


def test_an_end_older_than_the_ring_changes_every_second_of_it() -> None:
    live = live_state(Clock())
    live.apply([c(EAST1, T0 - 3000, "starts"), *seized(EAST2, T0 - 5)], [], stamp_ms=1)
    live.drain()
    live.apply([c(EAST1, T0 - 1000, "ends")], [], stamp_ms=2)
    changes = live.drain()
    assert changes.seconds == {}
    assert changes.concurrency_from == {EAST1: T0 - 959}
    assert live.concurrency(EAST1) == 0
    assert live.points(everything, [T0 - 5]) == [point(T0 - 5, 1, offered=1)]
    assert live.touched_since(2 + 2000) == {T0 - 5}


def test_pruning_forgets_old_seconds_but_not_the_calls_in_progress() -> None:
    clock = Clock()
    live = live_state(clock)
    live.apply([*seized(EAST1, T0 - 10), *seized(EAST1, T0 - 9), *ended(EAST1, T0 - 2)], [], stamp_ms=1)
    clock.now = T0 + 950.5  # the ring now starts at T0 - 9
    live.apply([], [], stamp_ms=2)
    assert live.seconds() == [T0 - 9, T0 - 2]
    assert live.concurrency(EAST1) == 1
    assert live.points(everything, [T0 - 9, T0 - 2]) == [
        point(T0 - 9, 2, offered=1),
        point(T0 - 2, 1),
    ]


def test_drain_hands_over_the_changes_once() -> None:
    live = live_state(Clock())
    summary = call("a", "+18005550100", T0 + 0.25)
    live.apply(seized(EAST1, T0), [summary], stamp_ms=7)
    first = live.drain()
    assert first.seconds == {EAST1: {T0}}
    assert first.calls == {"a": (EAST1, summary)}
    assert bool(first)
    second = live.drain()
    assert second == Changes(stamp_ms=7)
    assert not second


def test_recent_calls_keep_the_newest_per_key_and_ignore_older_pictures() -> None:
    live = LiveState(window=900, clock=Clock(), recent_calls=2)
    g1 = "+18005550100"
    a, b, d = call("a", g1, 1.0), call("b", g1, 2.0), call("d", g1, 3.0)
    live.apply([], [a, b, d], stamp_ms=1)
    assert [s["call_id"] for s in live.recent_calls(everything, 10)] == ["d", "b"]
    live.apply([], [call("b", g1, 1.5, disposition="busy")], stamp_ms=2)  # older than what we have
    assert live.recent_calls(everything, 10)[1]["disposition"] is None
    live.apply([], [call("b", g1, 4.0, disposition="busy")], stamp_ms=3)
    assert [(s["call_id"], s["disposition"]) for s in live.recent_calls(everything, 10)] == [
        ("b", "busy"),
        ("d", None),
    ]
    # a call whose site became known moves to that key
    live.apply([], [call("d", g1, 5.0, site="west")], stamp_ms=4)
    assert [s["call_id"] for s in live.recent_calls(lambda k: k.site == "east", 10)] == ["b"]
    assert [s["call_id"] for s in live.recent_calls(lambda k: k.site == "west", 10)] == ["d"]
    assert [s["call_id"] for s in live.recent_calls(everything, 1)] == ["d"]


def test_peaks_per_bucket_include_the_concurrency_carried_in() -> None:
    clock = Clock(now=T0 + 400.5)
    live = live_state(clock)
    live.apply(
        [
            c(WEST1, T0 - 500, "starts"),  # talking through both buckets
            *seized(EAST1, T0 + 10),
            *seized(EAST1, T0 + 20),
            *ended(EAST1, T0 + 30),
            *ended(EAST1, T0 + 310),
            *seized(EAST2, T0 + 320),
            *seized(HQ, T0 - 100),
            *ended(HQ, T0 - 50),
        ],
        [],
        stamp_ms=1,
    )
    assert live.peaks(300, {T0, T0 + 300}) == {
        (T0, EAST1): 2,
        (T0, WEST1): 1,
        (T0 + 300, EAST1): 1,
        (T0 + 300, EAST2): 1,
        (T0 + 300, WEST1): 1,
    }
    assert live.peaks(300, {T0 - 300}) == {(T0 - 300, HQ): 1, (T0 - 300, WEST1): 1}
    assert live.peaks(300, set()) == {}


def test_resumable_only_within_what_this_state_collected_and_the_window() -> None:
    clock = Clock()
    live = live_state(clock)
    assert not live.resumable(clock.ms())
    first = clock.ms()
    live.apply(seized(EAST1, T0), [], stamp_ms=first)
    assert live.resumable(first + 2000)
    assert not live.resumable(first + 1999)  # it may predate what this state has seen
    clock.now += 905
    later = clock.ms()
    live.apply([], [], stamp_ms=later)
    assert not live.resumable(first + 2000)  # older than the window
    assert live.resumable(later)
    assert live.resumable(later + 2000)
    assert not live.resumable(later + 2001)  # a stamp this state never gave


def test_clear_forgets_everything() -> None:
    live = live_state(Clock())
    live.apply(seized(EAST1, T0), [call("a", "+18005550100", 1.0)], stamp_ms=5)
    live.clear()
    assert live.seconds() == []
    assert live.concurrency(EAST1) == 0
    assert live.recent_calls(everything, 5) == []
    assert live.origin_ms is None
    assert not live.drain()


def test_stats() -> None:
    live = live_state(Clock())
    live.apply([*seized(EAST1, T0), c(EAST2, 1, "starts")], [call("a", "+18005550100", 1.0)], stamp_ms=5)
    assert live.stats() == {
        "seconds": 1,
        "keys": 2,
        "in_progress": 2,
        "calls": 1,
        "ignored": 1,
        "stamp_ms": 5,
    }


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        LiveState(window=0, clock=Clock())
