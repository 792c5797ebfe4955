"""What the events tests share: a migrated SQLite file, a settable clock, a recording bus, callers,
the real app with the fake assertion verifier, conditions to feed in, and a tenancy picture
(acme resells initech; zenith resells hooli; globex is the provider's own)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from assertion_fakes import NamedVerifier
from bus_fakes import RecordingBus

from resources.events.app import create_app
from resources.events.conditions import Condition
from resources.events.context import Context, transaction
from resources.kit.caller import Caller, Entitlement
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus, InProcessBus
from resources.kit.migrate import upgrade
from resources.kit.settings import ResourceSettings

TREE = Path(__file__).resolve().parents[3] / "resources" / "events" / "migrations"
T0 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
NUMBER = "number:+18005550100"
TMF = "/api/tmf-api/alarmManagement/v4/alarm"
TENANCY = {
    "orgs": [
        {"id": "switchboard", "kind": "provider", "parent_id": None, "chain": [], "suspended": False},
        {"id": "acme", "kind": "reseller", "parent_id": "switchboard", "chain": ["acme"], "suspended": False},
        {
            "id": "zenith",
            "kind": "reseller",
            "parent_id": "switchboard",
            "chain": ["zenith"],
            "suspended": False,
        },
        {"id": "globex", "kind": "customer", "parent_id": "switchboard", "chain": [], "suspended": False},
        {"id": "initech", "kind": "customer", "parent_id": "acme", "chain": ["acme"], "suspended": False},
        {"id": "hooli", "kind": "customer", "parent_id": "zenith", "chain": ["zenith"], "suspended": False},
    ]
}


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def condition(
    *,
    customer: str = "globex",
    obj: str = NUMBER,
    cause: str = "lowAnswerSeizureRatio",
    active: bool = True,
    severity: str = "major",
    problem: str = "ASR 31 % over 5 min (threshold 50 %)",
    at: float | None = None,
) -> Condition:
    return Condition(
        customer_id=customer,
        resellers=("acme",) if customer == "initech" else (),
        alarmed_object=obj,
        probable_cause=cause,
        alarm_type="qualityOfServiceAlarm",
        severity=severity,  # type: ignore[arg-type]
        specific_problem=problem,
        active=active,
        at=at if at is not None else T0.timestamp(),
        source="detector:asr",
    )


def person(
    customer: str | None = "globex",
    *,
    kind: str = "customer",
    manage: bool = True,
    name: str = "alice@globex",
    org: str | None = None,
) -> Caller:
    ents = [Entitlement(action="events:view")] + ([Entitlement(action="events:manage")] if manage else [])
    return Caller(
        subject=f"id-{name}",
        username=name,
        kind=kind,  # type: ignore[arg-type]
        plane="customer",
        org_id=org or customer or "switchboard",
        customer_id=customer,
        reseller_chain=(),
        brand="default",
        entitlements=tuple(ents),
        session="sess-1",
        request_id="rid-1",
        jti="j",
    )


def element(name: str = "switch", *, report: bool = True) -> Caller:
    return Caller(
        subject=f"element:{name}",
        username=name,
        kind="element",
        plane="network",
        org_id="switchboard",
        customer_id=None,
        reseller_chain=(),
        brand="default",
        entitlements=(Entitlement(action="events:report"),) if report else (),
        session=None,
        request_id="rid-n",
        jti="jn",
    )


CALLERS = {
    "alice": person(),
    "vic": person(manage=False, name="vic@globex"),
    "wendy": person("initech", name="wendy@initech"),
    "pat": person(None, kind="provider", name="pat@provider"),
    "rita": person(None, kind="reseller", name="rita@acme", org="acme"),
    "zed": person(None, kind="reseller", name="zed@zenith", org="zenith"),
    "nobody": dataclasses.replace(person(), entitlements=()),
    "switch": element(),
    "mute": element("mute", report=False),
    "pat-net": dataclasses.replace(person(None, kind="provider", name="pat@provider"), plane="network"),
}


@dataclass
class Rig:
    ctx: Context
    bus: RecordingBus
    clock: Clock
    client: httpx.AsyncClient

    def as_(self, name: str, **extra: str) -> dict[str, str]:
        return {"X-Switchboard-Assertion": name, **extra}

    async def observe(self, *conditions: Condition) -> list[Any]:
        from resources.events.intake import report

        return await report(self.ctx, list(conditions))

    def tx(self, *, write: bool = True) -> Any:
        return transaction(self.ctx, write=write)


def make_context(url: str, bus: RecordingBus, clock: Clock, **kw: Any) -> tuple[Context, Any]:
    engine = create_engine(url=url, schema=kw.pop("schema", None))
    ctx = Context(maker=create_sessionmaker(engine), bus=cast(EventBus, bus), clock=clock, **kw)
    ctx.tenancy.apply(TENANCY, log=logging.getLogger("test"))
    return ctx, engine


def settings(tmp_path: Path) -> ResourceSettings:
    return ResourceSettings(
        name="events",
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite:///unused.db",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
    )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    ctx, engine = make_context(url, bus, clock)
    app = create_app(settings(tmp_path), verifier=NamedVerifier(CALLERS), context=ctx)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://events") as client:
            yield Rig(ctx=ctx, bus=bus, clock=clock, client=client)
    finally:
        await engine.dispose()
