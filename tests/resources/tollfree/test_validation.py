"""Validation: one test per rule, each asserting the exact node, field and message."""

from __future__ import annotations

from typing import Any

import pytest
from engine_builders import (
    CATALOG,
    announce,
    carrier,
    decide,
    goto,
    origin,
    pct,
    record,
    switch,
    tel,
)

from resources.tollfree.catalog import Catalog, Label
from resources.tollfree.plan import Issue
from resources.tollfree.validation import validate

EAST = tel("site:east")
WEST = tel("site:west")


def check(doc: Any, catalog: Catalog = CATALOG) -> list[Issue]:
    return validate(doc, catalog=catalog, origin=origin())


def one(node: str | None, field: str, message: str) -> list[Issue]:
    return [Issue(node, field, message)]


def test_a_realistic_plan_is_valid() -> None:
    doc = record(
        switch(
            "EMERG",
            (["ON"], announce("emergency")),
            other=decide(
                "date",
                (["@HOLIDAYS", "07-04"], announce("closed-holiday")),
                other=decide(
                    "dow",
                    (["MON-FRI"], decide("tod", (["@BIZ"], goto("S1")), other=announce("closed"))),
                    other=announce("closed"),
                ),
            ),
        ),
        sections={
            "S1": decide(
                "state",
                (
                    ["@MIDWEST"],
                    decide("npa", (["312"], decide("nxx", (["555"], EAST), other=WEST)), other=EAST),
                ),
                other=pct((70, tel("site:east", "+13125550100", ring_timeout=30)), (30, carrier("0288"))),
            )
        },
        switches={"EMERG": "OFF"},
        carrier="0288",
        aos={"states": ["IL", "WI", "IN"]},
    )
    assert check(doc) == []


# ---- shape ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([], one(None, "document", "A routing record must be a JSON object.")),
        ({"format": 2}, one(None, "format", "Unsupported document format 2 (expected 1).")),
        (
            {"format": 1, "timezone": "UTC", "sections": {}},
            one(None, "sections", "The record needs a main section M."),
        ),
        (
            {**record(EAST), "colour": "red"},
            one(None, "colour", "Unknown field 'colour' in the routing record."),
        ),
        (
            {**record(EAST), "aos": {"zips": []}},
            one(None, "aos.zips", "Unknown area-of-service list 'zips'."),
        ),
        (record({"type": "ring", "dest": "x"}), one("M", "type", "Unknown node type 'ring'.")),
        (record({**EAST, "alternate": []}), one("M", "alternate", "A tel node has no field 'alternate'.")),
        (
            record({"type": "tod", "branches": [{"match": ["08:00-17:00"], "then": EAST}]}),
            one("M", "other", "Every decision needs an OTHER branch."),
        ),
        (
            record(
                {"type": "pct", "branches": [{"percent": "50", "then": EAST}, {"percent": 50, "then": WEST}]}
            ),
            one("M", "branches[0].percent", "A percentage must be a whole number."),
        ),
        (
            record({"type": "npa", "branches": [{"match": "312", "then": EAST}], "other": WEST}),
            one("M", "branches[0].match", "This must be a list of text values."),
        ),
        (
            record({"type": "npa", "tz": "UTC", "branches": [], "other": WEST}),
            one("M", "tz", "A npa node has no field 'tz'."),
        ),
        (
            record({**EAST, "ring_timeout": 30.5}),
            one("M", "ring_timeout", "The ring timeout must be a whole number of seconds."),
        ),
        (
            {"format": 1, "template": "*EASTWEST", "sections": {}},
            one(None, "sections", "A pointer record has only a template; remove 'sections'."),
        ),
    ],
)
def test_shape_problems(doc: Any, expected: list[Issue]) -> None:
    assert check(doc) == expected


def test_absurd_nesting_is_refused_without_recursing_forever() -> None:
    node: dict[str, Any] = EAST
    for _ in range(5000):
        node = decide("npa", (["312"], node), other=None)
    assert check(record(node)) == one("M" + ".0" * 48, "type", "The tree is nested more than 48 levels deep.")


# ---- record -----------------------------------------------------------------------------------
def test_empty_document_asks_to_choose() -> None:
    assert check(record(None)) == one("M", "type", "Choose what happens here.")


def test_empty_slots_are_errors() -> None:
    doc = record(decide("tod", (["08:00-17:00"], None), other=None))
    assert check(doc) == [
        Issue("M.0", "type", "Choose what happens here."),
        Issue("M.o", "type", "Choose what happens here."),
    ]


def test_time_zone_must_exist() -> None:
    assert check(record(EAST, timezone="Mars/Olympus")) == one(
        None, "timezone", "'Mars/Olympus' is not a time zone name (like America/New_York)."
    )


def test_node_time_zone_must_exist() -> None:
    doc = record(decide("tod", (["08:00-17:00"], EAST), other=WEST, tz="EST+5"))
    assert check(doc) == one("M", "tz", "'EST+5' is not a time zone name (like America/Chicago).")


def test_record_carrier_is_four_digits() -> None:
    assert check(record(EAST, carrier="288")) == one(
        None, "carrier", "'288' is not a carrier code (4 digits, like 0288)."
    )


def test_area_of_service_values() -> None:
    doc = record(EAST, aos={"npas": ["312", "31"], "states": ["XX"], "latas": ["1234"], "npanxx": ["312055"]})
    assert check(doc) == [
        Issue(None, "aos.states[0]", "'XX' is not a US state or Canadian province code (like IL or ON)."),
        Issue(None, "aos.npas[1]", "'31' is not an area code (3 digits, like 312)."),
        Issue(None, "aos.latas[0]", "'1234' is not a LATA (3 digits, like 358)."),
        Issue(
            None,
            "aos.npanxx[0]",
            "'312055' is not an NPA-NXX: area codes and exchanges never start with 0 or 1.",
        ),
    ]


def test_switch_positions() -> None:
    assert check(record(EAST, switches={"EMERG": "MAYBE"})) == one(
        None, "switches.EMERG", "'MAYBE' is not a switch position (ON, OFF or ON1 … ON9)."
    )


def test_pointer_to_a_missing_template() -> None:
    assert check({"format": 1, "template": "*NOWHERE"}) == one(
        None, "template", "Template *NOWHERE does not exist."
    )
    assert check({"format": 1, "template": "EAST"}) == one(
        None, "template", "'EAST' is not a template name (a star and 4-15 of A-Z 0-9 -)."
    )
    assert check({"format": 1, "template": "*EASTWEST"}) == []


# ---- ordering and structure -------------------------------------------------------------------
def test_time_decisions_go_from_date_to_tod() -> None:
    doc = record(decide("tod", (["08:00-17:00"], decide("dow", (["MON-FRI"], EAST), other=WEST)), other=WEST))
    assert check(doc) == one(
        "M.0",
        "type",
        "A day of week decision cannot come after the time of day decision M; "
        "order them date, then day of week, then time of day.",
    )


def test_date_after_dow_is_out_of_order() -> None:
    doc = record(decide("dow", (["MON"], WEST), other=decide("date", (["12-25"], EAST), other=WEST)))
    assert check(doc) == one(
        "M.o",
        "type",
        "A date decision cannot come after the day of week decision M; "
        "order them date, then day of week, then time of day.",
    )


def test_origin_decisions_go_from_state_to_ani() -> None:
    doc = record(decide("npa", (["312"], decide("state", (["IL"], EAST), other=WEST)), other=WEST))
    assert check(doc) == one(
        "M.0",
        "type",
        "A state decision cannot come after the area code (NPA) decision M; "
        "order them state or LATA, then area code, then NXX or NPA-NXX, then the 10-digit number.",
    )


def test_ordering_follows_goto_into_sub_sections() -> None:
    doc = record(
        decide("ani", (["3125550100"], goto("S1")), other=WEST),
        sections={"S1": decide("npa", (["312"], EAST), other=WEST)},
    )
    assert check(doc) == one(
        "S1",
        "type",
        "A area code (NPA) decision cannot come after the 10-digit number (ANI) decision M; "
        "order them state or LATA, then area code, then NXX or NPA-NXX, then the 10-digit number.",
    )


def test_time_and_origin_families_mix_freely() -> None:
    doc = record(decide("npa", (["312"], decide("tod", (["08:00-17:00"], EAST), other=WEST)), other=WEST))
    assert check(doc) == []


def test_nxx_and_npanxx_never_in_one_plan() -> None:
    doc = record(
        decide(
            "npa",
            (["312"], decide("nxx", (["555"], EAST), other=WEST)),
            other=decide("npanxx", (["212555"], EAST), other=WEST),
        )
    )
    assert check(doc) == one(
        "M.o", "type", "A plan cannot use both NXX and 6-digit (NPA-NXX) decisions: M.o conflicts with M.0."
    )


def test_nxx_needs_an_npa_before_it() -> None:
    doc = record(decide("nxx", (["555"], EAST), other=WEST))
    assert check(doc) == one(
        "M",
        "type",
        "An NXX decision needs an area code (NPA) decision before it on the path (or use NXX labels).",
    )
    assert check(record(decide("nxx", (["@DOWNTOWN"], EAST), other=WEST))) == []


def test_goto_is_never_the_first_node() -> None:
    doc = record(goto("S1"), sections={"S1": decide("npa", (["312"], EAST), other=WEST)})
    assert check(doc) == one(
        "M", "type", "The main section cannot start with a GOTO; start it with a decision."
    )


def test_sub_section_starts_with_a_decision() -> None:
    doc = record(decide("npa", (["312"], goto("S1")), other=WEST), sections={"S1": EAST})
    assert check(doc) == one("S1", "type", "A sub-section must start with a decision, not a destination.")


def test_sub_section_never_jumps() -> None:
    doc = record(
        decide("npa", (["312"], goto("S1")), other=goto("S2")),
        sections={
            "S1": decide("tod", (["08:00-17:00"], goto("S2")), other=WEST),
            "S2": decide("tod", (["08:00-17:00"], EAST), other=WEST),
        },
    )
    assert check(doc) == one(
        "S1.0",
        "section",
        "A sub-section cannot jump to another section (no loops); "
        "end it with a destination, a carrier or an announcement.",
    )


def test_goto_target_must_exist() -> None:
    doc = record(decide("npa", (["312"], goto("S9")), other=goto("M")))
    assert check(doc) == [
        Issue("M.0", "section", "Section S9 does not exist."),
        Issue("M.o", "section", "A GOTO must jump to a sub-section, not back to M."),
    ]


def test_every_sub_section_is_used() -> None:
    doc = record(EAST, sections={"S1": decide("npa", (["312"], EAST), other=WEST)})
    assert check(doc) == one("S1", "section", "Sub-section S1 is not used by any GOTO; use it or delete it.")


def test_percent_and_announce_never_on_one_path() -> None:
    doc = record(pct((50, EAST), (50, decide("tod", (["08:00-17:00"], WEST), other=announce("closed")))))
    assert check(doc) == one(
        "M.1.o",
        "type",
        "An announcement cannot follow the percent split M; send every share to a destination.",
    )


def test_percent_and_announce_through_goto() -> None:
    doc = record(
        pct((50, EAST), (50, goto("S1"))),
        sections={"S1": decide("tod", (["08:00-17:00"], WEST), other=announce("closed"))},
    )
    assert check(doc) == one(
        "S1.o",
        "type",
        "An announcement cannot follow the percent split M; send every share to a destination.",
    )


# ---- percent ----------------------------------------------------------------------------------
def test_percent_needs_two_branches() -> None:
    assert check(record(pct((100, EAST)))) == [
        Issue("M", "branches", "A percent split needs at least two branches."),
        Issue("M", "branches[0].percent", "100% is not a share from 1 to 99."),
    ]


def test_percent_shares_are_1_to_99() -> None:
    assert check(record(pct((0, EAST), (100, WEST)))) == [
        Issue("M", "branches[0].percent", "0% is not a share from 1 to 99."),
        Issue("M", "branches[1].percent", "100% is not a share from 1 to 99."),
    ]


def test_percent_total_is_100() -> None:
    assert check(record(pct((60, EAST), (30, WEST)))) == one(
        "M", "branches", "The percentages add up to 90, not 100."
    )


# ---- values -----------------------------------------------------------------------------------
def test_bad_value_points_at_branch_and_position() -> None:
    doc = record(decide("tod", (["08:00-12:00", "13:00-17:30x"], EAST), other=WEST))
    assert check(doc) == one(
        "M", "branches[0].match[1]", "'13:00-17:30x' is not a time range like 08:00-17:00."
    )


def test_branch_needs_a_value() -> None:
    doc = record(decide("npa", ([], EAST), other=WEST))
    assert check(doc) == one("M", "branches[0].match", "Choose at least one value for this branch.")


def test_decision_needs_a_branch() -> None:
    assert check(record(decide("npa", other=WEST))) == one(
        "M", "branches", "A decision needs at least one branch besides OTHER."
    )


def test_overlapping_values_name_both() -> None:
    doc = record(decide("tod", (["08:00-17:00"], EAST), (["18:00-19:00", "12:00-13:00"], WEST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[1]", "12:00-13:00 overlaps 08:00-17:00 of branch 1.")


def test_duplicate_values() -> None:
    doc = record(decide("state", (["IL"], EAST), (["WI", "IL"], WEST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[1]", "IL repeats IL of branch 1.")
    doc = record(decide("state", (["IL", "IL"], EAST), other=WEST))
    assert check(doc) == one("M", "branches[0].match[1]", "IL is listed twice in this branch.")


def test_overlap_through_a_label() -> None:
    doc = record(decide("state", (["WI"], EAST), (["@MIDWEST"], WEST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[0]", "WI (from @MIDWEST) repeats WI of branch 1.")


def test_exact_date_overlaps_its_day_of_year() -> None:
    doc = record(decide("date", (["12-25"], announce("xmas")), (["2027-12-25"], EAST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[0]", "2027-12-25 overlaps 12-25 of branch 1.")
    doc = record(decide("date", (["359-361"], announce("xmas")), (["2027-12-26"], EAST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[0]", "2027-12-26 overlaps 359-361 of branch 1.")


def test_dow_overlap() -> None:
    doc = record(decide("dow", (["MON-FRI"], EAST), (["FRI-SAT"], WEST), other=WEST))
    assert check(doc) == one("M", "branches[1].match[0]", "FRI-SAT overlaps MON-FRI of branch 1.")


# ---- labels, switches -------------------------------------------------------------------------
def test_label_must_exist() -> None:
    doc = record(decide("tod", (["@LUNCH"], EAST), other=WEST))
    assert check(doc) == one("M", "branches[0].match[0]", "Label @LUNCH does not exist.")


def test_label_kind_must_match() -> None:
    doc = record(decide("tod", (["@WEEKEND"], EAST), other=WEST))
    assert check(doc) == one(
        "M", "branches[0].match[0]", "Label @WEEKEND holds dow values; this is a tod decision."
    )


def test_label_values_are_checked() -> None:
    catalog = Catalog(labels={"BAD": Label("BAD", "npa", ("312", "31"))}, sites=CATALOG.sites)
    doc = record(decide("npa", (["@BAD"], EAST), other=WEST))
    assert check(doc, catalog) == one(
        "M",
        "branches[0].match[0]",
        "Label @BAD has a bad value: '31' is not an area code (3 digits, like 312).",
    )


def test_label_reference_syntax() -> None:
    doc = record(decide("npa", (["@x"], EAST), other=WEST))
    assert check(doc) == one("M", "branches[0].match[0]", "'@x' is not a label this decision can use.")


def test_switch_needs_a_position() -> None:
    doc = record(switch("EMERG", (["ON"], announce("emergency")), other=EAST))
    assert check(doc) == one("M", "name", "Switch EMERG has no position; set it in the record's switches.")


# ---- area of service --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value", "aos", "message"),
    [
        ("npa", "212", {"states": ["IL"]}, "Area code 212 is outside the record's area of service."),
        ("state", "NY", {"states": ["IL"]}, "State NY is outside the record's area of service."),
        ("state", "NY", {"npas": ["312"]}, "State NY is outside the record's area of service."),
        ("npanxx", "212555", {"npas": ["312"]}, "NPA-NXX 212555 is outside the record's area of service."),
        (
            "ani",
            "2125550100",
            {"states": ["IL"]},
            "Number 2125550100 is outside the record's area of service.",
        ),
        ("lata", "132", {"states": ["IL"]}, "LATA 132 is outside the record's area of service."),
        ("lata", "132", {"latas": ["358"]}, "LATA 132 is outside the record's area of service."),
    ],
)
def test_origin_values_outside_the_area_of_service(
    kind: str, value: str, aos: dict[str, list[str]], message: str
) -> None:
    doc = record(decide(kind, ([value], EAST), other=WEST), aos=aos)
    assert check(doc) == one("M", "branches[0].match[0]", message)


@pytest.mark.parametrize(
    ("kind", "value", "aos"),
    [
        ("npa", "312", {"states": ["IL"]}),
        ("npa", "212", {"npas": ["212"]}),
        ("npa", "212", {"npanxx": ["212555"]}),
        ("state", "IL", {"npas": ["312"]}),
        ("state", "NY", {"latas": ["132"]}),  # imported 212555 is in LATA 132, NY
        ("npanxx", "312555", {"latas": ["358"]}),
        ("ani", "3125550100", {"states": ["IL"]}),
        ("lata", "358", {"states": ["IL"]}),
        ("lata", "999", {"states": ["IL"]}),  # nothing known about LATA 999: cannot tell
        ("npa", "212", {}),
    ],
)
def test_origin_values_inside_the_area_of_service(kind: str, value: str, aos: dict[str, list[str]]) -> None:
    assert check(record(decide(kind, ([value], EAST), other=WEST), aos=aos)) == []


# ---- actions ----------------------------------------------------------------------------------
def test_site_must_exist() -> None:
    assert check(record(tel("site:north"))) == one("M", "dest", "Site 'north' does not exist.")


@pytest.mark.parametrize(
    "number", ["+1312555", "3125550100", "+13125550100x", "+1 312 555 0100", "+10005550100"]
)
def test_ring_to_number_is_valid_e164(number: str) -> None:
    assert check(record(tel(number))) == one(
        "M",
        "dest",
        f"{number!r} is neither a site (site:<name>), a distribution (distribution:<name>) nor a valid "
        "ring-to number in E.164 form (like +13125550100).",
    )


def test_alternates_are_checked_and_distinct() -> None:
    assert check(record(tel("site:east", "site:west", "site:east", "+1312"))) == [
        Issue("M", "alternates[1]", "site:east is already a destination of this node."),
        Issue(
            "M",
            "alternates[2]",
            "'+1312' is neither a site (site:<name>), a distribution (distribution:<name>) nor a valid "
            "ring-to number in E.164 form (like +13125550100).",
        ),
    ]


def test_cic_is_four_digits() -> None:
    assert check(record(carrier("28"))) == one(
        "M", "cic", "'28' is not a carrier code (4 digits, like 0288)."
    )
    assert check(record(tel("site:east", carrier="02888"))) == one(
        "M", "carrier", "'02888' is not a carrier code (4 digits, like 0288)."
    )


def test_treatment_is_a_slug() -> None:
    assert check(record(announce("Closed Holiday"))) == one(
        "M",
        "treatment",
        "'Closed Holiday' is not a treatment name (lowercase words joined by -, like closed-holiday).",
    )


@pytest.mark.parametrize(("timeout", "ok"), [(4, False), (5, True), (120, True), (121, False)])
def test_ring_timeout_5_to_120(timeout: int, ok: bool) -> None:
    expected = (
        [] if ok else one("M", "ring_timeout", f"The ring timeout must be 5 to 120 seconds, not {timeout}.")
    )
    assert check(record(tel("site:east", ring_timeout=timeout))) == expected


# ---- limits -----------------------------------------------------------------------------------
def _wide(leaves: int) -> dict[str, Any]:
    numbers = [f"312{i:07d}" for i in range(2_000_000, 2_000_000 + leaves - 1)]
    return record(decide("ani", *(([n], EAST) for n in numbers), other=WEST))


def test_at_most_999_leaves() -> None:
    assert check(_wide(999)) == []
    assert check(_wide(1000)) == one(None, "sections", "The plan has 1000 destinations; the limit is 999.")


def _deep(decisions: int) -> dict[str, Any]:
    node: dict[str, Any] = EAST
    for _ in range(decisions):
        node = switch("EMERG", (["ON"], node), other=WEST)
    return record(node, switches={"EMERG": "ON"})


def test_at_most_20_levels() -> None:
    assert check(_deep(19)) == []
    deepest = "M" + ".0" * 20
    assert check(_deep(20)) == [
        Issue(deepest, "type", "This branch is more than 20 levels deep; simplify the tree."),
        Issue("M" + ".0" * 19 + ".o", "type", "This branch is more than 20 levels deep; simplify the tree."),
    ]


# ---- the catalog snapshot a version freezes ---------------------------------------------------
def test_catalog_used_by_keeps_only_what_the_document_references() -> None:
    doc = record(
        decide(
            "tod",
            (["@BIZ"], tel("site:east", "+13125550100")),
            other=decide("state", (["@NOPE"], WEST), other=WEST),
        )
    )
    used = CATALOG.used_by(doc)
    assert used == Catalog(
        labels={"BIZ": CATALOG.labels["BIZ"]}, sites=dict(CATALOG.sites), templates=frozenset()
    )
    assert CATALOG.used_by({"format": 1, "template": "*EASTWEST"}) == Catalog(
        templates=frozenset({"*EASTWEST"})
    )


def test_catalog_json_round_trip() -> None:
    snapshot = CATALOG.to_json()
    assert snapshot["labels"][0] == {"name": "BIZ", "kind": "tod", "values": ["08:00-12:00", "13:00-17:00"]}
    assert snapshot["sites"] == [
        {"name": "east", "uri": "sip:10.1.1.1:5060"},
        {"name": "west", "uri": "sip:10.1.1.2:5070;transport=tcp"},
    ]
    assert snapshot["templates"] == ["*EASTWEST"]
    assert Catalog.from_json(snapshot) == CATALOG
    assert Catalog.from_json(None) == Catalog()


def test_catalog_from_bad_json() -> None:
    with pytest.raises(ValueError, match="not a catalog snapshot"):
        Catalog.from_json({"labels": [{"name": "X"}]})
