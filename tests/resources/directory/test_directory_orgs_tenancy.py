"""`directory.tenancy`: the snapshot's exact shape, the publisher (at start, on request, after an
org change's commit, periodically) and revision 0002 (suspension columns, built-in roles)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from directory_fixtures import TREE, Env
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from resources.directory import orgs
from resources.directory.context import TENANCY_WANTED
from resources.directory.repository import load_tree
from resources.directory.service import system_caller
from resources.directory.tenancy_bus import TENANCY, run_tenancy_publisher, tenancy_snapshot
from resources.kit.db import create_engine
from resources.kit.events import Event
from resources.kit.migrate import upgrade


def org(id_: str, kind: str, parent: str | None, chain: list[str], suspended: bool = False) -> dict[str, Any]:
    return {"id": id_, "kind": kind, "parent_id": parent, "chain": chain, "suspended": suspended}


DEMO = [
    org("acme", "reseller", "switchboard", ["acme"]),
    org("acme-west", "reseller", "acme", ["acme", "acme-west"]),
    org("globex", "customer", "switchboard", []),
    org("hooli", "customer", "zenith", ["zenith"]),
    org("initech", "customer", "acme", ["acme"]),
    org("switchboard", "provider", None, []),
    org("vandelay", "customer", "acme-west", ["acme", "acme-west"]),
    org("zenith", "reseller", "switchboard", ["zenith"]),
]


async def _snapshot(env: Env) -> dict[str, Any]:
    async with env.tx(write=False) as tx:
        return tenancy_snapshot(await load_tree(tx.session))


async def test_snapshot_of_the_demo(env: Env) -> None:
    assert await _snapshot(env) == {"orgs": DEMO}


async def test_suspension_shows_on_the_org_and_everything_below(env: Env) -> None:
    async with env.tx() as tx:
        await orgs.suspend_org(tx=tx, caller=system_caller(), org_id="acme-west")
    suspended = {o["id"] for o in (await _snapshot(env))["orgs"] if o["suspended"]}
    assert suspended == {"acme-west", "vandelay"}


async def _next(events: Any) -> Event:
    event: Event = await asyncio.wait_for(anext(events), 2)
    return event


async def test_publisher_answers_at_start_on_request_and_after_changes(env: Env) -> None:
    events = env.bus.subscribe(TENANCY)
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    async with run_tenancy_publisher(env.ctx, interval=3600):
        first: Event = await asyncio.wait_for(pending, 2)
        assert (first.topic, first.payload) == (TENANCY, {"orgs": DEMO})
        await env.bus.publish(TENANCY_WANTED, {})  # a replica starting
        assert (await _next(events)).payload == {"orgs": DEMO}
        async with env.tx() as tx:  # an org change: published after the commit
            await orgs.suspend_org(tx=tx, caller=system_caller(), org_id="hooli")
        changed = (await _next(events)).payload["orgs"]
        assert [o for o in changed if o["id"] == "hooli"] == [
            org("hooli", "customer", "zenith", ["zenith"], True)
        ]
    await events.aclose()  # type: ignore[attr-defined]


async def test_publisher_resyncs_periodically(env: Env) -> None:
    events = env.bus.subscribe(TENANCY)
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    async with run_tenancy_publisher(env.ctx, interval=0.01):
        await asyncio.wait_for(pending, 2)  # at start
        await _next(events)  # and again without being asked
    await events.aclose()  # type: ignore[attr-defined]


async def test_revision_0002_marks_existing_builtin_roles(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None, revision="0001")
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO directory_orgs (id, name, kind, created_at) "
                    "VALUES ('switchboard', 'S', 'provider', '2026-01-01 00:00:00')"
                )
            )
            for role_id in ("customer-admin", "customer-user", "switchboard.custom"):
                await conn.execute(
                    text(
                        "INSERT INTO directory_roles (id, name, org_id, description) "
                        "VALUES (:id, 'r', 'switchboard', '')"
                    ),
                    {"id": role_id},
                )
        await upgrade(migrations_dir=TREE, url=url, schema=None, revision="0002")
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, builtin FROM directory_roles ORDER BY id"))).all()

            def columns(sync: Connection) -> list[str]:
                return [c["name"] for c in inspect(sync).get_columns("directory_orgs")]

            cols = await conn.run_sync(columns)
    finally:
        await engine.dispose()
    assert [(r[0], bool(r[1])) for r in rows] == [
        ("customer-admin", True),
        ("customer-user", True),
        ("switchboard.custom", False),
    ]
    assert cols[-2:] == ["suspended_at", "suspended_by"]
