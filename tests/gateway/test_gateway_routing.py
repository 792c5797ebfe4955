from __future__ import annotations

import asyncio

from gateway_support import Env, principal


async def test_unauthenticated_browser_redirected_with_next(env: Env) -> None:
    r = await env.client.get("/tollfree/?page=2")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/tollfree/%3Fpage%3D2"


async def test_unauthenticated_api_gets_401_bearer(env: Env) -> None:
    r = await env.client.get("/api/tollfree/numbers")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["status"] == 401


async def test_page_decorated_htmx_gets_fragment(env: Env) -> None:
    await env.login()
    page = await env.client.get("/tollfree/")
    assert page.status_code == 200
    assert page.text.startswith("<title>Toll free</title>brand=default user=u-alice")
    assert "nav=Numbers*;<main><p>numbers &amp; plans</p></main>" in page.text
    assert "x-switchboard-page" not in page.headers
    fragment = await env.client.get("/tollfree/", headers={"HX-Request": "true"})
    assert fragment.text == "<p>numbers &amp; plans</p>"


async def test_a_form_page_with_errors_is_decorated_too(env: Env) -> None:
    """A full-page GET form (filters) shown again with its errors keeps the portal around it."""
    await env.login()
    page = await env.client.get("/tollfree/?status=422")
    assert page.status_code == 422
    assert page.text.startswith("<title>Toll free</title>brand=default user=u-alice")
    assert "x-switchboard-page" not in page.headers
    fragment = await env.client.get("/tollfree/?status=422", headers={"HX-Request": "true"})
    assert (fragment.status_code, fragment.text) == (422, "<p>numbers &amp; plans</p>")


async def test_forged_headers_do_not_reach_dispatcher(env: Env) -> None:
    await env.login()
    r = await env.client.get(
        "/tollfree/", headers={"X-Switchboard-Assertion": "forged", "X-Request-Id": "forged-rid"}
    )
    sent = env.dispatcher.forwarded[-1]
    names = {k.lower() for k, _ in sent["headers"]}
    assert b"x-switchboard-assertion" not in names
    assert b"x-request-id" not in names
    assert sent["rid"] == r.headers["x-request-id"] != "forged-rid"
    assert sent["plane"] == "customer"
    assert len(sent["sid"]) == 32


async def test_internal_and_network_paths_are_404(env: Env) -> None:
    await env.login()
    for path in (
        "/tollfree/internal/x",
        "/tollfree//internal/x",
        "/tollfree/Network/y",
        "/api/tollfree/internal/x",
        "/tollfree/a/../internal/x",
    ):
        r = await env.client.get(path)
        assert r.status_code == 404, path
    assert env.dispatcher.forwarded == []


async def test_unknown_resource_404_and_denied_action_403(env: Env) -> None:
    await env.login("bob", "pw-bob")  # MFA pending: not signed in yet
    env.directory.principals["u-alice"] = principal("u-alice")  # no entitlements
    await env.login()
    assert (await env.client.get("/nosuch/x")).status_code == 404
    r = await env.client.get("/tollfree/")
    assert r.status_code == 403
    assert "ERROR 403 Not allowed" in r.text


async def test_resource_down_is_branded_and_others_keep_working(env: Env) -> None:
    await env.login()
    env.dispatcher.down = 504
    r = await env.client.get("/tollfree/")
    assert r.status_code == 504
    assert "ERROR 504 Toll-free is not answering right now" in r.text
    api = await env.client.get("/api/tollfree/numbers")
    assert api.status_code == 504
    assert api.json()["detail"] == "Please try again in a few minutes. Everything else keeps working."
    assert (await env.client.get("/")).status_code == 200


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_entitlement_change_applies_on_next_request(env: Env) -> None:
    await env.login()
    await _settle()
    assert (await env.client.get("/tollfree/")).status_code == 200
    env.directory.principals["u-alice"] = principal("u-alice")
    assert (await env.client.get("/tollfree/")).status_code == 200  # cached until told
    await env.bus.publish("directory.changed", {"user_ids": ["u-alice"]})
    await _settle()
    assert (await env.client.get("/tollfree/")).status_code == 403


async def test_api_token_auth_and_revocation(env: Env) -> None:
    await _settle()
    env.directory.tokens["sbt_abc"] = ("t9", "u-alice")
    auth = {"Authorization": "Bearer sbt_abc"}
    assert (await env.client.get("/api/tollfree/numbers", headers=auth)).status_code == 200
    del env.directory.tokens["sbt_abc"]
    await env.bus.publish("directory.changed", {"user_ids": ["u-alice"]})
    await _settle()
    r = await env.client.get("/api/tollfree/numbers", headers=auth)
    assert r.status_code == 401


async def test_tokens_only_on_api_and_element_tokens_refused(env: Env) -> None:
    env.directory.tokens["sbt_abc"] = ("t9", "u-alice")
    env.directory.tokens["sbe_elem"] = ("e1", "u-alice")
    assert (
        await env.client.get("/tollfree/", headers={"Authorization": "Bearer sbt_abc"})
    ).status_code == 303
    r = await env.client.get("/api/tollfree/numbers", headers={"Authorization": "Bearer sbe_elem"})
    assert r.status_code == 401
    assert "/internal/tokens/verify" not in env.directory.calls


async def test_disabled_user_session_ends(env: Env) -> None:
    await env.login()
    del env.directory.principals["u-alice"]
    await env.bus.publish("directory.changed", {"user_ids": None})
    await _settle()
    assert (await env.client.get("/tollfree/")).status_code == 303
    env.directory.principals["u-alice"] = principal("u-alice", "tollfree:view")
    assert (await env.client.get("/")).status_code == 303  # the session was ended, not just hidden


async def test_lifespan_started_dispatcher(env: Env) -> None:
    assert env.dispatcher.started == 1
