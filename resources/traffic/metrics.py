"""Derived traffic metrics over a counter vector (one value per FIELDS name): ASR, NER, ACD and
average time to answer (contract "Counting rules", Derived). Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from resources.traffic.model import FIELD_INDEX

_OFFERED = FIELD_INDEX["offered"]
_ANSWERED = FIELD_INDEX["answered"]
_TALK = FIELD_INDEX["talk_seconds"]
_TTA = FIELD_INDEX["tta_ms"]
# ITU-T E.425 "network effectiveness": outcomes the network meant (answer, user busy, ring-no-answer
# including callers giving up while it rang, terminal/plan rejects). All trunks busy and failures
# count against it.
_EFFECTIVE = tuple(
    FIELD_INDEX[name] for name in ("answered", "busy", "no_answer", "short", "abandoned", "blocked")
)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def derived(vector: Sequence[int]) -> dict[str, float | None]:
    """`asr` and `ner` (0..1, per offered call), `acd` (talk seconds per answered call) and `tta`
    (average seconds to answer); None where the denominator is zero."""
    offered = vector[_OFFERED]
    answered = vector[_ANSWERED]
    tta_ms = _ratio(vector[_TTA], answered)
    return {
        "asr": _ratio(answered, offered),
        "ner": _ratio(sum(vector[i] for i in _EFFECTIVE), offered),
        "acd": _ratio(vector[_TALK], answered),
        "tta": None if tta_ms is None else tta_ms / 1000,
    }


def add(into: list[int], vector: Sequence[int]) -> None:
    """Add `vector` into `into` element by element, in place (both NFIELDS long)."""
    if len(into) != len(vector):
        raise ValueError(f"cannot add a vector of {len(vector)} counters to one of {len(into)}")
    for index, amount in enumerate(vector):
        into[index] += amount
