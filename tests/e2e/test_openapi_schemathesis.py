"""Schemathesis against the real portal: every operation a demo role may call (the spec that role
gets from `/api/<name>/openapi.json`), fuzzed with a fixed seed. Zero server errors, zero
responses that break the spec (status, content type, body schema)."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from e2e_support import Portal, run_cli
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi import from_dict
from spine_checks import Target

pytestmark = pytest.mark.e2e

ROLES = ["admin", "alice@globex", "bob@globex", "rita@acme"]
RESOURCES = ["callcenter", "directory", "events", "outbound", "tickets", "tollfree", "traffic"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 4
# Calls that would take away the credentials or the data the rest of the run stands on: the
# caller's own token (random ids only 404, but a fuzzer may find a real one) and the SSO switch
# that turns passwords off for the caller's organisation.
SKIP = {("DELETE", "/api/directory/me/tokens/{token_id}"), ("PUT", "/api/directory/sso")}


@pytest.fixture(scope="module")
def target(fresh_portal: Portal) -> Target:
    return Target(
        base_url=fresh_portal.base_url,
        certs_dir=fresh_portal.data_dir / "certs",
        cli=functools.partial(run_cli, fresh_portal.env),
    )


@pytest.fixture(scope="module")
def tokens(target: Target) -> dict[str, str]:
    out = {}
    for username in ROLES:
        text = target.cli("token", "create", "--user", username, "--name", f"fuzz-{secrets.token_hex(3)}")
        out[username] = text.strip().splitlines()[-1].strip()
    return out


@pytest.fixture(scope="module")
def session(target: Target) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.verify = str(target.certs_dir / "ca.pem")
        s.headers["Origin"] = target.base_url
        yield s


def fuzz(spec: dict[str, Any], *, base_url: str, session: requests.Session, token: str) -> list[str]:
    """Every distinct failure as `METHOD path: check: message`."""
    schema = from_dict(spec)
    failures: dict[str, None] = {}
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(
                base_url=base_url, session=session, headers=headers, timeout=20, verify=session.verify
            )
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected and reported together
                message = " ".join(str(exc).split())[:400]
                failures.setdefault(f"{case.method.upper()} {case.path}: {message}")

        run()
    return list(failures)


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_every_operation_keeps_its_contract(
    target: Target, tokens: dict[str, str], session: requests.Session, resource: str, username: str
) -> None:
    with target.client() as api:
        spec = api.get(
            f"/api/{resource}/openapi.json", headers={"Authorization": f"Bearer {tokens[username]}"}
        )
    if spec.status_code == 403:
        pytest.skip(f"{username} holds no {resource} action")  # the policy's answer, checked elsewhere
    assert spec.status_code == 200, spec.text[:300]
    assert spec.json()["paths"], f"{username} may read the {resource} contract but sees no operation"
    failures = fuzz(spec.json(), base_url=target.base_url, session=session, token=tokens[username])
    assert failures == []


def test_a_role_without_any_action_of_a_resource_gets_no_contract(
    target: Target, tokens: dict[str, str]
) -> None:
    with target.client() as api:
        answers = {
            (u, r): api.get(
                f"/api/{r}/openapi.json", headers={"Authorization": f"Bearer {tokens[u]}"}
            ).status_code
            for u in ROLES
            for r in RESOURCES
        }
    assert set(answers.values()) <= {200, 403}
    assert answers[("bob@globex", "tollfree")] == 200
