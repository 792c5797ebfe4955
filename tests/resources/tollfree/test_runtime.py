"""run_scp: initial load, bus-driven reloads, the activation scheduler and the resync loop.

The database is replaced by a fake `Source` (the boundary); bus, store and engine are real."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scp_support import (
    EAST_URI,
    NUMBER,
    OTHER_NUMBER,
    SETTINGS,
    T0,
    T1,
    WEST_URI,
    Clock,
    business_hours,
    query,
    routed,
    row,
)
from tollfree_fixtures import Env, settings_for

from resources.kit.events import InProcessBus
from resources.tollfree import service
from resources.tollfree.access import system_caller
from resources.tollfree.origin import OriginData, OriginRow
from resources.tollfree.runtime import ORIGIN_CHANGED, PLANS_CHANGED, run_scp
from resources.tollfree.scp import ScpRow, ScpStore
from resources.tollfree.settings import TollfreeSettings

CHICAGO = OriginRow(npanxx="312555", lata="358", state="IL", rate_center="CHICAGO")
SYSTEM = system_caller("test")
NOW = T0 + timedelta(minutes=1)
V1 = row(1, business_hours("east"))
V2 = row(2, business_hours("west"), effective_at=T0 + timedelta(seconds=30))


@dataclass
class FakeSource:
    """The database: a list of ACTIVE/PENDING rows, origin rows, what is due."""

    table: list[ScpRow]
    origin_rows: list[OriginRow] = field(default_factory=list)
    due: list[list[str]] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # method -> failures left

    def _maybe_fail(self, name: str) -> None:
        if self.fail.get(name, 0) > 0:
            self.fail[name] -= 1
            raise RuntimeError(f"{name} is down")

    async def rows(self, targets: Any) -> list[ScpRow]:
        self.calls.append(("rows", targets))
        self._maybe_fail("rows")
        return [r for r in self.table if targets is None or r.target in targets]

    async def origin(self) -> OriginData:
        self.calls.append(("origin", None))
        self._maybe_fail("origin")
        return OriginData.build(self.origin_rows)

    async def activate_due(self, now: datetime) -> list[str]:
        self.calls.append(("activate_due", now))
        self._maybe_fail("activate_due")
        return self.due.pop(0) if self.due else []


@dataclass
class Ctx:
    settings: TollfreeSettings
    bus: InProcessBus
    scp: ScpStore
    clock: Callable[[], datetime]


def make_ctx(tmp_path: Path, *, scheduler: float = 3600.0, resync: float = 3600.0) -> Ctx:
    bus = InProcessBus()
    settings = settings_for(tmp_path, bus, scheduler_interval=scheduler, resync_interval=resync)
    store = ScpStore(settings=SETTINGS, clock=Clock(NOW.timestamp()))
    return Ctx(settings=settings, bus=bus, scp=store, clock=lambda: NOW)


async def until(condition: Callable[[], bool]) -> None:
    """Let the runtime's tasks run until `condition` holds (bounded, not timed)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never became true")


def scp_tasks() -> list[str]:
    return sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("scp-"))


async def test_enter_loads_origin_then_every_plan(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    source = FakeSource(table=[V1], origin_rows=[CHICAGO])
    async with run_scp(ctx, source=source):
        assert source.calls == [("origin", None), ("rows", None)]
        assert ctx.scp.route(query()).version == 1
        assert ctx.scp.origin.lookup("+13125550100").lata == "358"
        assert scp_tasks() == ["scp-listen", "scp-resync", "scp-scheduler"]
    assert scp_tasks() == []


async def test_plans_changed_reloads_just_those_targets(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    other = row(1, business_hours("east"), target=OTHER_NUMBER)
    source = FakeSource(table=[V1, other])
    async with run_scp(ctx, source=source):
        source.table = [V2, other]
        await ctx.bus.publish(PLANS_CHANGED, {"targets": [NUMBER]})
        await until(lambda: ctx.scp.route(query()).version == 2)
        assert source.calls[-1] == ("rows", [NUMBER])


async def test_plans_changed_without_targets_reloads_everything(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    source = FakeSource(table=[V1])
    async with run_scp(ctx, source=source):
        source.table = [V2]
        await ctx.bus.publish(PLANS_CHANGED, {})
        await until(lambda: ctx.scp.route(query()).version == 2)
        assert source.calls[-1] == ("rows", None)


async def test_origin_changed_reloads_the_origin(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    source = FakeSource(table=[V1])
    async with run_scp(ctx, source=source):
        assert ctx.scp.origin.lookup("+13125550100").lata is None
        source.origin_rows = [CHICAGO]
        await ctx.bus.publish(ORIGIN_CHANGED, {})
        await until(lambda: ctx.scp.origin.lookup("+13125550100").lata == "358")


async def test_a_failing_reload_is_logged_and_the_next_event_still_handled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = make_ctx(tmp_path)
    source = FakeSource(table=[V1])
    async with run_scp(ctx, source=source):
        source.table = [V2]
        source.fail["rows"] = 1
        with caplog.at_level(logging.ERROR, logger="resources.tollfree"):
            await ctx.bus.publish(PLANS_CHANGED, {"targets": [NUMBER]})
            await until(
                lambda: any("handling tollfree.plans-changed failed" in r.message for r in caplog.records)
            )
        assert ctx.scp.route(query()).version == 1  # the old table stays
        await ctx.bus.publish(PLANS_CHANGED, {"targets": [NUMBER]})
        await until(lambda: ctx.scp.route(query()).version == 2)


async def test_scheduler_activates_what_is_due_and_reloads_those_targets(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, scheduler=0.001)
    source = FakeSource(table=[V1])
    async with run_scp(ctx, source=source):
        source.table = [V2]
        source.due.append([NUMBER])
        await until(lambda: ctx.scp.route(query()).version == 2)
        assert ("activate_due", NOW) in source.calls
        assert ("rows", [NUMBER]) in source.calls


async def test_scheduler_survives_a_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ctx = make_ctx(tmp_path, scheduler=0.001)
    source = FakeSource(table=[V1], fail={"activate_due": 2})
    async with run_scp(ctx, source=source):
        source.table = [V2]
        source.due.append([NUMBER])
        with caplog.at_level(logging.ERROR, logger="resources.tollfree"):
            await until(lambda: ctx.scp.route(query()).version == 2)
    failures = [
        r for r in caplog.records if r.name == "resources.tollfree" and r.message == "SCP: activation failed"
    ]
    assert len(failures) == 2


async def test_resync_reloads_everything(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, resync=0.001)
    source = FakeSource(table=[V1])
    async with run_scp(ctx, source=source):
        source.table = [V2, row(1, business_hours("east"), target=OTHER_NUMBER)]
        await until(lambda: ctx.scp.route(query(dnis=OTHER_NUMBER)).version == 1)
        assert ctx.scp.route(query()).version == 2


async def test_initial_load_failure_is_logged_and_resync_retries(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = make_ctx(tmp_path, resync=0.001)
    source = FakeSource(table=[V1], fail={"origin": 1})
    with caplog.at_level(logging.ERROR, logger="resources.tollfree"):
        async with run_scp(ctx, source=source):
            assert ctx.scp.status()["loaded_at"] is None
            assert [r.message for r in caplog.records if r.name == "resources.tollfree"] == [
                "SCP: initial load failed; retrying every 0.001s"
            ]
            await until(lambda: ctx.scp.route(query()).version == 1)


async def test_the_timeline_switches_without_the_scheduler(tmp_path: Path) -> None:
    """The scheduler has not run (hour-long interval), yet the PENDING row takes over at T1."""
    ctx = make_ctx(tmp_path)
    clock = Clock(NOW.timestamp())
    ctx.scp = ScpStore(settings=SETTINGS, clock=clock)
    source = FakeSource(table=[V1, row(2, business_hours("west"), state="PENDING", effective_at=T1)])
    async with run_scp(ctx, source=source):
        assert ctx.scp.route(query()).version == 1
        clock.now = T1.timestamp()
        assert ctx.scp.route(query()).version == 2
        assert not any(name == "activate_due" for name, _ in source.calls)


# --- with the real database (the store helper's migrations, repository and service) -------------


async def _plan(env: Env, document: dict[str, Any], *, effective_at: datetime | None) -> int:
    async with env.tx() as tx:
        draft = await service.create_version(tx, caller=SYSTEM, target=NUMBER, document=document)
        await service.activate(
            tx, caller=SYSTEM, target=NUMBER, number=draft.number, effective_at=effective_at
        )
    return int(draft.number)


async def _seed(env: Env) -> None:
    async with env.tx() as tx:
        await service.assign_number(
            tx, caller=SYSTEM, tfn=NUMBER, customer_id="globex", reseller_chain=(), description="sales"
        )
        for name, uri in (("east", "sip:127.0.0.1:5071"), ("west", "sip:127.0.0.1:5072;transport=tcp")):
            await service.save_site(
                tx, caller=SYSTEM, customer_id="globex", name=name, uri=uri, description=name
            )


async def _states(env: Env) -> list[tuple[int, str]]:
    async with env.tx(write=False) as tx:
        versions = await service.list_versions(tx, caller=SYSTEM, target=NUMBER)
    return sorted((v.number, v.state) for v in versions)


async def test_with_sqlite_load_event_timeline_and_scheduler(env: Env) -> None:
    """Activated now → loaded on enter; v2 scheduled → the bus event brings it in as PENDING; the
    store switches at the instant; the scheduler then writes ACTIVE/OLD to the database."""
    await _seed(env)
    assert await _plan(env, business_hours("east"), effective_at=None) == 1
    fast = dataclasses.replace(env.ctx.settings, scheduler_interval=0.001)
    ctx = dataclasses.replace(env.ctx, settings=fast)
    store = ctx.scp
    async with run_scp(ctx):
        result = store.route(query(env.clock.ts()))
        assert (result.version, result.answer) == (1, routed("east", EAST_URI))
        due = env.clock.now + timedelta(minutes=10)
        assert await _plan(env, business_hours("west"), effective_at=due) == 2
        await until(lambda: store.status()["compiled"] == 2)  # v2 (PENDING) came in by the bus
        assert store.route(query(env.clock.ts())).version == 1
        env.clock.now = due  # no await until the assertion: the scheduler cannot have run
        result = store.route(query(due.timestamp()))
        assert (result.version, result.answer) == (2, routed("west", WEST_URI))
        for _ in range(2000):
            if await _states(env) == [(1, "OLD"), (2, "ACTIVE")]:
                break
            await asyncio.sleep(0.001)
        assert await _states(env) == [(1, "OLD"), (2, "ACTIVE")]
        await until(lambda: store.status()["compiled"] == 1)  # v1 is gone from the table
        assert store.route(query(due.timestamp())).version == 2
