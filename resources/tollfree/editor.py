"""The tree editor's operations: pure functions on the plan document (JSON), addressed by node id.

Each operation returns a new document and leaves its input unchanged. They only shape the
document; whether the result is a valid plan is validation's job (the editor saves drafts with
issues and shows them). Input an operation cannot even store (a percent that is not a number, a
section name that cannot be a key, a branch that does not exist) raises `EditError(field, message)`.

`apply(document, op=..., node=..., fields=...)` runs one operation from a form post.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from resources.tollfree.document import (
    MAIN,
    SECTION_RE,
    Document,
    Node,
    empty_document,
    get_node,
    set_node,
)

DECISIONS: dict[str, str] = {
    "tod": "Time of day",
    "dow": "Day of week",
    "date": "Date",
    "pct": "Percent",
    "npa": "Area code",
    "nxx": "Exchange (NXX)",
    "npanxx": "Area code + exchange",
    "ani": "Caller number",
    "lata": "LATA",
    "state": "State",
    "switch": "Switch",
}
ACTIONS: dict[str, str] = {
    "tel": "Destination",
    "carrier": "Carrier",
    "announce": "Announcement",
    "goto": "Go to section",
}
NODE_TYPES: dict[str, str] = {**DECISIONS, **ACTIONS}
TIMED = frozenset({"tod", "dow", "date"})  # decisions with a time zone and a DST flag
VALUE_HELP: dict[str, str] = {
    "tod": "Time ranges HH:MM-HH:MM, quarter hours, e.g. 08:00-12:00, 13:00-17:00",
    "dow": "Days SUN … SAT or ranges such as MON-FRI",
    "date": "Days of year 001-366, MM-DD every year or YYYY-MM-DD once, e.g. 12-25",
    "npa": "3-digit area codes, e.g. 212, 646",
    "nxx": "3-digit exchanges",
    "npanxx": "6-digit area code + exchange, e.g. 212555",
    "ani": "10-digit caller numbers",
    "lata": "3-digit LATAs",
    "state": "2-letter states or provinces, e.g. NY, NJ",
    "switch": "Positions ON, OFF, ON1 … ON9",
}
POSITIONS = ("OFF", "ON", *(f"ON{i}" for i in range(1, 10)))
SWITCH_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_-]{0,14}$")
_SITE_RE = re.compile(r"^[a-z0-9-]{1,32}$")
_SPLIT_RE = re.compile(r"[\s,;]+")


class EditError(ValueError):
    """The form input cannot be stored; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def type_name(node_type: str | None) -> str:
    """A node type in words ("Time of day"); "Empty" for an unfilled slot."""
    if node_type is None:
        return "Empty"
    return NODE_TYPES.get(node_type, node_type)


def dest_text(dest: str | None) -> str:
    """A destination in words: "site east" or the ring-to number."""
    if not dest:
        return "(no destination)"
    return f"site {dest.removeprefix('site:')}" if dest.startswith("site:") else dest


def split_values(text: str, *, upper: bool = True) -> list[str]:
    """Values typed in a box: separated by commas, semicolons, spaces or new lines."""
    out = [v for v in _SPLIT_RE.split(text.strip()) if v]
    return [v.upper() for v in out] if upper else out


def new_node(node_type: str, *, document: Document | None = None) -> Node | None:
    """A fresh node of `node_type` with one empty branch (two 50 % branches for Percent);
    "empty" clears the slot."""
    if node_type == "empty":
        return None
    if node_type == "pct":
        return {"type": "pct", "branches": [{"percent": 50, "then": None}, {"percent": 50, "then": None}]}
    if node_type in DECISIONS:
        node: Node = {"type": node_type}
        if node_type in TIMED:
            node.update({"tz": None, "dst": True})
        if node_type == "switch":
            switches = (document or {}).get("switches") or {}
            node["name"] = next(iter(switches), "")
        node.update({"branches": [{"match": [], "then": None}], "other": None})
        return node
    if node_type == "tel":
        return {"type": "tel", "dest": "", "alternates": [], "carrier": None, "ring_timeout": None}
    if node_type == "carrier":
        return {"type": "carrier", "cic": ""}
    if node_type == "announce":
        return {"type": "announce", "treatment": ""}
    if node_type == "goto":
        subs = [s for s in (document or {}).get("sections") or {} if s != MAIN]
        return {"type": "goto", "section": subs[0] if subs else ""}
    raise EditError("type", f"Unknown node type {node_type!r}.")


def _node(document: Document, node_id: str) -> Node | None:
    try:
        return get_node(document, node_id)
    except (KeyError, ValueError):
        raise EditError("node", f"There is no node {node_id} in this plan.") from None


def _decision(document: Document, node_id: str) -> Node:
    node = _node(document, node_id)
    if node is None or node.get("type") not in DECISIONS or not isinstance(node.get("branches"), list):
        raise EditError("node", f"{node_id} is not a decision node.")
    return node


def _put(document: Document, node_id: str, node: Node | None) -> Document:
    try:
        return set_node(document, node_id, node)
    except (KeyError, ValueError):
        raise EditError("node", f"There is no node {node_id} in this plan.") from None


def _index(node: Node, node_id: str, branch: int) -> int:
    if not 0 <= branch < len(node["branches"]):
        raise EditError("branch", f"{node_id} has no branch {branch + 1}.")
    return branch


def set_type(document: Document, node_id: str, node_type: str) -> Document:
    """Replace the slot `node_id` (and everything below it) with a new node of `node_type`."""
    _node(document, node_id)
    return _put(document, node_id, new_node(node_type, document=document))


def add_branch(document: Document, node_id: str) -> Document:
    """Append an empty branch (Percent: 0 %) before OTHER."""
    node = copy.deepcopy(_decision(document, node_id))
    branch: dict[str, Any] = {"percent": 0} if node["type"] == "pct" else {"match": []}
    node["branches"].append({**branch, "then": None})
    return _put(document, node_id, node)


def remove_branch(document: Document, node_id: str, branch: int) -> Document:
    node = copy.deepcopy(_decision(document, node_id))
    _index(node, node_id, branch)
    if len(node["branches"]) == 1:
        raise EditError("branch", "A decision needs at least one branch; replace the node instead.")
    del node["branches"][branch]
    return _put(document, node_id, node)


def move_branch(document: Document, node_id: str, branch: int, delta: int) -> Document:
    """Move branch `branch` up (delta -1) or down (+1); the first matching branch wins."""
    node = copy.deepcopy(_decision(document, node_id))
    _index(node, node_id, branch)
    to = branch + delta
    if not 0 <= to < len(node["branches"]):
        raise EditError("branch", f"Branch {branch + 1} of {node_id} cannot move further.")
    items = node["branches"]
    items[branch], items[to] = items[to], items[branch]
    return _put(document, node_id, node)


def set_branch(
    document: Document, node_id: str, branch: int, *, values: str | None = None, percent: str | None = None
) -> Document:
    """Set a branch's values (text, split and upper-cased) or, for Percent, its share."""
    node = copy.deepcopy(_decision(document, node_id))
    row = node["branches"][_index(node, node_id, branch)]
    if node["type"] == "pct":
        text = (percent or "").strip()
        if not text.isdigit():
            raise EditError("percent", "Enter the share as a whole number of percent, e.g. 70.")
        row["percent"] = int(text)
    else:
        row["match"] = split_values(values or "")
    return _put(document, node_id, node)


def set_decision(
    document: Document, node_id: str, *, tz: str | None = None, dst: bool | None = None,
    name: str | None = None,
) -> Document:  # fmt: skip
    """Time zone (blank = the plan's) and DST flag of a timed decision; the name of a Switch."""
    node = copy.deepcopy(_decision(document, node_id))
    if node["type"] in TIMED:
        node["tz"] = (tz or "").strip() or None
        node["dst"] = bool(dst)
    if node["type"] == "switch":
        node["name"] = (name or "").strip().upper()
    return _put(document, node_id, node)


def destination(*, site: str | None, number: str | None) -> str:
    """`site:<name>` from the site list or a ring-to number typed in (one of them)."""
    site, number = (site or "").strip(), re.sub(r"[\s().-]", "", number or "")
    if site and number:
        raise EditError("dest", "Choose a site or type a ring-to number, not both.")
    return number if number else (f"site:{site}" if site else "")


def alternates(text: str) -> list[str]:
    """Route-advance destinations: site names (with or without `site:`) or ring-to numbers."""
    out = []
    for value in split_values(text, upper=False):
        out.append(f"site:{value}" if _SITE_RE.match(value) and not value.isdigit() else value)
    return out


def set_action(document: Document, node_id: str, fields: Mapping[str, str]) -> Document:
    """The fields of an action node (tel: dest_site/dest_number, alternates, carrier,
    ring_timeout; carrier: cic; announce: treatment; goto: section)."""
    node = copy.deepcopy(_node(document, node_id))
    kind = node.get("type") if node else None
    if node is None or kind not in ACTIONS:
        raise EditError("node", f"{node_id} is not an action node.")
    if kind == "tel":
        node["dest"] = destination(site=fields.get("dest_site"), number=fields.get("dest_number"))
        node["alternates"] = alternates(fields.get("alternates", ""))
        node["carrier"] = fields.get("carrier", "").strip() or None
        timeout = fields.get("ring_timeout", "").strip()
        if timeout and not timeout.isdigit():
            raise EditError("ring_timeout", "Enter the ring time in whole seconds, e.g. 20.")
        node["ring_timeout"] = int(timeout) if timeout else None
    elif kind == "carrier":
        node["cic"] = fields.get("cic", "").strip()
    elif kind == "announce":
        node["treatment"] = fields.get("treatment", "").strip()
    else:
        node["section"] = fields.get("section", "").strip().upper()
    return _put(document, node_id, node)


def add_section(document: Document, name: str) -> Document:
    name = name.strip().upper()
    if not SECTION_RE.match(name) or name == MAIN:
        raise EditError("section", "A sub-section is named S plus up to 7 letters or digits, e.g. S1.")
    sections = document.get("sections") or {}
    if name in sections:
        raise EditError("section", f"The plan already has a section {name}.")
    return _put(document, name, None)


def remove_section(document: Document, name: str) -> Document:
    sections = document.get("sections") or {}
    if name == MAIN or name not in sections:
        raise EditError("section", "Only an existing sub-section can be removed.")
    out = copy.deepcopy(document)
    del out["sections"][name]
    return out


def set_record(document: Document, fields: Mapping[str, str]) -> Document:
    """Plan-wide fields: timezone, default carrier and the area of service lists."""
    out = copy.deepcopy(document)
    out["timezone"] = fields.get("timezone", "").strip()
    out["carrier"] = fields.get("carrier", "").strip() or None
    out["aos"] = {
        key: split_values(fields.get(f"aos_{key}", "")) for key in ("states", "npas", "latas", "npanxx")
    }
    return out


def set_switch(document: Document, name: str, position: str) -> Document:
    """Add a named switch or move it to `position`."""
    name, position = name.strip().upper(), position.strip().upper()
    if not SWITCH_NAME_RE.match(name):
        raise EditError("name", "A switch name is a capital letter plus up to 14 letters, digits, - or _.")
    if position not in POSITIONS:
        raise EditError("position", "A switch is OFF, ON or ON1 … ON9.")
    out = copy.deepcopy(document)
    out.setdefault("switches", {})[name] = position
    return out


def remove_switch(document: Document, name: str) -> Document:
    if name not in (document.get("switches") or {}):
        raise EditError("name", f"There is no switch {name}.")
    out = copy.deepcopy(document)
    del out["switches"][name]
    return out


def use_template(document: Document, template: str) -> Document:
    """Make the record a pointer to a template (`*NAME`)."""
    name = template.strip().upper()
    if not name:
        raise EditError("template", "Choose a template.")
    return {"format": document.get("format", 1), "template": name if name.startswith("*") else f"*{name}"}


def own_plan(document: Document, *, timezone: str = "America/New_York") -> Document:
    """Turn a pointer record back into a plan of its own (empty main section)."""
    return empty_document(timezone=document.get("timezone") or timezone)


def form_values(doc: Document, *, op: str, node: Node | None, fields: Mapping[str, str]) -> dict[str, Any]:
    """What the dialog of `op` shows: the stored values of `node` (or of the record), or what
    was posted (`fields` with "dialog") when the dialog is shown again with an error."""
    if fields.get("dialog"):
        return {**fields, "dst": fields.get("dst") == "on", "existing": bool(fields.get("existing"))}
    node = node if isinstance(node, dict) else {}
    if op == "set-branch":
        branch = node.get("branches", [])[int(fields.get("branch", "0"))]
        return {"values": ", ".join(branch.get("match", [])), "percent": branch.get("percent", "")}
    if op == "set-decision":
        return {"tz": node.get("tz") or "", "dst": node.get("dst", True), "name": node.get("name") or ""}
    if op == "set-action":
        dest = str(node.get("dest") or "")
        site = dest.removeprefix("site:") if dest.startswith("site:") else ""
        stored = {k: "" if v is None else v for k, v in node.items()}
        alternates = ", ".join(node.get("alternates") or [])
        return {**stored, "dest_site": site, "dest_number": "" if site else dest, "alternates": alternates}
    if op == "set-record":
        aos = doc.get("aos") or {}
        lists = {f"aos_{k}": ", ".join(aos.get(k) or []) for k in ("states", "npas", "latas", "npanxx")}
        return {"timezone": doc.get("timezone") or "", "carrier": doc.get("carrier") or "", **lists}
    if op == "set-switch":
        name = fields.get("name", "")
        switches = doc.get("switches") or {}
        return {"name": name, "position": switches.get(name, "OFF"), "existing": name in switches}
    if op == "use-template":
        return {"template": doc.get("template", "")}
    return {}


DIALOGS = {  # op → dialog title
    "set-type": "Set node {node}",
    "set-branch": "Branch {branch} of {node}",
    "set-decision": "Settings of {node}",
    "set-action": "Edit {node}",
    "set-record": "Plan settings",
    "set-switch": "Switch",
    "add-section": "Add a sub-section",
    "use-template": "Use a template",
}
RECORD_DIALOGS = frozenset({"set-record", "set-switch", "add-section", "use-template"})


def _branch(fields: Mapping[str, str]) -> int:
    text = fields.get("branch", "")
    if not text.isdigit():
        raise EditError("branch", "Say which branch (1, 2, …).")
    return int(text)


OPS: dict[str, Callable[[Document, str, Mapping[str, str]], Document]] = {
    "set-type": lambda d, n, f: set_type(d, n, f.get("type", "")),
    "add-branch": lambda d, n, f: add_branch(d, n),
    "remove-branch": lambda d, n, f: remove_branch(d, n, _branch(f)),
    "move-up": lambda d, n, f: move_branch(d, n, _branch(f), -1),
    "move-down": lambda d, n, f: move_branch(d, n, _branch(f), 1),
    "set-branch": lambda d, n, f: set_branch(
        d, n, _branch(f), values=f.get("values"), percent=f.get("percent")
    ),
    "set-decision": lambda d, n, f: set_decision(
        d, n, tz=f.get("tz"), dst=f.get("dst") == "on", name=f.get("name")
    ),
    "set-action": lambda d, n, f: set_action(d, n, f),
    "add-section": lambda d, n, f: add_section(d, f.get("section", "")),
    "remove-section": lambda d, n, f: remove_section(d, n),
    "set-record": lambda d, n, f: set_record(d, f),
    "set-switch": lambda d, n, f: set_switch(d, f.get("name", ""), f.get("position", "")),
    "remove-switch": lambda d, n, f: remove_switch(d, f.get("name", "")),
    "use-template": lambda d, n, f: use_template(d, f.get("template", "")),
    "own-plan": lambda d, n, f: own_plan(d),
}


def apply(document: Any, *, op: str, node: str, fields: Mapping[str, str]) -> Document:
    """One editor operation from a form post (`node` is the node id; record ops ignore it)."""
    if op not in OPS:
        raise EditError("op", f"Unknown editor operation {op!r}.")
    if not isinstance(document, dict):
        raise EditError("document", "This version has no plan document to edit.")
    if "template" in document and op not in ("use-template", "own-plan"):
        raise EditError("op", "This record points to a template; make it a plan of its own first.")
    return OPS[op](document, node, fields)
