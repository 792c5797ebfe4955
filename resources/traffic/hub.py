"""`Hub`: pushes coalesced live frames to websocket viewers.

Every `flush_interval` the flush loop drains the `LiveState`'s changes and, for each distinct
view (scope, selection) that has viewers, builds one frame — absolute values of every second
that changed in it (a start or end moves the concurrency of each later second too) and the calls
that changed — and offers it to each viewer of that view.

A viewer has one pending slot: a frame offered while one is pending is merged into it (points by
second, calls by id), and the viewer's own task sends. Nothing the flush loop or ingest does ever
waits for a viewer. A viewer whose send has not completed within `stall_timeout`, or whose
pending frame has waited that long, is closed with 4408; `disconnect_users` closes viewers with
4401 (their entitlements changed: the browser reconnects and gets fresh ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any

from resources.traffic.live import Changes, LiveState
from resources.traffic.model import Key
from resources.traffic.scope import Directory, Selection, ViewScope
from resources.traffic.settings import TrafficSettings

log = logging.getLogger("resources.traffic")

CLOSE_CREDENTIALS = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_RESTART = 1012
PING_INTERVAL = 15.0
SHUTDOWN_GRACE = 1.0  # seconds viewers get to receive their close at shutdown

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]
CallSummary = dict[str, Any]


class Frame:
    """One `{"type": "frame"}` message; its JSON text is built once and shared by every viewer
    of the view."""

    __slots__ = ("_text", "calls", "points", "stamp")

    def __init__(
        self, *, stamp: int, points: Mapping[int, list[int]], calls: Mapping[str, CallSummary]
    ) -> None:
        self.stamp = stamp
        self.points = points
        self.calls = calls
        self._text: str | None = None

    @classmethod
    def build(cls, *, stamp: int, points: list[list[int]], calls: list[CallSummary]) -> Frame:
        return cls(stamp=stamp, points={p[0]: p for p in points}, calls={str(c["call_id"]): c for c in calls})

    def merged(self, newer: Frame, *, limit: int) -> Frame:
        calls = {**self.calls, **newer.calls}
        if len(calls) > limit:
            calls = dict(sorted(calls.items(), key=lambda kv: _updated(kv[1]), reverse=True)[:limit])
        return Frame(stamp=max(self.stamp, newer.stamp), points={**self.points, **newer.points}, calls=calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "frame",
            "stamp": self.stamp,
            "points": [self.points[s] for s in sorted(self.points)],
            "calls": sorted(self.calls.values(), key=_updated, reverse=True),
        }

    def text(self) -> str:
        if self._text is None:
            self._text = json.dumps(self.as_json(), separators=(",", ":"))
        return self._text


def _updated(summary: Mapping[str, Any]) -> float:
    value = summary.get("updated")
    return float(value) if isinstance(value, int | float) else 0.0


class View:
    """A scope and a selection; key membership is cached per directory version."""

    def __init__(self, scope: ViewScope, selection: Selection, directory: Directory) -> None:
        self.scope = scope
        self.selection = selection
        self.directory = directory
        self.viewers: set[Viewer] = set()
        self._cache: dict[Key, bool] = {}
        self._version = directory.version

    def refresh(self) -> None:
        if self._version != self.directory.version:
            self._version = self.directory.version
            self._cache.clear()

    def contains(self, key: Key) -> bool:
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self.scope.contains(key) and self.selection.contains(key)
        return hit


class Viewer:
    """One websocket: the hub offers frames; its own task sends them (hello first)."""

    def __init__(
        self,
        *,
        hub: Hub,
        view: View,
        user_id: str,
        send: Send,
        close: Close,
        first: list[str],
        frame: Frame | None,
    ) -> None:
        self.hub = hub
        self.view = view
        self.user_id = user_id
        self._send = send
        self._close = close
        self._first = first
        self.pending: Frame | None = frame
        self.pending_since: float | None = hub.clock() if frame is not None else None
        self.sending_since: float | None = None
        self.closing: tuple[int, str] | None = None
        self.stalled = False
        self.sent = 0
        self.merges = 0
        self.done = asyncio.Event()
        self._wake = asyncio.Event()
        self._closer: asyncio.Task[None] | None = None
        self.task = asyncio.create_task(self._run(), name=f"traffic-viewer-{user_id}")

    def offer(self, frame: Frame, now: float) -> None:
        if self.closing is not None:
            return
        if self.pending is None:
            self.pending, self.pending_since = frame, now
        else:
            self.pending = self.pending.merged(frame, limit=self.hub.recent_calls)
            self.merges += 1
        self._wake.set()

    def close(self, code: int, reason: str) -> None:
        """Close after the send in progress (if any); the stall check still applies to it."""
        if self.closing is not None:
            return
        self.closing = (code, reason)
        self.pending = self.pending_since = None
        self._wake.set()

    def stall(self) -> None:
        """Too slow: abandon the send in progress and close with 4408."""
        if self.stalled:
            return
        self.stalled = True
        self.closing = (CLOSE_TOO_SLOW, "too slow: frames were not read in time")
        self.pending = self.pending_since = None
        self.task.cancel()
        self._closer = asyncio.create_task(self._close_now(*self.closing), name="traffic-viewer-close")

    def stalled_at(self, now: float, limit: float) -> bool:
        since = self.sending_since if self.sending_since is not None else self.pending_since
        return since is not None and now - since > limit

    async def _deliver(self, text: str) -> None:
        self.sending_since = self.hub.clock()
        await self._send(text)
        self.sending_since = None
        self.sent += 1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            for text in self._first:
                await self._deliver(text)
            last = loop.time()
            while True:
                if self.closing is not None:
                    await self._close(*self.closing)
                    return
                frame = self.pending
                if frame is None:
                    idle = self.hub.ping_interval - (loop.time() - last)
                    if idle <= 0:
                        now_ms = math.floor(self.hub.clock() * 1000)
                        await self._deliver(json.dumps({"type": "ping", "now": now_ms}))
                        last = loop.time()
                        continue
                    # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(idle):
                            await self._wake.wait()
                    self._wake.clear()
                    continue
                self.pending = self.pending_since = None
                await self._deliver(frame.text())
                last = loop.time()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket went away; the endpoint notices too
            log.debug("live viewer %s: send failed: %r", self.user_id, exc)
        finally:
            if self._closer is None:
                self.done.set()

    async def _close_now(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(self.hub.stall_timeout):
                await self._close(code, reason)
        except Exception as exc:
            log.debug("live viewer %s: close %s failed: %r", self.user_id, code, exc)
        finally:
            self.done.set()

    def cancel(self) -> None:
        self.task.cancel()
        if self._closer is not None:
            self._closer.cancel()


class Hub:
    def __init__(
        self,
        *,
        live: LiveState,
        numbers: Directory,
        settings: TrafficSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.live = live
        self.numbers = numbers
        self.clock = clock
        self.flush_interval = settings.flush_interval
        self.stall_timeout = settings.stall_timeout
        self.recent_calls = settings.recent_calls
        self.ping_interval = PING_INTERVAL
        self.views: dict[tuple[ViewScope, str], View] = {}
        self.frames_built = 0
        self.dropped_slow = 0

    # -- viewers ---------------------------------------------------------------------------

    def attach(
        self,
        *,
        scope: ViewScope,
        selection: Selection,
        user_id: str,
        send: Send,
        close: Close,
        hello: Mapping[str, Any] | None = None,
        since_ms: int | None = None,
    ) -> Viewer:
        """Register a viewer; its task sends `hello`, then the first frame: the whole window, or
        (`since_ms`, already checked with `live.resumable`) every second touched since then."""
        key = (scope, selection.value)
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = View(scope, selection, self.numbers)
        view.refresh()
        live = self.live
        if since_ms is None:
            points = live.window_points(view.contains)
        else:
            points = live.points(view.contains, live.touched_since(since_ms), low=live.window_start())
        calls = live.recent_calls(view.contains, self.recent_calls)
        frame = Frame.build(stamp=live.stamp_ms, points=points, calls=calls)
        first = [json.dumps(hello, separators=(",", ":"))] if hello is not None else []
        viewer = Viewer(
            hub=self, view=view, user_id=user_id, send=send, close=close, first=first, frame=frame
        )
        view.viewers.add(viewer)
        return viewer

    def detach(self, viewer: Viewer) -> None:
        view = viewer.view
        view.viewers.discard(viewer)
        if not view.viewers and self.views.get((view.scope, view.selection.value)) is view:
            del self.views[(view.scope, view.selection.value)]
        viewer.cancel()

    def viewers(self) -> list[Viewer]:
        return [v for view in self.views.values() for v in view.viewers]

    def disconnect_users(self, user_ids: Collection[str] | None) -> int:
        """Close (4401) the viewers of these users (None: everyone); returns how many."""
        wanted = None if user_ids is None else set(user_ids)
        count = 0
        for viewer in self.viewers():
            if wanted is None or viewer.user_id in wanted:
                viewer.close(CLOSE_CREDENTIALS, "your access changed: reconnect")
                count += 1
        return count

    # -- flushing --------------------------------------------------------------------------

    def flush(self) -> int:
        """One round: frames for every view with changes, then the stall check. Returns the
        number of frames built (one per view, whatever its number of viewers)."""
        now = self.clock()
        changes = self.live.drain()
        built = 0
        if changes:
            low = self.live.window_start()
            for view in list(self.views.values()):
                view.refresh()
                frame = self._frame(view, changes, low)
                if frame is None:
                    continue
                built += 1
                for viewer in list(view.viewers):
                    viewer.offer(frame, now)
        self.frames_built += built
        for viewer in self.viewers():
            if not viewer.stalled and viewer.stalled_at(now, self.stall_timeout):
                log.info("live viewer %s: too slow, closing (4408)", viewer.user_id)
                self.dropped_slow += 1
                viewer.stall()
        return built

    def _frame(self, view: View, changes: Changes, low: int) -> Frame | None:
        seconds: set[int] = set()
        for key, changed in changes.seconds.items():
            if view.contains(key):
                seconds |= changed
        moved = [s for k, s in changes.concurrency_from.items() if view.contains(k)]
        if moved:
            seconds |= self.live.seconds_from(min(moved))
        points = self.live.points(view.contains, seconds, low=low) if seconds else []
        calls = [summary for key, summary in changes.calls.values() if view.contains(key)]
        if not points and not calls:
            return None
        if len(calls) > self.recent_calls:
            calls = sorted(calls, key=_updated, reverse=True)[: self.recent_calls]
        return Frame.build(stamp=changes.stamp_ms, points=points, calls=calls)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                self.flush()
            except Exception:
                log.exception("live hub: flush failed")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The flush loop; on exit every viewer is closed (1012: reconnect)."""
        task = asyncio.create_task(self._loop(), name="traffic-hub-flush")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            viewers = self.viewers()
            for viewer in viewers:
                viewer.close(CLOSE_RESTART, "the server is restarting")
            if viewers:
                waits = [asyncio.create_task(v.done.wait()) for v in viewers]
                _, late = await asyncio.wait(waits, timeout=SHUTDOWN_GRACE)
                for waiting in late:
                    waiting.cancel()
            for viewer in viewers:
                viewer.cancel()

    def stats(self) -> dict[str, int]:
        return {
            "views": len(self.views),
            "viewers": sum(len(v.viewers) for v in self.views.values()),
            "frames_built": self.frames_built,
            "dropped_slow": self.dropped_slow,
        }
