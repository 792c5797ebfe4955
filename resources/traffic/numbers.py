"""`NumberDirectory`: who owns each toll-free number and which sites each customer has — the
toll-free resource's picture (`tollfree.numbers`) — and who owns each outbound calling line — the
outbound resource's picture (`outbound.lines`), replicated in memory for ingest and the live
view's scoping. `replace` swaps the toll-free picture at once, `replace_lines` the lines; each
leaves the other source alone and bumps `version`. `get` finds a toll-free number or a line (a
toll-free number wins when both hold the same number)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from resources.traffic.model import NumberInfo, SiteInfo
from resources.traffic.wire import normalise_line


class PayloadError(ValueError):
    """A `tollfree.numbers` or `outbound.lines` payload that does not have the contract's shape."""


class NumberDirectory:
    def __init__(
        self,
        numbers: Iterable[NumberInfo] = (),
        sites: Iterable[SiteInfo] = (),
        lines: Iterable[NumberInfo] = (),
    ) -> None:
        self.version = 0
        self._numbers: dict[str, NumberInfo] = {}
        self._lines: dict[str, NumberInfo] = {}
        self._sites: dict[str, tuple[SiteInfo, ...]] = {}
        self._customers: dict[str, tuple[str, ...]] = {}
        self._build(numbers, sites)
        self._build_lines(lines)

    def _build(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> None:
        by_number = {info.number: info for info in numbers}
        by_customer: dict[str, list[SiteInfo]] = {}
        for site in sites:
            by_customer.setdefault(site.customer_id, []).append(site)
        # swap every map at once: readers never see half a picture
        self._numbers = by_number
        self._sites = {c: tuple(sorted(s, key=lambda x: x.name)) for c, s in by_customer.items()}
        self._customers = self._owners(by_number, self._lines)

    def _build_lines(self, lines: Iterable[NumberInfo]) -> None:
        by_line = {info.number: info for info in lines}
        self._lines = by_line
        self._customers = self._owners(self._numbers, by_line)

    @staticmethod
    def _owners(
        numbers: Mapping[str, NumberInfo], lines: Mapping[str, NumberInfo]
    ) -> dict[str, tuple[str, ...]]:
        """Customer → reseller chain, from the toll-free numbers first, then the lines."""
        customers: dict[str, tuple[str, ...]] = {}
        for source in (numbers, lines):
            for number in sorted(source):
                info = source[number]
                customers.setdefault(info.customer_id, info.resellers)
        return customers

    def get(self, number: str) -> NumberInfo | None:
        """The owner of a toll-free number or, failing that, of an outbound line."""
        info = self._numbers.get(number)
        return info if info is not None else self._lines.get(number)

    def is_line(self, number: str) -> bool:
        """Whether `number` is known as an outbound line (and not as a toll-free number)."""
        return number not in self._numbers and number in self._lines

    def replace(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> None:
        """The toll-free picture (the lines stay)."""
        self._build(numbers, sites)
        self.version += 1

    def replace_lines(self, lines: Iterable[NumberInfo]) -> None:
        """The outbound lines (the toll-free numbers and sites stay)."""
        self._build_lines(lines)
        self.version += 1

    def all(self) -> list[NumberInfo]:
        """Every toll-free number, sorted."""
        return [self._numbers[n] for n in sorted(self._numbers)]

    def lines(self) -> list[NumberInfo]:
        """Every outbound line, sorted."""
        return [self._lines[n] for n in sorted(self._lines)]

    def sites(self) -> list[SiteInfo]:
        """Every site, sorted by customer and name."""
        return [s for c in sorted(self._sites) for s in self._sites[c]]

    def sites_of(self, customer_id: str) -> tuple[SiteInfo, ...]:
        return self._sites.get(customer_id, ())

    def customers(self) -> dict[str, tuple[str, ...]]:
        """Customer id → its reseller chain (top-most first), for every customer owning a number
        or a line."""
        return dict(self._customers)

    def same_as(self, numbers: Iterable[NumberInfo], sites: Iterable[SiteInfo]) -> bool:
        """Whether `numbers` and `sites` are exactly the current picture (nothing to save)."""
        return (
            sorted(numbers, key=lambda i: i.number) == self.all()
            and sorted(sites, key=lambda s: (s.customer_id, s.name)) == self.sites()
        )

    def same_lines_as(self, lines: Iterable[NumberInfo]) -> bool:
        """Whether `lines` are exactly the current lines (nothing to save)."""
        return sorted(lines, key=lambda i: i.number) == self.lines()

    def __len__(self) -> int:
        """How many toll-free numbers (`lines()` has the lines)."""
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


def _owner(item: Any, what: str) -> NumberInfo:
    if not isinstance(item, Mapping):
        raise PayloadError(f"{what} must be an object")
    return NumberInfo(
        number=_string(item, "number", what),
        customer_id=_string(item, "customer_id", what),
        resellers=_strings(item.get("resellers", []), f"{what}.resellers"),
    )


def parse_lines_payload(payload: Any) -> list[NumberInfo]:
    """`outbound.lines` `{"lines": [{"number", "customer_id", "resellers"}]}` as types;
    PayloadError when the shape is wrong."""
    if not isinstance(payload, Mapping):
        raise PayloadError("the payload must be an object")
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list):
        raise PayloadError("lines must be a list")
    lines = [_owner(item, f"lines[{i}]") for i, item in enumerate(raw_lines)]
    for i, info in enumerate(lines):
        if normalise_line(info.number) != info.number:
            raise PayloadError(f"lines[{i}].number must be an E.164 number like +13125550142")
    return lines


def parse_payload(payload: Any) -> tuple[list[NumberInfo], list[SiteInfo]]:
    """`tollfree.numbers` `{"numbers": [{"number", "customer_id", "resellers"}], "sites":
    [{"customer_id", "name", "uri"}]}` as types; PayloadError when the shape is wrong."""
    if not isinstance(payload, Mapping):
        raise PayloadError("the payload must be an object")
    raw_numbers = payload.get("numbers")
    raw_sites = payload.get("sites", [])
    if not isinstance(raw_numbers, list) or not isinstance(raw_sites, list):
        raise PayloadError("numbers and sites must be lists")
    numbers = [_owner(item, f"numbers[{i}]") for i, item in enumerate(raw_numbers)]
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
