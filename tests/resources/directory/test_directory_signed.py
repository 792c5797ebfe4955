"""The directory behind the real assertion chain: dispatcher signer → JWKS file → kit middleware."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from directory_fixtures import Env

from resources.directory import authn
from resources.directory.app import create_app

dispatcher_assertion = pytest.importorskip("dispatcher.assertion")


async def test_signed_assertions_reach_the_directory(env: Env, tmp_path: Path) -> None:
    keys = dispatcher_assertion.SigningKeys.from_jwks(dispatcher_assertion.new_signing_jwk())
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(dispatcher_assertion.public_jwks(keys)))
    signer = dispatcher_assertion.AssertionSigner(keys)
    app = create_app(env.ctx.settings, context=env.ctx)  # real verifier from settings.jwks_path
    assert env.ctx.settings.jwks_path == jwks
    async with env.tx(write=False) as tx:
        alice = await authn.resolve_principal(tx=tx, user_id=env.ids["alice@globex"])
    assert alice is not None

    def header(plane: str) -> dict[str, str]:
        token = signer.mint(
            audience="directory", principal=alice, plane=plane, session_ref="s1", request_id="r1"
        )
        return {"X-Switchboard-Assertion": token}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as client:
        r = await client.get("/api/users", headers=header("customer"))
        assert [u["username"] for u in r.json()["items"]] == ["alice@globex", "bob@globex"]
        r = await client.get("/users", headers=header("customer"))
        assert r.status_code == 200
        assert "bob@globex" in r.text
        assert (await client.get("/api/users")).status_code == 401
        assert (
            await client.get("/api/users", headers={"X-Switchboard-Assertion": "x.y.z"})
        ).status_code == 401
        assert (
            await client.post("/internal/authenticate", json={}, headers=header("customer"))
        ).status_code == 403
        assert (await client.get("/healthz")).json() == {"status": "ok"}
