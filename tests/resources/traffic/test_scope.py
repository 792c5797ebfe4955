"""ViewScope and Selection: who sees which keys, which choices each caller gets."""

from __future__ import annotations

import pytest
from live_support import (
    ADMIN,
    ALICE,
    BOB,
    EAST1,
    EAST2,
    EAST3,
    G1,
    G2,
    G3,
    HQ,
    I1,
    RITA,
    STRANGER,
    WEST1,
    caller,
    directory,
)

from resources.kit.caller import Caller
from resources.traffic.model import Key
from resources.traffic.scope import Selection, ViewScope

NOSITE_I1 = Key("initech", I1, "", "")
CARRIER_G3 = Key("globex", G3, "", "0288")


def scope_of(who: Caller) -> ViewScope:
    found = ViewScope.for_caller(who, directory())
    assert found is not None
    return found


def values(scope: ViewScope) -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in scope.choices()]


def test_provider_staff_see_everything() -> None:
    scope = scope_of(ADMIN)
    assert [scope.contains(k) for k in (EAST1, EAST3, HQ, CARRIER_G3)] == [True, True, True, True]
    assert values(scope) == [
        ("all", "All traffic"),
        ("customer:globex", "Customer globex"),
        ("customer:initech", "Customer initech"),
        (f"number:{G1}", f"Number {G1}"),
        (f"number:{G2}", f"Number {G2}"),
        (f"number:{G3}", f"Number {G3}"),
        (f"number:{I1}", f"Number {I1}"),
        ("site:globex/east", "Site east (globex)"),
        ("site:globex/west", "Site west (globex)"),
        ("site:initech/hq", "Site hq (initech)"),
    ]


def test_alice_sees_globex_only() -> None:
    scope = scope_of(ALICE)
    assert (scope.kind, scope.customer_id, scope.numbers) == ("customer", "globex", None)
    assert [scope.contains(k) for k in (EAST1, EAST2, EAST3, CARRIER_G3, HQ, NOSITE_I1)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert values(scope) == [
        ("all", "All your numbers"),
        (f"number:{G1}", f"Number {G1}"),
        (f"number:{G2}", f"Number {G2}"),
        (f"number:{G3}", f"Number {G3}"),
        ("site:globex/east", "Site east"),
        ("site:globex/west", "Site west"),
    ]
    assert scope.selection(f"number:{I1}") is None
    assert scope.selection("site:initech/hq") is None
    assert scope.selection("customer:initech") is None


def test_bob_is_scoped_to_two_numbers() -> None:
    scope = scope_of(BOB)
    assert scope.numbers == frozenset({G1, G2})
    assert [scope.contains(k) for k in (EAST1, EAST2, EAST3, CARRIER_G3, HQ)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert values(scope) == [
        ("all", "All your numbers"),
        (f"number:{G1}", f"Number {G1}"),
        (f"number:{G2}", f"Number {G2}"),
        ("site:globex/east", "Site east"),
        ("site:globex/west", "Site west"),
    ]
    assert scope.selection(f"number:{G3}") is None
    east = scope.selection("site:globex/east")
    assert east == Selection(value="site:globex/east", label="Site east", customer_id="globex", site="east")
    # the view is the selection within the scope: east traffic of his two numbers only
    assert [
        scope.contains(k) and east.contains(k) for k in (EAST1, EAST3, Key("globex", G1, "west", ""))
    ] == [
        True,
        False,
        False,
    ]


def test_rita_the_acme_reseller_sees_initech_only() -> None:
    scope = scope_of(RITA)
    assert (scope.kind, scope.org_id) == ("reseller", "acme")
    assert [scope.contains(k) for k in (HQ, NOSITE_I1, EAST1, EAST3)] == [True, True, False, False]
    assert scope.contains(Key("initech", "+18889990000", "", "")) is False  # a number nobody owns
    assert values(scope) == [
        ("all", "All your customers' traffic"),
        ("customer:initech", "Customer initech"),
        (f"number:{I1}", f"Number {I1}"),
        ("site:initech/hq", "Site hq (initech)"),
    ]
    assert scope.selection("customer:globex") is None
    assert scope.selection(f"number:{G1}") is None
    assert scope.selection("site:globex/east") is None


def test_strangers_get_no_scope() -> None:
    assert ViewScope.for_caller(STRANGER, directory()) is None  # no traffic:view
    service = caller("service:cli", "service", "switchboard")
    assert ViewScope.for_caller(service, directory()) is None
    orphan = caller("u-orphan", "customer", "globex", None)
    assert ViewScope.for_caller(orphan, directory()) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", Selection(value="all", label="All traffic")),
        (
            "customer:globex",
            Selection(value="customer:globex", label="Customer globex", customer_id="globex"),
        ),
        (f"number:{I1}", Selection(value=f"number:{I1}", label=f"Number {I1}", number=I1)),
        (
            "site:initech/hq",
            Selection(value="site:initech/hq", label="Site hq (initech)", customer_id="initech", site="hq"),
        ),
        ("customer:umbrella", None),
        ("number:+19999999999", None),
        ("site:globex/north", None),
        ("site:globex", None),
        ("bogus", None),
        ("", None),
    ],
)
def test_selection_values(value: str, expected: Selection | None) -> None:
    assert scope_of(ADMIN).selection(value) == expected


def test_selections_filter_keys() -> None:
    number = Selection(value=f"number:{G1}", label="", number=G1)
    assert [number.contains(k) for k in (EAST1, EAST2, HQ)] == [True, False, False]
    site = Selection(value="site:globex/east", label="", customer_id="globex", site="east")
    assert [site.contains(k) for k in (EAST1, EAST2, Key("globex", G1, "west", ""), HQ)] == [
        True,
        True,
        False,
        False,
    ]
    assert site.as_json() == {"value": "site:globex/east", "label": ""}


def test_scopes_are_equal_and_hashable_by_what_they_allow() -> None:
    other_alice = caller("u-alice-2", "customer", "globex", "globex")
    first, second = scope_of(ALICE), ViewScope.for_caller(other_alice, directory())
    assert first == second
    assert hash(first) == hash(second)
    assert first != scope_of(BOB)


def test_a_site_scope_sees_every_key_of_that_site_only() -> None:
    dora = caller("u-dora", "customer", "globex", "globex", ("site:east",))
    scope = scope_of(dora)
    assert (scope.numbers, scope.sites) == (frozenset(), frozenset({"east"}))
    assert [
        scope.contains(k) for k in (EAST1, EAST2, EAST3, WEST1, CARRIER_G3, Key("globex", G1, "", ""))
    ] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert values(scope) == [("all", "All your numbers"), ("site:globex/east", "Site east")]
    assert scope.selection("site:globex/west") is None
    assert scope.selection(f"number:{G1}") is None
    assert scope.selection("site:globex/east") == Selection(
        value="site:globex/east", label="Site east", customer_id="globex", site="east"
    )


def test_a_site_scope_never_reaches_another_customer() -> None:
    scope = scope_of(caller("u-dora", "customer", "globex", "globex", ("site:hq",)))
    assert scope.contains(HQ) is False
    assert values(scope) == [("all", "All your numbers")]
    assert scope.selection("site:initech/hq") is None


def test_numbers_and_sites_together() -> None:
    scope = scope_of(caller("u-erin", "customer", "globex", "globex", (G3, "site:west")))
    assert (scope.numbers, scope.sites) == (frozenset({G3}), frozenset({"west"}))
    assert [scope.contains(k) for k in (EAST3, CARRIER_G3, WEST1, EAST1, HQ)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert values(scope) == [
        ("all", "All your numbers"),
        (f"number:{G3}", f"Number {G3}"),
        ("site:globex/east", "Site east"),
        ("site:globex/west", "Site west"),
    ]
