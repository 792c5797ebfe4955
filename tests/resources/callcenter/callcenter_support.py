"""What the callcenter service and route tests share: a migrated SQLite file, a clock, a bus
that records what was published, callers, and sample documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from resources.callcenter.context import Context
from resources.kit.caller import Caller, Entitlement
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus
from resources.kit.migrate import upgrade

TREE = Path(__file__).resolve().parents[3] / "resources" / "callcenter" / "migrations"
T0 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
HOURS = {
    "zone": "America/New_York",
    "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def site(name: str, capacity: int, port: int) -> dict[str, Any]:
    return {"name": name, "uri": f"sip:10.0.0.{port % 250}:{port}", "capacity": capacity, "hours": HOURS}


MAIN = {
    "name": "main",
    "method": "percent",
    "members": [{"site": "east", "share": 60}, {"site": "west", "share": 40}],
    "overflow": ["south"],
}


@dataclass
class RecordingBus:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.published.append((topic, payload))


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    ctx: Context
    bus: RecordingBus
    clock: Clock


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'callcenter.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    try:
        yield Rig(
            ctx=Context(maker=create_sessionmaker(engine), bus=cast(EventBus, bus), clock=clock),
            bus=bus,
            clock=clock,
        )
    finally:
        await engine.dispose()


def person(
    customer: str | None = "globex",
    *,
    kind: str = "customer",
    view: tuple[str, ...] | None = None,
    edit: tuple[str, ...] | bool | None = None,
    name: str = "alice@globex",
) -> Caller:
    ents = [Entitlement(action="callcenter:view", scope=view)]
    if edit is not False:
        ents.append(
            Entitlement(action="callcenter:edit", scope=None if edit is None or edit is True else edit)
        )
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


ALICE = person()
