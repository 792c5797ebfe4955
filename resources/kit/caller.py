"""Who is calling a resource: the verified claims of the dispatcher's assertion.

The dispatcher builds an assertion from a `Principal` (gateway side); the resource's middleware
verifies it and exposes a `Caller` as `request.state.caller` (or `scope["state"]["caller"]`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["provider", "reseller", "customer", "service", "element"]


@dataclass(frozen=True, kw_only=True)
class Entitlement:
    """An action granted on a scope. `scope=None` means everything of that kind within the
    holder's tenancy; otherwise an explicit tuple of object ids (numbers, user ids…)."""

    action: str
    scope: tuple[str, ...] | None = None

    def to_claim(self) -> dict[str, Any]:
        return {"a": self.action, "s": list(self.scope) if self.scope is not None else None}

    @classmethod
    def from_claim(cls, raw: dict[str, Any]) -> Entitlement:
        s = raw.get("s")
        return cls(action=str(raw["a"]), scope=tuple(str(x) for x in s) if s is not None else None)


@dataclass(frozen=True, kw_only=True)
class Principal:
    """A resolved identity as the directory describes it (gateway side, before minting)."""

    user_id: str
    username: str
    display_name: str
    kind: Kind
    org_id: str  # the tenancy node the principal belongs to
    customer_id: str | None  # set for customer users
    reseller_chain: tuple[str, ...]  # top-most reseller first; () for the provider's own
    brand: str
    entitlements: tuple[Entitlement, ...]
    mfa_enabled: bool = False

    def has(self, action: str) -> bool:
        return any(e.action == action for e in self.entitlements)

    def for_resource(self, resource: str) -> tuple[Entitlement, ...]:
        prefix = f"{resource}:"
        return tuple(e for e in self.entitlements if e.action.startswith(prefix))

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "kind": self.kind,
            "org_id": self.org_id,
            "customer_id": self.customer_id,
            "reseller_chain": list(self.reseller_chain),
            "brand": self.brand,
            "entitlements": [e.to_claim() for e in self.entitlements],
            "mfa_enabled": self.mfa_enabled,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Principal:
        return cls(
            user_id=str(raw["user_id"]),
            username=str(raw["username"]),
            display_name=str(raw.get("display_name") or raw["username"]),
            kind=raw["kind"],
            org_id=str(raw["org_id"]),
            customer_id=raw.get("customer_id"),
            reseller_chain=tuple(raw.get("reseller_chain") or ()),
            brand=str(raw.get("brand") or "default"),
            entitlements=tuple(Entitlement.from_claim(e) for e in raw.get("entitlements") or ()),
            mfa_enabled=bool(raw.get("mfa_enabled", False)),
        )


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The verified assertion as a resource sees it."""

    subject: str  # user id, "service:<name>" or "element:<name>"
    username: str
    kind: Kind
    plane: Literal["customer", "network", "service"]
    org_id: str
    customer_id: str | None
    reseller_chain: tuple[str, ...]
    brand: str
    entitlements: tuple[Entitlement, ...]
    session: str | None  # hash of the session id or "token:<id>"; never the raw secret
    request_id: str | None
    jti: str

    def has(self, action: str) -> bool:
        return any(e.action == action for e in self.entitlements)

    def scope_for(self, action: str) -> frozenset[str] | None:
        """None = the whole tenancy; a frozenset = only those ids; raises if not held at all."""
        scopes = [e.scope for e in self.entitlements if e.action == action]
        if not scopes:
            raise PermissionError(action)
        if any(s is None for s in scopes):
            return None
        return frozenset(x for s in scopes if s is not None for x in s)


def system_caller(name: str, actions: Iterable[str]) -> Caller:
    """A provider-wide in-process caller (demo loader, CLI, scheduler) holding `actions`; audited
    as `service:<name>`. The service plane reaches only `/internal/…` over the wire, so this
    caller exists only inside a process."""
    return Caller(
        subject=f"service:{name}",
        username=name,
        kind="service",
        plane="service",
        org_id="switchboard",
        customer_id=None,
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in actions),
        session=None,
        request_id=None,
        jti=name,
    )
