"""evapi: the netstring decoder (any split of the stream), peers, and the client against a real
TCP server on loopback feeding a real ingest writer (SQLite)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from traffic_store_support import GLOBEX_1, T0, Db, RecordingBus, call_records, db, directory, settings_for

from resources.traffic.evapi import EvapiClient, NetstringDecoder, NetstringError, Peer, parse_peers
from resources.traffic.ingest import Ingestor

__all__ = ["db"]


def ns(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


STREAM = ns(b'{"a":1}') + b"\n" + ns(b"") + ns(b"x" * 120)
FRAMES = [b'{"a":1}', b"", b"x" * 120]


def test_every_split_of_the_stream_decodes_the_same() -> None:
    for cut in range(len(STREAM) + 1):
        for second_cut in (cut, min(len(STREAM), cut + 3), min(len(STREAM), cut + 9)):
            d = NetstringDecoder()
            frames = d.feed(STREAM[:cut]) + d.feed(STREAM[cut:second_cut]) + d.feed(STREAM[second_cut:])
            assert frames == FRAMES, (cut, second_cut)


def test_byte_by_byte() -> None:
    d = NetstringDecoder()
    frames: list[bytes] = []
    for i in range(len(STREAM)):
        frames += d.feed(STREAM[i : i + 1])
    assert frames == FRAMES


@pytest.mark.parametrize(
    ("data", "message", "frames"),
    [
        (b"abc", "expected a netstring length (digits, then ':')", []),
        (ns(b"ok") + b"12345678901", "expected a netstring length (digits, then ':')", [b"ok"]),
        (b"3:abc;", "a netstring must end with ','", []),
        (ns(b"ok") + b"-1:", "expected a netstring length (digits, then ':')", [b"ok"]),
        (b"2000:", "a netstring of 2000 bytes is over 1000", []),
    ],
)
def test_framing_errors(data: bytes, message: str, frames: list[bytes]) -> None:
    with pytest.raises(NetstringError) as caught:
        NetstringDecoder(max_frame=1000).feed(data)
    assert (str(caught.value), caught.value.frames) == (message, frames)


def test_parse_peers() -> None:
    assert parse_peers("kam1=127.0.0.1:8448, kam2=[::1]:9000,") == [
        Peer("kam1", "127.0.0.1", 8448),
        Peer("kam2", "::1", 9000),
    ]
    assert parse_peers(None) == parse_peers("") == []
    for bad in ("kam1", "=1.2.3.4:5", "kam1=1.2.3.4", "kam1=1.2.3.4:0", "kam1=:80"):
        with pytest.raises(ValueError, match="must look like name=host:port"):
            parse_peers(bad)


def record(call_id: str, **kw: Any) -> bytes:
    return json.dumps({"type": "routed", "callid": call_id, "dnis": "8005550100", "ts": T0, **kw}).encode()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _server(handler: Handler, port: int = 0) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", port)
    return server, server.sockets[0].getsockname()[1]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.fixture
async def ingestor(tmp_path: Path, db: Db) -> AsyncIterator[Ingestor]:
    bus = RecordingBus()
    ing = Ingestor(
        settings=settings_for(tmp_path, bus), maker=db.maker, bus=bus, numbers=directory(), clock=lambda: T0
    )
    async with ing.running():
        yield ing


async def _run(client: EvapiClient) -> asyncio.Task[None]:
    return asyncio.create_task(client.run())


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_records_split_across_writes_are_stored_and_bad_ones_counted(
    ingestor: Ingestor, db: Db
) -> None:
    stream = b"".join(
        [
            ns(record("e1", dest="site:east")),
            ns(b"{not json"),
            ns(json.dumps({"callid": "e2", "dnis": "8005550100"}).encode()),  # no type
            ns(record("e3", dnis="8885550199")),  # unknown number
            ns(record("e4", ts="yesterday")),  # invalid field
            ns(record("e5")),
        ]
    )
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        if len(connections) == 1:
            for i in range(0, len(stream), 7):  # 7-byte pieces: frames split everywhere
                writer.write(stream[i : i + 7])
                await writer.drain()
                await asyncio.sleep(0)
            writer.write(b"3:abc;")  # framing error: the client must drop and redial
            await writer.drain()
        await reader.read()  # hold the connection until the client closes it
        writer.close()

    server, port = await _server(serve)
    client = EvapiClient("kam1", "127.0.0.1", port, ingestor, directory(), lambda: T0, min_backoff=0.01)
    task = await _run(client)
    try:
        await _until(lambda: len(connections) == 2)
    finally:
        await _stop(task)
        server.close()
        await server.wait_closed()
    stored = await call_records(db.maker)
    assert sorted(stored) == ["e1", "e5"]
    assert (stored["e1"].site, stored["e1"].number, stored["e1"].element) == ("east", GLOBEX_1, "kam1")
    assert client.stats() == {
        "peer": f"127.0.0.1:{port}",
        "connected": False,
        "connects": 2,
        "frames": 6,
        "framing_errors": 1,
        "submit_errors": 0,
        "last_error": "framing: a netstring must end with ','",
    }
    stats = ingestor.stats()
    assert stats["elements"]["kam1"]["accepted"] == 2
    assert stats["elements"]["kam1"]["rejected"] == {"invalid": 2, "malformed": 2, "unknown-number": 1}
    assert [(r["reason"], r["field"]) for r in stats["recent_rejections"]] == [
        ("malformed", "body"),
        ("invalid", "type"),
        ("unknown-number", "dnis"),
        ("invalid", "ts"),
        ("malformed", "netstring"),
    ]


async def test_a_refused_peer_is_dialled_again(ingestor: Ingestor, db: Db) -> None:
    with socket.socket() as probe:  # a free port, nobody listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = EvapiClient(
        "kam1", "127.0.0.1", port, ingestor, directory(), lambda: T0, min_backoff=0.01, max_backoff=0.05
    )
    task = await _run(client)
    try:
        await _until(lambda: (client.status.last_error or "").startswith("connect:"))
        assert client.status.connects == 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(ns(record("late")))
            await writer.drain()
            await reader.read()
            writer.close()

        server, _ = await _server(serve, port)
        try:
            await _until(lambda: ingestor.stats()["accepted"] == 1)  # committed
            assert (client.status.connects, client.status.connected, client.status.frames) == (1, True, 1)
        finally:
            server.close()
    finally:
        await _stop(task)
    await server.wait_closed()
    assert list(await call_records(db.maker)) == ["late"]
