"""Is a routing record safe to activate? Shape, the industry's rules, references and limits.

`validate` returns every problem at once (``[]`` = valid), each pointing at a node id and a
field so the editor can mark the cell:

* record-level fields use ``node=None`` (``timezone``, ``carrier``, ``aos.npas[0]``, ``switches.X``,
  ``template``, ``sections``);
* a value of branch *i* of node ``X``: node ``X``, field ``branches[i].match[j]`` /
  ``branches[i].percent``;
* an empty slot: the slot's id (``X.i``, ``X.o``, ``S1``) and field ``type``;
* everything else: the node's id and its field (``dest``, ``alternates[0]``, ``tz``, ``type``…).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers

from resources.kit.sites import SITE_NAME_RE
from resources.tollfree.catalog import DISTRIBUTION, Catalog
from resources.tollfree.document import MAIN
from resources.tollfree.origin import OriginData
from resources.tollfree.plan import (
    Announce,
    Carrier,
    Decision,
    Goto,
    Issue,
    Node,
    Pct,
    Plan,
    Tel,
    child_ids,
    children,
    parse_plan,
)
from resources.tollfree.values import (
    SWITCH_POSITIONS,
    BadValue,
    Key,
    is_label_ref,
    label_name_ok,
    parse_value,
)

MAX_LEAVES = 999
MAX_DEPTH = 20
MAX_ALTERNATES = 9

EMPTY_SLOT = "Choose what happens here."
TEMPLATE_RE = re.compile(r"^\*[A-Z0-9-]{4,15}$")
CIC_RE = re.compile(r"^\d{4}$")
TREATMENT_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SWITCH_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_-]{0,14}$")
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")

# general → specific: a node may not follow a node of the same family with a higher rank
_RANK = {
    "date": ("time", 0, "date"),
    "dow": ("time", 1, "day of week"),
    "tod": ("time", 2, "time of day"),
    "state": ("origin", 0, "state"),
    "lata": ("origin", 0, "LATA"),
    "npa": ("origin", 1, "area code (NPA)"),
    "nxx": ("origin", 2, "NXX"),
    "npanxx": ("origin", 2, "6-digit (NPA-NXX)"),
    "ani": ("origin", 3, "10-digit number (ANI)"),
}
_ORDER_HINT = {
    "time": "date, then day of week, then time of day",
    "origin": "state or LATA, then area code, then NXX or NPA-NXX, then the 10-digit number",
}
_AOS_KINDS = {"states": "state", "npas": "npa", "latas": "lata", "npanxx": "npanxx"}
_WHAT = {
    "state": "State",
    "lata": "LATA",
    "npa": "Area code",
    "npanxx": "NPA-NXX",
    "ani": "Number",
}


def validate(raw_document: Any, *, catalog: Catalog, origin: OriginData | None = None) -> list[Issue]:
    """Every problem of `raw_document` (``[]`` = valid), in document order."""
    plan, issues = parse_plan(raw_document)
    if plan is None:
        return issues
    return validate_plan(plan, catalog=catalog, origin=origin)


def validate_plan(
    plan: Plan, *, catalog: Catalog, origin: OriginData | None = None, aos_consistency: bool = True
) -> list[Issue]:
    """`validate` for a parsed plan. ``aos_consistency=False`` skips the check that origin values
    lie inside the area of service (it depends on origin data, which may change later)."""
    checker = _Checker(plan, catalog, origin, aos_consistency)
    checker.run()
    out: list[Issue] = []
    seen: set[Issue] = set()
    for issue in checker.issues:
        if issue not in seen:
            seen.add(issue)
            out.append(issue)
    return out


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_ok(name: str) -> bool:
    return name in _zones()


@functools.lru_cache(maxsize=16384)
def e164_ok(number: str) -> bool:
    """A valid phone number written in canonical E.164 (phonenumbers' metadata; cached)."""
    if not E164_RE.match(number):
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    )


@dataclass(frozen=True)
class _Path:
    """What lies above a node on one path from the main section's root."""

    time: tuple[int, str, str] | None = None  # highest rank so far: (rank, node id, type)
    origin: tuple[int, str, str] | None = None
    npa: bool = False  # an NPA (or NPA-NXX/ANI) decision above
    pct: str | None = None  # id of a percent split above


class _Checker:
    def __init__(
        self, plan: Plan, catalog: Catalog, origin: OriginData | None, aos_consistency: bool
    ) -> None:
        self.plan = plan
        self.catalog = catalog
        self._origin = origin
        self.aos_consistency = aos_consistency
        self.issues: list[Issue] = []
        self.checked: set[str] = set()
        self.used_sections: set[str] = set()
        self.nxx: str | None = None
        self.npanxx: str | None = None
        self.leaves = 0

    @functools.cached_property
    def origin(self) -> OriginData:
        return self._origin if self._origin is not None else OriginData.build()

    def add(self, node: str | None, field: str, message: str) -> None:
        self.issues.append(Issue(node, field, message))

    # ---- record ------------------------------------------------------------------------------
    def run(self) -> None:
        plan = self.plan
        if plan.template is not None:
            self.pointer(plan.template)
            return
        if not timezone_ok(plan.timezone):
            self.add(None, "timezone", f"{plan.timezone!r} is not a time zone name (like America/New_York).")
        if plan.carrier is not None and not CIC_RE.match(plan.carrier):
            self.add(None, "carrier", f"{plan.carrier!r} is not a carrier code (4 digits, like 0288).")
        self.aos()
        for name, position in plan.switches.items():
            if not SWITCH_NAME_RE.match(name):
                self.add(None, f"switches.{name}", f"{name!r} is not a switch name (like EMERG).")
            if position not in SWITCH_POSITIONS:
                self.add(
                    None, f"switches.{name}", f"{position!r} is not a switch position (ON, OFF or ON1 … ON9)."
                )
        for name, root in plan.sections.items():
            if name != MAIN and root is not None and not isinstance(root, Decision | Pct):
                self.add(name, "type", "A sub-section must start with a decision, not a destination.")
        main = plan.sections.get(MAIN)
        if isinstance(main, Goto):
            self.add(MAIN, "type", "The main section cannot start with a GOTO; start it with a decision.")
        self.visit(MAIN, main, _Path(), section=MAIN, depth=1)
        for name, root in plan.sections.items():
            if name == MAIN:
                continue
            if name not in self.used_sections:
                self.add(name, "section", f"Sub-section {name} is not used by any GOTO; use it or delete it.")
                self.visit(name, root, _Path(), section=name, depth=1)
        if self.leaves > MAX_LEAVES:
            self.add(None, "sections", f"The plan has {self.leaves} destinations; the limit is {MAX_LEAVES}.")

    def pointer(self, template: str) -> None:
        if not TEMPLATE_RE.match(template):
            self.add(None, "template", f"{template!r} is not a template name (a star and 4-15 of A-Z 0-9 -).")
        elif template not in self.catalog.templates:
            self.add(None, "template", f"Template {template} does not exist.")

    def aos(self) -> None:
        for key, kind in _AOS_KINDS.items():
            for i, value in enumerate(getattr(self.plan.aos, key)):
                try:
                    parse_value(kind, value)
                except BadValue as exc:
                    self.add(None, f"aos.{key}[{i}]", str(exc))

    # ---- tree --------------------------------------------------------------------------------
    def visit(self, node_id: str, node: Node | None, path: _Path, *, section: str, depth: int) -> None:
        if node is None:
            self.add(node_id, "type", EMPTY_SLOT)
            return
        if depth > MAX_DEPTH:
            self.add(node_id, "type", f"This branch is more than {MAX_DEPTH} levels deep; simplify the tree.")
            return
        first = node_id not in self.checked
        self.checked.add(node_id)
        if first:
            self.check_node(node)
        path = self.along(node, path)
        if isinstance(node, Goto):
            if section != MAIN:
                self.add(node_id, "section", "A sub-section cannot jump to another section (no loops); "
                         "end it with a destination, a carrier or an announcement.")  # fmt: skip
                return
            target = self.plan.sections.get(node.section, None)
            if node.section in self.plan.sections and node.section != MAIN:
                self.used_sections.add(node.section)
                self.visit(node.section, target, path, section=node.section, depth=1)
            return
        for child_id, child in zip(child_ids(node), children(node), strict=True):
            self.visit(child_id, child, path, section=section, depth=depth + 1)

    def along(self, node: Node, path: _Path) -> _Path:
        """Path-dependent rules at `node`; returns the path as seen by its children."""
        if isinstance(node, Announce) and path.pct is not None:
            self.add(node.id, "type", f"An announcement cannot follow the percent split {path.pct}; "
                     "send every share to a destination.")  # fmt: skip
        if isinstance(node, Pct):
            return _Path(path.time, path.origin, path.npa, path.pct or node.id)
        if not isinstance(node, Decision) or node.type not in _RANK:
            return path
        family, rank, what = _RANK[node.type]
        above = path.time if family == "time" else path.origin
        if above is not None and above[0] > rank:
            self.add(node.id, "type", f"A {what} decision cannot come after the {_RANK[above[2]][2]} "
                     f"decision {above[1]}; order them {_ORDER_HINT[family]}.")  # fmt: skip
        if (
            node.type == "nxx"
            and not path.npa
            and not all(is_label_ref(v) for b in node.branches for v in b.match)
        ):
            self.add(node.id, "type", "An NXX decision needs an area code (NPA) decision before it "
                     "on the path (or use NXX labels).")  # fmt: skip
        mark = (rank, node.id, node.type) if above is None or rank >= above[0] else above
        npa = path.npa or node.type in ("npa", "npanxx", "ani")
        if family == "time":
            return _Path(mark, path.origin, npa, path.pct)
        return _Path(path.time, mark, npa, path.pct)

    def check_node(self, node: Node) -> None:
        if isinstance(node, Decision):
            self.decision(node)
        elif isinstance(node, Pct):
            self.pct(node)
        elif isinstance(node, Tel):
            self.leaves += 1
            self.tel(node)
        elif isinstance(node, Carrier):
            self.leaves += 1
            if not CIC_RE.match(node.cic):
                self.add(node.id, "cic", f"{node.cic!r} is not a carrier code (4 digits, like 0288).")
        elif isinstance(node, Announce):
            self.leaves += 1
            if not TREATMENT_RE.match(node.treatment) or len(node.treatment) > 40:
                self.add(node.id, "treatment", f"{node.treatment!r} is not a treatment name "
                         "(lowercase words joined by -, like closed-holiday).")  # fmt: skip
        else:
            self.leaves += 1
            if node.section not in self.plan.sections:
                self.add(node.id, "section", f"Section {node.section} does not exist.")
            elif node.section == MAIN:
                self.add(node.id, "section", "A GOTO must jump to a sub-section, not back to M.")

    # ---- decisions ---------------------------------------------------------------------------
    def decision(self, node: Decision) -> None:
        if node.type == "nxx":
            self.nxx = self.nxx or node.id
            self.mixed(node.id, self.npanxx)
        elif node.type == "npanxx":
            self.npanxx = self.npanxx or node.id
            self.mixed(node.id, self.nxx)
        if node.tz is not None and not timezone_ok(node.tz):
            self.add(node.id, "tz", f"{node.tz!r} is not a time zone name (like America/Chicago).")
        if node.type == "switch" and node.name not in self.plan.switches:
            self.add(node.id, "name", f"Switch {node.name} has no position; set it in the record's switches.")
        if not node.branches:
            self.add(node.id, "branches", "A decision needs at least one branch besides OTHER.")
        seen: list[tuple[int, str, frozenset[Key]]] = []  # (branch index, shown value, keys)
        for i, branch in enumerate(node.branches):
            if not branch.match:
                self.add(node.id, f"branches[{i}].match", "Choose at least one value for this branch.")
            for j, value in enumerate(branch.match):
                field = f"branches[{i}].match[{j}]"
                for shown, keys in self.values(node, field, value):
                    clash = self.clash(node.type, i, shown, keys, seen)
                    if clash is not None:
                        self.add(node.id, field, clash)
                    elif self.aos_consistency and node.type in _WHAT and not self.inside(node.type, keys):
                        self.add(
                            node.id,
                            field,
                            f"{_WHAT[node.type]} {shown} is outside the record's area of service.",
                        )
                    seen.append((i, shown, keys))

    @staticmethod
    def clash(
        kind: str, branch: int, shown: str, keys: frozenset[Key], seen: list[tuple[int, str, frozenset[Key]]]
    ) -> str | None:
        """A value that another branch (or this one, verbatim) already matches: first match wins,
        so it would be dead or ambiguous."""
        for other, other_shown, other_keys in seen:
            if other == branch and other_keys == keys:
                return f"{shown} is listed twice in this branch."
            if other != branch and _overlap(kind, keys, other_keys):
                verb = "repeats" if keys == other_keys else "overlaps"
                return f"{shown} {verb} {other_shown} of branch {other + 1}."
        return None

    def mixed(self, node_id: str, other: str | None) -> None:
        if other is not None:
            self.add(node_id, "type", "A plan cannot use both NXX and 6-digit (NPA-NXX) decisions: "
                     f"{node_id} conflicts with {other}.")  # fmt: skip

    def values(self, node: Decision, field: str, value: str) -> Iterator[tuple[str, frozenset[Key]]]:
        """(how to name it, keys) of one match cell; labels give one pair per label value."""
        if not is_label_ref(value):
            try:
                yield value, parse_value(node.type, value)
            except BadValue as exc:
                self.add(node.id, field, str(exc))
            return
        name = value[1:]
        label = self.catalog.labels.get(name)
        if node.type == "switch" or not label_name_ok(name):
            self.add(node.id, field, f"{value!r} is not a label this decision can use.")
            return
        if label is None:
            self.add(node.id, field, f"Label {value} does not exist.")
            return
        if label.kind != node.type:
            self.add(
                node.id, field, f"Label {value} holds {label.kind} values; this is a {node.type} decision."
            )
            return
        if not label.values:
            self.add(node.id, field, f"Label {value} is empty.")
        for inner in label.values:
            try:
                yield f"{inner} (from {value})", parse_value(node.type, inner)
            except BadValue as exc:
                self.add(node.id, field, f"Label {value} has a bad value: {exc}")

    def inside(self, kind: str, keys: frozenset[Key]) -> bool:
        """Could a caller with this origin value pass the area of service at all?"""
        aos = self.plan.aos
        if aos.nationwide:
            return True
        (value,) = keys
        assert isinstance(value, str)
        o = self.origin
        if kind == "state":
            if value in aos.states:
                return True
            if any(o.state_of(x) == value for x in (*aos.npas, *aos.npanxx)):
                return True
            return any(self.lata_unknown_or(lata, lambda r: r.state == value) for lata in aos.latas)
        if kind == "lata":
            if value in aos.latas:
                return True
            rows = o.rows_in_lata(value)
            return not rows or any(self._row_inside(r.npanxx) for r in rows)
        if kind == "npa":
            if value in aos.npas or o.state_of(value) in aos.states:
                return True
            if any(x.startswith(value) for x in aos.npanxx):
                return True
            return any(self.lata_unknown_or(lata, lambda r: r.npanxx.startswith(value)) for lata in aos.latas)
        return self._row_inside(value[:6], lata_unknown_ok=True)

    def _row_inside(self, npanxx: str, *, lata_unknown_ok: bool = False) -> bool:
        aos, o = self.plan.aos, self.origin
        if npanxx in aos.npanxx or npanxx[:3] in aos.npas or o.state_of(npanxx) in aos.states:
            return True
        lata = o.lata_of(npanxx)
        return bool(aos.latas) and (lata in aos.latas or (lata is None and lata_unknown_ok))

    def lata_unknown_or(self, lata: str, pred: Any) -> bool:
        rows = self.origin.rows_in_lata(lata)
        return not rows or any(pred(r) for r in rows)

    def pct(self, node: Pct) -> None:
        if len(node.branches) < 2:
            self.add(node.id, "branches", "A percent split needs at least two branches.")
        for i, branch in enumerate(node.branches):
            if not 1 <= branch.percent <= 99:
                self.add(node.id, f"branches[{i}].percent", f"{branch.percent}% is not a share from 1 to 99.")
        total = sum(b.percent for b in node.branches)
        if total != 100 and node.branches:
            self.add(node.id, "branches", f"The percentages add up to {total}, not 100.")

    # ---- actions -----------------------------------------------------------------------------
    def tel(self, node: Tel) -> None:
        self.destination(node.id, "dest", node.dest)
        if node.dest.startswith(DISTRIBUTION) and node.alternates:
            self.add(
                node.id,
                "alternates",
                "A distribution has its own overflow chain; a node sending calls to one has no alternates.",
            )
        if len(node.alternates) > MAX_ALTERNATES:
            self.add(node.id, "alternates", f"At most {MAX_ALTERNATES} alternate destinations are allowed.")
        seen = {node.dest}
        for i, dest in enumerate(node.alternates):
            if dest in seen:
                self.add(node.id, f"alternates[{i}]", f"{dest} is already a destination of this node.")
            elif dest.startswith(DISTRIBUTION):
                self.add(
                    node.id, f"alternates[{i}]", "A distribution can only be a node's first destination."
                )
            else:
                self.destination(node.id, f"alternates[{i}]", dest)
            seen.add(dest)
        if node.carrier is not None and not CIC_RE.match(node.carrier):
            self.add(node.id, "carrier", f"{node.carrier!r} is not a carrier code (4 digits, like 0288).")
        if node.ring_timeout is not None and not 5 <= node.ring_timeout <= 120:
            self.add(
                node.id,
                "ring_timeout",
                f"The ring timeout must be 5 to 120 seconds, not {node.ring_timeout}.",
            )

    def destination(self, node_id: str, field: str, dest: str) -> None:
        if dest.startswith("site:"):
            name = dest[5:]
            if not SITE_NAME_RE.match(name) or name not in self.catalog.sites:
                self.add(node_id, field, f"Site {name!r} does not exist.")
        elif dest.startswith(DISTRIBUTION):
            name = dest.removeprefix(DISTRIBUTION)
            if name in self.catalog.distributions:
                return
            if not self.catalog.distributions_reported:
                self.add(node_id, field, f"Distribution {name!r} cannot be checked yet: the call-center "
                         "manager has not reported its distributions. Try again in a moment.")  # fmt: skip
            else:
                self.add(
                    node_id, field, f"Distribution {name!r} does not exist; create it under Call centers."
                )
        elif not e164_ok(dest):
            self.add(node_id, field, f"{dest!r} is neither a site (site:<name>), a distribution "
                     "(distribution:<name>) nor a valid ring-to number in E.164 form "
                     "(like +13125550100).")  # fmt: skip


def _overlap(kind: str, a: frozenset[Key], b: frozenset[Key]) -> bool:
    if a & b:
        return True
    if kind != "date":
        return False
    # an exact date (year*1000 + day) overlaps the day-of-year values (1…366) of its day
    return any(isinstance(k, int) and k > 1000 and k % 1000 in b for k in a) or any(
        isinstance(k, int) and k > 1000 and k % 1000 in a for k in b
    )
