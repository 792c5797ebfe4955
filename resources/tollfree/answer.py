"""The JSON shape of an `Answer`, shared by the SCP (``?format=json``), the simulator and the API."""

from __future__ import annotations

from typing import Any

from resources.tollfree.compiler import Answer


def answer_json(answer: Answer) -> dict[str, Any]:
    """``{"outcome", "destinations": [{dest, uri, carrier, ring_timeout}], "treatment", "code",
    "reason", "carrier", "path": [{node, type, took}]}`` (the SCP adds number, version, call id…)."""
    return {
        "outcome": answer.outcome,
        "destinations": [
            {"dest": d.dest, "uri": d.uri, "carrier": d.carrier, "ring_timeout": d.ring_timeout}
            for d in answer.destinations
        ],
        "treatment": answer.treatment,
        "code": answer.code,
        "reason": answer.reason,
        "carrier": answer.carrier,
        "path": [{"node": s.node, "type": s.type, "took": s.took} for s in answer.path],
    }
