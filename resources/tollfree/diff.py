"""What changed between two plan documents, as rows a customer reads before activating.

Both documents are flattened to cells keyed by (node id, field) — the same node ids and field
names the validation messages use — and every cell whose text differs is a `Change`. Record
cells have node None. A slot that exists shows its `type` (``"empty"`` while unfilled), so
adding a node, a branch or a section is always visible; a slot that does not exist has no cells.
Values are display text: lists joined with ", ", absent or null values are None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from resources.tollfree.document import MAIN, children

RECORD_FIELDS = ("template", "timezone", "aos.states", "aos.npas", "aos.latas", "aos.npanxx", "carrier")
NODE_FIELDS = ("type", "name", "tz", "dst", "branches", "dest", "alternates", "carrier", "ring_timeout",
               "cic", "treatment", "section")  # fmt: skip
_BRANCH_RE = re.compile(r"^branches\[(\d+)\]\.(match|percent)$")


@dataclass(frozen=True)
class Change:
    node: str | None  # node id, None for the record (timezone, area of service, switches…)
    field: str  # "type", "branches[0].match", "dest", "aos.npas", "switches.EMERG"…
    before: str | None  # None: the cell did not exist / was not set
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "field": self.field, "before": self.before, "after": self.after}


def diff_documents(before: Any, after: Any) -> list[Change]:
    """Changes from `before` (None = nothing active yet) to `after`, record first, then nodes in
    section and tree order."""
    old, new = dict(_cells(before)), dict(_cells(after))
    keys = sorted(set(old) | set(new), key=_order)
    return [Change(node, name, old.get((node, name)), new.get((node, name)))
            for node, name in keys if old.get((node, name)) != new.get((node, name))]  # fmt: skip


def _order(key: tuple[str | None, str]) -> tuple[Any, ...]:
    node, name = key
    if node is None:
        rank = RECORD_FIELDS.index(name) if name in RECORD_FIELDS else len(RECORD_FIELDS)
        return (0, (), rank, 0, name)
    section, *steps = node.split(".")
    path = tuple((1, 0) if s == "o" else (0, int(s)) for s in steps)
    branch = _BRANCH_RE.match(name)
    field_rank = NODE_FIELDS.index("branches" if branch else name) if (branch or name in NODE_FIELDS) else 99
    return (1, (section != MAIN, section, path), field_rank, int(branch.group(1)) if branch else 0, name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(_text(v)) for v in value) or None
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items()) or None
    return str(value)


def _cells(document: Any) -> Iterator[tuple[tuple[str | None, str], str | None]]:
    if not isinstance(document, dict):
        return
    raw_aos = document.get("aos")
    aos: dict[str, Any] = raw_aos if isinstance(raw_aos, dict) else {}
    record = {
        "template": document.get("template"),
        "timezone": document.get("timezone"),
        **{f"aos.{k}": aos.get(k) for k in ("states", "npas", "latas", "npanxx")},
        "carrier": document.get("carrier"),
    }
    for name, value in record.items():
        yield (None, name), _text(value)
    switches = document.get("switches")
    if isinstance(switches, dict):
        for name, position in switches.items():
            yield (None, f"switches.{name}"), _text(position)
    sections = document.get("sections")
    if isinstance(sections, dict):
        for name, root in sections.items():
            yield from _node_cells(str(name), root)


def _node_cells(node_id: str, node: Any) -> Iterator[tuple[tuple[str | None, str], str | None]]:
    if not isinstance(node, dict):
        yield (node_id, "type"), "empty"
        return
    for key, value in node.items():
        if key in ("branches", "other"):
            continue
        yield (node_id, key), _text(value)
    branches = node.get("branches")
    if isinstance(branches, list):
        for i, branch in enumerate(branches):
            if not isinstance(branch, dict):
                continue
            for key in ("match", "percent"):
                if key in branch:
                    yield (node_id, f"branches[{i}].{key}"), _text(branch[key]) or ""
    for child_id, child in children(node_id, node):
        yield from _node_cells(child_id, child)


FIELD_WORDS = {
    "type": "node type", "tz": "time zone", "dst": "daylight saving", "name": "switch",
    "dest": "destination", "alternates": "if busy or no answer", "carrier": "carrier",
    "ring_timeout": "ring time (s)", "cic": "carrier code", "treatment": "announcement",
    "section": "go to section", "template": "uses template", "timezone": "time zone",
    "aos.states": "area of service: states", "aos.npas": "area of service: area codes",
    "aos.latas": "area of service: LATAs", "aos.npanxx": "area of service: NPA-NXX",
}  # fmt: skip


def field_text(field: str) -> str:
    """A diff or issue field in words: "branches[0].match" → "branch 1 values"."""
    if field.startswith("branches[") and "]." in field:
        index, _, rest = field.removeprefix("branches[").partition("].")
        if index.isdigit():
            return f"branch {int(index) + 1} {'share' if rest == 'percent' else 'values'}"
    if field.startswith("switches."):
        return f"switch {field.removeprefix('switches.')}"
    return FIELD_WORDS.get(field, field)
