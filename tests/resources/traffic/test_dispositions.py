"""classify and q850_for: every numbered rule of the contract, with the ring-time edges."""

from __future__ import annotations

import pytest

from resources.traffic.dispositions import classify, q850_for


def run(
    *,
    answered: bool = False,
    sip_code: int | None = None,
    q850: int | None = None,
    block: str | None = None,
    ring_seconds: float | None = 0.0,
) -> str:
    return classify(answered=answered, sip_code=sip_code, q850=q850, block=block, ring_seconds=ring_seconds)


@pytest.mark.parametrize("block", ["plan", "network", "switch", "payphone", "policy"])
def test_rule_1_block_wins_over_everything(block: str) -> None:
    assert run(block=block) == "blocked"
    assert run(block=block, answered=True, sip_code=200) == "blocked"
    assert run(block=block, sip_code=486) == "blocked"


def test_rule_2_answered_by_answer_or_2xx() -> None:
    assert run(answered=True) == "answered"
    assert run(answered=True, sip_code=486) == "answered"
    assert run(answered=True, sip_code=487, ring_seconds=3) == "answered"
    assert run(sip_code=200) == "answered"
    assert run(sip_code=202) == "answered"
    assert run(sip_code=299) == "answered"


@pytest.mark.parametrize(
    ("sip_code", "q850", "expected"),
    [
        (486, None, "busy"),
        (600, None, "busy"),
        (486, 34, "busy"),
        (503, None, "all_trunks_busy"),
        (503, 34, "all_trunks_busy"),
        (503, 38, "failed"),  # the switch could not ask the SCP (network out of order)
        (None, 34, "all_trunks_busy"),
        (487, 34, "all_trunks_busy"),
        (500, 34, "all_trunks_busy"),
    ],
)
def test_rule_3_busy_all_trunks_busy_and_scp_down(
    sip_code: int | None, q850: int | None, expected: str
) -> None:
    assert run(sip_code=sip_code, q850=q850, ring_seconds=40) == expected


@pytest.mark.parametrize("sip_code", [487, None])
@pytest.mark.parametrize(
    ("ring", "expected"),
    [
        (0.0, "short"),
        (11.999, "short"),
        (12.0, "short"),
        (12.001, "abandoned"),
        (23.999, "abandoned"),
        (24.0, "abandoned"),
        (24.001, "no_answer"),
        (300.0, "no_answer"),
        (None, "short"),
        (-5.0, "short"),
    ],
)
def test_rule_4_cancelled_or_no_code_by_ringing_time(
    sip_code: int | None, ring: float | None, expected: str
) -> None:
    assert run(sip_code=sip_code, ring_seconds=ring) == expected


@pytest.mark.parametrize(
    ("sip_code", "expected"),
    [
        (408, "no_answer"),
        (480, "no_answer"),
        (404, "blocked"),
        (403, "blocked"),
        (603, "blocked"),
        (500, "failed"),
        (502, "failed"),
        (488, "failed"),
        (604, "failed"),
        (302, "failed"),
        (183, "failed"),
    ],
)
def test_rule_5_other_codes(sip_code: int, expected: str) -> None:
    assert run(sip_code=sip_code, ring_seconds=1) == expected
    assert run(sip_code=sip_code, ring_seconds=100) == expected  # ring time does not matter


@pytest.mark.parametrize(
    ("sip_code", "q850"),
    [
        (486, 17),
        (408, 18),
        (480, 19),
        (403, 21),
        (603, 21),
        (503, 34),
        (404, 1),
        (487, 16),
        (200, 16),
        (600, None),
        (500, None),
        (None, None),
    ],
)
def test_q850_for(sip_code: int | None, q850: int | None) -> None:
    assert q850_for(sip_code) == q850
