"""How a finished call is classified (contract "Counting rules", disposition of a final report) and
the Q.850 cause assumed for a SIP final code when the element sent none. Pure functions."""

from __future__ import annotations

from resources.traffic.model import Disposition

SHORT_RING_SECONDS = 12.0  # caller gave up within this many seconds of ringing: "short"
ABANDON_RING_SECONDS = 24.0  # ... within this many: "abandoned" ("didn't wait"); longer: "no_answer"

BUSY_CODES = frozenset({486, 600})
ALL_TRUNKS_BUSY_CODE = 503
ALL_TRUNKS_BUSY_Q850 = 34
CANCELLED_CODE = 487
NO_ANSWER_CODES = frozenset({408, 480})
REJECT_CODES = frozenset({403, 404, 603})  # terminal rejects from the network: blocked

# SIP final code -> Q.850 cause (only the codes the contract lists; others: None).
Q850_BY_SIP: dict[int, int] = {
    486: 17,
    408: 18,
    480: 19,
    403: 21,
    603: 21,
    503: 34,
    404: 1,
    487: 16,
    200: 16,
}


def q850_for(sip_code: int | None) -> int | None:
    """The Q.850 cause conventionally mapped from `sip_code`, or None when there is none."""
    if sip_code is None:
        return None
    return Q850_BY_SIP.get(sip_code)


def classify(
    *,
    answered: bool,
    sip_code: int | None,
    q850: int | None,
    block: str | None,
    ring_seconds: float | None,
) -> Disposition:
    """The disposition of a final report, by the contract's numbered rules (first match wins).

    `answered`: an answer time is known or an `answered` event was seen. `ring_seconds`: end -
    seizure (None = unknown, treated as 0)."""
    # 1. blocked by the plan, the network, switch control, a payphone block or the calling policy
    if block:
        return "blocked"
    # 2. answered
    if answered or (sip_code is not None and 200 <= sip_code <= 299):
        return "answered"
    # 3. busy / all trunks busy
    if sip_code in BUSY_CODES:
        return "busy"
    if q850 == ALL_TRUNKS_BUSY_Q850 or (sip_code == ALL_TRUNKS_BUSY_CODE and q850 is None):
        return "all_trunks_busy"  # a 503 with another cause (38: SCP unreachable) is a failure
    # 4. caller cancelled (or no code at all): by how long it rang
    if sip_code is None or sip_code == CANCELLED_CODE:
        ring = max(0.0, ring_seconds or 0.0)
        if ring <= SHORT_RING_SECONDS:
            return "short"
        if ring <= ABANDON_RING_SECONDS:
            return "abandoned"
        return "no_answer"
    # 5. the remaining final codes
    if sip_code in NO_ANSWER_CODES:
        return "no_answer"
    if sip_code in REJECT_CODES:
        return "blocked"
    return "failed"
