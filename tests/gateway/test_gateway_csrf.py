from __future__ import annotations

from gateway_support import Env

from gateway.sessions import SESSION_COOKIE


async def _signed_in(env: Env) -> str:
    await env.login()
    return env.csrf((await env.client.get("/")).text)


async def test_missing_token_refused(env: Env) -> None:
    await _signed_in(env)
    r = await env.client.post("/tollfree/plans", data={"plan": "a"})
    assert r.status_code == 403
    assert "ERROR 403 Not allowed" in r.text
    assert env.dispatcher.forwarded == []


async def test_wrong_token_refused_as_problem_json_on_api(env: Env) -> None:
    await _signed_in(env)
    r = await env.client.post("/api/tollfree/numbers", json={"n": 1}, headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 403


async def test_header_token_accepted(env: Env) -> None:
    token = await _signed_in(env)
    r = await env.client.post("/api/tollfree/numbers", json={"n": 1}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.json() == {"path": "/api/numbers", "body": '{"n":1}'}


async def test_form_token_accepted_and_body_replayed_byte_exact(env: Env) -> None:
    token = await _signed_in(env)
    body = f"plan=gold%20%26+silver&csrf_token={token}&z=%FF".encode()
    r = await env.client.post(
        "/tollfree/plans", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 200
    assert r.json()["body"].encode("latin-1") == body


async def test_multipart_form_token_replayed(env: Env) -> None:
    token = await _signed_in(env)
    r = await env.client.post(
        "/tollfree/plans", data={"csrf_token": token}, files={"f": ("a.txt", b"\x00\x01")}
    )
    assert r.status_code == 200
    assert b"\x00\x01" in r.json()["body"].encode("latin-1")


async def test_cross_site_refused_even_with_token(env: Env) -> None:
    token = await _signed_in(env)
    for headers in (
        {"Origin": "https://evil.example", "X-CSRF-Token": token},
        {"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": token},
        {"Origin": "null", "X-CSRF-Token": token},
    ):
        r = await env.client.post("/api/tollfree/numbers", json={}, headers=headers)
        assert r.status_code == 403
    ok = await env.client.post(
        "/api/tollfree/numbers", json={}, headers={"Origin": "https://localhost", "X-CSRF-Token": token}
    )
    assert ok.status_code == 200


async def test_bearer_api_call_exempt(env: Env) -> None:
    env.directory.tokens["sbt_secret"] = ("t1", "u-alice")
    r = await env.client.post(
        "/api/tollfree/numbers", json={"n": 2}, headers={"Authorization": "Bearer sbt_secret"}
    )
    assert r.status_code == 200
    assert env.dispatcher.forwarded[-1]["sid"] == "token:t1"
    assert SESSION_COOKIE not in env.client.cookies
