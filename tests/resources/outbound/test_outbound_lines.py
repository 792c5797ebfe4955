"""`outbound.lines`: every line of every customer with its reseller chain (top-most first), at
start, when asked, when the tenancy tree changes a chain, after a commit that created or deleted a
line, and every `lines_interval` seconds."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from outbound_support import BOB, LOBBY, Rig, rig

from resources.kit.tenancy import TENANCY
from resources.outbound.context import transaction
from resources.outbound.lines import LINES, lines_snapshot, run_lines_publisher
from resources.outbound.runtime import run_decider

__all__ = ["rig"]

INITECH_LINE = "+14155550100"


def org(org_id: str, kind: str, parent: str | None, chain: list[str]) -> dict[str, Any]:
    return {"id": org_id, "kind": kind, "parent_id": parent, "chain": chain, "suspended": False}


TREE = {
    "orgs": [
        org("switchboard", "provider", None, []),
        org("acme-reseller", "reseller", "switchboard", ["acme-reseller"]),
        org("east", "reseller", "acme-reseller", ["acme-reseller", "east"]),
        org("globex", "customer", "east", ["acme-reseller", "east"]),
        org("initech", "customer", "switchboard", []),
    ]
}
WITH_TREE = {
    "lines": [
        {"number": BOB, "customer_id": "globex", "resellers": ["acme-reseller", "east"]},
        {"number": LOBBY, "customer_id": "globex", "resellers": ["acme-reseller", "east"]},
        {"number": INITECH_LINE, "customer_id": "initech", "resellers": []},
    ]
}
NO_TREE = {"lines": [{"number": BOB, "customer_id": "globex", "resellers": []},
                     {"number": LOBBY, "customer_id": "globex", "resellers": []}]}  # fmt: skip


async def initech_line(rig: Rig) -> None:
    body = {"number": INITECH_LINE, "label": "Wendy"}
    r = await rig.client.put(f"/api/lines/{INITECH_LINE}", json=body, headers=rig.as_("wendy"))
    assert r.status_code == 201, r.text


async def settle(rig: Rig, topic: str, count: int) -> list[dict[str, Any]]:
    for _ in range(200):
        if len(rig.bus.topic(topic)) >= count:
            break
        await asyncio.sleep(0.01)
    return rig.bus.topic(topic)


async def test_the_picture_lists_every_line_sorted_with_the_reseller_chain_top_most_first(rig: Rig) -> None:
    await rig.setup()
    await initech_line(rig)
    assert rig.ctx.tenancy.apply(TREE, log=logging.getLogger("test"))
    async with transaction(rig.ctx, write=False) as tx:
        assert await lines_snapshot(tx.session, rig.ctx.tenancy.current) == WITH_TREE


async def test_published_at_start_when_asked_and_when_the_tree_changes_a_chain(rig: Rig) -> None:
    await rig.setup()
    rig.bus.published.clear()
    async with run_decider(rig.ctx):
        assert await settle(rig, LINES, 1) == [NO_TREE]  # the tree is not known yet
        await rig.bus.publish("outbound.lines-wanted", {})
        assert await settle(rig, LINES, 2) == [NO_TREE, NO_TREE]
        await initech_line(rig)  # a new line: the commit asks for a new picture
        assert rig.bus.topic("outbound.lines-wanted") == [{}, {}]
        with_initech = {"lines": [*NO_TREE["lines"], WITH_TREE["lines"][2]]}
        assert (await settle(rig, LINES, 3))[-1] == with_initech
        await rig.bus.publish(TENANCY, TREE)
        assert (await settle(rig, LINES, 4))[-1] == WITH_TREE
        assert rig.ctx.tenancy.current.get("east") is not None  # the replica took it as well
        await rig.bus.publish(TENANCY, TREE)  # the same tree again changes nothing: not passed on
        await rig.bus.publish("outbound.lines-wanted", {})
        assert await settle(rig, LINES, 5) == [NO_TREE, NO_TREE, with_initech, WITH_TREE, WITH_TREE]
        # a line's other fields are no line change; deleting one is
        body = {"number": BOB, "label": "Bob (sales)", "elevated": "international"}
        assert (
            await rig.client.put(f"/api/lines/{BOB}", json=body, headers=rig.as_("alice"))
        ).status_code == 200
        assert len(rig.bus.topic("outbound.lines-wanted")) == 3
        assert (await rig.client.delete(f"/api/lines/{LOBBY}", headers=rig.as_("alice"))).status_code == 204
        assert (await settle(rig, LINES, 6))[-1] == {"lines": [WITH_TREE["lines"][0], WITH_TREE["lines"][2]]}
        assert len(rig.bus.topic("outbound.lines-wanted")) == 4


async def test_published_again_every_interval(rig: Rig) -> None:
    await rig.setup()
    ctx = dataclasses.replace(rig.ctx, lines_interval=0.02)
    async with run_lines_publisher(ctx):
        assert await settle(rig, LINES, 3) == [NO_TREE] * 3
