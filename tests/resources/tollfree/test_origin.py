"""Caller origin: the NPA → state table from phonenumbers, imported NPA-NXX rows, ANI forms."""

from __future__ import annotations

import pytest
from engine_builders import origin

from resources.tollfree.origin import (
    UNKNOWN,
    CallerOrigin,
    OriginData,
    OriginRow,
    npa_states,
    parse_origin_csv,
    state_from_description,
)
from resources.tollfree.plan import Issue


@pytest.mark.parametrize(
    ("description", "state"),
    [
        ("Chicago, IL", "IL"),
        ("Massachusetts", "MA"),
        ("Washington State", "WA"),
        ("Washington D.C.", "DC"),
        ("Toronto, ON", "ON"),
        ("Quebec", "QC"),
        ("New Providence", None),
        ("Nova Scotia/Prince Edward Island", None),
        ("Paris, FR", None),
        (None, None),
    ],
)
def test_state_from_geocoder_description(description: str | None, state: str | None) -> None:
    assert state_from_description(description) == state


@pytest.mark.parametrize(
    ("npa", "state"),
    [
        ("312", "IL"),  # "Chicago, IL"
        ("617", "MA"),  # "Massachusetts"
        ("212", "NY"),
        ("416", "ON"),
        ("604", "BC"),
        ("907", "AK"),
        ("787", "PR"),  # no geocoder entry: the territory's region
        ("671", "GU"),
        ("340", "VI"),
        ("203", "CT"),  # only NPA-NXX entries: the majority
    ],
)
def test_npa_state_table(npa: str, state: str) -> None:
    assert npa_states()[npa] == state


@pytest.mark.parametrize("npa", ["800", "888", "242", "876", "555"])
def test_npa_without_a_state(npa: str) -> None:
    assert npa not in npa_states()


CHICAGO = CallerOrigin("3125550100", "312", "555", "312555", "IL", "358")


@pytest.mark.parametrize("ani", ["+13125550100", "13125550100", "3125550100"])
def test_lookup_accepts_the_three_forms(ani: str) -> None:
    assert origin().lookup(ani) == CHICAGO


@pytest.mark.parametrize(
    "ani",
    [
        None,
        "",
        "anonymous",
        "+447700900123",  # foreign
        "+1312555010",  # too short
        "312-555-0100",
        "0125550100",  # NPA starting with 0
        "3121550100",  # NXX starting with 1
        "\uff13\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff10\uff10",  # non-ASCII digits
        "+23125550100",
    ],
)
def test_lookup_of_garbage_is_unknown(ani: str | None) -> None:
    assert origin().lookup(ani) is UNKNOWN


def test_lookup_without_an_imported_row_uses_the_npa_table() -> None:
    assert origin().lookup("+16175550100") == CallerOrigin("6175550100", "617", "555", "617555", "MA", None)


def test_lookup_of_a_number_without_a_state() -> None:
    assert origin().lookup("+18885550100") == CallerOrigin("8885550100", "888", "555", "888555", None, None)


def test_imported_row_overrides_state_and_lata() -> None:
    data = OriginData.build([OriginRow("312777", "999", "IN", None)])
    assert data.lookup("3127770000") == CallerOrigin("3127770000", "312", "777", "312777", "IN", "999")
    assert data.lookup("3127780000").state == "IL"
    assert data.state_of("312777") == "IN"
    assert data.state_of("312") == "IL"
    assert data.lata_of("312777") == "999"
    assert data.lata_of("312778") is None


def test_parse_origin_csv() -> None:
    text = "npanxx,lata,state,rate_center\n312555,358,IL,Chicago\n\n212555,132,ny,\n415555,,,\n"
    rows, issues = parse_origin_csv(text)
    assert issues == []
    assert rows == [
        OriginRow("312555", "358", "IL", "Chicago"),
        OriginRow("212555", "132", "NY", None),
        OriginRow("415555", None, None, None),
    ]


def test_parse_origin_csv_reports_each_bad_line() -> None:
    text = (
        "npanxx,lata,state,rate_center\n"
        "312555,358,IL,Chicago\n"
        "31255,358,IL,Chicago\n"
        "312055,358,IL,Chicago\n"
        "312556,35,IL,Chicago\n"
        "312557,358,XX,Chicago\n"
        "312555,358,IL,Chicago\n"
        "312558,358\n"
    )
    rows, issues = parse_origin_csv(text)
    assert rows == [OriginRow("312555", "358", "IL", "Chicago")]
    assert issues == [
        Issue(None, "line 3", "'31255' is not an NPA-NXX (6 digits, like 312555)."),
        Issue(None, "line 4", "'312055' is not an NPA-NXX: exchanges never start with 0 or 1."),
        Issue(None, "line 5", "'35' is not a LATA (3 digits, like 358)."),
        Issue(None, "line 6", "'XX' is not a US state or Canadian province code (like IL or ON)."),
        Issue(None, "line 7", "NPA-NXX 312555 appears twice (first on line 2)."),
        Issue(None, "line 8", "Expected 4 columns (npanxx,lata,state,rate_center), found 2."),
    ]


@pytest.mark.parametrize("text", ["", "npa,lata\n312,358\n", "312555,358,IL,Chicago\n"])
def test_parse_origin_csv_needs_the_header(text: str) -> None:
    assert parse_origin_csv(text) == (
        [],
        [Issue(None, "line 1", "The first line must be the header npanxx,lata,state,rate_center.")],
    )
