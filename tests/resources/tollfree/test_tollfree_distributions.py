"""`distribution:<name>` leaves: checked against the replica of callcenter's names, frozen in a
version's snapshot, answered to the switch as the call-center router's request."""

from __future__ import annotations

from dataclasses import replace

from engine_builders import CATALOG, TFN, build, call, origin, record, tel

from resources.tollfree.catalog import Catalog
from resources.tollfree.distributions import DistributionNames
from resources.tollfree.plan import Issue
from resources.tollfree.rtjson import to_rtjson
from resources.tollfree.validation import validate

WITH_MAIN = replace(CATALOG, distributions=frozenset({"main"}))


def check(doc: object, catalog: Catalog = WITH_MAIN) -> list[Issue]:
    return validate(doc, catalog=catalog, origin=origin())


def test_a_known_distribution_is_a_valid_leaf_and_is_frozen_in_the_snapshot() -> None:
    doc = record(tel("distribution:main"))
    assert check(doc) == []
    frozen = WITH_MAIN.used_by(doc)
    assert (frozen.distributions, frozen.sites, frozen.to_json()["distributions"]) == (
        frozenset({"main"}),
        {},
        ["main"],
    )
    assert Catalog.from_json(frozen.to_json()).distributions == frozenset({"main"})


def test_unknown_not_yet_reported_and_alternates_are_refused() -> None:
    assert check(record(tel("distribution:night"))) == [
        Issue("M", "dest", "Distribution 'night' does not exist; create it under Call centers.")
    ]
    unreported = replace(CATALOG, distributions_reported=False)
    assert check(record(tel("distribution:main")), unreported) == [
        Issue(
            "M",
            "dest",
            "Distribution 'main' cannot be checked yet: the call-center manager has not reported its "
            "distributions. Try again in a moment.",
        )
    ]
    assert check(record(tel("distribution:main", "site:east"))) == [
        Issue(
            "M",
            "alternates",
            "A distribution has its own overflow chain; a node sending calls to one has no alternates.",
        )
    ]
    assert check(record(tel("site:east", "distribution:main"))) == [
        Issue("M", "alternates[0]", "A distribution can only be a node's first destination.")
    ]


def test_the_switch_gets_the_routers_request_instead_of_routes() -> None:
    answer = call(build(record(tel("distribution:main", ring_timeout=25, carrier="0288")), WITH_MAIN), 0)
    rt = to_rtjson(
        answer, announce_uri=None, number=TFN, version=7, customer_id="cust-globex", call_id="abc", ts=12.5
    )
    assert rt["routes"] == []
    assert rt["switchboard"] == {
        "outcome": "route",
        "code": None,
        "reason": None,
        "version": 7,
        "number": TFN,
        "dests": ["distribution:main"],
        "carrier": "0288",
        "path": "M",
        "callcenter": {
            "customer": "cust-globex",
            "distribution": "main",
            "dnis": TFN,
            "callid": "abc",
            "ts": 12.5,
            "ring_timeout": 25,
            "number": TFN,
            "version": 7,
            "path": "M",
            "carrier": "0288",
        },
    }


def test_the_replica_takes_good_pictures_and_keeps_the_last_on_a_bad_one() -> None:
    names = DistributionNames()
    assert (names.reported, names.of("cust-globex")) == (False, frozenset())
    assert names.apply({"customers": {"cust-globex": ["main", "night"]}}) is True
    assert (names.reported, names.of("cust-globex"), names.of("cust-initech")) == (
        True,
        frozenset({"main", "night"}),
        frozenset(),
    )
    for bad in ({"customers": {"cust-globex": "main"}}, {"customers": {"": []}}, {"x": 1}, [], None):
        assert names.apply(bad) is False
    assert names.of("cust-globex") == frozenset({"main", "night"})
