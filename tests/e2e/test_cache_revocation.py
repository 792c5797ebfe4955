"""The gateway's principal/token cache never outlives a change: the whole portal in one process
(real directory, real dispatcher, real gateway) on a bus that LOSES every `directory.changed`
event, so only the change counter (resources/kit/versions.py) can make the next request fail.

A revoked token, a disabled user, a suspended organisation and a narrowed entitlement each fail
on the very next request, after the same request was answered from the cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Config
from gateway.directory_client import token_hash
from gateway.serve import build_dispatcher
from resources.kit.events import InProcessBus
from resources.kit.versions import counter_for

pytestmark = pytest.mark.e2e

SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")


class LosingBus(InProcessBus):
    """Delivers every event except `directory.changed`, which it only counts."""

    lost: int = 0

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == "directory.changed":
            self.lost += 1
            return
        await super().publish(topic, payload)


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([SWITCHBOARD, *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


class Portal:
    def __init__(self, client: httpx.AsyncClient, app: Any, bus: LosingBus, tokens: dict[str, str]) -> None:
        self.client, self.app, self.bus, self.tokens = client, app, bus, tokens

    async def get(self, who: str, path: str) -> httpx.Response:
        return await self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    async def send(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return await self.client.request(method, path, json=body, headers=headers)

    async def cached(self, who: str) -> bool:
        directory = self.app.state.deps.directory
        version = await directory.counter.current()
        return directory.cache.token(token_hash(self.tokens[who]), version) is not None


@pytest.fixture
async def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Portal]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env |= {"SWITCHBOARD_DATA": str(tmp_path), "SWITCHBOARD_DEMO": "1", "SWITCHBOARD_LOG_LEVEL": "WARNING"}
    _cli(env, "demo", "--load-only")
    tokens = {
        who: _cli(env, "token", "create", "--user", who, "--name", "cache-test")
        for who in ("admin", "alice@globex", "bob@globex", "carol@initech", "hank@hooli")
    }
    for name in [k for k in os.environ if k.startswith("SWITCHBOARD_")]:
        monkeypatch.delenv(name)
    for k, v in env.items():
        if k.startswith("SWITCHBOARD_"):
            monkeypatch.setenv(k, v)
    config = Config.load()
    bus = LosingBus()
    app = create_app(config=config, dispatcher=build_dispatcher(config, bus), bus=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://localhost") as client:
            yield Portal(client, app, bus, tokens)


async def _user_id(portal: Portal, username: str) -> str:
    r = await portal.get("admin", f"/api/directory/users?q={username}")
    assert r.status_code == 200, r.text
    return str(next(u["id"] for u in r.json()["items"] if u["username"] == username))


async def test_changes_apply_on_the_next_request_with_the_cache_in_place(portal: Portal) -> None:
    for who in ("alice@globex", "bob@globex", "carol@initech", "hank@hooli"):
        assert (await portal.get(who, "/api/directory/me")).status_code == 200
        assert await portal.cached(who)
    assert (await portal.get("carol@initech", "/api/tollfree/numbers")).status_code == 200
    bob, carol = await _user_id(portal, "bob@globex"), await _user_id(portal, "carol@initech")
    for who in ("alice@globex", "bob@globex", "carol@initech", "hank@hooli"):
        assert await portal.cached(who)  # nothing changed yet: the admin's reads bump nothing

    # a revoked token
    r = await portal.send("alice@globex", "POST", "/api/directory/me/tokens", {"name": "second"})
    assert r.status_code == 201, r.text
    portal.tokens["alice-2"] = r.json()["token"]
    assert (await portal.get("alice-2", "/api/directory/me")).status_code == 200
    assert (await portal.get("alice-2", "/api/directory/me")).status_code == 200
    assert await portal.cached("alice-2")
    revoke = await portal.send("alice@globex", "DELETE", f"/api/directory/me/tokens/{r.json()['id']}")
    assert revoke.status_code == 204
    assert (await portal.get("alice-2", "/api/directory/me")).status_code == 401

    # a disabled user
    patch = await portal.send("admin", "PATCH", f"/api/directory/users/{bob}", {"disabled": True})
    assert patch.status_code == 200, patch.text
    assert (await portal.get("bob@globex", "/api/directory/me")).status_code == 401

    # a narrowed entitlement: carol keeps only her own account
    assert (await portal.get("carol@initech", "/api/tollfree/numbers")).status_code == 200
    narrowed = await portal.send(
        "admin", "PUT", f"/api/directory/users/{carol}/entitlements",
        {"roles": [], "entitlements": [{"action": "directory:self", "scope": None}]},
    )  # fmt: skip
    assert narrowed.status_code == 200, narrowed.text
    assert (await portal.get("carol@initech", "/api/tollfree/numbers")).status_code == 403
    assert (await portal.get("carol@initech", "/api/directory/me")).status_code == 200

    # a suspended organisation
    assert (await portal.get("hank@hooli", "/api/directory/me")).status_code == 200
    suspended = await portal.send("admin", "POST", "/api/directory/orgs/hooli/suspend")
    assert suspended.status_code == 200, suspended.text
    assert (await portal.get("hank@hooli", "/api/directory/me")).status_code == 401

    assert portal.bus.lost >= 4  # every change's event was lost: the counter did it all


async def test_counter_is_read_before_the_fetch(portal: Portal) -> None:
    """The cache stores the version read before fetching: a bump always forces a refetch."""
    counter = counter_for(portal.bus)
    assert (await portal.get("alice@globex", "/api/directory/me")).status_code == 200
    assert await portal.cached("alice@globex")
    await counter.bump()
    assert not await portal.cached("alice@globex")
    assert (await portal.get("alice@globex", "/api/directory/me")).status_code == 200
    assert await portal.cached("alice@globex")


async def test_split_counter_in_redis_is_created_and_shared() -> None:
    """Split mode: the directory's RedisBus bumps, the gateway's (another client, as in another
    process) sees it; a missing key is created by the reader, so the cache is used at all."""
    import redis
    from test_split_mode import REDIS, claim_redis_db, release_redis_db

    from resources.kit.events import RedisBus
    from resources.kit.versions import RedisCounter

    try:
        r = redis.Redis.from_url(REDIS)
        r.ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 is needed: {exc!r}")
    url = f"{REDIS}/{claim_redis_db(r)}"
    r.close()
    directory_bus, gateway_bus = RedisBus(url), RedisBus(url)
    try:
        gateway, directory = counter_for(gateway_bus), counter_for(directory_bus)
        assert isinstance(gateway, RedisCounter)
        assert gateway.key == f"{gateway_bus.prefix}directory.version"
        first = await gateway.current()  # missing: created with a random start
        assert await gateway_bus.redis.get(gateway.key) == str(first).encode()
        assert await gateway.current() == first  # stable while nothing changes
        await directory.bump()
        assert await gateway.current() == first + 1
        await gateway_bus.redis.delete(gateway.key)  # a flushed Redis never repeats a value
        assert await gateway.current() not in (first, first + 1)
    finally:
        await directory_bus.redis.delete(f"{directory_bus.prefix}directory.version")
        await directory_bus.aclose()
        await gateway_bus.aclose()
        release_redis_db(url)
