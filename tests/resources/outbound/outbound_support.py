"""What the outbound route and network tests share: a migrated SQLite file, a clock, a recording
bus, a cheap argon2 hasher, callers, the real app with the fake assertion verifier, and a
customer configuration to start from."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from argon2 import PasswordHasher
from assertion_fakes import NamedVerifier
from bus_fakes import RecordingBus

from resources.kit.caller import Caller, Entitlement
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus, InProcessBus
from resources.kit.migrate import upgrade
from resources.kit.settings import ResourceSettings
from resources.outbound.app import create_app
from resources.outbound.context import Context

TREE = Path(__file__).resolve().parents[3] / "resources" / "outbound" / "migrations"
T0 = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday 10:00 in Chicago
BOB, LOBBY = "+13125550142", "+13125550190"
OFFICE = {
    "zone": "America/Chicago",
    "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}
SETUP: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("policies", "default", {"name": "default", "classes": ["local", "long-distance", "toll-free"]}),
    (
        "policies",
        "international",
        {
            "name": "international",
            "classes": ["local", "long-distance", "toll-free", "international"],
            "countries": {"allow": [], "deny": ["CU"]},
            "account_code": "forced",
        },
    ),
    ("policies", "lobby", {"name": "lobby", "classes": ["local"], "hours": OFFICE}),
    ("groups", "lobby", {"name": "lobby", "policy": "lobby"}),
    ("lines", BOB, {"number": BOB, "label": "Bob", "elevated": "international"}),
    ("lines", LOBBY, {"number": LOBBY, "label": "Lobby", "group": "lobby"}),
    ("account-codes", "1001", {"code": "1001", "description": "Acme"}),
)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


def person(
    customer: str | None = "globex", *, kind: str = "customer", edit: bool = True, name: str = "alice@globex"
) -> Caller:
    ents = [Entitlement(action="outbound:view")] + ([Entitlement(action="outbound:edit")] if edit else [])
    return Caller(
        subject=f"id-{name}",
        username=name,
        kind=kind,  # type: ignore[arg-type]
        plane="customer",
        org_id=customer or "switchboard",
        customer_id=customer,
        reseller_chain=(),
        brand="default",
        entitlements=tuple(ents),
        session="sess-1",
        request_id="rid-1",
        jti="j",
    )


SWITCH = Caller(
    subject="element:switch",
    username="switch",
    kind="element",
    plane="network",
    org_id="provider",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="outbound:decide"),),
    session=None,
    request_id="rid-n",
    jti="jn",
)
CALLERS = {
    "alice": person(),
    "viewer": person(edit=False, name="vic@globex"),
    "wendy": person("initech", name="wendy@initech"),
    "pat": person(None, kind="provider", name="pat@provider"),
    "zed": dataclasses.replace(person(None, kind="reseller", name="zed@zenith"), org_id="zenith"),
    "switch": SWITCH,
}


@dataclass
class Rig:
    ctx: Context
    bus: RecordingBus
    clock: Clock
    client: httpx.AsyncClient

    def as_(self, name: str) -> dict[str, str]:
        return {"X-Switchboard-Assertion": name}

    async def setup(self) -> None:
        for kind, name, body in SETUP:
            r = await self.client.put(f"/api/{kind}/{name}", json=body, headers=self.as_("alice"))
            assert r.status_code == 201, r.text


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbound.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    ctx = Context(
        maker=create_sessionmaker(engine),
        bus=cast(EventBus, bus),
        hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        clock=clock,
    )
    settings = ResourceSettings(
        name="outbound",
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite:///unused.db",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
    )
    app = create_app(settings, verifier=NamedVerifier(CALLERS), context=ctx)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://outbound"
        ) as client:
            yield Rig(ctx=ctx, bus=bus, clock=clock, client=client)
    finally:
        await engine.dispose()
