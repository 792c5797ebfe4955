"""NumberDirectory (the replicated toll-free picture) and the `tollfree.numbers` payload parser."""

from __future__ import annotations

from typing import Any

import pytest
from traffic_store_support import GLOBEX_1, GLOBEX_2, INITECH, NUMBERS, SITES

from resources.traffic.model import NumberInfo, SiteInfo
from resources.traffic.numbers import NumberDirectory, PayloadError, parse_payload

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
