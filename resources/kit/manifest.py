"""The dispatcher ⇄ resource contract: what a resource declares about itself.

A manifest is the single source for routing, menus and the entitlement vocabulary
(DESIGN.md §3). Nothing here does I/O; a manifest module only builds these frozen values.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, cast, get_args

# Scope kinds an action can be granted on:
#  "tenant"  - everything inside the holder's own tenancy subtree (provider ⊃ reseller ⊃ customer)
#  "numbers" - an explicit set of resource objects (e.g. toll-free numbers) or all of them
#  "self"    - only the holder's own account
#  "service" - only for platform services (gateway, network elements); never grantable to people
ScopeKind = Literal["tenant", "numbers", "sites", "self", "service"]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "WS"]
Plane = Literal["customer", "network", "service"]

PATH_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::(path))?\}")


@dataclass(frozen=True, kw_only=True)
class Action:
    """One capability, named `<resource>:<verb>` (e.g. `tollfree:edit-routing`)."""

    name: str
    description: str
    scope_kind: ScopeKind = "tenant"
    # Only provider/reseller staff may hold it (e.g. defining trunks); customer roles never do.
    staff_only: bool = False

    def __post_init__(self) -> None:
        resource, _, verb = self.name.partition(":")
        if not resource or not verb or not re.fullmatch(r"[a-z]+:[a-z][a-z-]*", self.name):
            raise ValueError(f"action name must be '<resource>:<verb>', got {self.name!r}")
        if not self.description.strip():
            raise ValueError(f"action {self.name} needs a description")


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Maps a method + resource-relative path pattern to the action it requires.

    Path patterns use `{name}` for one segment and `{name:path}` for the rest of the path,
    e.g. `/api/users/{user_id}`. `method="WS"` matches websocket connects. Anything no rule
    matches is denied.
    """

    method: Method
    path: str
    action: str
    plane: Plane = "customer"

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        out, pos = [], 0
        for m in PATH_PARAM.finditer(self.path):
            out.append(re.escape(self.path[pos : m.start()]))
            out.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
            pos = m.end()
        out.append(re.escape(self.path[pos:]))
        return re.compile("".join(out))

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self._regex.fullmatch(path) is not None


def rule_table(**planes: Iterable[tuple[str, str, str]]) -> tuple[Rule, ...]:
    """Rules from `(method, path, action)` rows per plane, in order:
    `rule_table(customer=[("GET", "/numbers", VIEW), …], network=[…])`."""
    out: list[Rule] = []
    for plane, rows in planes.items():
        if plane not in get_args(Plane):
            raise ValueError(f"unknown plane {plane!r}")
        for method, path, action in rows:
            if method not in get_args(Method):
                raise ValueError(f"unknown method {method!r} for {path}")
            out.append(Rule(method=cast(Method, method), path=path, action=action, plane=cast(Plane, plane)))
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class NavEntry:
    """A menu entry the shell shows when the principal holds `action`."""

    title: str
    path: str  # absolute portal path, e.g. "/directory/users"
    action: str
    order: int = 100


@dataclass(frozen=True, kw_only=True)
class Manifest:
    name: str
    title: str
    create_app: Callable[[Any], Any]  # (ResourceSettings subclass) -> ASGI app
    actions: tuple[Action, ...]
    rules: tuple[Rule, ...]
    nav: tuple[NavEntry, ...] = ()
    timeout: float = 10.0  # seconds for the resource to start answering
    description: str = ""
    # `switchboard demo`: seeds the resource's demo data from its settings (idempotent), after the
    # directory's tenancy exists. None = nothing to seed.
    demo: Callable[[Any], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]+", self.name):
            raise ValueError(f"resource name must be one lowercase word, got {self.name!r}")
        declared = {a.name for a in self.actions}
        for action in self.actions:
            if not action.name.startswith(f"{self.name}:"):
                raise ValueError(f"{action.name} is not in the {self.name} namespace")
        for rule in self.rules:
            if rule.action not in declared:
                raise ValueError(f"rule {rule.method} {rule.path} names undeclared action {rule.action}")
        for entry in self.nav:
            if entry.action not in declared:
                raise ValueError(f"nav entry {entry.title} names undeclared action {entry.action}")

    def action(self, name: str) -> Action:
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def rules_for(self, plane: Plane, method: str | None = None) -> tuple[Rule, ...]:
        """The plane's rules in manifest order; with `method`, only those of that method."""
        if method is None:
            return self._rules_by_plane.get(plane, ())
        return self._rules_by_plane_method.get((plane, method), ())

    @cached_property
    def _rules_by_plane_method(self) -> dict[tuple[str, str], tuple[Rule, ...]]:
        out: dict[tuple[str, str], tuple[Rule, ...]] = {}
        for rule in self.rules:
            out[rule.plane, rule.method] = (*out.get((rule.plane, rule.method), ()), rule)
        return out

    @cached_property
    def _rules_by_plane(self) -> dict[str, tuple[Rule, ...]]:
        """Per plane, in manifest order (decide() runs for every request, the switch's included)."""
        out: dict[str, tuple[Rule, ...]] = {}
        for rule in self.rules:
            out[rule.plane] = (*out.get(rule.plane, ()), rule)
        return out
