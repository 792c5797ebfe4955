"""`ChatHub`: this process's chat rooms (one per ticket) and the websockets in them.

A `Member` is one websocket: the hub offers it frames (JSON objects), its own task sends them in
order, so nothing the hub or another member does ever waits for a slow browser. A member whose
backlog passes `queue_size` frames is closed with 4408.

`deliver(ticket_id, message)` hands a stored chat message to every member of the ticket's room,
once: the hub remembers the last `remember` message ids it delivered, so the message the local
sender delivered right after its commit is not delivered again when it comes back over the bus
(`tickets.chat`, which `running()` follows, so a message stored by another process reaches the
sockets of this one). Presence (`{"type": "presence", "staff_online", "customers_online"}`: any
staff member connected, how many different customer users) goes to the room on every join and
leave; it counts this process's sockets only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from resources.kit.events import Event, EventBus
from resources.kit.follow import following

log = logging.getLogger("resources.tickets")

CHAT_TOPIC = "tickets.chat"
CLOSE_TOO_SLOW = 4408
CLOSE_RESTART = 1012
QUEUE_SIZE = 256
REMEMBER = 10_000

Frame = dict[str, Any]
Send = Callable[[Frame], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class RateLimit:
    """At most `count` events in any `seconds` (sliding window, by the caller's clock)."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.window = timedelta(seconds=seconds)
        self._at: deque[datetime] = deque()

    def allow(self, now: datetime) -> bool:
        while self._at and now - self._at[0] >= self.window:
            self._at.popleft()
        if len(self._at) >= self.count:
            return False
        self._at.append(now)
        return True


class Member:
    """One websocket in one room: frames wait in `backlog` until its task sends them."""

    def __init__(self, *, ticket_id: str, user: str, role: str, queue_size: int = QUEUE_SIZE) -> None:
        self.ticket_id = ticket_id
        self.user = user
        self.role = role
        self.queue_size = queue_size
        self.backlog: deque[Frame] = deque()
        self.closing: tuple[int, str] | None = None
        self.skip: frozenset[int] = frozenset()  # message ids the history already carried
        self._wake = asyncio.Event()

    def offer(self, frame: Frame) -> None:
        if self.closing is not None:
            return
        if frame.get("type") == "message" and frame.get("id") in self.skip:
            return
        if len(self.backlog) >= self.queue_size:
            self.close(CLOSE_TOO_SLOW, "too slow: messages were not read in time")
            return
        self.backlog.append(frame)
        self._wake.set()

    def begin(self, history: list[Frame]) -> None:
        """The transcript so far goes first; what arrived meanwhile and is in it is dropped."""
        self.skip = frozenset(int(m["id"]) for m in history)
        waiting = [f for f in self.backlog if not (f.get("type") == "message" and f.get("id") in self.skip)]
        self.backlog = deque([{"type": "history", "messages": history}, *waiting])
        self._wake.set()

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self.backlog.clear()
            self._wake.set()

    async def pump(self, send: Send, close: Close) -> None:
        """Send the frames as they come; close when told to. Returns when closed."""
        while True:
            if self.closing is not None:
                with contextlib.suppress(Exception):
                    await close(*self.closing)
                return
            if self.backlog:
                await send(self.backlog.popleft())
                continue
            await self._wake.wait()
            self._wake.clear()


class ChatHub:
    def __init__(self, *, queue_size: int = QUEUE_SIZE, remember: int = REMEMBER) -> None:
        self.queue_size = queue_size
        self.remember = remember
        self.rooms: dict[str, set[Member]] = {}
        self._seen: OrderedDict[int, None] = OrderedDict()
        self.delivered = 0

    # -- members ---------------------------------------------------------------------------

    def join(self, ticket_id: str, *, user: str, role: str) -> Member:
        member = Member(ticket_id=ticket_id, user=user, role=role, queue_size=self.queue_size)
        self.rooms.setdefault(ticket_id, set()).add(member)
        self._announce_presence(ticket_id)
        return member

    def leave(self, member: Member) -> None:
        room = self.rooms.get(member.ticket_id)
        if room is None or member not in room:
            return
        room.discard(member)
        if not room:
            del self.rooms[member.ticket_id]
        else:
            self._announce_presence(member.ticket_id)

    def members(self, ticket_id: str | None = None) -> list[Member]:
        if ticket_id is not None:
            return list(self.rooms.get(ticket_id, ()))
        return [m for room in self.rooms.values() for m in room]

    def presence(self, ticket_id: str) -> Frame:
        room = self.rooms.get(ticket_id, set())
        return {
            "type": "presence",
            "staff_online": any(m.role == "staff" for m in room),
            "customers_online": len({m.user for m in room if m.role == "customer"}),
        }

    def _announce_presence(self, ticket_id: str) -> None:
        frame = self.presence(ticket_id)
        for member in self.members(ticket_id):
            member.offer(frame)

    # -- messages --------------------------------------------------------------------------

    def deliver(self, ticket_id: str, message: Frame) -> bool:
        """Offer a stored message (`message_json`, with `"type": "message"`) to the room, unless
        this hub delivered it already. True when it was new here."""
        ident = message.get("id")
        if not isinstance(ident, int) or ident in self._seen:
            return False
        self._seen[ident] = None
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        self.delivered += 1
        for member in self.members(ticket_id):
            member.offer(message)
        return True

    async def on_event(self, event: Event) -> None:
        ticket_id, message = event.payload.get("ticket_id"), event.payload.get("message")
        if (
            not isinstance(ticket_id, str)
            or not isinstance(message, dict)
            or message.get("type") != "message"
        ):
            log.warning("tickets.chat: ignoring a payload without ticket_id and message")
            return
        self.deliver(ticket_id, message)

    @asynccontextmanager
    async def running(self, bus: EventBus) -> AsyncIterator[None]:
        """Follow `tickets.chat` (other processes' messages); on exit every member is closed
        (1012: the browser reconnects)."""
        try:
            async with following(bus, (CHAT_TOPIC,), on_event=self.on_event, log=log, what="tickets-chat"):
                yield
        finally:
            for member in self.members():
                member.close(CLOSE_RESTART, "the server is restarting")
            if self.rooms:
                await asyncio.sleep(0)  # let each member's task send its close
