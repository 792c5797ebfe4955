"""ASR / NER / ACD / time to answer on a worked example, and division by zero."""

from __future__ import annotations

import pytest
from traffic_builders import vector

from resources.traffic.metrics import add, derived
from resources.traffic.model import NFIELDS


def test_worked_example() -> None:
    # 10 seizures: 6 answered (600 talk seconds, 30 s to answer in all), 1 short, 1 abandoned,
    # 1 busy, 1 all trunks busy.
    counts = vector(
        {
            "offered": 10,
            "answered": 6,
            "short": 1,
            "abandoned": 1,
            "busy": 1,
            "all_trunks_busy": 1,
            "talk_seconds": 600,
            "tta_ms": 30_000,
            "starts": 10,
            "ends": 10,
        }
    )
    # NER = (6 answered + 1 busy + 0 no answer + 1 short + 1 abandoned + 0 blocked) / 10
    assert derived(counts) == {"asr": 0.6, "ner": 0.9, "acd": 100.0, "tta": 5.0}


def test_ner_counts_blocked_and_no_answer_but_not_failures() -> None:
    counts = vector({"offered": 8, "no_answer": 2, "blocked": 2, "failed": 3, "all_trunks_busy": 1})
    assert derived(counts) == {"asr": 0.0, "ner": 0.5, "acd": None, "tta": None}


def test_division_by_zero_is_none() -> None:
    assert derived([0] * NFIELDS) == {"asr": None, "ner": None, "acd": None, "tta": None}
    # answered in this interval, seized in an earlier one: ACD and TTA exist, ASR/NER do not
    late = vector({"answered": 2, "talk_seconds": 90, "tta_ms": 7_000})
    assert derived(late) == {"asr": None, "ner": None, "acd": 45.0, "tta": 3.5}


def test_add_in_place() -> None:
    into = vector({"offered": 1, "ends": 2})
    add(into, vector({"offered": 2, "talk_seconds": 30}))
    assert into == vector({"offered": 3, "talk_seconds": 30, "ends": 2})


def test_add_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="cannot add a vector of 3 counters to one of 13"):
        add([0] * NFIELDS, [1, 2, 3])
