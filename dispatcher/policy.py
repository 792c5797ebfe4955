"""The authorisation decision: pure, default deny, with reasons (DESIGN.md §6.5)."""

from __future__ import annotations

from dataclasses import dataclass

from resources.kit.caller import Principal
from resources.kit.manifest import Manifest, Plane

# The contract of a resource (resources/kit/openapi.py): readable by anyone holding at least one of
# the resource's actions on that plane; the resource itself then lists only what the caller holds.
CONTRACT_PATHS: dict[str, str] = {"customer": "/api/openapi.json", "network": "/network/openapi.json"}


@dataclass(frozen=True, kw_only=True)
class Decision:
    allow: bool
    action: str | None
    reasons: tuple[str, ...]


def decide(
    *,
    principal: Principal | None,
    manifest: Manifest,
    method: str,
    path: str,
    plane: Plane = "customer",
) -> Decision:
    """Allow only when a rule of `plane` matches `method path` and the principal holds its action.

    Websocket connects use method "WS". The first matching rule wins (manifest order)."""
    if principal is None:
        return Decision(allow=False, action=None, reasons=("no principal",))
    if method == "GET" and CONTRACT_PATHS.get(plane) == path:
        held = sorted({r.action for r in manifest.rules_for(plane) if principal.has(r.action)})
        if held:
            return Decision(
                allow=True, action=None, reasons=(f"{principal.user_id} holds {held[0]} (contract)",)
            )
        return Decision(
            allow=False,
            action=None,
            reasons=(f"{principal.user_id} holds no {plane} action of {manifest.name}",),
        )
    rule = next((r for r in manifest.rules_for(plane, method) if r.matches(method, path)), None)
    if rule is None:
        return Decision(
            allow=False, action=None, reasons=(f"no rule for {method} {path} on the {plane} plane",)
        )
    if not principal.has(rule.action):
        return Decision(
            allow=False, action=rule.action, reasons=(f"{principal.user_id} lacks {rule.action}",)
        )
    return Decision(allow=True, action=rule.action, reasons=(f"{principal.user_id} holds {rule.action}",))
