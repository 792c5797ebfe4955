"""NumberDirectory (the replicated toll-free picture and outbound lines) and the `tollfree.numbers` /
`outbound.lines` payload parsers."""

from __future__ import annotations

from typing import Any

import pytest
from traffic_store_support import GLOBEX_1, GLOBEX_2, INITECH, NUMBERS, SITES

from resources.traffic.model import NumberInfo, SiteInfo
from resources.traffic.numbers import NumberDirectory, PayloadError, parse_lines_payload, parse_payload

PAYLOAD = {
    "numbers": [
        {"number": INITECH, "customer_id": "initech", "resellers": ["acme"]},
        {"number": GLOBEX_1, "customer_id": "globex", "resellers": []},
        {"number": GLOBEX_2, "customer_id": "globex", "resellers": []},
    ],
    "sites": [
        {"customer_id": "globex", "name": "west", "uri": "sip:10.1.1.2:5060"},
        {"customer_id": "globex", "name": "east", "uri": "sip:10.1.1.1:5060"},
    ],
}


def test_lookups() -> None:
    d = NumberDirectory(NUMBERS, SITES)
    assert d.get(INITECH) == NumberInfo(number=INITECH, customer_id="initech", resellers=("acme",))
    assert d.get("+18885550199") is None
    assert [n.number for n in d.all()] == [GLOBEX_1, GLOBEX_2, INITECH]
    assert [s.name for s in d.sites_of("globex")] == ["east", "west"]
    assert d.sites_of("initech") == ()
    assert d.customers() == {"globex": (), "initech": ("acme",)}
    assert (len(d), d.version) == (3, 0)


def test_replace_swaps_everything_and_bumps_the_version() -> None:
    d = NumberDirectory(NUMBERS, SITES)
    d.replace([NumberInfo(number="+18775550103", customer_id="initech", resellers=("acme",))], [])
    assert (d.version, len(d), d.get(GLOBEX_1), d.sites_of("globex")) == (1, 1, None, ())
    assert d.customers() == {"initech": ("acme",)}


def test_same_as_ignores_order() -> None:
    d = NumberDirectory(NUMBERS, SITES)
    assert d.same_as(list(reversed(NUMBERS)), list(reversed(SITES)))
    assert not d.same_as(NUMBERS[:2], SITES)
    assert not d.same_as(NUMBERS, [SiteInfo(customer_id="globex", name="east", uri="sip:other")])


def test_parse_payload() -> None:
    numbers, sites = parse_payload(PAYLOAD)
    assert NumberDirectory(numbers, sites).same_as(NUMBERS, SITES)
    assert numbers[0] == NumberInfo(number=INITECH, customer_id="initech", resellers=("acme",))
    assert parse_payload({"numbers": []}) == ([], [])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "the payload must be an object"),
        ({"numbers": {}}, "numbers and sites must be lists"),
        ({"numbers": [1]}, "numbers[0] must be an object"),
        ({"numbers": [{"number": "", "customer_id": "x"}]}, "numbers[0].number must be a non-empty string"),
        (
            {"numbers": [{"number": GLOBEX_1, "customer_id": "x", "resellers": [1]}]},
            "numbers[0].resellers must be a list of strings",
        ),
        (
            {"numbers": [], "sites": [{"customer_id": "g", "name": "e"}]},
            "sites[0].uri must be a non-empty string",
        ),
    ],
)
def test_bad_payloads(payload: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(payload)
    assert str(caught.value) == message


LINE_1 = "+13125550142"
LINE_2 = "+442079460000"
LINES = (
    NumberInfo(number=LINE_2, customer_id="hooli", resellers=("acme", "sub")),
    NumberInfo(number=LINE_1, customer_id="globex"),
)


def test_lines_are_a_second_source() -> None:
    d = NumberDirectory(NUMBERS, SITES, LINES)
    assert d.get(LINE_1) == NumberInfo(number=LINE_1, customer_id="globex")
    assert d.get(LINE_2) == NumberInfo(number=LINE_2, customer_id="hooli", resellers=("acme", "sub"))
    assert d.get(GLOBEX_1) == NumberInfo(number=GLOBEX_1, customer_id="globex")
    assert [n.number for n in d.lines()] == [LINE_1, LINE_2]
    assert [n.number for n in d.all()] == [GLOBEX_1, GLOBEX_2, INITECH]  # toll-free numbers only
    assert (d.is_line(LINE_1), d.is_line(GLOBEX_1), d.is_line("+13125550199")) == (True, False, False)
    # a customer owning only lines is a customer too
    assert d.customers() == {"globex": (), "initech": ("acme",), "hooli": ("acme", "sub")}
    assert (len(d), d.version) == (3, 0)


def test_replace_and_replace_lines_leave_the_other_source_alone() -> None:
    d = NumberDirectory(NUMBERS, SITES, LINES)
    d.replace([NUMBERS[2]], [])
    assert (d.version, d.get(GLOBEX_1), d.get(LINE_1), [n.number for n in d.lines()]) == (
        1,
        None,
        LINES[1],
        [LINE_1, LINE_2],
    )
    assert d.customers() == {"initech": ("acme",), "globex": (), "hooli": ("acme", "sub")}
    d.replace_lines([LINES[0]])
    assert (d.version, d.get(LINE_1), d.get(INITECH), d.all(), d.sites()) == (
        2,
        None,
        NUMBERS[2],
        [NUMBERS[2]],
        [],
    )
    assert d.customers() == {"initech": ("acme",), "hooli": ("acme", "sub")}
    d.replace_lines([])
    assert (d.version, d.lines(), d.customers()) == (3, [], {"initech": ("acme",)})


def test_a_toll_free_number_wins_over_a_line_of_the_same_number() -> None:
    clash = NumberInfo(number=GLOBEX_1, customer_id="hooli")
    d = NumberDirectory(NUMBERS, SITES, [clash])
    assert (d.get(GLOBEX_1), d.is_line(GLOBEX_1)) == (NUMBERS[0], False)
    d.replace([], [])
    assert (d.get(GLOBEX_1), d.is_line(GLOBEX_1)) == (clash, True)


def test_same_lines_as_ignores_order() -> None:
    d = NumberDirectory(lines=LINES)
    assert d.same_lines_as(reversed(LINES))
    assert not d.same_lines_as(LINES[:1])
    assert not d.same_lines_as([LINES[0], NumberInfo(number=LINE_1, customer_id="initech")])
    assert d.same_as([], [])  # the toll-free picture is another matter


def test_parse_lines_payload() -> None:
    payload = {
        "lines": [
            {"number": LINE_1, "customer_id": "globex", "resellers": []},
            {"number": LINE_2, "customer_id": "hooli", "resellers": ["acme", "sub"]},
        ]
    }
    assert parse_lines_payload(payload) == [LINES[1], LINES[0]]
    assert parse_lines_payload({"lines": []}) == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "the payload must be an object"),
        ({"numbers": []}, "lines must be a list"),
        ({"lines": {}}, "lines must be a list"),
        ({"lines": ["+13125550142"]}, "lines[0] must be an object"),
        ({"lines": [{"number": LINE_1}]}, "lines[0].customer_id must be a non-empty string"),
        (
            {"lines": [{"number": LINE_1, "customer_id": "g", "resellers": "acme"}]},
            "lines[0].resellers must be a list of strings",
        ),
        (
            {"lines": [{"number": LINE_1, "customer_id": "g"}, {"number": "3125550142", "customer_id": "g"}]},
            "lines[1].number must be an E.164 number like +13125550142",
        ),
        (
            {"lines": [{"number": "+1" + "2" * 20, "customer_id": "g"}]},
            "lines[0].number must be an E.164 number like +13125550142",
        ),
    ],
)
def test_bad_lines_payloads(payload: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_lines_payload(payload)
    assert str(caught.value) == message
