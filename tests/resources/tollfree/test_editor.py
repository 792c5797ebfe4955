"""The tree editor's pure operations: exact resulting documents, inputs unchanged, clear errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from engine_builders import tel

from resources.tollfree import editor
from resources.tollfree.document import empty_document
from resources.tollfree.editor import EditError, apply


def doc(main: Any = None, **extra: Any) -> dict[str, Any]:
    out = empty_document()
    out["sections"]["M"] = main
    out.update(extra)
    return out


def tod(*branches: tuple[list[str], Any], other: Any = None) -> dict[str, Any]:
    return {
        "type": "tod",
        "tz": None,
        "dst": True,
        "branches": [{"match": m, "then": t} for m, t in branches],
        "other": other,
    }


EAST: dict[str, Any] = tel("site:east")
WEST: dict[str, Any] = tel("site:west")


def test_time_of_day_plan_built_op_by_op() -> None:
    d = apply(empty_document(), op="set-type", node="M", fields={"type": "tod"})
    assert d["sections"] == {"M": tod(([], None))}
    d = apply(d, op="set-branch", node="M", fields={"branch": "0", "values": " 08:00-17:00 "})
    d = apply(d, op="set-type", node="M.0", fields={"type": "tel"})
    d = apply(
        d, op="set-action", node="M.0", fields={"dest_site": "east", "dest_number": "", "alternates": ""}
    )
    d = apply(d, op="set-type", node="M.o", fields={"type": "tel"})
    d = apply(
        d,
        op="set-action",
        node="M.o",
        fields={"dest_site": "west", "alternates": "", "ring_timeout": "", "carrier": ""},
    )
    assert d == doc(tod((["08:00-17:00"], EAST), other=WEST))


def test_new_nodes_of_every_type() -> None:
    d = doc(switches={"EMERG": "OFF"}, sections={"M": None, "S1": None})
    assert editor.new_node("pct") == {
        "type": "pct",
        "branches": [{"percent": 50, "then": None}, {"percent": 50, "then": None}],
    }
    assert editor.new_node("npa") == {"type": "npa", "branches": [{"match": [], "then": None}], "other": None}
    assert editor.new_node("switch", document=d) == {
        "type": "switch",
        "name": "EMERG",
        "branches": [{"match": [], "then": None}],
        "other": None,
    }
    assert editor.new_node("dow")["tz"] is None  # type: ignore[index]
    assert editor.new_node("carrier") == {"type": "carrier", "cic": ""}
    assert editor.new_node("announce") == {"type": "announce", "treatment": ""}
    assert editor.new_node("goto", document=d) == {"type": "goto", "section": "S1"}
    assert editor.new_node("goto") == {"type": "goto", "section": ""}
    assert editor.new_node("empty") is None
    with pytest.raises(EditError) as err:
        editor.new_node("bogus")
    assert (err.value.field, err.value.message) == ("type", "Unknown node type 'bogus'.")


def test_branch_add_move_remove() -> None:
    base = doc(tod((["08:00-12:00"], EAST), other=WEST))
    before = copy.deepcopy(base)
    d = apply(base, op="add-branch", node="M", fields={})
    assert d["sections"]["M"]["branches"] == [
        {"match": ["08:00-12:00"], "then": EAST},
        {"match": [], "then": None},
    ]
    d = apply(d, op="set-branch", node="M", fields={"branch": "1", "values": "13:00-17:00,\n18:00-19:00"})
    d = apply(d, op="move-up", node="M", fields={"branch": "1"})
    assert d["sections"]["M"]["branches"] == [
        {"match": ["13:00-17:00", "18:00-19:00"], "then": None},
        {"match": ["08:00-12:00"], "then": EAST},
    ]
    d = apply(d, op="move-down", node="M", fields={"branch": "0"})
    assert [b["match"] for b in d["sections"]["M"]["branches"]] == [
        ["08:00-12:00"],
        ["13:00-17:00", "18:00-19:00"],
    ]
    d = apply(d, op="remove-branch", node="M", fields={"branch": "0"})
    assert d == doc(tod((["13:00-17:00", "18:00-19:00"], None), other=WEST))
    assert base == before  # inputs are never changed


def test_branch_errors() -> None:
    d = doc(tod((["08:00-12:00"], EAST), other=WEST))
    cases = [
        ("move-up", {"branch": "0"}, "branch", "Branch 1 of M cannot move further."),
        ("move-down", {"branch": "0"}, "branch", "Branch 1 of M cannot move further."),
        (
            "remove-branch",
            {"branch": "0"},
            "branch",
            "A decision needs at least one branch; replace the node instead.",
        ),
        ("set-branch", {"branch": "3", "values": "x"}, "branch", "M has no branch 4."),
        ("set-branch", {"branch": "x"}, "branch", "Say which branch (1, 2, …)."),
    ]
    for op, fields, field, message in cases:
        with pytest.raises(EditError) as err:
            apply(d, op=op, node="M", fields=fields)
        assert (err.value.field, err.value.message) == (field, message)
    with pytest.raises(EditError) as err:
        apply(d, op="add-branch", node="M.0", fields={})
    assert (err.value.field, err.value.message) == ("node", "M.0 is not a decision node.")
    with pytest.raises(EditError) as err:
        apply(d, op="set-type", node="M.4", fields={"type": "tel"})
    assert err.value.message == "There is no node M.4 in this plan."
    with pytest.raises(EditError) as err:
        apply(d, op="explode", node="M", fields={})
    assert err.value.message == "Unknown editor operation 'explode'."


def test_percent_and_values() -> None:
    d = doc(editor.new_node("pct"))
    d = apply(d, op="set-branch", node="M", fields={"branch": "0", "percent": "70"})
    d = apply(d, op="add-branch", node="M", fields={})
    assert d["sections"]["M"]["branches"] == [
        {"percent": 70, "then": None},
        {"percent": 50, "then": None},
        {"percent": 0, "then": None},
    ]
    with pytest.raises(EditError) as err:
        apply(d, op="set-branch", node="M", fields={"branch": "0", "percent": "70%"})
    assert (err.value.field, err.value.message) == (
        "percent",
        "Enter the share as a whole number of percent, e.g. 70.",
    )
    d = doc(
        {"type": "dow", "tz": None, "dst": True, "branches": [{"match": [], "then": None}], "other": None}
    )
    d = apply(d, op="set-branch", node="M", fields={"branch": "0", "values": "mon-fri sat; @holidays"})
    assert d["sections"]["M"]["branches"][0]["match"] == ["MON-FRI", "SAT", "@HOLIDAYS"]


def test_decision_fields() -> None:
    d = doc(tod(([], None)))
    d = apply(d, op="set-decision", node="M", fields={"tz": " America/Chicago ", "name": "ignored"})
    assert (d["sections"]["M"]["tz"], d["sections"]["M"]["dst"]) == ("America/Chicago", False)
    d = apply(d, op="set-decision", node="M", fields={"tz": "", "dst": "on"})
    assert (d["sections"]["M"]["tz"], d["sections"]["M"]["dst"]) == (None, True)
    assert "name" not in d["sections"]["M"]
    s = doc({"type": "switch", "name": "", "branches": [{"match": ["ON"], "then": None}], "other": None})
    s = apply(s, op="set-decision", node="M", fields={"name": "emerg"})
    assert s["sections"]["M"] == {
        "type": "switch",
        "name": "EMERG",
        "branches": [{"match": ["ON"], "then": None}],
        "other": None,
    }


def test_action_fields() -> None:
    d = doc(tod(([], dict(EAST)), other={"type": "announce", "treatment": ""}))
    d = apply(
        d,
        op="set-action",
        node="M.0",
        fields={
            "dest_site": "",
            "dest_number": "+1 (312) 555-0100",
            "alternates": "west, +13125550199 site:north",
            "carrier": "0288",
            "ring_timeout": "25",
        },
    )
    assert d["sections"]["M"]["branches"][0]["then"] == {
        "type": "tel",
        "dest": "+13125550100",
        "alternates": ["site:west", "+13125550199", "site:north"],
        "carrier": "0288",
        "ring_timeout": 25,
    }
    d = apply(d, op="set-action", node="M.o", fields={"treatment": " closed-holiday "})
    assert d["sections"]["M"]["other"] == {"type": "announce", "treatment": "closed-holiday"}
    for fields, field, message in (
        (
            {"dest_site": "east", "dest_number": "+13125550100"},
            "dest",
            "Choose a site or type a ring-to number, not both.",
        ),
        (
            {"dest_site": "east", "ring_timeout": "soon"},
            "ring_timeout",
            "Enter the ring time in whole seconds, e.g. 20.",
        ),
    ):
        with pytest.raises(EditError) as err:
            apply(d, op="set-action", node="M.0", fields=fields)
        assert (err.value.field, err.value.message) == (field, message)
    with pytest.raises(EditError) as err:
        apply(d, op="set-action", node="M", fields={})
    assert err.value.message == "M is not an action node."
    g = doc({"type": "goto", "section": ""})
    assert apply(g, op="set-action", node="M", fields={"section": "s1"})["sections"]["M"] == {
        "type": "goto",
        "section": "S1",
    }
    c = doc({"type": "carrier", "cic": ""})
    assert apply(c, op="set-action", node="M", fields={"cic": "0288 "})["sections"]["M"]["cic"] == "0288"


def test_sections() -> None:
    d = apply(doc(), op="add-section", node="M", fields={"section": "s1"})
    assert d["sections"] == {"M": None, "S1": None}
    d = apply(d, op="set-type", node="S1", fields={"type": "tel"})
    assert d["sections"]["S1"] == {
        "type": "tel",
        "dest": "",
        "alternates": [],
        "carrier": None,
        "ring_timeout": None,
    }
    for name, message in (
        ("S1", "The plan already has a section S1."),
        ("X1", "A sub-section is named S plus up to 7 letters or digits, e.g. S1."),
        ("M", "A sub-section is named S plus up to 7 letters or digits, e.g. S1."),
    ):
        with pytest.raises(EditError) as err:
            apply(d, op="add-section", node="M", fields={"section": name})
        assert (err.value.field, err.value.message) == ("section", message)
    assert apply(d, op="remove-section", node="S1", fields={})["sections"] == {"M": None}
    with pytest.raises(EditError) as err:
        apply(d, op="remove-section", node="M", fields={})
    assert err.value.message == "Only an existing sub-section can be removed."


def test_record_switches_and_templates() -> None:
    d = apply(
        doc(),
        op="set-record",
        node="M",
        fields={
            "timezone": "America/Chicago",
            "carrier": "0288",
            "aos_states": "ny nj",
            "aos_npas": "212, 646",
            "aos_latas": "",
            "aos_npanxx": "",
        },
    )
    assert d == {
        "format": 1,
        "timezone": "America/Chicago",
        "aos": {"states": ["NY", "NJ"], "npas": ["212", "646"], "latas": [], "npanxx": []},
        "carrier": "0288",
        "switches": {},
        "sections": {"M": None},
    }
    d = apply(d, op="set-switch", node="M", fields={"name": "emerg", "position": "off"})
    d = apply(d, op="set-switch", node="M", fields={"name": "EMERG", "position": "ON2"})
    assert d["switches"] == {"EMERG": "ON2"}
    with pytest.raises(EditError) as err:
        apply(d, op="set-switch", node="M", fields={"name": "EMERG", "position": "MAYBE"})
    assert (err.value.field, err.value.message) == ("position", "A switch is OFF, ON or ON1 … ON9.")
    assert apply(d, op="remove-switch", node="M", fields={"name": "EMERG"})["switches"] == {}
    pointer = apply(d, op="use-template", node="M", fields={"template": "eastwest"})
    assert pointer == {"format": 1, "template": "*EASTWEST"}
    with pytest.raises(EditError) as err:
        apply(pointer, op="set-type", node="M", fields={"type": "tel"})
    assert err.value.message == "This record points to a template; make it a plan of its own first."
    assert apply(pointer, op="own-plan", node="M", fields={}) == empty_document()


def test_type_names() -> None:
    assert [editor.type_name(t) for t in ("tod", "dow", "pct", "npa", "tel", None)] == [
        "Time of day",
        "Day of week",
        "Percent",
        "Area code",
        "Destination",
        "Empty",
    ]


def test_dialog_values_come_from_the_document_or_the_post() -> None:
    d = doc(
        tod((["08:00-17:00"], {**EAST, "alternates": ["site:west"], "ring_timeout": 25}), other=WEST),
        switches={"EMERG": "ON"},
    )
    assert editor.form_values(d, op="set-branch", node=d["sections"]["M"], fields={"branch": "0"}) == {
        "values": "08:00-17:00",
        "percent": "",
    }
    tel = editor.form_values(d, op="set-action", node=d["sections"]["M"]["branches"][0]["then"], fields={})
    assert (tel["dest_site"], tel["dest_number"], tel["alternates"], tel["ring_timeout"], tel["carrier"]) == (
        "east",
        "",
        "site:west",
        25,
        "",
    )
    assert editor.form_values(d, op="set-switch", node=None, fields={"name": "EMERG"}) == {
        "name": "EMERG",
        "position": "ON",
        "existing": True,
    }
    posted = {"dialog": "1", "tz": "Europe/Paris", "values": "x"}
    assert editor.form_values(d, op="set-decision", node=None, fields=posted) == {
        **posted,
        "dst": False,
        "existing": False,
    }
    assert editor.dest_text("site:east") == "site east"
    assert editor.dest_text("+13125550100") == "+13125550100"
