"""What a live viewer may see (`ViewScope`, from the caller's entitlements) and what it chose to
watch (`Selection`). Both are predicates over `Key`s; a view is the pair, and the hub builds each
distinct view's frame once however many viewers watch it.

* provider staff: every key;
* reseller staff: keys whose number's reseller chain contains `caller.org_id`;
* customer users: keys of `caller.customer_id`;
* in every case, when `traffic:view` is scoped, only the keys of its numbers (`+1800…`, or an
  outbound calling line `+1312…`: a line is a number here) and of its sites (`site:<name>`: every
  key at that site, e.g. a customer's call-center agents);
* anyone else (no `traffic:view`, another kind of caller): None, i.e. nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from resources.kit.caller import Caller
from resources.traffic.manifest import VIEW
from resources.traffic.model import Key, NumberInfo, SiteInfo

ALL = "all"
SITE = "site:"  # a `traffic:view` scope id naming a site rather than a number
ScopeKind = Literal["provider", "reseller", "customer"]


class Directory(Protocol):
    """What scoping needs of `numbers.NumberDirectory`."""

    @property
    def version(self) -> int: ...

    def get(self, number: str) -> NumberInfo | None: ...

    def all(self) -> Sequence[NumberInfo]: ...

    def lines(self) -> Sequence[NumberInfo]: ...

    def is_line(self, number: str) -> bool: ...

    def sites_of(self, customer_id: str) -> Sequence[SiteInfo]: ...

    def customers(self) -> Mapping[str, tuple[str, ...]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """`all`, `customer:<id>`, `number:<E.164>` or `site:<customer_id>/<name>`."""

    value: str
    label: str
    customer_id: str | None = None
    number: str | None = None
    site: str | None = None

    def contains(self, key: Key) -> bool:
        return (
            (self.customer_id is None or key.customer_id == self.customer_id)
            and (self.number is None or key.number == self.number)
            and (self.site is None or key.site == self.site)
        )

    def as_json(self) -> dict[str, str]:
        return {"value": self.value, "label": self.label}


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewScope:
    kind: ScopeKind
    org_id: str
    customer_id: str | None = None
    numbers: frozenset[str] | None = None  # None = unscoped: every key of the tenancy
    sites: frozenset[str] = frozenset()  # scoped: the keys at these sites too (`site:<name>` ids)
    directory: Directory = field(compare=False, hash=False, repr=False)

    @classmethod
    def for_caller(cls, caller: Caller, numbers: Directory) -> ViewScope | None:
        try:
            limit = caller.scope_for(VIEW)
        except PermissionError:
            return None
        only, sites = None, frozenset[str]()
        if limit is not None:
            only = frozenset(x for x in limit if not x.startswith(SITE))
            sites = frozenset(x.removeprefix(SITE) for x in limit if x.startswith(SITE))
        if caller.kind == "provider":
            return cls(kind="provider", org_id=caller.org_id, numbers=only, sites=sites, directory=numbers)
        if caller.kind == "reseller":
            return cls(kind="reseller", org_id=caller.org_id, numbers=only, sites=sites, directory=numbers)
        if caller.kind == "customer" and caller.customer_id:
            return cls(
                kind="customer",
                org_id=caller.org_id,
                customer_id=caller.customer_id,
                numbers=only,
                sites=sites,
                directory=numbers,
            )
        return None

    @property
    def staff(self) -> bool:
        return self.kind != "customer"

    def contains(self, key: Key) -> bool:
        if self.numbers is not None and key.number not in self.numbers and not self._site_key(key):
            return False
        if self.kind == "provider":
            return True
        if self.kind == "reseller":
            info = self.directory.get(key.number)
            return info is not None and self.org_id in info.resellers
        return key.customer_id == self.customer_id

    def customers(self) -> list[str]:
        """Customers whose traffic this scope reaches (some of it, when number-scoped), sorted."""
        known = self.directory.customers()
        if self.kind == "provider":
            found = set(known)
        elif self.kind == "reseller":
            found = {c for c, chain in known.items() if self.org_id in chain}
        else:
            found = {self.customer_id} if self.customer_id else set()
        if self.numbers is not None:
            found &= {i.customer_id for i in self.visible_numbers()} | {
                c for c in found if any(self.site_allowed(s.name) for s in self.directory.sites_of(c))
            }
        return sorted(found)

    def _site_key(self, key: Key) -> bool:
        return bool(key.site) and key.site in self.sites

    def site_allowed(self, name: str) -> bool:
        """A site worth offering: any, unless the scope names sites only (then those)."""
        return self.numbers is None or bool(self.numbers) or name in self.sites

    def visible_numbers(self) -> list[NumberInfo]:
        """The toll-free numbers, then the outbound lines, this scope reaches (a number that is
        both counts as the toll-free number, like `Directory.get`)."""
        if self.numbers is not None:  # scoped: look up just its own numbers
            found = [i for n in sorted(self.numbers) if (i := self.directory.get(n)) is not None]
            owned = sorted(found, key=lambda i: (self.directory.is_line(i.number), i.number))
        else:
            lines = [i for i in self.directory.lines() if self.directory.is_line(i.number)]
            owned = [*self.directory.all(), *lines]
        return [i for i in owned if self.contains(Key(i.customer_id, i.number, "", ""))]

    def _all(self) -> Selection:
        label = {"provider": "All traffic", "reseller": "All your customers' traffic"}
        return Selection(value=ALL, label=label.get(self.kind, "All your numbers"))

    def _customer(self, customer_id: str) -> Selection:
        return Selection(
            value=f"customer:{customer_id}", label=f"Customer {customer_id}", customer_id=customer_id
        )

    def _number(self, number: str) -> Selection:
        label = f"Line {number}" if self.directory.is_line(number) else f"Number {number}"
        return Selection(value=f"number:{number}", label=label, number=number)

    def _site(self, customer_id: str, name: str) -> Selection:
        label = f"Site {name} ({customer_id})" if self.staff else f"Site {name}"
        return Selection(value=f"site:{customer_id}/{name}", label=label, customer_id=customer_id, site=name)

    def choices(self) -> list[Selection]:
        """All, then each customer (staff), each number, each site."""
        customers = self.customers()
        out = [self._all()]
        if self.staff:
            out += [self._customer(c) for c in customers]
        out += [self._number(i.number) for i in self.visible_numbers()]
        for c in customers:
            out += [self._site(c, s.name) for s in self.directory.sites_of(c) if self.site_allowed(s.name)]
        return out

    def selection(self, value: str) -> Selection | None:
        """The selection named `value` if this scope may watch it; None when unknown or not
        permitted (the two look the same to the viewer)."""
        if value == ALL:
            return self._all()
        kind, _, rest = value.partition(":")
        if kind == "customer" and rest in self.customers():
            return self._customer(rest)
        if kind == "number":
            info = self.directory.get(rest)
            if info is not None and self.contains(Key(info.customer_id, info.number, "", "")):
                return self._number(rest)
            return None
        if kind == "site":
            customer_id, _, name = rest.partition("/")
            if (
                customer_id in self.customers()
                and self.site_allowed(name)
                and any(s.name == name for s in self.directory.sites_of(customer_id))
            ):
                return self._site(customer_id, name)
        return None
