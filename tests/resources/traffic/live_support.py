"""The live helper's test support: a settable clock, the demo-like number directory, callers
(admin, alice, bob, rita, a stranger), contribution builders and a recording websocket stand-in
(the boundary the hub writes to)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resources.kit.caller import Caller, Entitlement, Kind
from resources.kit.events import InProcessBus
from resources.traffic.live import LiveState
from resources.traffic.manifest import VIEW
from resources.traffic.model import FIELD_INDEX, NFIELDS, Contribution, Key, NumberInfo, SiteInfo
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings

T0 = 1_772_463_600  # 2026-03-02 15:00:00 UTC, a bucket boundary
G1, G2, G3 = "+18005550100", "+18005550101", "+18005550102"
I1 = "+18665550104"
NUMBERS = (
    NumberInfo(number=G1, customer_id="globex"),
    NumberInfo(number=G2, customer_id="globex"),
    NumberInfo(number=G3, customer_id="globex"),
    NumberInfo(number=I1, customer_id="initech", resellers=("acme",)),
)
SITES = (
    SiteInfo(customer_id="globex", name="east", uri="sip:10.1.1.1:5060"),
    SiteInfo(customer_id="globex", name="west", uri="sip:10.1.1.2:5060"),
    SiteInfo(customer_id="initech", name="hq", uri="sip:10.2.1.1:5060"),
)
EAST1 = Key("globex", G1, "east", "")
WEST1 = Key("globex", G1, "west", "")
EAST2 = Key("globex", G2, "east", "")
EAST3 = Key("globex", G3, "east", "")
HQ = Key("initech", I1, "hq", "")


def directory() -> NumberDirectory:
    return NumberDirectory(NUMBERS, SITES)


@dataclass
class Clock:
    now: float = T0 + 0.5

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


def caller(
    subject: str,
    kind: Kind,
    org_id: str,
    customer_id: str | None = None,
    scope: tuple[str, ...] | None = None,
    *,
    view: bool = True,
) -> Caller:
    return Caller(
        subject=subject,
        username=subject,
        kind=kind,
        plane="customer",
        org_id=org_id,
        customer_id=customer_id,
        reseller_chain=("acme",) if org_id == "initech" else (),
        brand="default",
        entitlements=(Entitlement(action=VIEW, scope=scope),) if view else (),
        session=None,
        request_id=None,
        jti=subject,
    )


ADMIN = caller("u-admin", "provider", "switchboard")
ALICE = caller("u-alice", "customer", "globex", "globex")
BOB = caller("u-bob", "customer", "globex", "globex", (G1, G2))
RITA = caller("u-rita", "reseller", "acme")
STRANGER = caller("u-mallory", "customer", "umbrella", "umbrella", view=False)


def c(key: Key, second: int, name: str, amount: int = 1) -> Contribution:
    return Contribution(key, second, FIELD_INDEX[name], amount)


def seized(key: Key, second: int) -> list[Contribution]:
    return [c(key, second, "offered"), c(key, second, "starts")]


def answered(key: Key, second: int, tta_ms: int) -> list[Contribution]:
    return [c(key, second, "answered"), c(key, second, "tta_ms", tta_ms)]


def ended(key: Key, second: int, disposition: str = "answered", talk: int = 0) -> list[Contribution]:
    out = [c(key, second, "ends")]
    if disposition != "answered":
        out.append(c(key, second, disposition))
    if talk:
        out.append(c(key, second, "talk_seconds", talk))
    return out


def point(second: int, concurrent: int, **counts: int) -> list[int]:
    """A frame point: [second, offered … tta_ms, concurrent]."""
    values = [0] * NFIELDS
    for name, v in counts.items():
        values[FIELD_INDEX[name]] = v
    return [second, *values[:11], concurrent]


def call(
    call_id: str, number: str, updated: float, *, site: str | None = "east", **kw: Any
) -> dict[str, Any]:
    customer = "initech" if number == I1 else "globex"
    return {
        "call_id": call_id,
        "number": number,
        "customer_id": customer,
        "ani": "+13125550000",
        "site": site,
        "destination": f"site:{site}" if site else None,
        "carrier": None,
        "version": 1,
        "start": kw.get("start", updated),
        "answer": kw.get("answer"),
        "end": kw.get("end"),
        "disposition": kw.get("disposition"),
        "sip_code": kw.get("sip_code"),
        "q850": None,
        "billable": kw.get("billable"),
        "updated": updated,
    }


def settings(tmp_path: Path | None = None, **kw: Any) -> TrafficSettings:
    base = tmp_path or Path("/nonexistent")
    return TrafficSettings(
        name="traffic",
        data_dir=base,
        database_url=f"sqlite+aiosqlite:///{base / 'traffic.db'}",
        db_schema=None,
        jwks_path=base / "jwks.json",
        bus=kw.pop("bus", None) or InProcessBus(),
        **kw,
    )


def live_state(clock: Clock, window: int = 900, recent_calls: int = 50) -> LiveState:
    return LiveState(window=window, clock=clock, recent_calls=recent_calls)


@dataclass
class Socket:
    """What the hub writes to: records every text and the close; `gate` (when set) makes each
    send wait until it is opened — a viewer that does not read (its close still goes through)."""

    texts: list[str] = field(default_factory=list)
    closed: tuple[int, str] | None = None
    gate: asyncio.Event | None = None

    async def send(self, text: str) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.texts.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(t) for t in self.texts]

    def frames(self) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["type"] == "frame"]


class Window:
    """A client's picture: second → absolute point, call id → summary (applies frames)."""

    def __init__(self) -> None:
        self.points: dict[int, list[int]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.stamp: int | None = None

    def apply(self, frame: dict[str, Any]) -> None:
        for p in frame["points"]:
            self.points[p[0]] = p
        for summary in frame["calls"]:
            self.calls[summary["call_id"]] = summary
        self.stamp = frame["stamp"]


async def settle(rounds: int = 5) -> None:
    """Let the viewers' tasks run."""
    for _ in range(rounds):
        await asyncio.sleep(0)
