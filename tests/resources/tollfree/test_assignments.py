"""`tollfree.numbers`: the whole assignment picture, published at start, on request and after a
commit that changed numbers or sites."""

from __future__ import annotations

import asyncio
from typing import Any

from pool_support import with_tenancy
from tollfree_fixtures import Env, caller

from resources.tollfree.assignments import NUMBERS, numbers_snapshot, run_numbers_publisher
from resources.tollfree.customers import assign_number, delete_site, save_site

DEMO_PICTURE = {
    "numbers": [
        {"number": "+18005550100", "customer_id": "globex", "resellers": []},
        {"number": "+18005550101", "customer_id": "globex", "resellers": []},
        {"number": "+18665550104", "customer_id": "initech", "resellers": ["acme"]},
        {"number": "+18775550103", "customer_id": "initech", "resellers": ["acme"]},
        {"number": "+18885550102", "customer_id": "globex", "resellers": []},
    ],
    "sites": [
        {"customer_id": "globex", "name": "east", "uri": "sip:127.0.0.1:5071"},
        {"customer_id": "globex", "name": "west", "uri": "sip:127.0.0.1:5072"},
        {"customer_id": "initech", "name": "main", "uri": "sip:127.0.0.1:5073"},
    ],
}


def published(env: Env, topic: str) -> list[dict[str, Any]]:
    return [payload for t, payload in env.topics() if t == topic]


async def settle(env: Env, topic: str, count: int) -> None:
    for _ in range(200):
        if len(published(env, topic)) >= count:
            return
        await asyncio.sleep(0.01)


async def test_snapshot_lists_every_number_and_site(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        assert await numbers_snapshot(tx.session) == DEMO_PICTURE


async def test_publishes_at_start_and_when_asked(demo: Env) -> None:
    async with run_numbers_publisher(demo.ctx):
        await settle(demo, NUMBERS, 1)
        assert published(demo, NUMBERS) == [DEMO_PICTURE]
        await demo.bus.publish("tollfree.numbers-wanted", {})
        await settle(demo, NUMBERS, 2)
        assert published(demo, NUMBERS) == [DEMO_PICTURE, DEMO_PICTURE]


async def test_a_commit_that_changes_numbers_or_sites_asks_for_a_new_picture(demo: Env) -> None:
    admin = caller("admin")
    await with_tenancy(demo)
    async with run_numbers_publisher(demo.ctx):
        await settle(demo, NUMBERS, 1)
        async with demo.tx() as tx:
            await assign_number(tx, caller=admin, tfn="+18335550199", customer_id="globex")
        await settle(demo, NUMBERS, 2)
        latest = published(demo, NUMBERS)[-1]
        assert {"number": "+18335550199", "customer_id": "globex", "resellers": []} in latest["numbers"]
        assert len(latest["numbers"]) == 6
        async with demo.tx() as tx:
            await delete_site(tx, caller=admin, customer_id="initech", name="main")
        await settle(demo, NUMBERS, 3)
        assert published(demo, NUMBERS)[-1]["sites"] == DEMO_PICTURE["sites"][:2]
        # an unchanged site (same uri and description) is no change: nothing asked
        before = len(published(demo, "tollfree.numbers-wanted"))
        async with demo.tx() as tx:
            await save_site(
                tx,
                caller=admin,
                customer_id="globex",
                name="east",
                uri="sip:127.0.0.1:5071",
                description="Globex east call center",
            )
        assert len(published(demo, "tollfree.numbers-wanted")) == before
