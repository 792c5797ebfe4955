"""Traffic across processes: ingest on one gateway, live websocket frames on both.

Gateway A is a whole portal (`switchboard serve`, every resource in-process, traffic included).
Gateway B runs traffic as its own service (`switchboard serve --resource traffic`, mutual TLS:
`SWITCHBOARD_RESOURCES=traffic=https://…`), the other resources in-process. All share one fresh
PostgreSQL database `sb_traffic_<random>` (dropped at the end) and an unused Redis database
number. Events POSTed to gateway A's network plane are committed by A's ingest and published as
`traffic.delta` on Redis; the traffic service applies them and pushes frames through B's
dispatcher websocket bridge to B's viewers. Every viewer's window, summed, must equal exactly
what was posted within its scope (alice: all of Globex; bob: his two numbers; nobody outside
Globex sees Initech's calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
import redis
from e2e_support import Portal, free_port, portal_env, run_cli, start_server, stop, wait_healthy
from spine_checks import SESSION_COOKIE, Target, login
from test_split_mode import REDIS, claim_redis_db, drop_database, forget_sessions, pg, release_redis_db
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from resources.traffic.model import FIELDS

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

LIVE_FIELDS = [*FIELDS[:11], "concurrent"]  # a frame point: [second, *LIVE_FIELDS values]
SUMMED = LIVE_FIELDS[:11]  # counters add up over seconds; concurrency is a level
ELEMENT = "scale"
DEADLINE = 2.0  # seconds from the ingest answer to the viewer's frame

N100, N101, N102 = "+18005550100", "+18005550101", "+18885550102"  # Globex (bob: 100 and 101)
N103 = "+18775550103"  # Initech (acme)
ZERO = dict.fromkeys(SUMMED, 0)


@dataclass(frozen=True)
class Pair:
    a: Portal
    b: Portal
    token: str  # the element's `sbe_…` token with traffic:ingest
    database: str

    def target(self, portal: Portal) -> Target:
        return Target(
            base_url=portal.base_url,
            certs_dir=portal.data_dir / "certs",
            cli=lambda *args: run_cli(portal.env, *args),
        )

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.a.data_dir / "certs" / "ca.pem"))


def _portal(data: Any, env: dict[str, str], *, port: int, network_port: int, name: str) -> Portal:
    return Portal(
        base_url=f"https://127.0.0.1:{port}",
        port=port,
        network_port=network_port,
        data_dir=data,
        log_path=data / f"{name}.log",
        env=env,
    )


def wait_numbers_known(portal: Portal, token: str, tls: ssl.SSLContext, *, timeout: float = 30) -> None:
    """Until the portal's traffic resource knows the demo's five toll-free numbers (the toll-free
    resource publishes them on `tollfree.numbers`)."""
    url = f"https://127.0.0.1:{portal.network_port}/traffic/status"
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=tls, timeout=5)
        last = (r.status_code, r.text[:300])
        if r.status_code == 200 and r.json().get("numbers") == 5:
            return
        time.sleep(0.25)
    pytest.fail(f"traffic on {portal.base_url} never knew the 5 demo numbers: {last}\n{portal.log_tail()}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    try:
        pg("SELECT 1")
        redis.Redis.from_url(REDIS).ping()
    except (OSError, asyncpg.PostgresError, redis.RedisError) as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed: {exc!r}")
    database = f"sb_traffic_{secrets.token_hex(6)}"
    r = redis.Redis.from_url(REDIS)
    redis_url = f"{REDIS}/{claim_redis_db(r)}"
    r.close()
    data = tmp_path_factory.mktemp("traffic-multinode")
    port_a, net_a, port_b, net_b, port_t = free_port(), free_port(), free_port(), free_port(), free_port()
    env_a = portal_env(data, port=port_a, network_port=net_a) | {
        "SWITCHBOARD_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        "SWITCHBOARD_REDIS_URL": redis_url,
        "SWITCHBOARD_SIMULATOR_RATE": "0",  # only this test's calls
    }
    env_b = env_a | {
        "SWITCHBOARD_PORT": str(port_b),
        "SWITCHBOARD_NETWORK_PORT": str(net_b),
        "SWITCHBOARD_RESOURCES": f"traffic=https://127.0.0.1:{port_t}",
    }
    a = _portal(data, env_a, port=port_a, network_port=net_a, name="gateway-a")
    b = _portal(data, env_b, port=port_b, network_port=net_b, name="gateway-b")
    pg(f'CREATE DATABASE "{database}"')
    procs = []
    user_ids: set[str] = set()
    try:
        run_cli(env_a, "certs")
        run_cli(env_a, "migrate")
        run_cli(env_a, "demo", "--load-only")
        token = (
            run_cli(env_a, "element", "add", ELEMENT, "--action", "traffic:ingest").strip().splitlines()[-1]
        )
        user_ids = {row["id"] for row in pg("SELECT id FROM directory.directory_users", database=database)}
        service = _portal(data, env_a, port=port_t, network_port=0, name="traffic-service")
        proc = start_server(env_a, service.log_path, "serve", "--resource", "traffic", "--port", str(port_t))
        procs.append(proc)
        mtls = ssl.create_default_context(cafile=str(data / "certs" / "ca.pem"))
        mtls.load_cert_chain(
            data / "certs" / "dispatcher-client.pem", data / "certs" / "dispatcher-client-key.pem"
        )
        wait_healthy(f"{service.base_url}/healthz", proc, service, tls=mtls)
        for portal in (a, b):
            proc = start_server(portal.env, portal.log_path, "serve")
            procs.append(proc)
            wait_healthy(f"{portal.base_url}/healthz", proc, portal)
        info = Pair(a=a, b=b, token=token.strip(), database=database)
        for portal in (a, b):
            wait_numbers_known(portal, info.token, info.tls())
        yield info
    finally:
        for proc in reversed(procs):
            stop(proc)
        r = redis.Redis.from_url(redis_url)
        try:
            forget_sessions(r, user_ids)
        finally:
            r.close()
        release_redis_db(redis_url)
        drop_database(database)


# --- the calls -------------------------------------------------------------------------------


def answered(call_id: str, number: str, t: int, *, ring: int, talk: int) -> list[dict[str, Any]]:
    return [
        {"type": "routed", "callid": call_id, "dnis": number, "ts": t, "dest": "site:east"},
        {"type": "answered", "callid": call_id, "dnis": number, "ts": t + ring},
        {"type": "ended", "callid": call_id, "dnis": number, "ts": t + ring + talk, "sip_code": 200},
    ]


def unanswered(call_id: str, number: str, t: int, *, after: int, **final: Any) -> list[dict[str, Any]]:
    kind = "failed" if final.get("sip_code", 0) >= 300 or "block" in final else "ended"
    return [
        {"type": "routed", "callid": call_id, "dnis": number, "ts": t, "dest": "site:west"},
        {"type": kind, "callid": call_id, "dnis": number, "ts": t + after, **final},
    ]


def first_batch(tag: str, t: int) -> list[dict[str, Any]]:
    """12 calls, 29 events: every disposition once on Globex, two answered calls on Initech."""
    c = f"mn-{tag}-"
    return [
        *answered(c + "01", N100, t, ring=4, talk=60),
        *unanswered(c + "02", N100, t + 1, after=8, sip_code=486),  # busy
        *unanswered(c + "03", N100, t + 2, after=5, sip_code=487),  # caller gave up after 5 s: short
        *answered(c + "04", N101, t + 3, ring=3, talk=30),
        *unanswered(c + "05", N101, t + 4, after=1, sip_code=503),  # all trunks busy
        *answered(c + "06", N102, t + 5, ring=6, talk=120),
        *unanswered(c + "07", N102, t + 6, after=20),  # no code, rang 20 s: abandoned
        *unanswered(c + "08", N102, t + 7, after=30, sip_code=480),  # no answer
        *unanswered(c + "09", N102, t + 8, after=0, block="plan"),  # blocked
        *unanswered(c + "10", N102, t + 9, after=2, sip_code=500),  # failed
        *answered(c + "11", N103, t + 10, ring=2, talk=10),
        *answered(c + "12", N103, t + 11, ring=5, talk=45),
    ]


BOB_FIRST = ZERO | {
    "offered": 5,
    "answered": 2,
    "short": 1,
    "busy": 1,
    "all_trunks_busy": 1,
    "talk_seconds": 90,
    "tta_ms": 7000,
}
ALICE_FIRST = ZERO | {
    "offered": 10,
    "answered": 3,
    "short": 1,
    "abandoned": 1,
    "no_answer": 1,
    "busy": 1,
    "all_trunks_busy": 1,
    "blocked": 1,
    "failed": 1,
    "talk_seconds": 210,
    "tta_ms": 13000,
}
ONE_MORE_BUSY = {"offered": 1, "busy": 1}  # call 13 on N101: 600 (busy everywhere)


def plus(base: dict[str, int], extra: dict[str, int]) -> dict[str, int]:
    return {k: v + extra.get(k, 0) for k, v in base.items()}


# --- a live viewer ---------------------------------------------------------------------------


@dataclass
class Viewer:
    """One websocket viewer: applies frames into its window (second → absolute values)."""

    name: str
    ws: ClientConnection
    hello: dict[str, Any] = field(default_factory=dict)
    window: dict[int, list[int]] = field(default_factory=dict)
    frames: int = 0
    call_numbers: dict[str, str] = field(default_factory=dict)  # call_id → number, from frames
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: str | None = None

    def totals(self) -> dict[str, int]:
        sums = [0] * len(SUMMED)
        for values in self.window.values():
            for i in range(len(SUMMED)):
                sums[i] += values[i]
        return dict(zip(SUMMED, sums, strict=True))

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if message["type"] == "hello":
                    self.hello = message
                elif message["type"] == "frame":
                    for point in message["points"]:
                        self.window[int(point[0])] = [int(v) for v in point[1:]]
                    for call in message["calls"]:
                        self.call_numbers[call["call_id"]] = call["number"]
                    self.frames += 1
                self.changed.set()
        except ConnectionClosed as exc:
            self.closed = f"{exc.rcvd.code if exc.rcvd else None} {exc.rcvd.reason if exc.rcvd else ''}"
        self.closed = self.closed or "closed"
        self.changed.set()

    async def until(self, what: str, check: Callable[[], bool], *, deadline: float) -> None:
        """Wait until `check()` holds (re-checked on every message) or fail at `deadline`
        (loop time)."""
        loop = asyncio.get_running_loop()
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed is not None:
                pytest.fail(
                    f"{self.name}: {what} not reached (closed: {self.closed}); frames {self.frames}, "
                    f"totals {self.totals()}"
                )
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    async def totals_become(self, expected: dict[str, int], *, deadline: float) -> None:
        await self.until(f"totals {expected}", lambda: self.totals() == expected, deadline=deadline)

    async def calls_become(self, call_ids: set[str], *, deadline: float) -> None:
        """Until the recent-calls rows received name exactly `call_ids`."""
        await self.until(
            f"calls {sorted(call_ids)}", lambda: set(self.call_numbers) == call_ids, deadline=deadline
        )


@contextlib.asynccontextmanager
async def viewing(portal: Portal, cookie: str, name: str, tls: ssl.SSLContext) -> AsyncIterator[Viewer]:
    host = f"127.0.0.1:{portal.port}"
    async with connect(
        f"wss://{host}/traffic/live/ws",
        ssl=tls,
        origin=Origin(f"https://{host}"),  # the gateway refuses cross-site websockets
        additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
        proxy=None,
        open_timeout=10,
    ) as ws:
        viewer = Viewer(name=name, ws=ws)
        reader = asyncio.create_task(viewer.read())
        try:
            deadline = asyncio.get_running_loop().time() + 10
            await viewer.until("hello and the first frame", lambda: viewer.frames >= 1, deadline=deadline)
            yield viewer
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


# --- the test --------------------------------------------------------------------------------


def test_events_on_a_reach_viewers_on_both_gateways(pair: Pair) -> None:
    with (
        login(pair.target(pair.b), "alice@globex") as alice_b,
        login(pair.target(pair.a), "alice@globex") as alice_a,
        login(pair.target(pair.b), "bob@globex") as bob_b,
    ):
        cookies = {
            "alice on B": alice_b.cookies[SESSION_COOKIE],
            "alice on A": alice_a.cookies[SESSION_COOKIE],
            "bob on B": bob_b.cookies[SESSION_COOKIE],
        }
        asyncio.run(scenario(pair, cookies))


async def scenario(pair: Pair, cookies: dict[str, str]) -> None:
    tls = pair.tls()
    tag = secrets.token_hex(3)
    t = int(time.time()) - 120  # two minutes ago: inside the 15-minute live window, in the past
    batch = first_batch(tag, t)
    bob_calls = {e["callid"] for e in batch if e["dnis"] in (N100, N101)}
    alice_calls = {e["callid"] for e in batch if e["dnis"] in (N100, N101, N102)}
    async with (
        viewing(pair.b, cookies["alice on B"], "alice on B", tls) as alice_on_b,
        viewing(pair.a, cookies["alice on A"], "alice on A", tls) as alice_on_a,
        viewing(pair.b, cookies["bob on B"], "bob on B", tls) as bob_on_b,
        httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{pair.a.network_port}",
            verify=tls,
            headers={"Authorization": f"Bearer {pair.token}"},
            timeout=15,
        ) as network_a,
    ):
        viewers = (alice_on_b, alice_on_a, bob_on_b)
        for v in viewers:
            assert v.hello["type"] == "hello"
            assert v.hello["fields"] == LIVE_FIELDS
            assert v.hello["resumed"] is False
            assert v.totals() == ZERO, v.name  # a fresh database, the simulator off

        answer = await network_a.post("/traffic/events", json=batch)
        acked = asyncio.get_running_loop().time()
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json() == {"accepted": 29, "duplicates": 0, "rejected": []}
        await asyncio.gather(
            alice_on_b.totals_become(ALICE_FIRST, deadline=acked + DEADLINE),
            alice_on_a.totals_become(ALICE_FIRST, deadline=acked + DEADLINE),
            bob_on_b.totals_become(BOB_FIRST, deadline=acked + DEADLINE),
        )
        # the recent-calls rows went to exactly the viewers allowed to see them
        await asyncio.gather(
            alice_on_b.calls_become(alice_calls, deadline=acked + DEADLINE),
            alice_on_a.calls_become(alice_calls, deadline=acked + DEADLINE),
            bob_on_b.calls_become(bob_calls, deadline=acked + DEADLINE),
        )
        assert set(bob_on_b.call_numbers.values()) == {N100, N101}
        assert set(alice_on_b.call_numbers.values()) == {N100, N101, N102}

        # the same batch again changes nothing; the call after it arrives exactly once
        again = await network_a.post("/traffic/events", json=batch)
        assert again.status_code == 200, again.text[:500]
        assert again.json() == {"accepted": 0, "duplicates": 29, "rejected": []}
        extra = unanswered(f"mn-{tag}-13", N101, t + 12, after=3, sip_code=600)
        more = await network_a.post("/traffic/events", json=extra)
        acked = asyncio.get_running_loop().time()
        assert more.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
        await asyncio.gather(
            alice_on_b.totals_become(plus(ALICE_FIRST, ONE_MORE_BUSY), deadline=acked + DEADLINE),
            alice_on_a.totals_become(plus(ALICE_FIRST, ONE_MORE_BUSY), deadline=acked + DEADLINE),
            bob_on_b.totals_become(plus(BOB_FIRST, ONE_MORE_BUSY), deadline=acked + DEADLINE),
        )
        assert all(v.closed is None for v in viewers), [v.closed for v in viewers]
