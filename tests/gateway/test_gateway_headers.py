from __future__ import annotations

import re

import httpx
import pytest
from gateway_support import Env

from gateway.headers import CSP

EXPECTED = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),
        ("GET", "/nope/x", 404),
        ("GET", "/api/nope/x", 404),
        ("GET", "/tollfree/", 303),
        ("GET", "/api/tollfree/numbers", 401),
        ("GET", "/healthz", 200),
        ("DELETE", "/login", 405),
    ],
)
async def test_security_headers_on_every_response(env: Env, method: str, path: str, status: int) -> None:
    r = await env.client.request(method, path)
    assert r.status_code == status
    for name, value in EXPECTED.items():
        assert r.headers[name] == value
    assert r.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


async def test_request_id_never_taken_from_client(env: Env) -> None:
    r = await env.client.get("/login", headers={"X-Request-Id": "forged"})
    assert r.headers["x-request-id"] != "forged"
    assert f"rid={r.headers['x-request-id']}" in r.text


async def test_unhandled_error_gets_headers_and_branded_page(env: Env) -> None:
    async def boom() -> dict[str, dict[str, object]]:
        raise RuntimeError("boom")

    env.dispatcher.health = boom  # type: ignore[method-assign]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=env.app, raise_app_exceptions=False), base_url="https://localhost"
    ) as client:
        r = await client.get("/healthz")
    assert r.status_code == 500
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-type"] == "application/problem+json"


async def test_healthz_reveals_no_detail(env: Env) -> None:
    env.dispatcher.down = 502
    r = await env.client.get("/healthz")
    assert r.json() == {"status": "degraded", "resources": {"tollfree": {"status": "down", "ms": 1.5}}}
