"""`NumberDirectory`: who owns each toll-free number and which sites each customer has — the
toll-free resource's picture (`tollfree.numbers`), replicated in memory for ingest and the
live view's scoping. `replace` swaps the whole picture at once and bumps `version`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from resources.traffic.model import NumberInfo, SiteInfo


class PayloadError(ValueError):
    """A `tollfree.numbers` payload that does not have the contract's shape."""


class NumberDirectory:
    def __init__(self, numbers: Iterable[NumberInfo] = (), sites: Iterable[SiteInfo] = ()) -> None:
        self.version = 0
        self._numbers: dict[str, NumberInfo] = {}
        self._sites: dict[str, tuple[SiteInfo, ...]] = {}
        self._customers: dict[str, tuple[str, ...]] = {}
        self._build(numbers, sites)

    def _build(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> None:
        by_number = {info.number: info for info in numbers}
        by_customer: dict[str, list[SiteInfo]] = {}
        for site in sites:
            by_customer.setdefault(site.customer_id, []).append(site)
        customers: dict[str, tuple[str, ...]] = {}
        for info in sorted(by_number.values(), key=lambda i: i.number):
            customers.setdefault(info.customer_id, info.resellers)
        # swap every map at once: readers never see half a picture
        self._numbers = by_number
        self._sites = {c: tuple(sorted(s, key=lambda x: x.name)) for c, s in by_customer.items()}
        self._customers = customers

    def get(self, number: str) -> NumberInfo | None:
        return self._numbers.get(number)

    def replace(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> None:
        self._build(numbers, sites)
        self.version += 1

    def all(self) -> list[NumberInfo]:
        """Every number, sorted."""
        return [self._numbers[n] for n in sorted(self._numbers)]

    def sites(self) -> list[SiteInfo]:
        """Every site, sorted by customer and name."""
        return [s for c in sorted(self._sites) for s in self._sites[c]]

    def sites_of(self, customer_id: str) -> tuple[SiteInfo, ...]:
        return self._sites.get(customer_id, ())

    def customers(self) -> dict[str, tuple[str, ...]]:
        """Customer id → its reseller chain (top-most first), for every customer owning a number."""
        return dict(self._customers)

    def same_as(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> bool:
        """Whether `numbers` and `sites` are exactly the current picture (nothing to save)."""
        return (
            sorted(numbers, key=lambda i: i.number) == self.all()
            and sorted(sites, key=lambda s: (s.customer_id, s.name)) == self.sites()
        )

    def __len__(self) -> int:
        return len(self._numbers)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PayloadError(f"{what} must be a list of strings")
    return tuple(value)


def _string(item: Mapping[str, Any], key: str, what: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{what}.{key} must be a non-empty string")
    return value


def parse_payload(payload: Any) -> tuple[list[NumberInfo], list[SiteInfo]]:
    """`tollfree.numbers` `{"numbers": [{"number", "customer_id", "resellers"}], "sites":
    [{"customer_id", "name", "uri"}]}` as types; PayloadError when the shape is wrong."""
    if not isinstance(payload, Mapping):
        raise PayloadError("the payload must be an object")
    raw_numbers = payload.get("numbers")
    raw_sites = payload.get("sites", [])
    if not isinstance(raw_numbers, list) or not isinstance(raw_sites, list):
        raise PayloadError("numbers and sites must be lists")
    numbers: list[NumberInfo] = []
    for i, item in enumerate(raw_numbers):
        if not isinstance(item, Mapping):
            raise PayloadError(f"numbers[{i}] must be an object")
        what = f"numbers[{i}]"
        numbers.append(
            NumberInfo(
                number=_string(item, "number", what),
                customer_id=_string(item, "customer_id", what),
                resellers=_strings(item.get("resellers", []), f"{what}.resellers"),
            )
        )
    sites: list[SiteInfo] = []
    for i, item in enumerate(raw_sites):
        if not isinstance(item, Mapping):
            raise PayloadError(f"sites[{i}] must be an object")
        what = f"sites[{i}]"
        sites.append(
            SiteInfo(
                customer_id=_string(item, "customer_id", what),
                name=_string(item, "name", what),
                uri=_string(item, "uri", what),
            )
        )
    return numbers, sites
