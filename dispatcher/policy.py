"""The authorisation decision: pure, default deny, with reasons (DESIGN.md §6.5)."""

from __future__ import annotations

from dataclasses import dataclass

from resources.kit.caller import Principal
from resources.kit.manifest import Manifest, Plane


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
    rule = next((r for r in manifest.rules_for(plane) if r.matches(method, path)), None)
    if rule is None:
        return Decision(
            allow=False, action=None, reasons=(f"no rule for {method} {path} on the {plane} plane",)
        )
    if not principal.has(rule.action):
        return Decision(
            allow=False, action=rule.action, reasons=(f"{principal.user_id} lacks {rule.action}",)
        )
    return Decision(allow=True, action=rule.action, reasons=(f"{principal.user_id} holds {rule.action}",))
