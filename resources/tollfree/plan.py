"""The typed, parsed form of a routing-plan document (see `document.py` for the JSON).

`parse_plan` checks the *shape* only (JSON types, known node types and fields, required keys);
what the values mean (time ranges, labels, ring-to numbers, ordering rules …) is checked by
`validation.validate`. A document with any shape problem yields ``(None, issues)``. Empty slots
(``null``) are kept as ``None``: they are not shape problems, validation reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from resources.tollfree.document import FORMAT, MAIN, SECTION_RE
from resources.tollfree.values import DECISION_TYPES, ORIGIN_KINDS, TIME_KINDS

MAX_NESTING = 48  # hard stop while parsing (the validation limit is 20 levels)
MAX_NODES = 5000  # hard stop while parsing (the validation limit is 999 leaves)


@dataclass(frozen=True)
class Issue:
    """One problem: `node` is a node id (None = the record), `field` names the cell."""

    node: str | None
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Branch:
    match: tuple[str, ...]
    then: Node | None


@dataclass(frozen=True)
class Decision:
    """Every decision type except pct: tod, dow, date, npa, nxx, npanxx, ani, lata, state, switch."""

    id: str
    type: str
    branches: tuple[Branch, ...]
    other: Node | None
    tz: str | None = None  # time types: None = the record's zone
    dst: bool = True  # time types: False = always standard time
    name: str | None = None  # switch: the switch's name


@dataclass(frozen=True)
class PctBranch:
    percent: int
    then: Node | None


@dataclass(frozen=True)
class Pct:
    type: ClassVar[str] = "pct"
    id: str
    branches: tuple[PctBranch, ...]


@dataclass(frozen=True)
class Tel:
    type: ClassVar[str] = "tel"
    id: str
    dest: str
    alternates: tuple[str, ...] = ()
    carrier: str | None = None
    ring_timeout: int | None = None


@dataclass(frozen=True)
class Carrier:
    type: ClassVar[str] = "carrier"
    id: str
    cic: str


@dataclass(frozen=True)
class Announce:
    type: ClassVar[str] = "announce"
    id: str
    treatment: str


@dataclass(frozen=True)
class Goto:
    type: ClassVar[str] = "goto"
    id: str
    section: str


Node = Decision | Pct | Tel | Carrier | Announce | Goto
Action = Tel | Carrier | Announce | Goto


@dataclass(frozen=True)
class Aos:
    """Area of service: who may call at all. All empty = nationwide."""

    states: tuple[str, ...] = ()
    npas: tuple[str, ...] = ()
    latas: tuple[str, ...] = ()
    npanxx: tuple[str, ...] = ()

    @property
    def nationwide(self) -> bool:
        return not (self.states or self.npas or self.latas or self.npanxx)


@dataclass(frozen=True)
class Plan:
    """A routing record: a tree (`sections`) or, when `template` is set, a pointer record."""

    timezone: str = "America/New_York"
    aos: Aos = Aos()
    carrier: str | None = None
    switches: Mapping[str, str] = field(default_factory=dict)
    sections: Mapping[str, Node | None] = field(default_factory=dict)
    template: str | None = None


def children(node: Node | None) -> list[Node | None]:
    """Child slots of a node in id order (branches, then OTHER)."""
    if isinstance(node, Decision):
        return [b.then for b in node.branches] + [node.other]
    if isinstance(node, Pct):
        return [b.then for b in node.branches]
    return []


def child_ids(node: Node) -> list[str]:
    if isinstance(node, Decision):
        return [f"{node.id}.{i}" for i in range(len(node.branches))] + [f"{node.id}.o"]
    if isinstance(node, Pct):
        return [f"{node.id}.{i}" for i in range(len(node.branches))]
    return []


def parse_plan(raw: Any) -> tuple[Plan | None, list[Issue]]:
    """`raw` (a stored document) as a `Plan`, or None and the shape problems."""
    parser = _Parser()
    plan = parser.document(raw)
    if parser.issues:
        return None, parser.issues
    return plan, []


_RECORD_KEYS = frozenset({"format", "timezone", "aos", "carrier", "switches", "sections"})
_AOS_KEYS = ("states", "npas", "latas", "npanxx")
_NODE_KEYS: dict[str, frozenset[str]] = {
    "pct": frozenset({"type", "branches"}),
    "switch": frozenset({"type", "name", "branches", "other"}),
    "tel": frozenset({"type", "dest", "alternates", "carrier", "ring_timeout"}),
    "carrier": frozenset({"type", "cic"}),
    "announce": frozenset({"type", "treatment"}),
    "goto": frozenset({"type", "section"}),
    **{t: frozenset({"type", "branches", "other", "tz", "dst"}) for t in TIME_KINDS},
    **{t: frozenset({"type", "branches", "other"}) for t in ORIGIN_KINDS},
}


class _Parser:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.nodes = 0

    def fail(self, node: str | None, field_: str, message: str) -> None:
        self.issues.append(Issue(node, field_, message))

    def document(self, raw: Any) -> Plan | None:
        if not isinstance(raw, dict):
            self.fail(None, "document", "A routing record must be a JSON object.")
            return None
        if raw.get("format") != FORMAT:
            self.fail(
                None, "format", f"Unsupported document format {raw.get('format')!r} (expected {FORMAT})."
            )
            return None
        if "template" in raw:
            return self.pointer(raw)
        for key in sorted(set(raw) - _RECORD_KEYS):
            self.fail(None, key, f"Unknown field {key!r} in the routing record.")
        timezone = raw.get("timezone")
        if not isinstance(timezone, str):
            self.fail(None, "timezone", "The record needs a time zone (like America/New_York).")
            timezone = ""
        carrier = raw.get("carrier")
        if carrier is not None and not isinstance(carrier, str):
            self.fail(None, "carrier", "The default carrier must be a 4-digit code or empty.")
            carrier = None
        return Plan(
            timezone=timezone,
            aos=self.aos(raw.get("aos")),
            carrier=carrier,
            switches=self.switches(raw.get("switches", {})),
            sections=self.sections(raw.get("sections")),
        )

    def pointer(self, raw: dict[str, Any]) -> Plan | None:
        for key in sorted(set(raw) - {"format", "template"}):
            self.fail(None, key, f"A pointer record has only a template; remove {key!r}.")
        template = raw.get("template")
        if not isinstance(template, str):
            self.fail(None, "template", "The template must be a name like *EASTWEST.")
            return None
        return Plan(template=template)

    def aos(self, raw: Any) -> Aos:
        if raw is None:
            return Aos()
        if not isinstance(raw, dict):
            self.fail(None, "aos", "The area of service must be an object of lists.")
            return Aos()
        for key in sorted(set(raw) - set(_AOS_KEYS)):
            self.fail(None, f"aos.{key}", f"Unknown area-of-service list {key!r}.")
        lists: dict[str, tuple[str, ...]] = {}
        for key in _AOS_KEYS:
            lists[key] = self.strings(raw.get(key, []), None, f"aos.{key}")
        return Aos(**lists)

    def switches(self, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
        ):
            self.fail(None, "switches", "Switches must map each switch name to a position (ON, OFF…).")
            return {}
        return dict(raw)

    def sections(self, raw: Any) -> dict[str, Node | None]:
        if not isinstance(raw, dict) or MAIN not in raw:
            self.fail(None, "sections", "The record needs a main section M.")
            return {}
        out: dict[str, Node | None] = {}
        for name, root in raw.items():
            if not isinstance(name, str) or not SECTION_RE.match(name):
                self.fail(None, "sections", f"{name!r} is not a section name (M, S1, S2 …).")
                continue
            out[name] = self.node(name, root, 1)
        return out

    def strings(self, raw: Any, node: str | None, field_: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            self.fail(node, field_, "This must be a list of text values.")
            return ()
        return tuple(raw)

    def node(self, node_id: str, raw: Any, depth: int) -> Node | None:
        if raw is None:
            return None
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.fail(node_id, "type", f"The record has more than {MAX_NODES} nodes.")
            return None
        if depth > MAX_NESTING:
            self.fail(node_id, "type", f"The tree is nested more than {MAX_NESTING} levels deep.")
            return None
        if not isinstance(raw, dict):
            self.fail(node_id, "type", "A node must be a JSON object.")
            return None
        kind = raw.get("type")
        allowed = _NODE_KEYS.get(kind) if isinstance(kind, str) else None
        if allowed is None or not isinstance(kind, str):
            self.fail(node_id, "type", f"Unknown node type {kind!r}.")
            return None
        for key in sorted(set(raw) - allowed):
            self.fail(node_id, key, f"A {kind} node has no field {key!r}.")
        if kind == "pct":
            return Pct(id=node_id, branches=self.pct_branches(node_id, raw, depth))
        if kind in _NODE_KEYS and kind in DECISION_TYPES:
            return self.decision(node_id, kind, raw, depth)
        return self.action(node_id, kind, raw)

    def decision(self, node_id: str, kind: str, raw: dict[str, Any], depth: int) -> Decision:
        branches: list[Branch] = []
        for i, b in enumerate(self.branch_list(node_id, raw)):
            match = self.strings(b.get("match"), node_id, f"branches[{i}].match")
            branches.append(Branch(match=match, then=self.node(f"{node_id}.{i}", b.get("then"), depth + 1)))
        if "other" not in raw:
            self.fail(node_id, "other", "Every decision needs an OTHER branch.")
        other = self.node(f"{node_id}.o", raw.get("other"), depth + 1)
        tz = raw.get("tz")
        if tz is not None and not isinstance(tz, str):
            self.fail(node_id, "tz", "The time zone must be a name like America/Chicago or empty.")
            tz = None
        dst = raw.get("dst", True)
        if not isinstance(dst, bool):
            self.fail(node_id, "dst", "Daylight saving must be true or false.")
            dst = True
        name = raw.get("name")
        if kind == "switch" and not isinstance(name, str):
            self.fail(node_id, "name", "A switch node needs the switch's name.")
            name = None
        return Decision(
            id=node_id,
            type=kind,
            branches=tuple(branches),
            other=other,
            tz=tz,
            dst=dst,
            name=name if kind == "switch" else None,
        )

    def branch_list(self, node_id: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
        branches = raw.get("branches")
        if not isinstance(branches, list) or not all(isinstance(b, dict) for b in branches):
            self.fail(node_id, "branches", "Branches must be a list of objects.")
            return []
        return branches

    def pct_branches(self, node_id: str, raw: dict[str, Any], depth: int) -> tuple[PctBranch, ...]:
        out: list[PctBranch] = []
        for i, b in enumerate(self.branch_list(node_id, raw)):
            percent = b.get("percent")
            if isinstance(percent, bool) or not isinstance(percent, int):
                self.fail(node_id, f"branches[{i}].percent", "A percentage must be a whole number.")
                percent = 0
            out.append(PctBranch(percent=percent, then=self.node(f"{node_id}.{i}", b.get("then"), depth + 1)))
        return tuple(out)

    def action(self, node_id: str, kind: str, raw: dict[str, Any]) -> Node | None:
        def text(key: str, what: str) -> str:
            value = raw.get(key)
            if not isinstance(value, str):
                self.fail(node_id, key, f"A {kind} node needs {what}.")
                return ""
            return value

        if kind == "tel":
            dest = text("dest", "a destination (a site or a ring-to number)")
            alternates = self.strings(raw.get("alternates", []), node_id, "alternates")
            carrier = raw.get("carrier")
            if carrier is not None and not isinstance(carrier, str):
                self.fail(node_id, "carrier", "The carrier must be a 4-digit code or empty.")
                carrier = None
            timeout = raw.get("ring_timeout")
            if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)):
                self.fail(node_id, "ring_timeout", "The ring timeout must be a whole number of seconds.")
                timeout = None
            return Tel(id=node_id, dest=dest, alternates=alternates, carrier=carrier, ring_timeout=timeout)
        if kind == "carrier":
            return Carrier(id=node_id, cic=text("cic", "a carrier code"))
        if kind == "announce":
            return Announce(id=node_id, treatment=text("treatment", "a treatment"))
        return Goto(id=node_id, section=text("section", "a section"))
