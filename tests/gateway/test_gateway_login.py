from __future__ import annotations

import re

from gateway_support import Env

from gateway.auth import GENERIC_LOGIN_ERROR, safe_next
from gateway.sessions import SESSION_COOKIE


async def test_login_success_sets_host_cookie_and_redirects_home(env: Env) -> None:
    response = await env.login()
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "; HttpOnly" in cookie
    assert "; Secure" in cookie
    assert "SameSite=lax" in cookie
    assert "; Path=/" in cookie
    assert "Domain" not in cookie
    home = await env.client.get("/")
    assert home.status_code == 200
    assert "TILES Numbers=/tollfree/;" in home.text
    assert "user=u-alice" in home.text


async def test_generic_message_identical_for_every_failure(env: Env) -> None:
    env.directory.locked.add("u-alice")
    wrong = await env.login("alice", "nope")
    unknown = await env.login("mallory", "nope")
    locked = await env.login("alice", "pw-alice")
    for r in (wrong, unknown, locked):
        assert r.status_code == 200
        assert f"error={GENERIC_LOGIN_ERROR}" in r.text.replace("&#39;", "'")

    def norm(text: str) -> str:
        text = re.sub(r"rid=[0-9a-f]{32}", "rid=R", text)
        return re.sub(r"username=[a-z]+", "username=U", text)

    assert norm(wrong.text) == norm(unknown.text) == norm(locked.text)
    assert {r.headers["content-length"] for r in (wrong, locked)} == {wrong.headers["content-length"]}


async def test_login_without_form_token_is_refused(env: Env) -> None:
    await env.client.get("/login")
    r = await env.client.post("/login", data={"username": "alice", "password": "pw-alice", "csrf_token": "x"})
    assert r.status_code == 400
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


async def test_ip_throttle_blocks_even_correct_password(env: Env) -> None:
    for _ in range(3):
        await env.login("alice", "wrong")
    r = await env.login("alice", "pw-alice")
    assert r.status_code == 200
    assert "Sign-in failed." in r.text
    events = [a["event"] for a in env.directory.audits]
    assert events == ["login.throttled", "login.throttled"]
    assert env.directory.calls.count("/internal/authenticate") == 3


async def test_mfa_two_steps_and_rotation(env: Env) -> None:
    r = await env.login("bob", "pw-bob", next_="/tollfree/")
    assert r.status_code == 303
    assert r.headers["location"] == "/login/mfa?next=/tollfree/"
    first = env.client.cookies[SESSION_COOKIE]
    # pending second factor: no access to resources or dashboard
    assert (await env.client.get("/tollfree/")).status_code == 303
    form = await env.client.get("/login/mfa")
    assert form.status_code == 200
    token = env.csrf(form.text)
    bad = await env.client.post(
        "/login/mfa", data={"code": "000000", "csrf_token": token, "next": "/tollfree/"}
    )
    assert bad.status_code == 200
    assert "MFA error=Sign-in failed. Check the code or try again later." in bad.text
    ok = await env.client.post(
        "/login/mfa", data={"code": "123456", "csrf_token": token, "next": "/tollfree/"}
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/tollfree/"
    second = env.client.cookies[SESSION_COOKIE]
    assert second != first
    page = await env.client.get("/tollfree/")
    assert page.status_code == 200


async def test_login_rotates_an_existing_session(env: Env) -> None:
    await env.login()
    first = env.client.cookies[SESSION_COOKIE]
    await env.login()
    second = env.client.cookies[SESSION_COOKIE]
    assert first != second
    env.client.cookies.clear()
    env.client.cookies.set(SESSION_COOKIE, first)
    assert (await env.client.get("/")).status_code == 303
    env.client.cookies.clear()
    env.client.cookies.set(SESSION_COOKIE, second)
    assert (await env.client.get("/")).status_code == 200


async def test_open_redirect_refused(env: Env) -> None:
    r = await env.login(next_="https://evil.example/")
    assert r.headers["location"] == "/"
    assert safe_next("//evil.example/x") == "/"
    assert safe_next("/\\evil.example") == "/"
    assert safe_next("/ok/path?x=1") == "/ok/path?x=1"
    assert safe_next("javascript:alert(1)") == "/"
    assert safe_next("/login") == "/"


async def test_logout_requires_csrf_and_audits(env: Env) -> None:
    await env.login()
    home = await env.client.get("/")
    assert (await env.client.post("/logout")).status_code == 403
    r = await env.client.post("/logout", data={"csrf_token": env.csrf(home.text)})
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert [a["event"] for a in env.directory.audits] == ["logout"]
    assert env.directory.audits[0]["user_id"] == "u-alice"
    assert (await env.client.get("/")).status_code == 303
