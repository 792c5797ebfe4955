"""Entitlement arithmetic: union, narrowing and the no-escalation rule. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from resources.kit.caller import Entitlement


def merge(grants: Iterable[Entitlement]) -> tuple[Entitlement, ...]:
    """Union per action: any unscoped grant wins, else the union of the scopes. Sorted by action."""
    scopes: dict[str, set[str] | None] = {}
    for g in grants:
        if g.action in scopes and scopes[g.action] is None:
            continue
        if g.scope is None:
            scopes[g.action] = None
        else:
            scopes.setdefault(g.action, set()).update(g.scope)  # type: ignore[union-attr]
    return tuple(
        Entitlement(action=a, scope=None if s is None else tuple(sorted(s)))
        for a, s in sorted(scopes.items())
    )


def narrow(entitlements: Iterable[Entitlement], actions: Iterable[str] | None) -> tuple[Entitlement, ...]:
    """Keep only `actions` (None keeps everything)."""
    if actions is None:
        return tuple(entitlements)
    keep = set(actions)
    return tuple(e for e in entitlements if e.action in keep)


def covers(held: Iterable[Entitlement], wanted: Entitlement) -> bool:
    """True when `held` grants `wanted.action` on at least `wanted.scope`."""
    scopes = [e.scope for e in held if e.action == wanted.action]
    if not scopes:
        return False
    if any(s is None for s in scopes):
        return True
    if wanted.scope is None:
        return False
    have = {x for s in scopes if s is not None for x in s}
    return set(wanted.scope) <= have


def uncovered(held: Iterable[Entitlement], wanted: Iterable[Entitlement]) -> list[str]:
    """Actions of `wanted` that `held` does not cover (sorted, unique)."""
    held = tuple(held)
    return sorted({w.action for w in wanted if not covers(held, w)})
