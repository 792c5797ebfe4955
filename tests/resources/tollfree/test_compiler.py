"""Compiled plans answer calls: every node type, time edges, DST, the 366-day calendar, OTHER,
labels, percent splits, pointer records, area of service and unknown callers."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from engine_builders import (
    CATALOG,
    TFN,
    announce,
    build,
    call,
    carrier,
    decide,
    dest,
    goto,
    local,
    origin,
    pct,
    record,
    steps,
    switch,
    tel,
    utc,
)

from resources.kit.shares import percent_bucket
from resources.tollfree.compiler import (
    Answer,
    Clock,
    CompiledPlan,
    Destination,
    LocalTime,
    PlanInvalid,
    Query,
    Step,
)
from resources.tollfree.plan import Issue

WEEKDAY = (2027, 3, 10)  # a Wednesday, EST


# ---- time of day ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hours() -> CompiledPlan:
    return build(
        record(
            decide(
                "tod",
                (["08:00-17:00"], tel("site:east")),
                (["23:45-24:00"], tel("site:west")),
                other=announce("closed"),
            )
        )
    )


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "expected"),
    [
        (7, 59, 59, "announce:closed"),
        (8, 0, 0, "site:east"),  # start inclusive
        (12, 0, 0, "site:east"),
        (16, 59, 59, "site:east"),
        (17, 0, 0, "announce:closed"),  # end exclusive
        (23, 44, 59, "announce:closed"),
        (23, 45, 0, "site:west"),
        (23, 59, 59, "site:west"),
        (0, 0, 0, "announce:closed"),
    ],
)
def test_tod_quarter_hour_boundaries(hours: CompiledPlan, hh: int, mm: int, ss: int, expected: str) -> None:
    ts = local(*WEEKDAY, hh, mm) + ss
    assert dest(call(hours, ts)) == expected


def test_tod_path_names_the_range_and_other(hours: CompiledPlan) -> None:
    assert call(hours, local(*WEEKDAY, 9)).path == (
        Step("M", "tod", "08:00-17:00"),
        Step("M.0", "tel", "site:east"),
    )
    assert call(hours, local(*WEEKDAY, 20)).path == (
        Step("M", "tod", "OTHER"),
        Step("M.o", "announce", "closed"),
    )


def test_tod_with_a_label_shows_the_label() -> None:
    plan = build(record(decide("tod", (["@BIZ"], tel("site:east")), other=announce())))
    assert steps(call(plan, local(*WEEKDAY, 14))) == [("M", "@BIZ"), ("M.0", "site:east")]
    assert steps(call(plan, local(*WEEKDAY, 12, 30))) == [("M", "OTHER"), ("M.o", "closed")]


def test_node_time_zone_overrides_the_record_zone() -> None:
    plan = build(
        record(decide("tod", (["08:00-17:00"], tel("site:east")), other=announce(), tz="America/Los_Angeles"))
    )
    assert dest(call(plan, local(*WEEKDAY, 10))) == "announce:closed"  # 07:00 in Los Angeles
    assert dest(call(plan, local(*WEEKDAY, 11))) == "site:east"  # 08:00 in Los Angeles


# ---- DST --------------------------------------------------------------------------------------
def _dst_plan(dst: bool) -> CompiledPlan:
    return build(
        record(
            decide(
                "tod",
                (["01:00-02:00"], tel("site:west")),
                (["02:00-03:00"], tel("site:east")),
                (["03:00-04:00"], tel("+13125550100")),
                (["11:00-12:00"], carrier("0288")),
                other=announce(),
                dst=dst,
            )
        )
    )


@pytest.mark.parametrize(
    ("ts", "with_dst", "standard_time"),
    [
        # spring forward, Sunday 2027-03-14: 02:00 EST becomes 03:00 EDT at 07:00 UTC
        (utc(2027, 3, 14, 6, 59), "site:west", "site:west"),  # 01:59 EST
        (utc(2027, 3, 14, 7, 0), "+13125550100", "site:east"),  # 03:00 EDT / 02:00 EST
        (utc(2027, 3, 14, 8, 0), "announce:closed", "+13125550100"),  # 04:00 EDT / 03:00 EST
        # fall back, Sunday 2027-11-07: 02:00 EDT becomes 01:00 EST at 06:00 UTC
        (utc(2027, 11, 7, 5, 30), "site:west", "announce:closed"),  # 01:30 EDT / 00:30 EST
        (utc(2027, 11, 7, 6, 30), "site:west", "site:west"),  # 01:30 EST (the second time)
        (utc(2027, 11, 7, 7, 0), "site:east", "site:east"),  # 02:00 EST
        # summer: dst=false stays on EST
        (utc(2027, 7, 1, 16, 0), "announce:closed", "carrier:0288"),  # 12:00 EDT / 11:00 EST
    ],
)
def test_dst_changes_and_standard_time(ts: float, with_dst: str, standard_time: str) -> None:
    assert dest(call(_dst_plan(True), ts)) == with_dst
    assert dest(call(_dst_plan(False), ts)) == standard_time


def test_local_time_cache_entry() -> None:
    clock = Clock("America/New_York", True)
    assert clock.at(local(2028, 2, 29, 23, 50)) == LocalTime(95, 3, 60, 2028060, "02-29", "2028-02-29")
    assert clock.at(utc(2027, 11, 7, 6, 30)) == LocalTime(6, 1, 312, 2027312, "11-07", "2027-11-07")
    assert Clock("America/New_York", False).at(utc(2027, 7, 1, 16)) == LocalTime(
        44, 5, 183, 2027183, "07-01", "2027-07-01"
    )


# ---- day of week / date -----------------------------------------------------------------------
def test_dow_ranges_labels_and_local_midnight() -> None:
    plan = build(
        record(
            decide("dow", (["MON-FRI"], tel("site:east")), (["@WEEKEND"], tel("site:west")), other=announce())
        )
    )
    assert steps(call(plan, local(2027, 3, 12, 23, 59))) == [("M", "MON-FRI"), ("M.0", "site:east")]  # Friday
    assert steps(call(plan, local(2027, 3, 13, 0, 0))) == [
        ("M", "@WEEKEND"),
        ("M.1", "site:west"),
    ]  # Saturday
    assert steps(call(plan, local(2027, 3, 14, 12))) == [("M", "@WEEKEND"), ("M.1", "site:west")]  # Sunday
    assert dest(call(plan, utc(2027, 3, 13, 4, 59))) == "site:east"  # still Friday in New York


@pytest.fixture(scope="module")
def dates() -> CompiledPlan:
    return build(
        record(
            decide(
                "date",
                (["060"], announce("leap-day")),
                (["061"], tel("site:east")),
                (["@HOLIDAYS"], announce("closed-holiday")),
                (["2027-07-04"], announce("independence")),
                (["200-210"], tel("site:west")),
                other=tel("+13125550100"),
            )
        )
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ((2028, 2, 29), "announce:leap-day"),  # 060 = Feb 29 in a leap year
        ((2028, 3, 1), "site:east"),  # 061 = Mar 1 every year
        ((2027, 2, 28), "+13125550100"),  # 059
        ((2027, 3, 1), "site:east"),  # Mar 1 2027 is 061: 060 never matches in 2027
        ((2027, 12, 25), "announce:closed-holiday"),  # MM-DD from a label, every year
        ((2031, 12, 25), "announce:closed-holiday"),
        ((2027, 11, 25), "announce:closed-holiday"),  # YYYY-MM-DD from the label, once
        ((2028, 11, 25), "+13125550100"),
        ((2027, 7, 4), "announce:independence"),
        ((2028, 7, 4), "+13125550100"),
        ((2027, 7, 18), "site:west"),  # 200 = Jul 18 on the 366-day calendar, every year
        ((2028, 7, 18), "site:west"),
    ],
)
def test_date_on_the_366_day_calendar(dates: CompiledPlan, day: tuple[int, int, int], expected: str) -> None:
    assert dest(call(dates, local(*day, 12))) == expected


def test_no_day_of_2027_matches_060(dates: CompiledPlan) -> None:
    start = local(2027, 1, 1, 12)
    found = {dest(call(dates, start + i * 86400)) for i in range(365)}
    assert "announce:leap-day" not in found


def test_date_path_shows_label_or_value(dates: CompiledPlan) -> None:
    assert steps(call(dates, local(2027, 12, 25, 9))) == [("M", "@HOLIDAYS"), ("M.2", "closed-holiday")]
    assert steps(call(dates, local(2028, 2, 29, 9))) == [("M", "060"), ("M.0", "leap-day")]
    assert steps(call(dates, local(2027, 5, 5, 9))) == [("M", "OTHER"), ("M.o", "+13125550100")]


# ---- origin -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def geo() -> CompiledPlan:
    return build(
        record(
            decide(
                "state",
                (
                    ["@MIDWEST"],
                    decide(
                        "npa",
                        (
                            ["312"],
                            decide(
                                "nxx",
                                (
                                    ["555"],
                                    decide("ani", (["@VIP"], tel("site:west")), other=tel("site:east")),
                                ),
                                other=tel("+13125550100"),
                            ),
                        ),
                        other=tel("+14145550100"),
                    ),
                ),
                (["NY"], decide("lata", (["132"], carrier("0288")), other=announce("ny"))),
                other=announce("elsewhere"),
            )
        )
    )


@pytest.mark.parametrize(
    ("ani", "path"),
    [
        (
            "+13125550100",
            [
                ("M", "@MIDWEST"),
                ("M.0", "312"),
                ("M.0.0", "555"),
                ("M.0.0.0", "@VIP"),
                ("M.0.0.0.0", "site:west"),
            ],
        ),
        (
            "3125550199",
            [
                ("M", "@MIDWEST"),
                ("M.0", "312"),
                ("M.0.0", "555"),
                ("M.0.0.0", "OTHER"),
                ("M.0.0.0.o", "site:east"),
            ],
        ),
        ("13124440100", [("M", "@MIDWEST"), ("M.0", "312"), ("M.0.0", "OTHER"), ("M.0.0.o", "+13125550100")]),
        ("+14145550100", [("M", "@MIDWEST"), ("M.0", "OTHER"), ("M.0.o", "+14145550100")]),
        ("+12125550100", [("M", "NY"), ("M.1", "132"), ("M.1.0", "0288")]),  # imported LATA 132
        ("+17185550100", [("M", "NY"), ("M.1", "OTHER"), ("M.1.o", "ny")]),  # no LATA known
        ("+16175550100", [("M", "OTHER"), ("M.o", "elsewhere")]),
        (None, [("M", "OTHER"), ("M.o", "elsewhere")]),  # unknown origin takes OTHER
        ("+447700900123", [("M", "OTHER"), ("M.o", "elsewhere")]),
        ("garbage", [("M", "OTHER"), ("M.o", "elsewhere")]),
    ],
)
def test_origin_decisions(geo: CompiledPlan, ani: str | None, path: list[tuple[str, str]]) -> None:
    assert steps(call(geo, local(*WEEKDAY, 9), ani=ani)) == path


def test_npanxx_decision() -> None:
    plan = build(record(decide("npanxx", (["312555", "212555"], tel("site:east")), other=tel("site:west"))))
    assert dest(call(plan, 0, ani="+12125550100")) == "site:east"
    assert dest(call(plan, 0, ani="+12125560100")) == "site:west"
    assert dest(call(plan, 0, ani=None)) == "site:west"


# ---- switch, pct, actions ---------------------------------------------------------------------
def test_switch_follows_the_record_position() -> None:
    tree = switch(
        "EMERG", (["ON"], announce("emergency")), (["ON2"], tel("site:west")), other=tel("site:east")
    )
    on = build(record(tree, switches={"EMERG": "ON"}))
    on2 = build(record(tree, switches={"EMERG": "ON2"}))
    off = build(record(tree, switches={"EMERG": "OFF"}))
    assert steps(call(on, 0)) == [("M", "ON"), ("M.0", "emergency")]
    assert steps(call(on2, 0)) == [("M", "ON2"), ("M.1", "site:west")]
    assert steps(call(off, 0)) == [("M", "OTHER"), ("M.o", "site:east")]


def _split(*shares: int) -> CompiledPlan:
    sites = ["site:east", "site:west", "+13125550100"]
    return build(record(pct(*((share, tel(sites[i])) for i, share in enumerate(shares)))))


def test_percent_bucket_is_blake2b_of_call_id_and_node() -> None:
    digest = hashlib.blake2b(b"abc-123|M.0").digest()
    assert percent_bucket("abc-123", "M.0") == int.from_bytes(digest[:8], "big") % 10000


def test_percent_is_reproducible_per_call_id() -> None:
    plan = _split(70, 30)
    again = _split(70, 30)
    for i in range(200):
        bucket = percent_bucket(f"id-{i}", "M")
        expected = "site:east" if bucket < 7000 else "site:west"
        first = call(plan, 0, call_id=f"id-{i}")
        assert dest(first) == expected
        assert call(plan, 0, call_id=f"id-{i}") == first
        assert call(again, 0, call_id=f"id-{i}") == first


@pytest.mark.parametrize("shares", [(70, 30), (50, 25, 25)])
def test_percent_split_is_exact_over_10000_calls(shares: tuple[int, ...]) -> None:
    plan = _split(*shares)
    counts = Counter(dest(call(plan, 0, call_id=f"call-{i:05d}")) for i in range(10_000))
    got = [counts[d] / 100 for d in ["site:east", "site:west", "+13125550100"][: len(shares)]]
    assert sum(counts.values()) == 10_000
    for share, expected in zip(got, shares, strict=True):
        assert abs(share - expected) <= 2, (got, shares)


def test_percent_without_call_id_still_picks_a_branch() -> None:
    plan = _split(50, 50)
    seen = {dest(call(plan, 0, call_id=None)) for _ in range(200)}
    assert seen == {"site:east", "site:west"}


def test_percent_path_shows_the_share() -> None:
    plan = _split(70, 30)
    first = next(i for i in range(100) if percent_bucket(f"x{i}", "M") >= 7000)
    assert steps(call(plan, 0, call_id=f"x{first}")) == [("M", "30%"), ("M.1", "site:west")]


def test_tel_destinations_uris_and_defaults() -> None:
    plan = build(
        record(
            decide(
                "tod",
                (["00:00-12:00"], tel("site:east", "site:west", "+13125550100", ring_timeout=30)),
                other=tel("+14155550100", carrier="0777"),
            ),
            carrier="0288",
        )
    )
    morning = call(plan, local(*WEEKDAY, 9))
    assert morning == Answer(
        outcome="route",
        path=(Step("M", "tod", "00:00-12:00"), Step("M.0", "tel", "site:east")),
        destinations=(
            Destination("site:east", "sip:+18005550100@10.1.1.1:5060", "0288", 30),
            Destination("site:west", "sip:+18005550100@10.1.1.2:5070;transport=tcp", "0288", 30),
            Destination("+13125550100", "sip:+13125550100@pstn.example", "0288", 30),
        ),
        treatment=None,
        code=None,
        reason=None,
        carrier="0288",
    )
    evening = call(plan, local(*WEEKDAY, 19))
    assert evening.destinations == (Destination("+14155550100", "sip:+14155550100@pstn.example", "0777", 20),)
    assert evening.carrier == "0777"


def test_site_uri_uses_the_dialled_number() -> None:
    plan = build(record(tel("site:east")))
    other = plan.evaluate(Query("+18885550199", None, 0, None), origin=origin())
    assert other.destinations[0].uri == "sip:+18885550199@10.1.1.1:5060"
    assert call(plan, 0).destinations[0].uri == "sip:+18005550100@10.1.1.1:5060"


def test_carrier_action_hands_the_call_over() -> None:
    answer = call(build(record(carrier("0288"))), 0)
    assert answer == Answer(
        "route",
        (Step("M", "carrier", "0288"),),
        (Destination("carrier:0288", f"sip:{TFN}@pstn.example", "0288", 20),),
        None,
        None,
        None,
        "0288",
    )


def test_announce_action() -> None:
    answer = call(build(record(announce("closed-holiday"))), 0)
    assert answer == Answer(
        "announce", (Step("M", "announce", "closed-holiday"),), (), "closed-holiday", None, None, None
    )


def test_goto_runs_the_sub_section() -> None:
    sub = decide("state", (["IL"], tel("site:east")), other=tel("site:west"))
    plan = build(
        record(
            decide("tod", (["08:00-17:00"], goto("S1")), other=pct((50, goto("S1")), (50, tel("site:west")))),
            sections={"S1": sub},
        )
    )
    assert steps(call(plan, local(*WEEKDAY, 9), ani="+13125550100")) == [
        ("M", "08:00-17:00"),
        ("M.0", "S1"),
        ("S1", "IL"),
        ("S1.0", "site:east"),
    ]
    evening = [call(plan, local(*WEEKDAY, 20), call_id=f"c{i}") for i in range(40)]
    assert {tuple(steps(a)) for a in evening} == {
        (("M", "OTHER"), ("M.o", "50%"), ("M.o.0", "S1"), ("S1", "OTHER"), ("S1.o", "site:west")),
        (("M", "OTHER"), ("M.o", "50%"), ("M.o.1", "site:west")),
    }


# ---- records ----------------------------------------------------------------------------------
def test_pointer_record_uses_the_template() -> None:
    template = build(record(tel("site:east")))
    pointer = build({"format": 1, "template": "*EASTWEST"})
    assert pointer.template == "*EASTWEST"
    found = call(pointer, 0, resolve={"*EASTWEST": template}.get)
    assert found.destinations[0].uri == "sip:+18005550100@10.1.1.1:5060"
    assert found.path == (Step("M", "tel", "site:east"),)


def test_pointer_without_an_active_template_is_rejected() -> None:
    pointer = build({"format": 1, "template": "*EASTWEST"})
    expected = Answer("reject", (), (), None, 480, "template *EASTWEST has no active plan", None)
    assert call(pointer, 0) == expected
    assert call(pointer, 0, resolve={"*EASTWEST": pointer}.get) == expected  # no pointer chains


OUT_OF_AREA = Answer("reject", (), (), "out-of-area", 403, "caller outside the area of service", None)


@pytest.mark.parametrize(
    ("aos", "ani", "expected"),
    [
        ({"states": ["IL"]}, "+13125550100", "site:east"),
        ({"states": ["IL"]}, "+12125550100", "reject:403"),
        ({"states": ["IL"]}, None, "site:east"),  # unknown origin passes
        ({"states": ["IL"]}, "+447700900123", "site:east"),
        ({"states": ["IL"]}, "+18885550100", "site:east"),  # no state known for 888
        ({"npas": ["617"]}, "+16175550100", "site:east"),
        ({"npas": ["617"]}, "+13125550100", "reject:403"),
        ({"npas": ["617"], "states": ["IL"]}, "+13125550100", "site:east"),  # any list may admit
        ({"latas": ["358"]}, "+13125550100", "site:east"),
        ({"latas": ["358"]}, "+12125550100", "reject:403"),
        ({"latas": ["358"]}, "+16175550100", "site:east"),  # LATA unknown: cannot tell
        ({"npanxx": ["212555"]}, "+12125550100", "site:east"),
        ({"npanxx": ["212555"]}, "+12125560100", "reject:403"),
    ],
)
def test_area_of_service(aos: dict[str, list[str]], ani: str | None, expected: str) -> None:
    answer = call(build(record(tel("site:east"), aos=aos)), 0, ani=ani)
    assert dest(answer) == expected
    if expected == "reject:403":
        assert answer == OUT_OF_AREA


def test_invalid_plan_does_not_compile() -> None:
    with pytest.raises(PlanInvalid) as exc:
        build(record(decide("tod", (["08:00-17:00"], None), other=tel("site:nowhere"))))
    assert exc.value.issues == [
        Issue("M.0", "type", "Choose what happens here."),
        Issue("M.o", "dest", "Site 'nowhere' does not exist."),
    ]


def test_area_of_service_consistency_does_not_block_compiling() -> None:
    plan = build(
        record(decide("npa", (["212"], tel("site:west")), other=tel("site:east")), aos={"states": ["IL"]})
    )
    assert dest(call(plan, 0, ani="+13125550100")) == "site:east"


def test_compiled_plan_shares_nothing_mutable_with_the_document() -> None:
    doc = record(decide("tod", (["08:00-17:00"], tel("site:east")), other=announce()))
    plan = build(doc, CATALOG)
    doc["sections"]["M"]["branches"][0]["match"] = ["00:00-01:00"]
    assert dest(call(plan, local(*WEEKDAY, 9))) == "site:east"
