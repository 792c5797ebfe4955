"""Shared fixtures: a migrated SQLite directory with the demo seed, a settable clock, callers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from assertion_fakes import NamedVerifier, caller_for

from dispatcher.registry import load_manifests
from resources.directory import authn
from resources.directory.context import Context, Tx, transaction
from resources.directory.demo import load_demo
from resources.directory.settings import DirectorySettings
from resources.kit.caller import Caller, Entitlement
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import Event, InProcessBus
from resources.kit.migrate import upgrade

TREE = Path(__file__).resolve().parents[3] / "resources" / "directory" / "migrations"
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

ALL_ACTIONS = tuple(a for m in load_manifests().values() for a in m.actions)


USERS = ("admin", "rita@acme", "alice@globex", "bob@globex", "carol@initech", "zed@zenith", "hank@hooli")
GATEWAY = Caller(  # the gateway on the service plane (/internal/…)
    subject="service:gateway", username="gateway", kind="service", plane="service", org_id="switchboard",
    customer_id=None, reseller_chain=(), brand="default",
    entitlements=(Entitlement(action="directory:authenticate"),), session=None, request_id="r", jti="j",
)  # fmt: skip


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class RecordingBus(InProcessBus):
    published: list[Event] = field(default_factory=list)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.published.append(Event(topic, payload))
        await super().publish(topic, payload)


@dataclass
class Env:
    ctx: Context
    clock: Clock
    bus: RecordingBus
    ids: dict[str, str]

    def tx(self, *, write: bool = True) -> Any:
        return transaction(self.ctx, write=write)

    async def caller(self, username: str, *, session: str | None = "sess-1") -> Caller:
        async with self.tx(write=False) as tx:
            principal = await authn.resolve_principal(tx=tx, user_id=self.ids[username])
        assert principal is not None
        return caller_for(principal, "directory", session=session)

    async def verifier(self) -> NamedVerifier:
        """Every demo user by name (their current principals), and the gateway."""
        return NamedVerifier({u: await self.caller(u) for u in USERS} | {"gateway": GATEWAY})


def settings_for(tmp_path: Path, bus: InProcessBus, **kw: Any) -> DirectorySettings:
    return DirectorySettings(
        name="directory",
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=bus,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        **kw,
    )


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    bus = RecordingBus()
    settings = settings_for(tmp_path, bus)
    await upgrade(migrations_dir=TREE, url=settings.database_url, schema=None)
    engine = create_engine(url=settings.database_url, schema=None)
    clock = Clock()
    ctx = Context.build(settings=settings, maker=create_sessionmaker(engine), clock=clock)
    # Every manifest's actions, as `switchboard demo` seeds them (bob holds scoped tollfree grants).
    ids = await load_demo(maker=ctx.maker, hasher=ctx.hasher, actions=ALL_ACTIONS)
    yield Env(ctx=ctx, clock=clock, bus=bus, ids=ids)
    await engine.dispose()


__all__ = ["START", "Clock", "Env", "Tx", "env"]
