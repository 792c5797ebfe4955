"""The routing-plan document as stored (plain JSON) and the node ids everything else uses.

A node id names a node by its position, so validation messages, the simulator's decision path,
the editor's buttons and the diff all point at the same cell:

* the root node of a section is the section name: ``M`` (main), ``S1``, ``S2`` …;
* the node under branch *i* (0-based) of node ``X`` is ``X.i``;
* the node under the OTHER branch of node ``X`` is ``X.o``.

Ids are recomputed from the structure; they are not stored in the document.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

FORMAT = 1
MAIN = "M"
SECTION_RE = re.compile(r"^(M|S[A-Z0-9]{1,7})$")
NODE_ID_RE = re.compile(r"^(M|S[A-Z0-9]{1,7})((\.(\d{1,3}|o))*)$")

Node = dict[str, Any]
Document = dict[str, Any]


def empty_document(*, timezone: str = "America/New_York") -> Document:
    """A new draft: nationwide area of service, an empty main section to fill in."""
    return {
        "format": FORMAT,
        "timezone": timezone,
        "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
        "carrier": None,
        "switches": {},
        "sections": {MAIN: None},
    }


def children(node_id: str, node: Node | None) -> Iterator[tuple[str, Node | None]]:
    """(child id, child) of a decision node, branches first, then OTHER (when the node has one)."""
    if not isinstance(node, dict):
        return
    branches = node.get("branches")
    if isinstance(branches, list):
        for i, branch in enumerate(branches):
            then = branch.get("then") if isinstance(branch, dict) else None
            yield f"{node_id}.{i}", then
    if "other" in node:
        yield f"{node_id}.o", node.get("other")


def walk(document: Document) -> Iterator[tuple[str, Node | None]]:
    """Every slot of every section, depth first: (node id, node or None for an empty slot)."""
    sections = document.get("sections")
    if not isinstance(sections, dict):
        return
    for name, root in sections.items():
        # an explicit stack, not recursion: a hostile, deeply nested body must not blow the stack
        stack: list[tuple[str, Node | None]] = [(str(name), root)]
        while stack:
            node_id, node = stack.pop()
            yield node_id, node
            stack.extend(reversed(list(children(node_id, node))))


def parse_node_id(node_id: str) -> tuple[str, list[int | str]]:
    """``"M.0.o"`` → ``("M", [0, "o"])``; ValueError for anything else."""
    match = NODE_ID_RE.match(node_id)
    if not match:
        raise ValueError(f"not a node id: {node_id!r}")
    steps: list[int | str] = []
    for part in node_id.split(".")[1:]:
        steps.append("o" if part == "o" else int(part))
    return match.group(1), steps


def get_node(document: Document, node_id: str) -> Node | None:
    """The node at `node_id` (None for an empty slot); KeyError when the slot does not exist."""
    section, steps = parse_node_id(node_id)
    sections = document.get("sections") or {}
    if section not in sections:
        raise KeyError(node_id)
    node: Any = sections[section]
    for step in steps:
        node = _child(node, step, node_id)
    return node if isinstance(node, dict) else None


def set_node(document: Document, node_id: str, node: Node | None) -> Document:
    """A copy of `document` with the slot `node_id` replaced by `node` (the input is unchanged)."""
    out = copy.deepcopy(document)
    section, steps = parse_node_id(node_id)
    sections = out.setdefault("sections", {})
    if not steps:
        sections[section] = copy.deepcopy(node)
        return out
    if section not in sections:
        raise KeyError(node_id)
    parent: Any = sections[section]
    for step in steps[:-1]:
        parent = _child(parent, step, node_id)
    last = steps[-1]
    if not isinstance(parent, dict):
        raise KeyError(node_id)
    if last == "o":
        if "other" not in parent:
            raise KeyError(node_id)
        parent["other"] = copy.deepcopy(node)
    else:
        branches = parent.get("branches")
        if not isinstance(branches, list) or not isinstance(last, int) or last >= len(branches):
            raise KeyError(node_id)
        branches[last]["then"] = copy.deepcopy(node)
    return out


def _child(node: Any, step: int | str, node_id: str) -> Any:
    if not isinstance(node, dict):
        raise KeyError(node_id)
    if step == "o":
        if "other" not in node:
            raise KeyError(node_id)
        return node["other"]
    branches = node.get("branches")
    if not isinstance(branches, list) or not isinstance(step, int) or step >= len(branches):
        raise KeyError(node_id)
    branch = branches[step]
    return branch.get("then") if isinstance(branch, dict) else None
