"""Enterprise sign-in against the real, certified `oidc-provider` (Node.js) and the real portal.

Globex (a customer) and the provider org register the same IdP with their own clients. The
tests run in file order on one portal: the passwords-off test comes last.
"""

from __future__ import annotations

from contextlib import closing

import pytest
from oidc_support import SECRETS, SESSION_COOKIE, SsoPortal, password_login, put_sso, sso_signin

from gateway.login import SSO_REQUIRED
from gateway.sso_login import SSO_ERROR, SSO_EXPIRED

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.xdist_group("oidc")]


def globex_config(sp: SsoPortal, **extra: object) -> dict[str, object]:
    return {
        "issuer": sp.idp.issuer,
        "client_id": "globex-portal",
        "client_secret": SECRETS["globex-portal"],
        "domains": ["globex.example"],
        "default_roles": ["customer-user"],
        "role_mapping": [{"claim": "groups", "value": "telecom-admins", "roles": ["customer-admin"]}],
        **extra,
    }


@pytest.fixture(scope="module")
def registered(sso_portal: SsoPortal) -> SsoPortal:
    """Globex and the provider org have registered the IdP (what the first test checks)."""
    for admin, body in configs(sso_portal):
        r = put_sso(sso_portal, admin, body)
        assert r.status_code == 200, r.text
    return sso_portal


def configs(sp: SsoPortal) -> list[tuple[str, dict[str, object]]]:
    provider = {
        "issuer": sp.idp.issuer, "client_id": "switchboard-portal",
        "client_secret": SECRETS["switchboard-portal"],
        "domains": ["switchboard.example"], "default_roles": ["customer-user"],
    }  # fmt: skip
    return [("alice@globex", globex_config(sp)), ("admin", provider)]


def me(flow_client: object) -> dict[str, object]:
    r = flow_client.get("/api/directory/me")  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text[:300]
    data: dict[str, object] = r.json()
    return data


def test_admins_register_their_idp(sso_portal: SsoPortal) -> None:
    r = put_sso(sso_portal, "alice@globex", globex_config(sso_portal))
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in ("org_id", "issuer", "client_id", "domains", "client_secret_set")} == {
        "org_id": "globex",
        "issuer": sso_portal.idp.issuer,
        "client_id": "globex-portal",
        "domains": ["globex.example"],
        "client_secret_set": True,
    }
    assert "client_secret" not in body
    r = put_sso(sso_portal, "admin", {
        "issuer": sso_portal.idp.issuer, "client_id": "switchboard-portal",
        "client_secret": SECRETS["switchboard-portal"], "domains": ["switchboard.example"],
        "default_roles": ["customer-user"],
    })  # fmt: skip
    assert r.status_code == 200, r.text


def test_first_signin_creates_the_user_in_the_org_with_mapped_roles(registered: SsoPortal) -> None:
    sso_portal = registered
    flow = sso_signin(sso_portal, "dana@globex.example")
    assert (flow.response.status_code, flow.response.headers.get("location")) == (303, "/"), (
        flow.response.text
    )
    assert SESSION_COOKIE in flow.client.cookies
    with closing(flow.client):
        who = me(flow.client)
    assert {k: who[k] for k in ("username", "display_name", "email", "org_id", "roles")} == {
        "username": "dana@globex.example",
        "display_name": "Dana Driver",
        "email": "dana@globex.example",
        "org_id": "globex",
        "roles": ["customer-admin", "customer-user"],
    }
    # second sign-in: the same user (linked by issuer and sub), nobody new
    again = sso_signin(sso_portal, "dana@globex.example")
    assert again.response.status_code == 303
    with closing(again.client):
        assert me(again.client)["id"] == who["id"]
    # a user without the mapped group gets the default roles only
    erin = sso_signin(sso_portal, "erin@globex.example")
    assert erin.response.status_code == 303
    with closing(erin.client):
        assert {k: me(erin.client)[k] for k in ("org_id", "roles")} == {
            "org_id": "globex",
            "roles": ["customer-user"],
        }


def test_a_replayed_state_is_refused(registered: SsoPortal) -> None:
    sso_portal = registered
    flow = sso_signin(sso_portal, "erin@globex.example")
    with closing(flow.client):
        assert flow.response.status_code == 303
        replay = flow.client.get(flow.callback)
    assert replay.status_code == 400
    assert SSO_EXPIRED in replay.text


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("forge", "OidcError: ID token signature: BadSignatureError"),
        ("audience", "OidcError: ID token aud 'someone-elses-client' does not contain 'globex-portal'"),
        ("nonce-missing", "OidcError: ID token nonce missing or not the one we sent"),
        ("nonce-wrong", "OidcError: ID token nonce missing or not the one we sent"),
    ],
    ids=["forge", "audience", "nonce-missing", "nonce-wrong"],
)
def test_a_tampered_id_token_is_refused(registered: SsoPortal, tamper: str, reason: str) -> None:
    sso_portal = registered
    flow = sso_signin(sso_portal, "dana@globex.example", tamper=tamper)
    flow.client.close()
    assert flow.response.status_code == 403
    assert f"sso: refused for globex: {reason}" in sso_portal.portal.log_tail(20)
    assert SSO_ERROR in flow.response.text
    assert SESSION_COOKIE not in flow.client.cookies


def test_an_org_idp_cannot_reach_another_org(registered: SsoPortal) -> None:
    sso_portal = registered
    # Globex's flow, but the IdP vouches for an address of the provider's domain: refused, and
    # nobody is created in either org.
    flow = sso_signin(sso_portal, "dana@globex.example", account="mallory@switchboard.example")
    assert flow.response.status_code == 403
    assert SESSION_COOKIE not in flow.client.cookies
    flow.client.close()
    client, _ = password_login(sso_portal, "admin")
    with closing(client):
        users = client.get("/api/directory/users", params={"q": "mallory"}).json()
    assert users["total"] == 0
    # the same account through the provider org's own flow is that org's user, not Globex's
    own = sso_signin(sso_portal, "mallory@switchboard.example")
    assert own.response.status_code == 303
    with closing(own.client):
        assert {k: me(own.client)[k] for k in ("org_id", "roles")} == {
            "org_id": "switchboard",
            "roles": ["customer-user"],
        }


def test_passwords_off_refuses_password_login_and_sso_works(registered: SsoPortal) -> None:
    sso_portal = registered
    config = globex_config(sso_portal, passwords_disabled=True)
    del config["client_secret"]  # kept
    assert put_sso(sso_portal, "alice@globex", config).status_code == 200
    client, done = password_login(sso_portal, "bob@globex")
    with closing(client):
        assert done.status_code == 200
        assert SESSION_COOKIE not in client.cookies
    assert "Your organisation signs in with its identity provider" in done.text
    assert SSO_REQUIRED.split(":")[0] in done.text
    # a wrong password still gets the generic message (nothing more is revealed)
    client, wrong = password_login(sso_portal, "bob@globex", "not-the-password")
    client.close()
    assert "Your organisation signs in" not in wrong.text
    # alice (a local user with that e-mail) signs in with the IdP and is linked
    flow = sso_signin(sso_portal, "alice@globex.example")
    assert flow.response.status_code == 303, flow.response.text[:500]
    with closing(flow.client):
        assert {k: me(flow.client)[k] for k in ("username", "org_id")} == {
            "username": "alice@globex",
            "org_id": "globex",
        }
    # other orgs keep their passwords
    client, done = password_login(sso_portal, "admin")
    client.close()
    assert done.status_code == 303
