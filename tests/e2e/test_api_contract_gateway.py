"""The API contract through the real gateway: the merged `/api/openapi.json`, the per-resource
specs and the `/api/docs` page list exactly what the caller's entitlements allow."""

from __future__ import annotations

import functools
import importlib
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_support import Portal, run_cli
from spine_checks import Target, login

from dispatcher.registry import load_manifests
from resources.kit.openapi import Contract, public_path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def target(fresh_portal: Portal) -> Target:
    return Target(
        base_url=fresh_portal.base_url,
        certs_dir=fresh_portal.data_dir / "certs",
        cli=functools.partial(run_cli, fresh_portal.env),
    )


@pytest.fixture(scope="module")
def api(target: Target) -> Iterator[httpx.Client]:
    with target.client() as client:
        yield client


def bearer(target: Target, username: str) -> dict[str, str]:
    name = f"contract-{secrets.token_hex(3)}"
    token = target.cli("token", "create", "--user", username, "--name", name).strip().splitlines()[-1].strip()
    return {"Authorization": f"Bearer {token}"}


def contracts() -> list[Contract]:
    return [importlib.import_module(f"resources.{m}.openapi").CONTRACT for m in load_manifests()]


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item}


def expected_for(actions: set[str]) -> set[tuple[str, str]]:
    return {
        (op.method, public_path(c.manifest.name, op.path, plane="customer"))
        for c in contracts()
        for op in c.visible(plane="customer", holds=actions.__contains__)
    }


def held_actions(api: httpx.Client, headers: dict[str, str]) -> set[str]:
    me = api.get("/api/directory/me", headers=headers)
    assert me.status_code == 200, me.text[:300]
    return {e["action"] for e in me.json()["entitlements"]}


@pytest.mark.parametrize("username", ["admin", "alice@globex", "bob@globex", "rita@acme"])
def test_the_merged_spec_lists_exactly_the_callers_operations(
    target: Target, api: httpx.Client, username: str
) -> None:
    headers = bearer(target, username)
    actions = held_actions(api, headers)
    response = api.get("/api/openapi.json", headers=headers)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["cache-control"] == "private, no-store"
    spec = response.json()
    assert spec["openapi"] == "3.1.0"
    assert operations(spec) == expected_for(actions)
    held = {item["x-switchboard-action"] for p in spec["paths"].values() for item in p.values()}
    assert held <= actions


def test_a_scoped_user_sees_neither_admin_operations_nor_their_schemas(
    target: Target, api: httpx.Client
) -> None:
    headers = bearer(target, "bob@globex")
    merged = api.get("/api/openapi.json", headers=headers).json()
    assert ("POST", "/api/directory/users") not in operations(merged)
    assert ("GET", "/api/tollfree/numbers") in operations(merged)
    one = api.get("/api/tollfree/openapi.json", headers=headers)
    assert one.status_code == 200
    assert operations(one.json()) == {op for op in operations(merged) if op[1].startswith("/api/tollfree/")}
    assert (
        api.get("/api/traffic/openapi.json", headers={"Authorization": "Bearer sbt_nope"}).status_code == 401
    )


def test_no_credential_no_contract(api: httpx.Client) -> None:
    response = api.get("/api/openapi.json")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_docs_page_shows_the_callers_operations_under_the_strict_csp(target: Target) -> None:
    with target.client() as anonymous:
        away = anonymous.get("/api/docs")
        assert (away.status_code, away.headers["location"]) == (303, "/login?next=/api/docs")
    with login(target, "bob@globex") as bob:
        page = bob.get("/api/docs")
        assert page.status_code == 200, page.text[:300]
        csp = page.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp
        assert "'unsafe-eval'" not in csp
        assert 'id="tollfree_get_numbers"' in page.text
        assert 'id="directory_post_users"' not in page.text
        assert "<script>" not in page.text
        assert 'href="/api/tollfree/openapi.json" download' in page.text
