"""POST /network/events and GET /network/status through the kit's assertion middleware
(httpx ASGITransport) with a real ingest writer on a SQLite file: answers only after commit,
duplicates, per-record rejections, 422 / 400 / 413 / 503 problems, exact bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.types import ASGIApp
from traffic_store_support import (
    GLOBEX_1,
    T0,
    Db,
    RecordingBus,
    bucket_rows,
    call_records,
    db,
    directory,
    settings_for,
)

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.assertion import AssertionVerifier
from resources.kit.caller import Entitlement, Principal
from resources.kit.db import create_engine, create_sessionmaker, unit_of_work
from resources.kit.errors import install_error_handlers
from resources.kit.middleware import AssertionMiddleware
from resources.traffic.ingest import Ingestor
from resources.traffic.live import LiveState
from resources.traffic.model import NumberInfo
from resources.traffic.network import routes
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings

__all__ = ["db"]

KEYS = SigningKeys.from_jwks(new_signing_jwk())
SWITCH = Principal(
    user_id="element:kam1",
    username="kam1",
    display_name="kam1",
    kind="element",
    org_id="provider",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="traffic:ingest"),),
)
NOW = T0 + 100


@dataclass
class Ctx:
    settings: TrafficSettings
    ingestor: Ingestor
    numbers: NumberDirectory
    live: Any = None
    clock: Any = field(default=lambda: NOW)


@dataclass
class Rig:
    app: ASGIApp
    ctx: Ctx
    db: Db


def make_rig(tmp_path: Path, db: Db, **kw: Any) -> Rig:
    bus = RecordingBus()
    settings = settings_for(tmp_path, bus, **kw)
    numbers = directory()
    ingestor = Ingestor(settings=settings, maker=db.maker, bus=bus, numbers=numbers, clock=lambda: NOW)
    ctx = Ctx(settings=settings, ingestor=ingestor, numbers=numbers)
    app = Starlette(routes=routes())
    app.state.ctx = ctx
    install_error_handlers(app)
    return Rig(AssertionMiddleware(app, AssertionVerifier(public_jwks(KEYS), audience="traffic")), ctx, db)


@pytest.fixture
async def rig(tmp_path: Path, db: Db) -> AsyncIterator[Rig]:
    r = make_rig(tmp_path, db)
    async with r.ctx.ingestor.running():
        yield r


def assertion() -> str:
    return AssertionSigner(KEYS).mint(
        audience="traffic", principal=SWITCH, plane="network", session_ref=None, request_id="rid-1"
    )


async def post(app: ASGIApp, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://traffic") as c:
        return await c.post(
            "/network/events",
            content=content,
            headers={"X-Switchboard-Assertion": assertion(), "Content-Type": "application/json"},
        )


def routed(call_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "type": "routed",
        "callid": call_id,
        "dnis": "8005550100",
        "ts": T0 + 1,
        "dest": "site:east",
        **kw,
    }


def ended(call_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "type": "ended",
        "callid": call_id,
        "dnis": "8005550100",
        "answer": T0 + 6,
        "end": T0 + 66,
        "sip_code": 200,
        **kw,
    }


UNKNOWN = {
    "index": 1,
    "reason": "unknown-number",
    "field": "dnis",
    "message": "dnis +18885550199 is not a toll-free number known to traffic",
}


async def test_a_200_means_the_rows_are_committed(rig: Rig) -> None:
    response = await post(rig.app, [routed("c1"), ended("c1")])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    # another engine on the same file: the call is there, with the element from the credential
    engine = create_engine(url=rig.db.url, schema=None)
    try:
        stored = await call_records(create_sessionmaker(engine))
    finally:
        await engine.dispose()
    assert list(stored) == ["c1"]
    assert (stored["c1"].element, stored["c1"].disposition, stored["c1"].billable) == ("kam1", "answered", 60)


async def test_one_object_is_one_record(rig: Rig) -> None:
    response = await post(rig.app, routed("c1"))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}


async def test_duplicates_across_requests_change_nothing(rig: Rig) -> None:
    await post(rig.app, [routed("c1"), ended("c1")])
    before = await bucket_rows(rig.db.maker)
    assert before[0]["counters"] == {
        "offered": 1,
        "answered": 1,
        "talk_seconds": 60,
        "tta_ms": 5000,
        "starts": 1,
        "ends": 1,
    }
    response = await post(rig.app, [ended("c1"), routed("c1"), routed("c2")])
    assert response.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    after = await bucket_rows(rig.db.maker)
    assert after[0] == {**before[0], "counters": {**before[0]["counters"], "offered": 2, "starts": 2}}


async def test_an_unknown_number_is_rejected_and_the_rest_accepted(rig: Rig) -> None:
    response = await post(rig.app, [routed("c1"), routed("c2", dnis="8885550199"), routed("c3", ts="soon")])
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [
            UNKNOWN,
            {
                "index": 2,
                "reason": "invalid",
                "field": "ts",
                "message": response.json()["rejected"][1]["message"],
            },
        ],
    }
    assert response.json()["rejected"][1]["message"].startswith("ts must be")
    assert list(await call_records(rig.db.maker)) == ["c1"]
    assert rig.ctx.ingestor.stats()["elements"]["kam1"]["rejected"] == {"invalid": 1, "unknown-number": 1}


async def test_422_when_every_record_is_rejected(rig: Rig) -> None:
    response = await post(
        rig.app, [{"type": "routed", "dnis": "8005550100"}, routed("c2", dnis="8885550199")]
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    callid = {
        "index": 0,
        "reason": "invalid",
        "field": "callid",
        "message": "callid is required: a string of 1 to 256 characters",
    }
    assert response.json() == {
        "type": "about:blank",
        "title": "Invalid input",
        "status": 422,
        "detail": "all 2 records were rejected",
        "errors": [
            {"field": "0.callid", "message": callid["message"]},
            {"field": "1.dnis", "message": UNKNOWN["message"]},
        ],
        "rejected": [callid, UNKNOWN],
    }
    assert await call_records(rig.db.maker) == {}


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{nope", "the body is not valid JSON"),
        (b"42", "the body must be a JSON object or an array of objects"),
    ],
)
async def test_400_for_a_body_that_is_not_records(rig: Rig, raw: bytes, detail: str) -> None:
    response = await post(rig.app, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"type": "about:blank", "title": "Bad request", "status": 400, "detail": detail}
    assert rig.ctx.ingestor.stats()["rejected"] == {"malformed": 1}


async def test_413_for_too_many_bytes_or_records(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db, max_body=400, max_records=2)
    async with r.ctx.ingestor.running():
        big = await post(r.app, raw=b"[" + b" " * 500 + b"]")
        many = await post(r.app, [routed("a"), routed("b"), routed("c")])
    assert (big.status_code, big.json()["detail"]) == (413, "the body must be at most 400 bytes")
    assert (many.status_code, many.json()["detail"]) == (
        413,
        "the body holds 3 records but one request may carry at most 2",
    )
    assert r.ctx.ingestor.stats()["rejected"] == {"too-large": 2}


async def test_503_when_the_records_cannot_be_stored(rig: Rig) -> None:
    async with unit_of_work(rig.db.maker, write=True) as session:
        await session.execute(text("DROP TABLE traffic_buckets"))
    response = await post(rig.app, [routed("c1")])
    assert response.status_code == 503
    assert response.json()["detail"] == "the records could not be stored; retry"
    assert await call_records(rig.db.maker) == {}


async def test_503_while_ingest_is_not_running(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db)
    response = await post(r.app, [routed("c1")])
    assert (response.status_code, response.json()["detail"]) == (503, "ingest is not running; retry")


async def test_status(rig: Rig) -> None:
    await post(rig.app, [routed("c1")])
    rig.ctx.live = LiveState(window=900, clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(rig.app), base_url="http://traffic") as c:
        response = await c.get("/network/status", headers={"X-Switchboard-Assertion": assertion()})
    assert response.status_code == 200
    body = response.json()
    assert (body["numbers"], body["live"]) == (3, rig.ctx.live.stats())
    assert body["live"]["calls"] == 0
    assert body["ingest"]["elements"] == {
        "kam1": {"accepted": 1, "duplicates": 0, "unknown": 0, "rejected": {}, "last_seen": NOW}
    }
    assert body["ingest"]["batches"] == 1


async def test_a_number_removed_meanwhile_is_rejected_by_index(rig: Rig) -> None:
    """parse_body saw the number; by the time the writer ran, toll-free had taken it away."""
    real_submit = rig.ctx.ingestor.submit

    async def submit_after_removal(events: Any) -> Any:
        rig.ctx.numbers.replace([], [])
        return await real_submit(events)

    rig.ctx.ingestor.submit = submit_after_removal  # type: ignore[method-assign]
    response = await post(rig.app, [routed("c1"), routed("c2", dnis="bad"), routed("c3")])
    assert response.status_code == 422
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [
        (0, "dnis"),
        (1, "dnis"),
        (2, "dnis"),
    ]
    assert (
        response.json()["rejected"][2]["message"]
        == f"dnis {GLOBEX_1} is not a toll-free number known to traffic"
    )


LINE = "+13125550142"


def outbound_cdr(call_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "start_time": T0 + 10,
        "end_time": T0 + 70,
        "callid": call_id,
        "line": "3125550142",
        "class": "long-distance",
        "account": "77",
        "dest": "+12125550100",
        "sip_code": "200",
        **kw,
    }


async def test_outbound_cdrs_of_known_and_unknown_lines(rig: Rig) -> None:
    rig.ctx.numbers.replace_lines([NumberInfo(number=LINE, customer_id="globex")])
    response = await post(
        rig.app,
        [outbound_cdr("o1"), outbound_cdr("o2", line="+13125550199"), outbound_cdr("o3", dnis="8005550100")],
    )
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [
            {
                "index": 1,
                "reason": "unknown-number",
                "field": "line",
                "message": "line +13125550199 is not a number or line known to traffic",
            },
            {
                "index": 2,
                "reason": "invalid",
                "field": "line",
                "message": "line (an outbound call's calling line) and dnis (a toll-free call's "
                "dialled number) exclude each other: send one of them",
            },
        ],
    }
    stored = await call_records(rig.db.maker)
    assert (stored["o1"].number, stored["o1"].call_class, stored["o1"].account_code, stored["o1"].key) == (
        LINE,
        "long-distance",
        "77",
        ("globex", LINE, "", ""),
    )


async def test_a_line_removed_meanwhile_is_rejected_by_index(rig: Rig) -> None:
    rig.ctx.numbers.replace_lines([NumberInfo(number=LINE, customer_id="globex")])
    real_submit = rig.ctx.ingestor.submit

    async def submit_after_removal(events: Any) -> Any:
        rig.ctx.numbers.replace_lines([])
        return await real_submit(events)

    rig.ctx.ingestor.submit = submit_after_removal  # type: ignore[method-assign]
    response = await post(rig.app, [routed("c1"), outbound_cdr("o1")])
    assert response.status_code == 200
    assert response.json()["rejected"] == [
        {
            "index": 1,
            "reason": "unknown-number",
            "field": "line",
            "message": f"line {LINE} is not a number or line known to traffic",
        }
    ]
