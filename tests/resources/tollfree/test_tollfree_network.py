"""The SCP's network-plane endpoints through the kit's assertion middleware (httpx ASGITransport)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from scp_support import (
    EAST_URI,
    MORNING,
    NIGHT,
    NUMBER,
    T0,
    business_hours,
    row,
    store_at,
)
from starlette.applications import Starlette
from starlette.types import ASGIApp

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.assertion import AssertionVerifier
from resources.kit.caller import Entitlement, Principal
from resources.kit.errors import install_error_handlers
from resources.kit.events import InProcessBus
from resources.kit.middleware import AssertionMiddleware
from resources.tollfree.network import MAX_BODY, routes
from resources.tollfree.scp import ScpStore
from resources.tollfree.settings import TollfreeSettings

KEYS = SigningKeys.from_jwks(new_signing_jwk())
SWITCH = Principal(
    user_id="element:switch",
    username="switch",
    display_name="switch",
    kind="element",
    org_id="provider",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="tollfree:route-query"),),
)
NOW = T0 + timedelta(hours=3)  # 10:00 in New York
V1 = row(1, business_hours("east", alternates=("site:west",)))
V1_ID = f"{NUMBER}-v1"

ROUTE_JSON = {
    "number": NUMBER,
    "call_id": "call-42",
    "ts": MORNING,
    "version": 1,
    "version_id": V1_ID,
    "outcome": "route",
    "destinations": [
        {"dest": "site:east", "uri": EAST_URI, "carrier": None, "ring_timeout": 20},
        {
            "dest": "site:west",
            "uri": "sip:+18005550100@127.0.0.1:5072;transport=tcp",
            "carrier": None,
            "ring_timeout": 20,
        },
    ],
    "treatment": None,
    "code": None,
    "reason": None,
    "carrier": None,
    "path": [
        {"node": "M", "type": "tod", "took": "08:00-17:00"},
        {"node": "M.0", "type": "tel", "took": "site:east"},
    ],
}


@dataclass
class Ctx:
    scp: ScpStore
    settings: TollfreeSettings


def make_app(tmp_path: Path, store: ScpStore, *, announce_uri: str | None = None) -> ASGIApp:
    settings = TollfreeSettings(
        name="tollfree",
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite:///:memory:",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
        announce_uri=announce_uri,
    )
    app = Starlette(routes=routes())
    app.state.ctx = Ctx(scp=store, settings=settings)
    install_error_handlers(app)
    return AssertionMiddleware(app, AssertionVerifier(public_jwks(KEYS), audience="tollfree"))


def assertion(plane: str = "network") -> str:
    return AssertionSigner(KEYS).mint(
        audience="tollfree",
        principal=SWITCH,
        plane=plane,  # type: ignore[arg-type]
        session_ref=None,
        request_id="rid-1",
    )


@pytest.fixture
def app(tmp_path: Path) -> ASGIApp:
    store, _ = store_at(NOW, V1)
    return make_app(tmp_path, store)


async def post(app: ASGIApp, body: Any, *, query: str = "", raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        return await c.post(
            f"/network/route{query}",
            content=content,
            headers={"X-Switchboard-Assertion": assertion(), "Content-Type": "application/json"},
        )


def invalid(*errors: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Invalid input",
        "status": 422,
        "detail": "; ".join(message for _, message in errors),
        "errors": [{"field": field, "message": message} for field, message in errors],
    }


DNIS_MSG = "dnis must be a North American number like +18005550100, 18005550100 or 8005550100"
ANI_MSG = "ani must be a phone number like +13125550100 or 3125550100, or null"
TS_MSG = "ts must be a time in epoch seconds (a number) or null"
CALLID_MSG = "callid must be a string of at most 256 characters, or null"


async def test_route_json(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER, "ani": "+13125550100", "ts": MORNING, "callid": "call-42"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == ROUTE_JSON


@pytest.mark.parametrize("dnis", ["8005550100", "18005550100", "+18005550100"])
@pytest.mark.parametrize("ani", ["3125550100", "13125550100", "+13125550100", None])
async def test_number_forms_are_normalised(app: ASGIApp, dnis: str, ani: str | None) -> None:
    response = await post(app, {"dnis": dnis, "ani": ani, "ts": MORNING, "callid": "call-42"})
    assert response.json() == ROUTE_JSON


async def test_ts_and_callid_are_optional(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER})
    assert response.json() == {**ROUTE_JSON, "call_id": None, "ts": NOW.timestamp()}


async def test_the_tree_is_evaluated_at_ts(app: ASGIApp) -> None:
    body = (await post(app, {"dnis": NUMBER, "ts": NIGHT, "ani": "+442071234567"})).json()
    assert body == {
        "number": NUMBER,
        "call_id": None,
        "ts": NIGHT,
        "version": 1,
        "version_id": V1_ID,
        "outcome": "announce",
        "destinations": [],
        "treatment": "closed",
        "code": None,
        "reason": None,
        "carrier": None,
        "path": [
            {"node": "M", "type": "tod", "took": "OTHER"},
            {"node": "M.o", "type": "announce", "took": "closed"},
        ],
    }


async def test_unknown_number_json(app: ASGIApp) -> None:
    response = await post(app, {"dnis": "8885550199", "ts": MORNING})
    assert response.status_code == 200
    assert response.json() == {
        "number": "+18885550199",
        "call_id": None,
        "ts": MORNING,
        "version": None,
        "version_id": None,
        "outcome": "reject",
        "destinations": [],
        "treatment": None,
        "code": 404,
        "reason": "not a toll-free number served here",
        "carrier": None,
        "path": [],
    }


async def test_route_rtjson(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER, "ts": MORNING, "callid": "call-42"}, query="?format=rtjson")
    assert response.status_code == 200
    assert response.json() == {
        "version": "1.0",
        "routing": "serial",
        "routes": [
            {
                "uri": EAST_URI,
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=1;dest=site:east\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 20000,
            },
            {
                "uri": "sip:+18005550100@127.0.0.1:5072;transport=tcp",
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=1;dest=site:west\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 20000,
            },
        ],
        "switchboard": {
            "outcome": "route",
            "code": None,
            "reason": None,
            "version": 1,
            "number": NUMBER,
            "dests": ["site:east", "site:west"],
            "carrier": None,
            "path": "M,M.0",
        },
    }


async def test_announce_rtjson_without_media_server_is_480(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER, "ts": NIGHT}, query="?format=rtjson")
    assert response.json() == {
        "version": "1.0",
        "routing": "serial",
        "routes": [],
        "switchboard": {
            "outcome": "announce",
            "code": 480,
            "reason": "announcement closed (no media server)",
            "version": 1,
            "number": NUMBER,
            "dests": [],
            "carrier": None,
            "path": "M,M.o",
        },
    }


async def test_announce_rtjson_with_media_server(tmp_path: Path) -> None:
    store, _ = store_at(NOW, V1)
    app = make_app(tmp_path, store, announce_uri="sip:{treatment}@media.example:5080")
    response = await post(app, {"dnis": NUMBER, "ts": NIGHT}, query="?format=rtjson")
    assert response.json() == {
        "version": "1.0",
        "routing": "serial",
        "routes": [
            {
                "uri": "sip:closed@media.example:5080",
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=1;treatment=closed\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 60000,
            }
        ],
        "switchboard": {
            "outcome": "announce",
            "code": None,
            "reason": None,
            "version": 1,
            "number": NUMBER,
            "dests": [],
            "carrier": None,
            "path": "M,M.o",
        },
    }


async def test_unknown_number_rtjson(app: ASGIApp) -> None:
    response = await post(app, {"dnis": "+18885550199"}, query="?format=rtjson")
    assert response.json() == {
        "version": "1.0",
        "routing": "serial",
        "routes": [],
        "switchboard": {
            "outcome": "reject",
            "code": 404,
            "reason": "not a toll-free number served here",
            "version": None,
            "number": "+18885550199",
            "dests": [],
            "carrier": None,
            "path": "",
        },
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [("dnis", DNIS_MSG)]),
        ({"dnis": 8005550100}, [("dnis", DNIS_MSG)]),
        ({"dnis": "800555010"}, [("dnis", DNIS_MSG)]),
        ({"dnis": "+28005550100"}, [("dnis", DNIS_MSG)]),
        ({"dnis": "+8005550100"}, [("dnis", DNIS_MSG)]),
        ({"dnis": NUMBER, "ani": "anonymous"}, [("ani", ANI_MSG)]),
        ({"dnis": NUMBER, "ani": 3125550100}, [("ani", ANI_MSG)]),
        ({"dnis": NUMBER, "ts": "1795000000"}, [("ts", TS_MSG)]),
        ({"dnis": NUMBER, "ts": True}, [("ts", TS_MSG)]),
        ({"dnis": NUMBER, "ts": -1}, [("ts", TS_MSG)]),
        ({"dnis": NUMBER, "ts": 1e300}, [("ts", TS_MSG)]),
        ({"dnis": NUMBER, "callid": "x" * 257}, [("callid", CALLID_MSG)]),
        ({"dnis": NUMBER, "callid": 42}, [("callid", CALLID_MSG)]),
        (
            {"dnis": "x", "ani": [], "ts": {}, "callid": False},
            [("dnis", DNIS_MSG), ("ani", ANI_MSG), ("ts", TS_MSG), ("callid", CALLID_MSG)],
        ),
        ([NUMBER], [("body", "the body must be a JSON object")]),
        (None, [("body", "the body must be a JSON object")]),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    app: ASGIApp, body: Any, errors: list[tuple[str, str]]
) -> None:
    response = await post(app, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == invalid(*errors)


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b'{"ts": NaN, "dnis": "8005550100"}']
)
async def test_malformed_json_is_a_422(app: ASGIApp, raw: bytes) -> None:
    response = await post(app, None, raw=raw)
    assert response.status_code == 422
    if raw.startswith(b'{"ts'):
        assert response.json() == invalid(("ts", TS_MSG))
    else:
        assert response.json() == invalid(("body", "the body is not valid JSON"))


async def test_edge_values_are_accepted(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER, "ts": 0, "callid": "x" * 256, "ani": ""})
    body = response.json()
    assert (response.status_code, body["ts"], body["call_id"]) == (200, 0.0, "x" * 256)


async def test_unknown_format_is_a_422(app: ASGIApp) -> None:
    response = await post(app, {"dnis": NUMBER}, query="?format=xml")
    assert response.json() == invalid(("format", "format must be json or rtjson"))


async def test_too_large_a_body_is_a_413(app: ASGIApp) -> None:
    response = await post(app, None, raw=b" " * (MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json() == {
        "type": "about:blank",
        "title": "Payload too large",
        "status": 413,
        "detail": "the body must be at most 16384 bytes",
    }


async def test_status(app: ASGIApp) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        response = await c.get("/network/status", headers={"X-Switchboard-Assertion": assertion()})
    assert response.status_code == 200
    assert response.json() == {
        "targets": 1,
        "compiled": 1,
        "errors": {},
        "loaded_at": "2026-03-02T15:00:00+00:00",
    }


async def test_get_route_is_405(app: ASGIApp) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        response = await c.get("/network/route", headers={"X-Switchboard-Assertion": assertion()})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_needs_a_network_plane_assertion(app: ASGIApp) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        missing = await c.post("/network/route", json={"dnis": NUMBER})
        customer = await c.post(
            "/network/route",
            json={"dnis": NUMBER},
            headers={"X-Switchboard-Assertion": assertion("customer")},
        )
    assert (missing.status_code, customer.status_code) == (401, 403)
    assert customer.json()["detail"] == "the customer plane cannot reach this path"
