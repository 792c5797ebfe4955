"""What a plan may refer to besides itself: the customer's labels, sites, templates and
call-center distributions (names only: the callcenter resource routes them, distributions.py
keeps the replica of the names).

A version freezes the part of the catalog it uses (`used_by(...).to_json()`) as its snapshot,
so the SCP compiles exactly what was validated even when a label changes later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from resources.tollfree.document import walk

DISTRIBUTION = "distribution:"


@dataclass(frozen=True)
class Label:
    name: str  # without the "@"
    kind: str  # tod, dow, date, npa, nxx, npanxx, ani, lata, state
    values: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    name: str  # slug, referenced as "site:<name>"
    uri: str  # sip:host:port[;transport=udp|tcp]


@dataclass(frozen=True)
class Catalog:
    labels: Mapping[str, Label] = field(default_factory=dict)
    sites: Mapping[str, Site] = field(default_factory=dict)
    templates: frozenset[str] = frozenset()  # "*EAST" …
    distributions: frozenset[str] = frozenset()  # referenced as "distribution:<name>"
    # False: the callcenter resource has not reported its distribution names to this process yet
    distributions_reported: bool = True

    def used_by(self, raw_document: Any) -> Catalog:
        """Only the labels, sites, templates and distributions `raw_document` references (that exist)."""
        labels, sites, templates, distributions = references(raw_document)
        return Catalog(
            labels={n: self.labels[n] for n in sorted(labels) if n in self.labels},
            sites={n: self.sites[n] for n in sorted(sites) if n in self.sites},
            templates=frozenset(t for t in templates if t in self.templates),
            distributions=frozenset(d for d in distributions if d in self.distributions),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": [
                {"name": lb.name, "kind": lb.kind, "values": list(lb.values)}
                for lb in sorted(self.labels.values(), key=lambda x: x.name)
            ],
            "sites": [
                {"name": s.name, "uri": s.uri} for s in sorted(self.sites.values(), key=lambda x: x.name)
            ],
            "templates": sorted(self.templates),
            "distributions": sorted(self.distributions),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Catalog:
        """The inverse of `to_json`; ValueError when `raw` is not such a snapshot."""
        if raw is None:
            return cls()
        try:
            labels = {
                str(x["name"]): Label(str(x["name"]), str(x["kind"]), tuple(str(v) for v in x["values"]))
                for x in raw.get("labels", [])
            }
            sites = {str(x["name"]): Site(str(x["name"]), str(x["uri"])) for x in raw.get("sites", [])}
            templates = frozenset(str(t) for t in raw.get("templates", []))
            distributions = frozenset(str(d) for d in raw.get("distributions", []))
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a catalog snapshot: {exc}") from None
        return cls(labels=labels, sites=sites, templates=templates, distributions=distributions)


def references(raw_document: Any) -> tuple[set[str], set[str], set[str], set[str]]:
    """(label, site, template, distribution names) mentioned anywhere in a raw document."""
    labels: set[str] = set()
    sites: set[str] = set()
    templates: set[str] = set()
    distributions: set[str] = set()
    if not isinstance(raw_document, dict):
        return labels, sites, templates, distributions
    template = raw_document.get("template")
    if isinstance(template, str):
        templates.add(template)
    for _, node in _safe_walk(raw_document):
        if not isinstance(node, dict):
            continue
        for branch in node.get("branches") or []:
            match = branch.get("match") if isinstance(branch, dict) else None
            for value in match if isinstance(match, list) else []:
                if isinstance(value, str) and value.startswith("@"):
                    labels.add(value[1:])
        if node.get("type") == "tel":
            alternates = node.get("alternates")
            for dest in [node.get("dest"), *(alternates if isinstance(alternates, list) else [])]:
                if isinstance(dest, str) and dest.startswith("site:"):
                    sites.add(dest[5:])
                elif isinstance(dest, str) and dest.startswith(DISTRIBUTION):
                    distributions.add(dest.removeprefix(DISTRIBUTION))
    return labels, sites, templates, distributions


def _safe_walk(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    try:
        yield from walk(document)
    except RecursionError:  # a hostile document; validation reports it
        return
