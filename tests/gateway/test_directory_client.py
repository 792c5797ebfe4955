"""gateway.directory_client: concurrent cache misses share one directory call (unit, fake dispatcher)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest

from dispatcher.core import CallResult
from gateway.directory_client import DirectoryClient, DirectoryError
from gateway.ports import DispatcherPort
from resources.kit.caller import Entitlement, Principal
from resources.kit.versions import LocalCounter

ALICE = Principal(
    user_id="u-alice",
    username="alice@globex",
    display_name="Alice",
    kind="customer",
    org_id="globex",
    customer_id="globex",
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="directory:view"),),
)


class SlowDirectory:
    """Answers the internal API after `gate` opens; records every call it got."""

    def __init__(self, status: int = 200) -> None:
        self.calls: list[tuple[str, str]] = []
        self.gate = asyncio.Event()
        self.status = status

    async def call(self, *, method: str, path: str, **_kw: Any) -> CallResult:
        self.calls.append((method, path))
        await self.gate.wait()
        if path == "/internal/tokens/verify":
            body = {"ok": True, "token_id": "tok-1", "principal": ALICE.to_json()}
        else:
            body = ALICE.to_json()
        return CallResult(status=self.status, headers={}, body=json.dumps(body).encode())


def client(directory: SlowDirectory, counter: LocalCounter) -> DirectoryClient:
    return DirectoryClient(cast(DispatcherPort, directory), counter=counter)


async def test_a_burst_with_a_new_token_asks_the_directory_once() -> None:
    directory, counter = SlowDirectory(), LocalCounter()
    gateway = client(directory, counter)
    waiting = [asyncio.create_task(gateway.verify_token("sbt_new")) for _ in range(64)]
    await asyncio.sleep(0)
    directory.gate.set()
    identities = await asyncio.gather(*waiting)
    assert directory.calls == [("POST", "/internal/tokens/verify")]
    assert {(i.token_id, i.principal) for i in identities if i is not None} == {("tok-1", ALICE)}
    assert await gateway.verify_token("sbt_new") is identities[0]  # cached now
    await counter.bump()  # a directory change: the next request asks again
    assert (await gateway.verify_token("sbt_new")) == identities[0]
    assert len(directory.calls) == 2


async def test_a_cancelled_waiter_leaves_the_shared_lookup_to_the_others() -> None:
    directory, counter = SlowDirectory(), LocalCounter()
    gateway = client(directory, counter)
    first = asyncio.create_task(gateway.principal("u-alice"))
    second = asyncio.create_task(gateway.principal("u-alice"))
    await asyncio.sleep(0)
    first.cancel()
    directory.gate.set()
    assert await second == ALICE
    with pytest.raises(asyncio.CancelledError):
        await first
    assert directory.calls == [("GET", "/internal/principals/u-alice")]


async def test_a_failed_shared_lookup_fails_every_waiter_and_is_not_kept() -> None:
    directory, counter = SlowDirectory(status=500), LocalCounter()
    gateway = client(directory, counter)
    waiting = [asyncio.create_task(gateway.principal("u-alice")) for _ in range(3)]
    await asyncio.sleep(0)
    directory.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(r) for r in results] == ["principal lookup: status 500"] * 3
    assert all(isinstance(r, DirectoryError) for r in results)
    directory.status = 200
    assert await gateway.principal("u-alice") == ALICE
    assert len(directory.calls) == 2
