"""ScpStore: the in-memory table of compiled plans the per-call route query reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scp_support import (
    BROKEN,
    CATALOG,
    EAST_URI,
    MORNING,
    NIGHT,
    NUMBER,
    OTHER_NUMBER,
    SETTINGS,
    T0,
    T1,
    TEMPLATE,
    WEST_URI,
    Clock,
    business_hours,
    pointer,
    query,
    routed,
    row,
    store_at,
)

from resources.tollfree.compiler import PlanInvalid, compile_plan, reject
from resources.tollfree.scp import RouteResult, ScpStore

GLOBEX = "cust-globex"  # the customer scp_support.row gives every routing record

V1 = row(1, business_hours("east"))
V2 = row(2, business_hours("west"), state="PENDING", effective_at=T1)


def expected_issues(document: object) -> str:
    with pytest.raises(PlanInvalid) as info:
        compile_plan(document, catalog=CATALOG, settings=SETTINGS)
    return "; ".join(
        f"{i.node or 'record'} {i.field}: {i.message}" if i.field else i.message for i in info.value.issues
    )


def test_routes_the_active_version_and_evaluates_the_tree_at_query_ts() -> None:
    store, _ = store_at(T0 + timedelta(minutes=5), V1)
    assert store.route(query(MORNING)) == RouteResult(
        NUMBER, 1, f"{NUMBER}-v1", routed("east", EAST_URI), GLOBEX
    )
    night = store.route(query(NIGHT))
    assert (night.version, night.answer.outcome, night.answer.treatment) == (1, "announce", "closed")
    assert night.answer.path[0].took == "OTHER"


def test_scheduled_version_takes_over_at_its_instant_by_the_real_clock() -> None:
    store, clock = store_at(T1 - timedelta(milliseconds=1), V1, V2)
    assert store.route(query()) == RouteResult(NUMBER, 1, f"{NUMBER}-v1", routed("east", EAST_URI), GLOBEX)
    clock.now = T1.timestamp()
    assert store.route(query()) == RouteResult(NUMBER, 2, f"{NUMBER}-v2", routed("west", WEST_URI), GLOBEX)


def test_query_ts_does_not_choose_the_version() -> None:
    store, _ = store_at(T0, V1, V2)
    late = (T1 + timedelta(days=1, hours=1)).timestamp()  # 10:00 New York, the day after v2
    assert store.route(query(late)).version == 1


def test_unknown_number_is_rejected_404() -> None:
    store, _ = store_at(T0, V1)
    expected = RouteResult(None, None, None, reject(404, "not a toll-free number served here"))
    assert store.route(query(dnis=OTHER_NUMBER)) == expected
    assert store.route(query(dnis=TEMPLATE)) == expected  # a template is not a number


def test_known_number_without_a_version_in_effect_is_rejected_480() -> None:
    store, _ = store_at(T0, V2)  # only the PENDING version, two hours ahead
    assert store.route(query()) == RouteResult(
        NUMBER, None, None, reject(480, "no routing plan in effect for this number")
    )


def test_pointer_record_routes_through_the_template_in_the_same_store() -> None:
    template = row(3, business_hours("west"), target=TEMPLATE)
    number = row(4, pointer(), target=NUMBER)
    store, _ = store_at(T0, template, number)
    assert store.route(query()) == RouteResult(NUMBER, 4, f"{NUMBER}-v4", routed("west", WEST_URI), GLOBEX)


def test_pointer_follows_the_template_version_in_effect() -> None:
    store, clock = store_at(
        T0,
        row(1, business_hours("east"), target=TEMPLATE),
        row(2, business_hours("west"), target=TEMPLATE, state="PENDING", effective_at=T1),
        row(7, pointer(), target=NUMBER),
    )
    assert store.route(query()).answer == routed("east", EAST_URI)
    clock.now = T1.timestamp()
    assert store.route(query()).answer == routed("west", WEST_URI)


def test_pointer_to_a_missing_template_is_rejected_480() -> None:
    store, _ = store_at(T0, row(4, pointer("*NOWHERE"), target=NUMBER))
    result = store.route(query())
    assert (result.version, result.answer.outcome, result.answer.code) == (4, "reject", 480)


def test_replace_swaps_only_the_named_targets() -> None:
    other = row(1, business_hours("east"), target=OTHER_NUMBER)
    store, clock = store_at(T0, V1, other)
    store.replace([NUMBER], [row(5, business_hours("west"), effective_at=T0 + timedelta(seconds=1))])
    clock.now = (T0 + timedelta(seconds=2)).timestamp()
    assert store.route(query()).version == 5
    assert store.route(query(dnis=OTHER_NUMBER)).version == 1


def test_replace_without_rows_removes_the_target() -> None:
    store, _ = store_at(T0, V1)
    store.replace([NUMBER], [])
    assert store.route(query()).answer == reject(404, "not a toll-free number served here")
    assert store.status()["targets"] == 0


def test_a_row_that_does_not_compile_keeps_the_previous_version_in_effect() -> None:
    store, _ = store_at(T0 + timedelta(hours=1), V1)
    # the database now says v2 replaced v1, but v2 does not compile
    store.replace([NUMBER], [row(2, BROKEN, effective_at=T0 + timedelta(minutes=30))])
    assert store.route(query()) == RouteResult(NUMBER, 1, f"{NUMBER}-v1", routed("east", EAST_URI), GLOBEX)
    status = store.status()
    assert status["errors"] == {NUMBER: {"v2": expected_issues(BROKEN)}}
    assert (status["targets"], status["compiled"]) == (1, 1)


def test_a_failed_pending_row_is_left_out_and_the_active_one_stays() -> None:
    store, clock = store_at(T0, V1)
    store.replace([NUMBER], [V1, row(2, BROKEN, state="PENDING", effective_at=T1)])
    clock.now = T1.timestamp() + 60
    assert store.route(query()).version == 1
    assert store.status()["errors"] == {NUMBER: {"v2": expected_issues(BROKEN)}}


def test_a_new_target_that_does_not_compile_is_known_but_unrouted() -> None:
    store, _ = store_at(T0, row(1, BROKEN))
    assert store.route(query()) == RouteResult(
        NUMBER, None, None, reject(480, "no routing plan in effect for this number")
    )


def test_a_good_reload_clears_the_error() -> None:
    store, _ = store_at(T0, row(2, BROKEN))
    store.replace([NUMBER], [V1])
    assert store.status()["errors"] == {}
    assert store.route(query()).version == 1


def test_load_replaces_everything() -> None:
    store, _ = store_at(T0, V1)
    store.load([row(1, business_hours("east"), target=OTHER_NUMBER)])
    assert store.route(query()).answer.code == 404
    assert store.route(query(dnis=OTHER_NUMBER)).version == 1


def test_rows_in_other_states_are_ignored() -> None:
    store, _ = store_at(T0, row(1, business_hours("east"), state="OLD"), row(2, business_hours("west")))
    assert store.route(query()).version == 2


def test_status_counts_targets_and_compiled_versions() -> None:
    store, _ = store_at(T0, V1, V2, row(1, business_hours("east"), target=TEMPLATE))
    assert store.status() == {
        "targets": 2,
        "compiled": 3,
        "errors": {},
        "loaded_at": "2026-03-02T12:00:00+00:00",
    }


def test_empty_store_status() -> None:
    store = ScpStore(settings=SETTINGS, clock=Clock(T0.timestamp()))
    assert store.status() == {"targets": 0, "compiled": 0, "errors": {}, "loaded_at": None}
    assert store.now() == T0.timestamp()
