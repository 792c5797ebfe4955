from __future__ import annotations

import pytest

from resources.tollfree.document import empty_document, get_node, parse_node_id, set_node, walk

TEL_EAST = {"type": "tel", "dest": "site:east"}
TEL_WEST = {"type": "tel", "dest": "site:west"}


def tod_doc() -> dict[str, object]:
    doc = empty_document()
    doc["sections"] = {
        "M": {
            "type": "tod",
            "branches": [
                {"match": ["08:00-17:00"], "then": TEL_EAST},
                {"match": ["17:00-18:00"], "then": None},
            ],
            "other": {"type": "goto", "section": "S1"},
        },
        "S1": {
            "type": "pct",
            "branches": [{"percent": 70, "then": TEL_EAST}, {"percent": 30, "then": TEL_WEST}],
        },
    }
    return doc


def test_walk_names_every_slot_depth_first() -> None:
    assert [node_id for node_id, _ in walk(tod_doc())] == ["M", "M.0", "M.1", "M.o", "S1", "S1.0", "S1.1"]
    assert dict(walk(tod_doc()))["M.1"] is None


def test_walk_survives_hostile_nesting() -> None:
    node: dict[str, object] = dict(TEL_EAST)
    for _ in range(5000):
        node = {"type": "pct", "branches": [{"percent": 100, "then": node}]}
    doc = empty_document()
    doc["sections"] = {"M": node}
    assert sum(1 for _ in walk(doc)) == 5001


def test_get_and_set_by_node_id() -> None:
    doc = tod_doc()
    assert get_node(doc, "M.0") == TEL_EAST
    assert get_node(doc, "M.1") is None
    changed = set_node(doc, "M.1", TEL_WEST)
    assert get_node(changed, "M.1") == TEL_WEST
    assert get_node(doc, "M.1") is None  # the input is unchanged
    assert get_node(set_node(doc, "M.o", None), "M.o") is None
    with pytest.raises(KeyError):
        get_node(doc, "M.7")
    with pytest.raises(KeyError):
        set_node(doc, "S1.o", TEL_WEST)  # percent nodes have no OTHER


@pytest.mark.parametrize("bad", ["", "X", "M.", "M.-1", "M.a", "m.0", "S", "M..0"])
def test_bad_node_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="not a node id"):
        parse_node_id(bad)


def test_parse_node_id() -> None:
    assert parse_node_id("S1.0.o.12") == ("S1", [0, "o", 12])
