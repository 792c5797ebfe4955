"""Plan document diff: exact change rows, in record-then-tree order."""

from __future__ import annotations

import copy
from typing import Any

from resources.tollfree.diff import Change, diff_documents, field_text
from resources.tollfree.document import empty_document

EAST: dict[str, Any] = {
    "type": "tel",
    "dest": "site:east",
    "alternates": [],
    "carrier": None,
    "ring_timeout": None,
}
WEST: dict[str, Any] = {
    "type": "tel",
    "dest": "site:west",
    "alternates": ["site:east"],
    "carrier": None,
    "ring_timeout": None,
}


def plan(main: Any, **extra: Any) -> dict[str, Any]:
    out = empty_document()
    out["sections"]["M"] = main
    out.update(extra)
    return out


ACTIVE = plan(
    {
        "type": "tod",
        "tz": None,
        "dst": True,
        "branches": [{"match": ["08:00-17:00"], "then": EAST}],
        "other": WEST,
    }
)


def test_identical_documents_have_no_changes() -> None:
    assert diff_documents(ACTIVE, copy.deepcopy(ACTIVE)) == []


def test_first_plan_against_nothing() -> None:
    assert diff_documents(None, plan({"type": "announce", "treatment": "closed"})) == [
        Change(None, "timezone", None, "America/New_York"),
        Change("M", "type", None, "announce"),
        Change("M", "treatment", None, "closed"),
    ]


def test_edits_to_values_destinations_and_record() -> None:
    after = copy.deepcopy(ACTIVE)
    after["timezone"] = "America/Chicago"
    after["aos"]["npas"] = ["212", "646"]
    after["switches"] = {"EMERG": "OFF"}
    main = after["sections"]["M"]
    main["dst"] = False
    main["branches"][0]["match"] = ["08:00-12:00", "13:00-17:00"]
    main["branches"][0]["then"]["dest"] = "+13125550100"
    main["other"]["alternates"] = []
    assert diff_documents(ACTIVE, after) == [
        Change(None, "timezone", "America/New_York", "America/Chicago"),
        Change(None, "aos.npas", None, "212, 646"),
        Change(None, "switches.EMERG", None, "OFF"),
        Change("M", "dst", "yes", "no"),
        Change("M", "branches[0].match", "08:00-17:00", "08:00-12:00, 13:00-17:00"),
        Change("M.0", "dest", "site:east", "+13125550100"),
        Change("M.o", "alternates", "site:east", None),
    ]


def test_added_branch_replaced_node_and_new_section() -> None:
    after = copy.deepcopy(ACTIVE)
    after["sections"]["M"]["branches"].append({"match": [], "then": None})
    after["sections"]["M"]["other"] = {"type": "goto", "section": "S1"}
    after["sections"]["S1"] = None
    assert diff_documents(ACTIVE, after) == [
        Change("M", "branches[1].match", None, ""),
        Change("M.1", "type", None, "empty"),
        Change("M.o", "type", "tel", "goto"),
        Change("M.o", "dest", "site:west", None),
        Change("M.o", "alternates", "site:east", None),
        Change("M.o", "section", None, "S1"),
        Change("S1", "type", None, "empty"),
    ]
    assert diff_documents(after, ACTIVE)[0] == Change("M", "branches[1].match", "", None)


def test_pointer_record_and_percent() -> None:
    pct = plan({"type": "pct", "branches": [{"percent": 70, "then": EAST}, {"percent": 30, "then": WEST}]})
    pointer = {"format": 1, "template": "*EASTWEST"}
    changes = diff_documents(pct, pointer)
    assert changes[:2] == [
        Change(None, "template", None, "*EASTWEST"),
        Change(None, "timezone", "America/New_York", None),
    ]
    assert Change("M", "branches[0].percent", "70", None) in changes
    assert Change("M.1", "dest", "site:west", None) in changes
    assert Change("M", "type", "pct", None).to_json() == {
        "node": "M",
        "field": "type",
        "before": "pct",
        "after": None,
    }


def test_field_names_in_words() -> None:
    fields = ("branches[0].match", "branches[2].percent", "switches.EMERG", "aos.npas", "dest", "oddity")
    assert [field_text(f) for f in fields] == [
        "branch 1 values",
        "branch 3 share",
        "switch EMERG",
        "area of service: area codes",
        "destination",
        "oddity",
    ]
