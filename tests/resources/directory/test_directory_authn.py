"""Internal API services: passwords, lockout, TOTP, principals, tokens."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from directory_fixtures import START, Env
from sqlalchemy import select

from resources.directory import account, authn
from resources.directory.crypto import make_hasher
from resources.directory.models import AuditRow, User
from resources.kit.caller import Entitlement

PW = "switchboard-demo"


async def _login(env: Env, username: str, password: str) -> authn.AuthResult:
    async with env.tx() as tx:
        return await authn.authenticate(tx=tx, username=username, password=password, ip="192.0.2.7")


async def _events(env: Env) -> list[tuple[str, str | None]]:
    async with env.tx(write=False) as tx:
        rows = (await tx.session.execute(select(AuditRow).order_by(AuditRow.id))).scalars()
        return [(r.event, r.subject) for r in rows]


async def test_password_ok_and_wrong(env: Env) -> None:
    assert (await _login(env, "alice@globex", PW)).to_json() == {
        "ok": True,
        "user_id": env.ids["alice@globex"],
        "mfa_required": False,
    }
    assert (await _login(env, "alice@globex", "nope")).to_json() == {"ok": False, "reason": "invalid"}
    assert (await _login(env, "nobody", PW)).to_json() == {"ok": False, "reason": "invalid"}
    assert await _events(env) == [
        ("login.success", "alice@globex"),
        ("login.failure", "alice@globex"),
        ("login.failure", "nobody"),
    ]


async def test_lockout_after_five_failures_and_unlock_after_time(env: Env) -> None:
    results = [(await _login(env, "bob@globex", f"wrong-{i}")).reason for i in range(5)]
    assert results == ["invalid", "invalid", "invalid", "invalid", "locked"]
    assert (await _login(env, "bob@globex", PW)).reason == "locked"  # even the right password
    async with env.tx(write=False) as tx:
        assert await authn.resolve_principal(tx=tx, user_id=env.ids["bob@globex"]) is None
    assert env.bus.published[-1].payload == {"user_ids": [env.ids["bob@globex"]]}
    env.clock.advance(minutes=14, seconds=59)
    assert (await _login(env, "bob@globex", PW)).reason == "locked"
    env.clock.advance(seconds=1)
    assert (await _login(env, "bob@globex", PW)).ok is True
    assert [e for e, _ in await _events(env)].count("account.locked") == 1


async def test_success_resets_the_counter(env: Env) -> None:
    for i in range(4):
        await _login(env, "bob@globex", f"wrong-{i}")
    assert (await _login(env, "bob@globex", PW)).ok is True
    for i in range(4):
        assert (await _login(env, "bob@globex", f"wrong-{i}")).reason == "invalid"


async def test_disabled_only_told_after_correct_password(env: Env) -> None:
    async with env.tx() as tx:
        user = await tx.session.get(User, env.ids["bob@globex"])
        assert user is not None
        user.disabled = True
    assert (await _login(env, "bob@globex", "wrong")).reason == "invalid"
    assert (await _login(env, "bob@globex", PW)).reason == "disabled"


async def test_argon2id_hash_and_rehash_on_login(env: Env) -> None:
    async with env.tx(write=False) as tx:
        user = await tx.session.get(User, env.ids["bob@globex"])
        assert user is not None
        old = user.password_hash
    assert old.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    stronger = make_hasher(time_cost=2, memory_kib=2048, parallelism=1)
    object.__setattr__(env.ctx, "hasher", stronger)
    assert (await _login(env, "bob@globex", PW)).ok is True
    async with env.tx(write=False) as tx:
        user = await tx.session.get(User, env.ids["bob@globex"])
        assert user is not None
        assert user.password_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert (await _login(env, "bob@globex", PW)).ok is True


def _totp(secret: bytes, at: float) -> str:
    return TOTP(secret, 6, SHA1(), 30, enforce_key_length=False).generate(at).decode()  # noqa: S303


async def _enrol(env: Env, username: str) -> bytes:
    caller = await env.caller(username)
    async with env.tx() as tx:
        secret = await account.mfa_begin(tx=tx, caller=caller)
    async with env.tx() as tx:
        await account.mfa_confirm(tx=tx, caller=caller, code=_totp(secret, START.timestamp()))
    return secret


async def test_totp_verify_and_replay_refused(env: Env) -> None:
    secret = await _enrol(env, "alice@globex")
    key_file = env.ctx.settings.secret_key_path
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    async with env.tx(write=False) as tx:
        user = await tx.session.get(User, env.ids["alice@globex"])
        assert user is not None
        assert user.mfa_enabled
        assert secret.hex() not in (user.mfa_secret or "")
        assert user.mfa_secret
    uid = env.ids["alice@globex"]
    assert (await _login(env, "alice@globex", PW)).mfa_required is True
    env.clock.advance(seconds=30)
    code = _totp(secret, env.clock.now.timestamp())
    async with env.tx() as tx:
        assert await authn.verify_mfa(tx=tx, user_id=uid, code=code, ip=None) is True
    async with env.tx() as tx:
        assert await authn.verify_mfa(tx=tx, user_id=uid, code=code, ip=None) is False  # replay
    previous = _totp(secret, (env.clock.now - timedelta(seconds=30)).timestamp())
    async with env.tx() as tx:  # the step before the used one is older, so refused too
        assert await authn.verify_mfa(tx=tx, user_id=uid, code=previous, ip=None) is False
    env.clock.advance(seconds=30)
    async with env.tx() as tx:
        assert await authn.verify_mfa(
            tx=tx, user_id=uid, code=_totp(secret, env.clock.now.timestamp()), ip=None
        )
    async with env.tx() as tx:
        assert await authn.verify_mfa(tx=tx, user_id=uid, code="12345", ip=None) is False


async def test_mfa_failures_count_toward_lockout(env: Env) -> None:
    secret = await _enrol(env, "alice@globex")
    uid = env.ids["alice@globex"]
    env.clock.advance(seconds=90)
    good = _totp(secret, env.clock.now.timestamp())
    bad = "000000" if good != "000000" else "111111"
    for _ in range(5):
        async with env.tx() as tx:
            assert await authn.verify_mfa(tx=tx, user_id=uid, code=bad, ip=None) is False
    async with env.tx() as tx:
        assert await authn.verify_mfa(tx=tx, user_id=uid, code=good, ip=None) is False
    assert (await _login(env, "alice@globex", PW)).reason == "locked"


async def test_principal_resolution(env: Env) -> None:
    async with env.tx(write=False) as tx:
        carol = await authn.resolve_principal(tx=tx, user_id=env.ids["carol@initech"])
        rita = await authn.resolve_principal(tx=tx, user_id=env.ids["rita@acme"])
        bob = await authn.resolve_principal(tx=tx, user_id=env.ids["bob@globex"])
        admin = await authn.resolve_principal(tx=tx, user_id=env.ids["admin"])
        assert await authn.resolve_principal(tx=tx, user_id="nope") is None
    assert carol is not None
    assert rita is not None
    assert bob is not None
    assert admin is not None
    assert (carol.kind, carol.org_id, carol.customer_id, carol.reseller_chain, carol.brand) == (
        "customer",
        "initech",
        "initech",
        ("acme",),
        "acme",
    )
    assert (rita.kind, rita.customer_id, rita.reseller_chain, rita.brand) == (
        "reseller",
        None,
        ("acme",),
        "acme",
    )
    assert (bob.kind, bob.customer_id, bob.reseller_chain, bob.brand) == ("customer", "globex", (), "default")
    assert (admin.kind, admin.reseller_chain, admin.brand) == ("provider", (), "default")
    assert set(bob.entitlements) == {
        Entitlement(action="directory:self"),
        Entitlement(action="tollfree:view", scope=("+18005550100", "+18005550101")),
        Entitlement(action="tollfree:edit-routing", scope=("+18005550100", "+18005550101")),
        Entitlement(action="traffic:view", scope=("+18005550100", "+18005550101")),
    }
    # a customer admin holds every person action except the staff-only ones (manage-numbers)
    assert [e.action for e in carol.entitlements] == [
        "callcenter:edit",
        "callcenter:view",
        "directory:manage-entitlements",
        "directory:manage-roles",
        "directory:manage-sso",
        "directory:manage-users",
        "directory:self",
        "directory:view-audit",
        "directory:view-users",
        "events:manage",
        "events:view",
        "outbound:edit",
        "outbound:view",
        "tickets:open",
        "tickets:view",
        "tollfree:edit-routing",
        "tollfree:view",
        "tollfree:view-audit",
        "traffic:view",
    ]


async def test_principal_is_union_of_roles_and_direct_grants(env: Env) -> None:
    from resources.directory import repository as repo

    async with env.tx() as tx:
        await repo.replace_grants(
            tx.session,
            user_id=env.ids["bob@globex"],
            role_ids=["customer-user"],
            entitlements=[Entitlement(action="directory:view-users", scope=("globex",))],
        )
    async with env.tx(write=False) as tx:
        bob = await authn.resolve_principal(tx=tx, user_id=env.ids["bob@globex"])
    assert bob is not None
    assert bob.entitlements == (
        Entitlement(action="directory:self"),
        Entitlement(action="directory:view-users", scope=("globex",)),
    )
