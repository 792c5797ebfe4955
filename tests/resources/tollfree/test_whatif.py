"""What-if: the same calls through the active plan and a draft, per destination."""

from __future__ import annotations

from engine_builders import TFN, announce, build, decide, local, origin, pct, record, tel

from resources.kit.shares import percent_bucket
from resources.tollfree.compiler import Query
from resources.tollfree.whatif import WhatIf, WhatIfRow, outcome_key, replay

# 10 calls on Wednesday 2027-03-10: 6 in business hours (09:00-14:00), 4 in the evening
CALLS = [
    Query(TFN, "+13125550100", local(2027, 3, 10, h), f"c{h}")
    for h in (9, 10, 11, 12, 13, 14, 18, 19, 20, 21)
]
BEFORE = build(record(decide("tod", (["08:00-17:00"], tel("site:east")), other=announce("closed"))))
AFTER = build(record(decide("tod", (["08:00-19:00"], tel("site:east")), other=tel("site:west"))))


def test_replay_counts_and_shares() -> None:
    assert replay(CALLS, before=BEFORE, after=AFTER, origin=origin()) == WhatIf(
        calls=10,
        changed=4,
        rows=(
            WhatIfRow("site:east", 6, 7, 60.0, 70.0, 10.0),
            WhatIfRow("announce:closed", 4, 0, 40.0, 0.0, -40.0),
            WhatIfRow("site:west", 0, 3, 0.0, 30.0, 30.0),
        ),
    )


def test_replay_without_an_active_plan() -> None:
    result = replay(CALLS[:4], before=None, after=AFTER, origin=origin())
    assert result.to_json() == {
        "calls": 4,
        "changed": 4,
        "rows": [
            {
                "key": "site:east",
                "before": 0,
                "after": 4,
                "before_share": 0.0,
                "after_share": 100.0,
                "delta": 100.0,
            }
        ],
    }


def test_percent_splits_use_the_call_id_in_both_plans() -> None:
    split = build(record(pct((50, tel("site:east")), (50, tel("site:west")))))
    result = replay(CALLS, before=split, after=split, origin=origin())
    east = sum(1 for q in CALLS if percent_bucket(q.call_id or "", "M") < 5000)
    assert result.changed == 0
    assert {r.key: (r.before, r.after) for r in result.rows} == {
        "site:east": (east, east),
        "site:west": (10 - east, 10 - east),
    }


def test_outcome_keys() -> None:
    assert outcome_key(AFTER.evaluate(CALLS[0], origin=origin())) == "site:east"
    assert outcome_key(BEFORE.evaluate(CALLS[-1], origin=origin())) == "announce:closed"
    aos = build(record(tel("site:east"), aos={"states": ["NY"]}))
    assert outcome_key(aos.evaluate(CALLS[0], origin=origin())) == "reject:403"
