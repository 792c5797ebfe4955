"""API tokens: create, verify, narrowing, expiry, revoke; only the sha256 is stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from directory_fixtures import ALL_ACTIONS, Env

from resources.directory import account, authn, service
from resources.directory.demo import person_actions
from resources.directory.models import ApiToken
from resources.kit.caller import Entitlement
from resources.kit.errors import ValidationFailed

ALL_PERSON_ACTIONS = person_actions(ALL_ACTIONS)


async def test_create_verify_revoke(env: Env) -> None:
    alice = await env.caller("alice@globex")
    async with env.tx() as tx:
        row, token = await account.create_token(tx=tx, caller=alice, name="ci")
    assert token.startswith(f"sbt_{row.id}_")
    assert len(row.id) == 16
    async with env.tx(write=False) as tx:
        stored = await tx.session.get(ApiToken, row.id)
        assert stored is not None
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (stored.prefix, stored.token_hash)
        assert stored.prefix == token[:25]
    async with env.tx() as tx:
        verified = await authn.verify_token(tx=tx, token=token)
    assert verified is not None
    assert verified[0] == row.id
    assert verified[1].user_id == env.ids["alice@globex"]
    # callcenter:view and edit + 7 directory + outbound:view and edit + tollfree:view, edit-routing
    # and view-audit + traffic:view
    assert len(verified[1].entitlements) == 19
    async with env.tx(write=False) as tx:
        stored = await tx.session.get(ApiToken, row.id)
        assert stored is not None
        assert stored.last_used_at == env.clock.now
    async with env.tx() as tx:
        assert await authn.verify_token(tx=tx, token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert await authn.verify_token(tx=tx, token="sbt_nothing") is None
    async with env.tx() as tx:
        await account.revoke_token(tx=tx, caller=alice, token_id=row.id)
    async with env.tx() as tx:
        assert await authn.verify_token(tx=tx, token=token) is None
    assert env.bus.published[-1].payload == {"user_ids": [env.ids["alice@globex"]]}


async def test_narrowing_and_expiry(env: Env) -> None:
    alice = await env.caller("alice@globex")
    async with env.tx() as tx:
        _row, token = await account.create_token(
            tx=tx,
            caller=alice,
            name="read",
            actions=["directory:view-users"],
            expires_at=env.clock.now + timedelta(days=1),
        )
    async with env.tx() as tx:
        verified = await authn.verify_token(tx=tx, token=token)
    assert verified is not None
    assert verified[1].entitlements == (Entitlement(action="directory:view-users"),)
    env.clock.advance(days=1)
    async with env.tx() as tx:
        assert await authn.verify_token(tx=tx, token=token) is None


async def test_cannot_narrow_to_actions_not_held(env: Env) -> None:
    bob = await env.caller("bob@globex")
    with pytest.raises(ValidationFailed) as exc:
        async with env.tx() as tx:
            await account.create_token(tx=tx, caller=bob, name="x", actions=["directory:manage-users"])
    assert exc.value.errors == [{"field": "actions", "message": "You do not hold directory:manage-users."}]


async def test_token_caller_is_limited_by_its_narrowing(env: Env) -> None:
    alice = await env.caller("alice@globex")
    async with env.tx() as tx:
        row, _ = await account.create_token(tx=tx, caller=alice, name="self-only", actions=["directory:self"])
    via_token = await env.caller("alice@globex", session=f"token:{row.id}")
    async with env.tx(write=False) as tx:
        assert await service.caller_entitlements(tx, via_token) == (Entitlement(action="directory:self"),)
    with pytest.raises(ValidationFailed):
        async with env.tx() as tx:
            await account.create_token(tx=tx, caller=via_token, name="y", actions=["directory:view-users"])


async def test_cli_issues_token_for_a_user(env: Env) -> None:
    async with env.tx() as tx:
        row, token = await account.create_token_for(
            tx=tx,
            caller=service.system_caller(actions=ALL_PERSON_ACTIONS),
            user_id=env.ids["bob@globex"],
            name="cli",
        )
    async with env.tx() as tx:
        verified = await authn.verify_token(tx=tx, token=token)
    assert verified is not None
    assert verified[1].username == "bob@globex"
    assert row.user_id == env.ids["bob@globex"]


async def test_cli_finds_users_by_name(env: Env) -> None:
    async with env.tx(write=False) as tx:
        assert (
            await service.user_id_for(tx=tx, caller=service.system_caller(), username="Bob@Globex")
            == (env.ids["bob@globex"])
        )
