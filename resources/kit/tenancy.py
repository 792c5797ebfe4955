"""The tenancy tree as the directory publishes it (`directory.tenancy`), for resources that must
know which customers are below a reseller (DESIGN.md §5) without reading the directory's tables.

The directory publishes the whole tree — `{"orgs": [{"id", "kind", "parent_id", "chain",
"suspended"}]}` — at start, after org changes, every 60 s and whenever it hears
`directory.tenancy-wanted`. `parse_tenancy` checks a picture; `Tenancy` answers questions about
it. `TenancyReplica` keeps the latest picture in memory (callcenter, outbound); until the first
arrives it knows no reseller's customers, so reseller staff are refused (the safe default). The
toll-free resource stores its replica in a table instead (tollfree/tenancy.py): its number pools
read the tree inside their own transactions.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from resources.kit.events import Event, EventBus
from resources.kit.follow import following

TENANCY = "directory.tenancy"
TENANCY_WANTED = "directory.tenancy-wanted"
KINDS = ("provider", "reseller", "customer")
MAX_ID = 64


@dataclass(frozen=True, kw_only=True)
class Org:
    id: str
    kind: str  # provider | reseller | customer
    parent_id: str | None
    chain: tuple[str, ...]  # resellers from the top-most down (the org itself if a reseller)
    suspended: bool


class Tenancy:
    """The replicated tree, read-only."""

    def __init__(self, orgs: Iterable[Org]) -> None:
        self._orgs = {o.id: o for o in orgs}

    def __len__(self) -> int:
        return len(self._orgs)

    def get(self, org_id: str) -> Org | None:
        return self._orgs.get(org_id)

    def ancestors(self, org_id: str) -> list[Org]:
        """[the org itself, its parent, …, the root]; [] for an unknown id."""
        out: list[Org] = []
        node = self._orgs.get(org_id)
        while node is not None and node not in out:
            out.append(node)
            node = self._orgs.get(node.parent_id) if node.parent_id else None
        return out

    def resellers_of(self, customer_id: str) -> tuple[str, ...]:
        """The customer's reseller chain, top-most first (() for the provider's own customers
        and for an id the tree does not know)."""
        org = self._orgs.get(customer_id)
        return org.chain if org is not None else ()

    def is_suspended(self, org_id: str) -> bool:
        """The org or any org above it is suspended."""
        return any(o.suspended for o in self.ancestors(org_id))

    def is_customer_below(self, customer_id: str, reseller: str) -> bool:
        """`customer_id` is a customer somewhere below the reseller `reseller`."""
        chain = self.ancestors(customer_id)
        return (
            bool(chain)
            and chain[0].kind == "customer"
            and any(o.id == reseller and o.kind == "reseller" for o in chain[1:])
        )

    def customers_below(self, reseller: str, *, suspended: bool = False) -> list[str]:
        """Every customer below the reseller that is not suspended (with `suspended`: also
        those that are), sorted."""
        return sorted(
            o.id
            for o in self._orgs.values()
            if self.is_customer_below(o.id, reseller) and (suspended or not self.is_suspended(o.id))
        )


def _org(raw: Any, index: int) -> Org:
    where = f"orgs[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    org_id, kind, parent, chain, suspended = (
        raw.get(k) for k in ("id", "kind", "parent_id", "chain", "suspended")
    )
    if not isinstance(org_id, str) or not 0 < len(org_id) <= MAX_ID:
        raise ValueError(f"{where}.id is not an org id")
    if kind not in KINDS:
        raise ValueError(f"{where}.kind is not one of {', '.join(KINDS)}")
    if parent is not None and (not isinstance(parent, str) or not 0 < len(parent) <= MAX_ID):
        raise ValueError(f"{where}.parent_id is not an org id or null")
    if not isinstance(chain, list) or not all(isinstance(c, str) and c for c in chain):
        raise ValueError(f"{where}.chain is not a list of org ids")
    if not isinstance(suspended, bool):
        raise ValueError(f"{where}.suspended is not true or false")
    return Org(id=org_id, kind=str(kind), parent_id=parent, chain=tuple(chain), suspended=suspended)


def parse_tenancy(payload: Any) -> list[Org]:
    """The orgs of a `directory.tenancy` payload, sorted by id; ValueError naming the problem."""
    orgs = payload.get("orgs") if isinstance(payload, dict) else None
    if not isinstance(orgs, list):
        raise ValueError('the payload has no "orgs" list')
    parsed = [_org(raw, i) for i, raw in enumerate(orgs)]
    ids = [o.id for o in parsed]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"org ids appear twice: {', '.join(dupes)}")
    return sorted(parsed, key=lambda o: o.id)


class TenancyReplica:
    """The latest good picture, in memory (an empty tree before the first)."""

    def __init__(self) -> None:
        self.current = Tenancy(())
        self.reported = False

    def apply(self, payload: Any, *, log: logging.Logger) -> bool:
        """Take one picture; False (the last one kept) when it is malformed."""
        try:
            orgs = parse_tenancy(payload)
        except ValueError as exc:
            log.warning("%s: ignoring a malformed picture: %s", TENANCY, exc)
            return False
        self.current, self.reported = Tenancy(orgs), True
        return True


@asynccontextmanager
async def follow_tenancy(
    bus: EventBus, replica: TenancyReplica, *, log: logging.Logger
) -> AsyncIterator[None]:
    """Keep `replica` current for the body of the `async with`, asking for a picture each time
    the subscription (re)starts."""

    async def on_event(event: Event) -> None:
        replica.apply(event.payload, log=log)

    async def ask(_first_time: bool) -> None:
        await bus.publish(TENANCY_WANTED, {})

    async with following(bus, (TENANCY,), on_event=on_event, on_subscribed=ask, log=log, what=TENANCY):
        yield
