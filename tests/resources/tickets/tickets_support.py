"""What the tickets tests share: a migrated SQLite file, a clock, a recording bus, callers, the
tenancy tree (Acme resells Initech; Zenith resells Hooli; Globex is the provider's own), the real
app with the fake assertion verifier, and helpers to open and patch tickets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from assertion_fakes import NamedVerifier
from bus_fakes import RecordingBus

from resources.kit.caller import Caller, Entitlement
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus, InProcessBus
from resources.kit.migrate import upgrade
from resources.kit.settings import ResourceSettings
from resources.tickets.app import create_app
from resources.tickets.context import Context

TREE = Path(__file__).resolve().parents[3] / "resources" / "tickets" / "migrations"
T0 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
TMF = "/api/tmf-api/troubleTicket/v4/troubleTicket"
MERGE = {"Content-Type": "application/merge-patch+json"}
VIEW, OPEN, WORK = "tickets:view", "tickets:open", "tickets:work"
TENANCY = {
    "orgs": [
        {"id": "switchboard", "kind": "provider", "parent_id": None, "chain": [], "suspended": False},
        {"id": "acme", "kind": "reseller", "parent_id": "switchboard", "chain": ["acme"], "suspended": False},
        {"id": "globex", "kind": "customer", "parent_id": "switchboard", "chain": [], "suspended": False},
        {"id": "initech", "kind": "customer", "parent_id": "acme", "chain": ["acme"], "suspended": False},
        {
            "id": "zenith",
            "kind": "reseller",
            "parent_id": "switchboard",
            "chain": ["zenith"],
            "suspended": False,
        },
        {"id": "hooli", "kind": "customer", "parent_id": "zenith", "chain": ["zenith"], "suspended": False},
    ]
}
PROBLEM = {
    "name": "No inbound calls",
    "description": "Calls to our toll-free number fail with a busy tone.",
    "severity": "major",
}


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


def person(
    name: str,
    *,
    org: str,
    kind: str = "customer",
    actions: tuple[str, ...] = (VIEW, OPEN),
    chain: tuple[str, ...] = (),
) -> Caller:
    return Caller(
        subject=f"id-{name}",
        username=name,
        kind=kind,  # type: ignore[arg-type]
        plane="customer",
        org_id=org,
        customer_id=org if kind == "customer" else None,
        reseller_chain=chain,
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in actions),
        session="sess-1",
        request_id="rid-1",
        jti="j",
    )


STAFF = (VIEW, OPEN, WORK)
CALLERS = {
    "alice": person("alice@globex", org="globex"),
    "vic": person("vic@globex", org="globex", actions=(VIEW,)),
    "carol": person("carol@initech", org="initech", chain=("acme",)),
    "hank": person("hank@hooli", org="hooli", chain=("zenith",)),
    "admin": person("admin", org="switchboard", kind="provider", actions=STAFF),
    "sam": person("sam", org="switchboard", kind="provider", actions=(VIEW,)),
    "rita": person("rita@acme", org="acme", kind="reseller", actions=STAFF, chain=("acme",)),
    "zed": person("zed@zenith", org="zenith", kind="reseller", actions=STAFF, chain=("zenith",)),
}
CUSTOMER_OF = {"alice": "globex", "vic": "globex", "carol": "initech", "hank": "hooli"}


def as_(name: str, **extra: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name, **extra}


@dataclass
class Rig:
    ctx: Context
    bus: RecordingBus
    clock: Clock
    client: httpx.AsyncClient

    async def open(self, who: str = "alice", **body: Any) -> dict[str, Any]:
        """A new ticket (201), as `who`, PROBLEM unless `body` says otherwise."""
        r = await self.client.post(TMF, json={**PROBLEM, **body}, headers=as_(who))
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    async def patch(self, who: str, ticket_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.patch(
            f"{TMF}/{ticket_id}", json=body, headers={**as_(who), **MERGE, **headers}
        )

    async def move(self, who: str, ticket_id: str, *statuses: str) -> None:
        for status in statuses:
            r = await self.patch(who, ticket_id, {"status": status})
            assert r.status_code == 200, r.text

    async def get(self, who: str, ticket_id: str) -> httpx.Response:
        return await self.client.get(f"{TMF}/{ticket_id}", headers=as_(who))


def settings_for(tmp_path: Path) -> ResourceSettings:
    return ResourceSettings(
        name="tickets",
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'tickets.db'}",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
    )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = settings_for(tmp_path)
    await upgrade(migrations_dir=TREE, url=settings.database_url, schema=None)
    engine = create_engine(url=settings.database_url, schema=None)
    bus, clock = RecordingBus(), Clock()
    ctx = Context(maker=create_sessionmaker(engine), bus=cast(EventBus, bus), clock=clock)
    ctx.tenancy.apply(TENANCY, log=logging.getLogger("tests.tickets"))
    app = create_app(settings, verifier=NamedVerifier(CALLERS), context=ctx)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tickets") as client:
            yield Rig(ctx=ctx, bus=bus, clock=clock, client=client)
    finally:
        await engine.dispose()
