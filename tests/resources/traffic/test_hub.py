"""Hub: one frame per view, the viewer's single pending slot (merge), the stall drop (4408) that
never holds up ingest or other viewers, 4401 on changed credentials, pings, resume."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from live_support import (
    ALICE,
    BOB,
    EAST1,
    EAST2,
    EAST3,
    G1,
    HQ,
    I1,
    RITA,
    T0,
    Clock,
    Socket,
    Window,
    answered,
    call,
    directory,
    ended,
    live_state,
    point,
    seized,
    settings,
    settle,
)

from resources.kit.caller import Caller
from resources.traffic.hub import Hub, Viewer
from resources.traffic.live import LiveState
from resources.traffic.scope import ViewScope

G2 = "+18005550101"


def make_hub(clock: Clock, **kw: Any) -> tuple[LiveState, Hub]:
    live = live_state(clock)
    numbers = directory()
    return live, Hub(live=live, numbers=numbers, settings=settings(**kw), clock=clock)


def watch(
    hub: Hub,
    who: Caller,
    socket: Socket,
    *,
    select: str = "all",
    since_ms: int | None = None,
    hello: bool = False,
) -> Viewer:
    scope = ViewScope.for_caller(who, hub.numbers)
    assert scope is not None
    selection = scope.selection(select)
    assert selection is not None
    return hub.attach(
        scope=scope,
        selection=selection,
        user_id=who.subject,
        send=socket.send,
        close=socket.close,
        hello={"type": "hello", "who": who.subject} if hello else None,
        since_ms=since_ms,
    )


def frame(
    stamp: int, points: list[list[int]], calls: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"type": "frame", "stamp": stamp, "points": points, "calls": calls or []}


async def test_each_view_gets_one_frame_built_once_for_all_its_viewers() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    a1, a2, r = Socket(), Socket(), Socket()
    watch(hub, ALICE, a1, hello=True)
    watch(hub, ALICE, a2)
    watch(hub, RITA, r)
    await settle()
    empty = frame(0, [point(T0 - 899, 0), point(T0, 0)])
    assert a1.messages() == [{"type": "hello", "who": "u-alice"}, empty]
    assert a2.messages() == [empty]
    assert r.messages() == [empty]

    summary = call("c1", G1, T0 + 0.4)
    live.apply([*seized(EAST1, T0), *seized(HQ, T0)], [summary], stamp_ms=clock.ms())
    assert hub.flush() == 2  # alice's view and rita's, whatever the number of viewers
    await settle()
    assert a1.frames()[-1] == frame(clock.ms(), [point(T0, 1, offered=1)], [summary])
    assert a2.texts[-1] is a1.texts[-1]  # the same text, encoded once
    assert r.frames()[-1] == frame(clock.ms(), [point(T0, 1, offered=1)])
    assert hub.stats() == {"views": 2, "viewers": 3, "frames_built": 2, "dropped_slow": 0}

    assert hub.flush() == 0  # nothing changed: nothing sent
    await settle()
    assert (len(a1.texts), len(a2.texts), len(r.texts)) == (3, 2, 2)


async def test_a_view_without_changes_gets_nothing() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    b = Socket()
    watch(hub, BOB, b)
    await settle()
    live.apply(seized(EAST3, T0), [call("c3", "+18005550102", T0)], stamp_ms=1)  # not one of bob's numbers
    assert hub.flush() == 0
    live.apply(seized(EAST2, T0), [], stamp_ms=2)
    assert hub.flush() == 1
    await settle()
    # the point is bob's view: G3's call is not in it, neither in counters nor in concurrency
    assert b.frames()[-1] == frame(2, [point(T0, 1, offered=1)])


async def test_a_selection_narrows_the_view() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    east, number = Socket(), Socket()
    watch(hub, ALICE, east, select="site:globex/east")
    watch(hub, ALICE, number, select=f"number:{G2}")
    await settle()
    live.apply([*seized(EAST1, T0), *seized(EAST2, T0), *answered(EAST2, T0, 1500)], [], stamp_ms=5)
    assert hub.flush() == 2
    await settle()
    assert east.frames()[-1] == frame(5, [point(T0, 2, offered=2, answered=1, tta_ms=1500)])
    assert number.frames()[-1] == frame(5, [point(T0, 1, offered=1, answered=1, tta_ms=1500)])


async def test_frames_offered_while_one_is_pending_merge_into_it() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    slow = Socket(gate=asyncio.Event())
    viewer = watch(hub, ALICE, slow)
    await settle()  # its first frame is being sent (blocked)
    c0, c1 = call("c0", G1, T0 + 0.1), call("c1", G1, T0 + 0.2)
    live.apply(seized(EAST1, T0), [c0, c1], stamp_ms=100)
    hub.flush()
    c1_answered = call("c1", G1, T0 + 1.3, answer=T0 + 1.3)
    live.apply(answered(EAST1, T0 + 1, 1300), [c1_answered], stamp_ms=200)
    hub.flush()
    assert viewer.merges == 1
    assert slow.gate is not None
    slow.gate.set()
    await settle()
    assert slow.frames() == [
        frame(0, [point(T0 - 899, 0), point(T0, 0)]),
        # points by second, calls by id (newest first), the newer stamp
        frame(200, [point(T0, 1, offered=1), point(T0 + 1, 1, answered=1, tta_ms=1300)], [c1_answered, c0]),
    ]


async def test_a_late_start_resends_every_later_second_of_the_view() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    socket = Socket()
    watch(hub, ALICE, socket)
    live.apply([*seized(EAST1, T0 - 10), *answered(EAST1, T0 - 6, 4000), *seized(HQ, T0 - 5)], [], stamp_ms=1)
    hub.flush()
    await settle()
    live.apply(seized(EAST2, T0 - 8), [], stamp_ms=2)  # reported late
    hub.flush()
    await settle()
    assert socket.frames()[-1] == frame(
        2, [point(T0 - 8, 2, offered=1), point(T0 - 6, 2, answered=1, tta_ms=4000)]
    )


async def test_a_stalled_viewer_is_dropped_while_the_others_get_every_frame() -> None:
    clock = Clock()
    live, hub = make_hub(clock, stall_timeout=10.0)
    fast = Socket()
    stuck = Socket(gate=asyncio.Event())
    slow_viewer = watch(hub, ALICE, stuck)
    watch(hub, ALICE, fast)

    async def run() -> None:
        for i in range(5):  # every 3 s a report (ingest) and a flush: neither waits for viewers
            live.apply(seized(EAST1, T0 + i), [], stamp_ms=1000 + i)
            hub.flush()
            await settle()
            clock.now += 3

    await asyncio.wait_for(run(), 2)
    await asyncio.wait_for(slow_viewer.done.wait(), 2)
    assert stuck.closed == (4408, "too slow: frames were not read in time")
    assert stuck.texts == []
    assert hub.dropped_slow == 1
    assert [f["points"] for f in fast.frames()] == [
        [point(T0 - 899, 0), point(T0, 0)],
        *[[point(T0 + i, i + 1, offered=1)] for i in range(5)],
    ]


async def test_disconnect_users_closes_theirs_with_4401() -> None:
    clock = Clock()
    _, hub = make_hub(clock)
    alice, bob = Socket(), Socket()
    alice_viewer = watch(hub, ALICE, alice)
    bob_viewer = watch(hub, BOB, bob)
    await settle()
    assert hub.disconnect_users(["u-bob"]) == 1
    await asyncio.wait_for(bob_viewer.done.wait(), 1)
    assert bob.closed == (4401, "your access changed: reconnect")
    assert alice.closed is None
    assert hub.disconnect_users(None) == 2  # bob's viewer stays registered until its socket detaches
    await asyncio.wait_for(alice_viewer.done.wait(), 1)
    assert alice.closed == (4401, "your access changed: reconnect")


async def test_detach_forgets_the_view_when_its_last_viewer_leaves() -> None:
    clock = Clock()
    _, hub = make_hub(clock)
    one, two = Socket(), Socket()
    first, second = watch(hub, ALICE, one), watch(hub, ALICE, two)
    assert hub.stats()["views"] == 1
    hub.detach(first)
    assert hub.stats() == {"views": 1, "viewers": 1, "frames_built": 0, "dropped_slow": 0}
    hub.detach(second)
    assert hub.views == {}
    await settle()
    assert first.task.cancelled() or first.task.done()


async def test_an_idle_viewer_is_pinged() -> None:
    clock = Clock()
    _, hub = make_hub(clock)
    hub.ping_interval = 0.05
    socket = Socket()
    watch(hub, ALICE, socket)
    await asyncio.sleep(0.2)
    assert socket.messages()[1] == {"type": "ping", "now": clock.ms()}


async def test_running_flushes_on_its_own_and_closes_viewers_on_exit() -> None:
    clock = Clock()
    live, hub = make_hub(clock, flush_interval=0.01)
    socket = Socket()
    async with hub.running():
        viewer = watch(hub, ALICE, socket)
        live.apply(seized(EAST1, T0), [], stamp_ms=9)
        for _ in range(100):
            if len(socket.frames()) == 2:
                break
            await asyncio.sleep(0.01)
        assert socket.frames()[1] == frame(9, [point(T0, 1, offered=1)])
    assert socket.closed == (1012, "the server is restarting")
    assert viewer.done.is_set()


async def test_resume_gets_exactly_what_changed_and_ends_with_the_truth() -> None:
    clock = Clock()
    live, hub = make_hub(clock)
    client = Window()
    # batch A, then the client connects and follows
    live.apply(
        [*seized(EAST1, T0 - 5), *seized(EAST2, T0 - 5), *answered(EAST1, T0 - 3, 2000)],
        [],
        stamp_ms=clock.ms(),
    )
    first = Socket()
    viewer = watch(hub, ALICE, first)
    await settle()
    clock.now += 3
    live.apply(seized(EAST1, T0 - 1), [call("c9", G1, clock.now)], stamp_ms=clock.ms())  # batch B
    hub.flush()
    await settle()
    for f in first.frames():
        client.apply(f)
    hub.detach(viewer)  # the connection drops
    since = client.stamp
    assert since == clock.ms()

    # meanwhile: more traffic, a late report in the past, another viewer drains the changes
    clock.now += 5
    other = Socket()
    watch(hub, RITA, other)
    live.apply(
        [
            *ended(EAST1, T0 + 4, talk=7),
            *seized(EAST3, T0 - 2),
            *answered(EAST2, T0 + 3, 8000),
            *seized(HQ, T0 + 4),
        ],
        [call("c9", G1, clock.now, end=clock.now, disposition="answered")],
        stamp_ms=clock.ms(),
    )
    hub.flush()

    assert live.resumable(since)
    again = Socket()
    watch(hub, ALICE, again, since_ms=since)
    await settle()
    (resumed,) = again.frames()
    # only the seconds touched since (since - 2 s): the late start re-sends each later second
    assert [p[0] for p in resumed["points"]] == [T0 - 2, T0 - 1, T0 + 3, T0 + 4]
    client.apply(resumed)

    truth_socket = Socket()
    watch(hub, ALICE, truth_socket)
    await settle()
    truth = Window()
    truth.apply(truth_socket.frames()[0])

    def data(points: dict[int, list[int]]) -> dict[int, list[int]]:
        return {s: p for s, p in points.items() if any(p[1:12])}

    assert data(client.points) == data(truth.points)
    assert data(truth.points) == {
        T0 - 5: point(T0 - 5, 2, offered=2),
        T0 - 3: point(T0 - 3, 2, answered=1, tta_ms=2000),
        T0 - 2: point(T0 - 2, 3, offered=1),
        T0 - 1: point(T0 - 1, 4, offered=1),
        T0 + 3: point(T0 + 3, 4, answered=1, tta_ms=8000),
        T0 + 4: point(T0 + 4, 3, talk_seconds=7),
    }
    assert client.calls == truth.calls
    assert json.loads(json.dumps(client.calls["c9"]))["disposition"] == "answered"
    assert I1 not in {s["number"] for s in client.calls.values()}
