"""Split mode end to end: the directory as its own mTLS service, PostgreSQL and Redis for real.

A fresh database `sb_split_<random>` (dropped at the end) and an unused Redis database number;
`switchboard certs`, `migrate`, `demo --load-only`, then `serve --resource directory` and the
gateway (`SWITCHBOARD_RESOURCES=directory=https://…`) as separate processes. The same spine
checks as in one process (tests/e2e/spine_checks.py), then what only split mode has.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import random
import secrets
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import redis
from e2e_support import Portal, free_port, portal_env, run_cli, start_server, stop, wait_healthy
from spine_checks import GLOBEX, SESSION_COOKIE, Target, csrf_token, forged_assertion, login, run_spine_checks

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PG = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
SESSION_PREFIX = "switchboard:gw:"  # gateway/session_redis.py


@dataclass(frozen=True)
class Split:
    gateway: Portal
    directory: Portal  # base_url = the directory service itself (mTLS)
    database: str
    redis_url: str

    @property
    def certs(self) -> str:
        return str(self.gateway.data_dir / "certs")

    def target(self) -> Target:
        return Target(
            base_url=self.gateway.base_url,
            certs_dir=self.gateway.data_dir / "certs",
            cli=functools.partial(run_cli, self.gateway.env),
        )

    def mtls(self, *, client_cert: bool) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=f"{self.certs}/ca.pem")
        if client_cert:
            ctx.load_cert_chain(
                f"{self.certs}/dispatcher-client.pem", f"{self.certs}/dispatcher-client-key.pem"
            )
        return ctx


async def _pg(sql: str, *args: object, database: str = "postgres") -> list[asyncpg.Record]:
    conn = await asyncpg.connect(f"{PG}/{database}")
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def pg(sql: str, *args: object, database: str = "postgres") -> list[asyncpg.Record]:
    return asyncio.run(_pg(sql, *args, database=database))


def drop_database(name: str) -> None:
    pg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
    pg(f'DROP DATABASE IF EXISTS "{name}"')


CLAIM_KEY = "switchboard:test:claimed-by"


def claim_redis_db(client: redis.Redis) -> int:
    """A database number 1..15 for this run alone. Redis pub/sub channels carry the number
    (kit/events.py), so two portals on one number hear each other's events: a database is claimed
    with SET NX, which only one of two runs choosing at once can win (another run's simulator once
    reached a "fresh" live view that way). Empty databases are tried first; a database that holds
    keys but no claim is taken too (a shared CI Redis once had keys in all fifteen), and the
    `switchboard:` keys an earlier run left there (counters, throttle blocks) are deleted, so this
    run starts clean. Other programs' keys are not touched. The claim expires in an hour."""
    used = {int(k.removeprefix("db")) for k in client.info("keyspace")}
    token = secrets.token_hex(8)
    empty = [n for n in range(1, 16) if n not in used]
    holding = [n for n in range(1, 16) if n in used]
    for n in random.sample(empty, k=len(empty)) + random.sample(holding, k=len(holding)):
        db = redis.Redis.from_url(f"{REDIS}/{n}")
        try:
            if db.set(CLAIM_KEY, token, nx=True, ex=3600):
                _delete_switchboard_keys(db, keep=CLAIM_KEY)
                return n
        finally:
            db.close()
    pytest.fail("every Redis database 1..15 is claimed by another run: no database for this run's bus")


def _delete_switchboard_keys(db: redis.Redis, *, keep: str = "") -> None:
    for key in db.scan_iter(match="switchboard:*", count=500):
        if key.decode() != keep:
            db.delete(key)


def release_redis_db(redis_url: str) -> None:
    """Give the database back without the keys this run made (and the claim)."""
    db = redis.Redis.from_url(redis_url)
    try:
        _delete_switchboard_keys(db)
    finally:
        db.close()


def forget_sessions(client: redis.Redis, user_ids: set[str]) -> None:
    """Delete the session keys of this run's users only (the db may be shared with another run)."""
    for key in client.scan_iter(match=f"{SESSION_PREFIX}session:*", count=500):
        if (client.hget(key, "user_id") or b"").decode() in user_ids:
            client.delete(key)
    for uid in user_ids:
        client.delete(f"{SESSION_PREFIX}user:{uid}")


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Split]:
    try:
        pg("SELECT 1")
        redis.Redis.from_url(REDIS).ping()
    except (OSError, asyncpg.PostgresError, redis.RedisError) as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed: {exc!r}")
    database = f"sb_split_{secrets.token_hex(6)}"
    r = redis.Redis.from_url(REDIS)
    redis_url = f"{REDIS}/{claim_redis_db(r)}"
    r.close()
    data = tmp_path_factory.mktemp("split")
    port, network_port, directory_port = free_port(), free_port(), free_port()
    env = portal_env(data, port=port, network_port=network_port)
    env["SWITCHBOARD_DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    env["SWITCHBOARD_REDIS_URL"] = redis_url
    gateway_env = env | {"SWITCHBOARD_RESOURCES": f"directory=https://127.0.0.1:{directory_port}"}
    info = Split(
        gateway=Portal(
            base_url=f"https://127.0.0.1:{port}",
            port=port,
            network_port=network_port,
            data_dir=data,
            log_path=data / "gateway.log",
            env=gateway_env,
        ),
        directory=Portal(
            base_url=f"https://127.0.0.1:{directory_port}",
            port=directory_port,
            network_port=0,
            data_dir=data,
            log_path=data / "directory.log",
            env=env,
        ),
        database=database,
        redis_url=redis_url,
    )
    pg(f'CREATE DATABASE "{database}"')
    procs = []
    user_ids: set[str] = set()
    try:
        run_cli(env, "certs")
        run_cli(env, "migrate")
        run_cli(env, "demo", "--load-only")
        user_ids = {row["id"] for row in pg("SELECT id FROM directory.directory_users", database=database)}
        directory = start_server(
            env, info.directory.log_path, "serve", "--resource", "directory", "--port", str(directory_port)
        )
        procs.append(directory)
        wait_healthy(
            f"{info.directory.base_url}/healthz", directory, info.directory, tls=info.mtls(client_cert=True)
        )
        gateway = start_server(gateway_env, info.gateway.log_path, "serve")
        procs.append(gateway)
        wait_healthy(f"{info.gateway.base_url}/healthz", gateway, info.gateway)
        yield info
    finally:
        for proc in reversed(procs):
            stop(proc)
        r = redis.Redis.from_url(redis_url)
        try:
            forget_sessions(r, user_ids)
        finally:
            r.close()
        release_redis_db(redis_url)
        drop_database(database)


def session_key(client: httpx.Client) -> str:
    return f"{SESSION_PREFIX}session:{hashlib.sha256(client.cookies[SESSION_COOKIE].encode()).hexdigest()}"


def test_split_mode(split: Split) -> None:
    target = split.target()
    run_spine_checks(target, token_name=f"split-{secrets.token_hex(4)}")
    check_sessions_in_redis(split, target)
    check_postgres_schemas(split)
    check_directory_requires_mtls_and_assertion(split)
    check_disable_applies_on_next_request(split, target)


def check_sessions_in_redis(split: Split, target: Target) -> None:
    r = redis.Redis.from_url(split.redis_url, decode_responses=True)
    try:
        with login(target, "alice@globex") as alice:
            me = alice.get("/api/directory/me")
            assert me.status_code == 200
            key = session_key(alice)
            assert r.hget(key, "user_id") == me.json()["id"]
            assert r.hget(key, "state") == "active"
            assert key.removeprefix(f"{SESSION_PREFIX}session:") in r.smembers(
                f"{SESSION_PREFIX}user:{me.json()['id']}"
            )
            out = alice.post("/logout", data={"csrf_token": csrf_token(alice)})
            assert out.status_code == 303
            assert r.exists(key) == 0
    finally:
        r.close()
    rows = pg("SELECT count(*) AS n FROM gateway.gateway_sessions", database=split.database)
    assert rows[0]["n"] == 0  # Redis replaced the SQL session store


def check_postgres_schemas(split: Split) -> None:
    rows = pg(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
        database=split.database,
    )
    tables: dict[str, set[str]] = {}
    for row in rows:
        tables.setdefault(row["table_schema"], set()).add(row["table_name"])
    assert set(tables) == {
        "gateway",
        "directory",
        "tollfree",
        "traffic",
        "callcenter",
        "outbound",
        "events",
        "tickets",
    }
    assert tables["callcenter"] == {"callcenter_alembic_version", "callcenter_audit", "callcenter_revisions"}
    assert tables["outbound"] == {
        "outbound_alembic_version",
        "outbound_audit",
        "outbound_codes",
        "outbound_objects",
        "outbound_usage",
    }
    assert tables["events"] == {
        "events_alembic_version",
        "events_alarms",
        "events_audit",
        "events_deliveries",
        "events_log",
        "events_outbox_mail",
        "events_subscriptions",
        "events_thresholds",
    }
    assert tables["tickets"] == {
        "tickets_alembic_version",
        "tickets_attachments",
        "tickets_chat_messages",
        "tickets_counters",
        "tickets_history",
        "tickets_notes",
        "tickets_tickets",
    }
    assert all(name.startswith("tollfree_") for name in tables["tollfree"])
    assert {"tollfree_numbers", "tollfree_versions", "tollfree_alembic_version"} <= tables["tollfree"]
    assert tables["traffic"] == {
        "traffic_alembic_version",
        "traffic_calls",
        "traffic_buckets",
        "traffic_lines",
        "traffic_numbers",
        "traffic_sites",
    }
    assert tables["gateway"] == {"gateway_alembic_version", "gateway_sessions"}
    assert tables["directory"] == {
        "directory_alembic_version",
        "directory_orgs",
        "directory_users",
        "directory_roles",
        "directory_role_entitlements",
        "directory_user_roles",
        "directory_user_entitlements",
        "directory_api_tokens",
        "directory_audit",
        "directory_brand_versions",
        "directory_brand_assets",
        "directory_sso",
        "directory_sso_identities",
    }


def check_directory_requires_mtls_and_assertion(split: Split) -> None:
    url = f"{split.directory.base_url}/api/users"
    with httpx.Client(verify=split.mtls(client_cert=True), timeout=10) as dispatcher_like:
        missing = dispatcher_like.get(url)
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["status"] == 401
        forged = dispatcher_like.get(
            url, headers={"X-Switchboard-Assertion": forged_assertion(split.gateway.data_dir / "certs")}
        )
        assert forged.status_code == 401
        assert forged.headers["content-type"] == "application/problem+json"
    # no client certificate: the request never completes. With TLS 1.3 the server drops the
    # connection right after the handshake; with TLS 1.2 the handshake itself fails (SSL error).
    no_cert = httpx.Client(verify=split.mtls(client_cert=False), timeout=10)
    with no_cert as stranger, pytest.raises(httpx.TransportError):
        stranger.get(url)
    tls12 = split.mtls(client_cert=False)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with httpx.Client(verify=tls12, timeout=10) as stranger, pytest.raises(httpx.ConnectError) as refused:
        stranger.get(url)
    assert any(isinstance(e, ssl.SSLError) for e in causes(refused.value)), repr(refused.value)


def causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def wait_changed(pubsub: redis.client.PubSub, user_id: str, *, timeout: float = 5) -> bool:
    """Whether a `directory.changed` event naming `user_id` arrives within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None and user_id in (json.loads(message["data"]).get("user_ids") or ()):
            return True
    return False


def check_disable_applies_on_next_request(split: Split, target: Target) -> None:
    """Alice (customer admin) disables bob while he has a live session: the directory process
    publishes `directory.changed` on Redis, the gateway drops bob's cached principal, and bob's
    very next request finds his session ended."""
    r = redis.Redis.from_url(split.redis_url)
    pubsub = r.pubsub()
    try:
        db = split.redis_url.rsplit("/", 1)[1]
        pubsub.subscribe(f"switchboard:{db}:directory.changed")  # resources/kit/events.py RedisBus
        with login(target, "bob@globex") as bob, login(target, "alice@globex") as alice:
            assert bob.get("/").status_code == 200  # bob's principal is now in the gateway's cache
            bob_key = session_key(bob)
            assert r.exists(bob_key) == 1
            users = {u["username"]: u["id"] for u in alice.get("/api/directory/users").json()["items"]}
            assert sorted(users) == GLOBEX
            patched = alice.patch(
                f"/api/directory/users/{users['bob@globex']}",
                json={"disabled": True},
                headers={"X-CSRF-Token": csrf_token(alice)},
            )
            assert patched.status_code == 200, patched.text[:500]
            assert patched.json()["disabled"] is True
            refused = bob.get("/")
            assert (refused.status_code, refused.headers["location"]) == (303, "/login?next=/")
            assert r.exists(bob_key) == 0
            assert bob.get("/api/directory/me").status_code == 401
            assert wait_changed(pubsub, users["bob@globex"])  # it crossed processes on Redis
    finally:
        pubsub.close()
        r.close()
