"""Live call events from Kamailio's `evapi` module: it listens, we dial (settings.evapi_peers
`"kam1=127.0.0.1:8448,kam2=10.0.0.2:8448"`).

Each peer streams netstrings `<len>:<json>,`; each JSON is one record of the wire table with
`type` required. A bad record is a rejection (counted, the stream goes on); a framing error
cannot be resynchronised, so it is counted and the connection is closed and dialled again.
Everything decoded from one read is submitted as one small batch; the next read waits for its
commit (natural backpressure). Reconnects back off 0.5 s → 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from resources.traffic.model import CallEvent, NumberInfo, Rejection
from resources.traffic.wire import parse_record, unknown_number

log = logging.getLogger("resources.traffic")

MAX_DIGITS = 10
MAX_FRAME = 1 << 20
READ_SIZE = 65_536
MIN_BACKOFF = 0.5
MAX_BACKOFF = 5.0
_SPACE = b" \t\r\n"


class NetstringError(ValueError):
    """The stream is not netstrings; `frames` are the complete ones decoded before the error."""

    def __init__(self, message: str, frames: list[bytes]) -> None:
        super().__init__(message)
        self.frames = frames


class NetstringDecoder:
    """Incremental netstring decoder: `feed` any slice of the stream, get the complete frames.
    Whitespace between frames is tolerated."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._need: int | None = None  # payload length of the frame being read

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while True:
            if self._need is None:
                while self._buf[:1] and self._buf[0] in _SPACE:
                    del self._buf[0]
                colon = self._buf.find(b":", 0, MAX_DIGITS + 1)
                if colon < 0:
                    if len(self._buf) > MAX_DIGITS or (self._buf and not self._buf.isdigit()):
                        raise NetstringError("expected a netstring length (digits, then ':')", frames)
                    return frames
                digits = bytes(self._buf[:colon])
                if not digits.isdigit():
                    raise NetstringError("expected a netstring length (digits, then ':')", frames)
                length = int(digits)
                if length > self.max_frame:
                    raise NetstringError(f"a netstring of {length} bytes is over {self.max_frame}", frames)
                self._need = length
                del self._buf[: colon + 1]
            if len(self._buf) <= self._need:
                return frames
            if self._buf[self._need] != ord(","):
                raise NetstringError("a netstring must end with ','", frames)
            frames.append(bytes(self._buf[: self._need]))
            del self._buf[: self._need + 1]
            self._need = None


class Peer(NamedTuple):
    name: str
    host: str
    port: int


def parse_peers(value: str | None) -> list[Peer]:
    """`"kam1=127.0.0.1:8448,kam2=[::1]:8448"` → peers; ValueError naming the bad entry."""
    peers: list[Peer] = []
    for raw in (value or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, _, address = entry.partition("=")
        host, _, port = address.strip().rpartition(":")
        host = host.strip().removeprefix("[").removesuffix("]")
        if not name.strip() or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"evapi peer {entry!r} must look like name=host:port")
        peers.append(Peer(name.strip(), host, int(port)))
    return peers


class Submitter(Protocol):
    """What the client hands records to (ingest.Ingestor)."""

    async def submit(self, events: Sequence[CallEvent]) -> Any: ...

    def count_rejected(self, element: str, rejections: Sequence[Rejection]) -> None: ...


class Numbers(Protocol):
    def get(self, number: str) -> NumberInfo | None: ...


@dataclass
class EvapiStatus:
    connected: bool = False
    connects: int = 0
    frames: int = 0
    framing_errors: int = 0
    submit_errors: int = 0
    last_error: str | None = None


def _rejection(reason: Any, field: str, message: str) -> Rejection:
    return Rejection(index=None, reason=reason, field=field, message=message)


class EvapiClient:
    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        ingestor: Submitter,
        numbers: Numbers,
        clock: Callable[[], float] = time.time,
        *,
        min_backoff: float = MIN_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        max_frame: int = MAX_FRAME,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.ingestor = ingestor
        self.numbers = numbers
        self.clock = clock
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.max_frame = max_frame
        self.status = EvapiStatus()

    def stats(self) -> dict[str, Any]:
        s = self.status
        return {
            "peer": f"{self.host}:{self.port}",
            "connected": s.connected,
            "connects": s.connects,
            "frames": s.frames,
            "framing_errors": s.framing_errors,
            "submit_errors": s.submit_errors,
            "last_error": s.last_error,
        }

    async def run(self) -> None:
        """Dial, stream, and dial again — forever (cancel to stop)."""
        backoff = self.min_backoff
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                self.status.last_error = f"connect: {exc}"
            else:
                backoff = self.min_backoff
                self.status.connects += 1
                self.status.connected = True
                try:
                    await self.stream(reader)
                except OSError as exc:
                    self.status.last_error = f"read: {exc}"
                finally:
                    self.status.connected = False
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def stream(self, reader: asyncio.StreamReader) -> None:
        """Read one connection until EOF or a framing error (counted as a rejection)."""
        decoder = NetstringDecoder(self.max_frame)
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                self.status.last_error = "closed by the peer"
                return
            try:
                frames = decoder.feed(data)
            except NetstringError as exc:
                await self.handle(exc.frames)
                self.status.framing_errors += 1
                self.status.last_error = f"framing: {exc}"
                self.ingestor.count_rejected(self.name, [_rejection("malformed", "netstring", str(exc))])
                log.warning("evapi %s: %s; reconnecting", self.name, exc)
                return
            await self.handle(frames)

    async def handle(self, frames: list[bytes]) -> None:
        """Parse the frames, count the rejections, submit the events (waits for the commit)."""
        if not frames:
            return
        self.status.frames += len(frames)
        now = self.clock()
        events: list[CallEvent] = []
        rejections: list[Rejection] = []
        for frame in frames:
            try:
                obj = json.loads(frame)
            except (ValueError, RecursionError):
                rejections.append(_rejection("malformed", "body", "the record is not valid JSON"))
                continue
            if not isinstance(obj, dict):
                rejections.append(_rejection("malformed", "body", "the record must be a JSON object"))
                continue
            if obj.get("type") in (None, ""):
                rejections.append(
                    _rejection("invalid", "type", "type is required: routed, answered, ended, failed or cdr")
                )
                continue
            parsed = parse_record(obj, element=self.name, now=now)
            if isinstance(parsed, Rejection):
                rejections.append(parsed)
            elif self.numbers.get(parsed.number) is None:
                rejections.append(unknown_number(parsed, index=None))
            else:
                events.append(parsed)
        if rejections:
            self.ingestor.count_rejected(self.name, rejections)
        if events:
            try:
                await self.ingestor.submit(events)
            except Exception as exc:
                self.status.submit_errors += 1
                self.status.last_error = f"ingest: {exc}"
                log.warning("evapi %s: %s events not stored: %s", self.name, len(events), exc)
