from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from gateway_support import Clock, Env

from gateway.session_redis import RedisSessionStore
from gateway.session_sql import SqlSessionStore
from gateway.sessions import SessionManager, SessionStore, session_key


async def _lifecycle(store: SessionStore) -> None:
    clock = Clock()
    m = SessionManager(store, idle_seconds=1800, absolute_seconds=3600, clock=clock)
    new = await m.start(user_id="u1", state="active", ip="198.51.100.1", user_agent="ua")
    assert new.record.key == session_key(new.raw_id) != new.raw_id
    assert await store.get(new.raw_id) is None  # never keyed by the raw id
    loaded = await m.load(new.raw_id)
    assert loaded is not None
    assert loaded.user_id == "u1"
    assert loaded.last_seen == clock.now
    # touch throttled: 30 s later last_seen is unchanged, 61 s later it moves
    start = clock.now
    clock.now = start + timedelta(seconds=30)
    assert (await m.load(new.raw_id)).last_seen == start  # type: ignore[union-attr]
    clock.now = start + timedelta(seconds=61)
    assert (await m.load(new.raw_id)).last_seen == clock.now  # type: ignore[union-attr]
    # idle expiry
    clock.now += timedelta(seconds=1801)
    assert await m.load(new.raw_id) is None
    assert await store.get(new.record.key) is None
    # absolute expiry despite activity
    s2 = await m.start(user_id="u1", state="active", ip="i", user_agent="u")
    t0 = clock.now
    for minutes in range(20, 61, 20):
        clock.now = t0 + timedelta(minutes=minutes)
        assert await m.load(s2.raw_id) is not None
    clock.now = t0 + timedelta(minutes=60, seconds=1)
    assert await m.load(s2.raw_id) is None
    # rotation at MFA keeps created_at, changes the id
    s3 = await m.start(user_id="u1", state="mfa", ip="i", user_agent="u")
    s4 = await m.promote(s3.record, ip="i", user_agent="u")
    assert s4.raw_id != s3.raw_id
    assert s4.record.created_at == s3.record.created_at
    assert s4.record.mfa_verified
    assert await m.load(s3.raw_id) is None
    # revoke one / all others
    s5 = await m.start(user_id="u1", state="active", ip="i", user_agent="u")
    s6 = await m.start(user_id="u1", state="active", ip="i", user_agent="u")
    assert {r.key for r in await m.list_for_user("u1")} == {s4.record.key, s5.record.key, s6.record.key}
    assert (await m.revoke(user_id="u1", ref=s5.record.ref)).key == s5.record.key  # type: ignore[union-attr]
    assert await m.revoke(user_id="u2", ref=s6.record.ref) is None
    assert set(await m.revoke_others(user_id="u1", keep=s6.record)) == {s4.record.key}
    assert [r.key for r in await m.list_for_user("u1")] == [s6.record.key]


async def test_sql_session_lifecycle(store: SqlSessionStore) -> None:
    await _lifecycle(store)


@pytest.mark.integration
async def test_redis_session_lifecycle() -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    store = RedisSessionStore(client, absolute_seconds=3600, prefix=prefix)
    try:
        await _lifecycle(store)
        s = await SessionManager(store, idle_seconds=60, absolute_seconds=3600).start(
            user_id="u9", state="active", ip="i", user_agent="u"
        )
        ttl = await client.ttl(f"{prefix}session:{s.record.key}")
        assert 3590 <= ttl <= 3600
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await store.aclose()


async def test_account_sessions_list_and_revoke(env: Env) -> None:
    await env.login()
    mine = env.client.cookies["__Host-sb_session"]
    env.client.cookies.clear()
    await env.login()  # a second browser
    other = env.client.cookies["__Host-sb_session"]
    page = await env.client.get("/account/sessions")
    assert page.text.count("203.0.113.9 current") == 1
    assert page.text.count("203.0.113.9 other") == 1
    ref = session_key(mine)[:32]
    r = await env.client.post(
        "/account/sessions/revoke", data={"session": ref, "csrf_token": env.csrf(page.text)}
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/account/sessions"
    assert env.directory.audits[-1]["event"] == "session.revoked"
    assert env.directory.audits[-1]["detail"] == {"revoked": ref}
    env.client.cookies.clear()
    env.client.cookies.set("__Host-sb_session", mine)
    assert (await env.client.get("/")).status_code == 303
    env.client.cookies.clear()
    env.client.cookies.set("__Host-sb_session", other)
    assert (await env.client.get("/")).status_code == 200
