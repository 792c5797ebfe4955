"""Answers as JSON (SCP, simulator, API) and as Kamailio rtjson."""

from __future__ import annotations

from engine_builders import TFN, announce, build, call, record, tel

from resources.tollfree.answer import answer_json
from resources.tollfree.compiler import AOS_REJECT, reject
from resources.tollfree.rtjson import to_rtjson

ROUTE = call(build(record(tel("site:east", "site:west", "+13125550100", ring_timeout=30))), 0)
CLOSED = call(build(record(announce("closed-holiday"))), 0)


def test_answer_json() -> None:
    assert answer_json(ROUTE) == {
        "outcome": "route",
        "destinations": [
            {
                "dest": "site:east",
                "uri": "sip:+18005550100@10.1.1.1:5060",
                "carrier": None,
                "ring_timeout": 30,
            },
            {
                "dest": "site:west",
                "uri": "sip:+18005550100@10.1.1.2:5070;transport=tcp",
                "carrier": None,
                "ring_timeout": 30,
            },
            {
                "dest": "+13125550100",
                "uri": "sip:+13125550100@pstn.example",
                "carrier": None,
                "ring_timeout": 30,
            },
        ],
        "treatment": None,
        "code": None,
        "reason": None,
        "carrier": None,
        "path": [{"node": "M", "type": "tel", "took": "site:east"}],
    }


def test_answer_json_of_a_reject() -> None:
    assert answer_json(AOS_REJECT) == {
        "outcome": "reject",
        "destinations": [],
        "treatment": "out-of-area",
        "code": 403,
        "reason": "caller outside the area of service",
        "carrier": None,
        "path": [],
    }


def test_rtjson_route_is_serial_with_route_advance_timers() -> None:
    assert to_rtjson(ROUTE, announce_uri=None, number=TFN, version=3) == {
        "version": "1.0",
        "routing": "serial",
        "routes": [
            {
                "uri": "sip:+18005550100@10.1.1.1:5060",
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=3;dest=site:east\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 30000,
            },
            {
                "uri": "sip:+18005550100@10.1.1.2:5070;transport=tcp",
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=3;dest=site:west\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 30000,
            },
            {
                "uri": "sip:+13125550100@pstn.example",
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=3;dest=+13125550100\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 30000,
            },
        ],
        "switchboard": {
            "outcome": "route",
            "code": None,
            "reason": None,
            "version": 3,
            "number": TFN,
            "dests": ["site:east", "site:west", "+13125550100"],
            "carrier": None,
            "path": "M",
        },
    }


def test_rtjson_reject_has_no_routes() -> None:
    assert to_rtjson(
        reject(404, "not a toll-free number served here"), announce_uri="sip:{treatment}@ms"
    ) == {
        "version": "1.0",
        "routing": "serial",
        "routes": [],
        "switchboard": {
            "outcome": "reject",
            "code": 404,
            "reason": "not a toll-free number served here",
            "version": None,
            "number": None,
            "dests": [],
            "carrier": None,
            "path": "",
        },
    }


def test_rtjson_announce_without_media_server_is_480() -> None:
    assert to_rtjson(CLOSED, announce_uri=None, number=TFN, version=2) == {
        "version": "1.0",
        "routing": "serial",
        "routes": [],
        "switchboard": {
            "outcome": "announce",
            "code": 480,
            "reason": "announcement closed-holiday (no media server)",
            "version": 2,
            "number": TFN,
            "dests": [],
            "carrier": None,
            "path": "M",
        },
    }


def test_rtjson_announce_with_media_server() -> None:
    out = to_rtjson(CLOSED, announce_uri="sip:{treatment}@media.example:5080", number=TFN, version=2)
    assert out["routes"] == [
        {
            "uri": "sip:closed-holiday@media.example:5080",
            "headers": {"extra": "X-Switchboard-Route: +18005550100;v=2;treatment=closed-holiday\r\n"},
            "fr_timer": 3000,
            "fr_inv_timer": 60000,
        }
    ]
    assert out["switchboard"] == {
        "outcome": "announce",
        "code": None,
        "reason": None,
        "version": 2,
        "number": TFN,
        "dests": [],
        "carrier": None,
        "path": "M",
    }
