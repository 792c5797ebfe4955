"""The tenancy tree as pure data: subtrees, reseller chains, brands (DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_BRAND = "default"


@dataclass(frozen=True, kw_only=True)
class OrgNode:
    id: str
    name: str
    kind: str  # provider | reseller | customer
    parent_id: str | None
    brand: str | None
    suspended: bool = False  # this org itself; see OrgTree.suspended for the inherited state


class OrgTree:
    def __init__(self, orgs: Iterable[OrgNode]) -> None:
        self.nodes = {o.id: o for o in orgs}
        self._children: dict[str, list[str]] = {}
        for o in self.nodes.values():
            if o.parent_id is not None:
                self._children.setdefault(o.parent_id, []).append(o.id)

    def get(self, org_id: str) -> OrgNode | None:
        return self.nodes.get(org_id)

    def root(self) -> OrgNode | None:
        return next((o for o in self.nodes.values() if o.parent_id is None), None)

    def ancestors(self, org_id: str) -> list[OrgNode]:
        """[org itself, parent, …, root]; [] for an unknown id."""
        out: list[OrgNode] = []
        node = self.nodes.get(org_id)
        while node is not None and node not in out:
            out.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        return out

    def subtree(self, org_id: str) -> frozenset[str]:
        if org_id not in self.nodes:
            return frozenset()
        seen, todo = {org_id}, [org_id]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return frozenset(seen)

    def reseller_chain(self, org_id: str) -> tuple[str, ...]:
        """Resellers from the top-most down to the nearest (the org itself if a reseller)."""
        return tuple(o.id for o in reversed(self.ancestors(org_id)) if o.kind == "reseller")

    def customer_id(self, org_id: str) -> str | None:
        node = self.nodes.get(org_id)
        return node.id if node is not None and node.kind == "customer" else None

    def brand(self, org_id: str) -> str:
        """The nearest reseller's brand up the tree, else the provider's, else "default"."""
        chain = self.ancestors(org_id)
        for node in chain:
            if node.kind == "reseller" and node.brand:
                return node.brand
        root = chain[-1] if chain else None
        return root.brand if root is not None and root.kind == "provider" and root.brand else DEFAULT_BRAND

    def suspended(self, org_id: str) -> bool:
        """True when the org or any org above it is suspended."""
        return any(o.suspended for o in self.ancestors(org_id))

    def visible(self, org_id: str, scope: frozenset[str] | None) -> frozenset[str]:
        """Orgs a holder at `org_id` may see for an action with `scope` (None = whole subtree)."""
        own = self.subtree(org_id)
        if scope is None:
            return own
        return own & frozenset(x for s in scope for x in self.subtree(s))
