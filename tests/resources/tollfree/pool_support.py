"""Shared by the pool and tenancy-replica tests: the directory's tenancy picture of the
white-label demo (two resellers, a nested one, a suspended customer and reseller) and the
second reseller's admin, zed@zenith."""

from __future__ import annotations

from typing import Any

from assertion_fakes import NamedVerifier, caller_for
from tollfree_fixtures import ALL, PRINCIPALS, Env, caller

from resources.kit.caller import Caller, Principal
from resources.tollfree.tenancy import apply_tenancy


def org(
    org_id: str, kind: str, parent: str | None, chain: list[str], suspended: bool = False
) -> dict[str, Any]:
    return {"id": org_id, "kind": kind, "parent_id": parent, "chain": chain, "suspended": suspended}


PICTURE: dict[str, Any] = {
    "orgs": [
        org("switchboard", "provider", None, []),
        org("acme", "reseller", "switchboard", ["acme"]),
        org("acme-west", "reseller", "acme", ["acme", "acme-west"]),
        org("zenith", "reseller", "switchboard", ["zenith"]),
        org("gone", "reseller", "switchboard", ["gone"], suspended=True),
        org("globex", "customer", "switchboard", []),
        org("initech", "customer", "acme", ["acme"]),
        org("vandelay", "customer", "acme-west", ["acme", "acme-west"]),
        org("soylent", "customer", "acme", ["acme"], suspended=True),
        org("hooli", "customer", "zenith", ["zenith"]),
        org("umbrella", "customer", "gone", ["gone"]),
    ]
}

ZED = Principal(
    user_id="u-zed",
    username="zed@zenith",
    display_name="zed@zenith",
    kind="reseller",
    org_id="zenith",
    customer_id=None,
    reseller_chain=("zenith",),
    brand="default",
    entitlements=ALL,
)
USERS: dict[str, Principal] = {**PRINCIPALS, "zed@zenith": ZED}


def as_caller(username: str) -> Caller:
    """A verified caller for any of USERS (the fixtures' demo users plus zed@zenith)."""
    if username in PRINCIPALS:
        return caller(username)
    return caller_for(USERS[username], "tollfree")


def verifier() -> NamedVerifier:
    """The signed assertion names any of USERS."""
    return NamedVerifier(as_caller)


async def with_tenancy(env: Env) -> Env:
    """The store knows PICTURE (as if the directory had published it); nothing published."""
    assert await apply_tenancy(env.ctx, PICTURE) is True
    env.bus.published.clear()
    return env
