"""The portal's end-to-end spine checks, written once: run against one process and split mode.

Plain httpx against the gateway's customer port, as a browser would: the login form's
`csrf_token` with the `__Host-sb_pre` cookie, an `Origin` header on every request, the session's
CSRF token (from the page's `<meta name="csrf-token">`) on state-changing requests.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk
from resources.kit.caller import Entitlement, Principal

PASSWORD = "switchboard-demo"
SESSION_COOKIE = "__Host-sb_session"
PRE_COOKIE = "__Host-sb_pre"
GLOBEX = ["alice@globex", "bob@globex"]
INITECH = ["carol@initech"]
DIRECTORY_ACTIONS = (
    "directory:self",
    "directory:view-users",
    "directory:manage-users",
    "directory:manage-entitlements",
    "directory:view-audit",
)

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class Target:
    base_url: str  # https://127.0.0.1:<gateway port>
    certs_dir: Path  # <data>/certs: the dev CA that signed the gateway's certificate
    cli: Callable[..., str]  # runs `switchboard ARGS` with the portal's environment, returns stdout

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certs_dir / "ca.pem"))

    def client(self, host: str | None = None) -> httpx.Client:
        """`host`: the name the browser would use (e.g. `acme.localhost`: the reseller brand's
        host); the connection still goes to `base_url`."""
        headers = {"Origin": self.base_url}
        if host is not None:
            port = httpx.URL(self.base_url).port
            headers = {"Host": f"{host}:{port}", "Origin": f"https://{host}:{port}"}
        return httpx.Client(
            base_url=self.base_url,
            verify=self.tls(),
            headers=headers,
            timeout=15,
            follow_redirects=False,
        )


@contextmanager
def login(target: Target, username: str, host: str | None = None) -> Iterator[httpx.Client]:
    """A client holding `username`'s session (fails the test if the login flow breaks); users of
    a reseller's customer sign in on the reseller brand's `host`."""
    with target.client(host) as client:
        form = client.get("/login")
        assert form.status_code == 200, form.text[:500]
        assert PRE_COOKIE in client.cookies
        match = _FORM_TOKEN.search(form.text)
        assert match is not None, "no csrf_token field on /login"
        done = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)}
        )
        assert (done.status_code, done.headers.get("location")) == (303, "/"), done.text[:500]
        assert SESSION_COOKIE in client.cookies
        yield client


def csrf_token(client: httpx.Client) -> str:
    page = client.get("/")
    assert page.status_code == 200
    match = _META_TOKEN.search(page.text)
    assert match is not None, "no csrf-token meta on the dashboard"
    return match.group(1)


def usernames(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text[:500]
    return sorted(u["username"] for u in response.json()["items"])


def forged_assertion(certs_dir: Path) -> str:
    """An assertion naming a provider admin with every directory action, signed by a key that
    is not the dispatcher's (but claiming the dispatcher's key id)."""
    jwk = new_signing_jwk()
    jwk["kid"] = SigningKeys.load(certs_dir).kid
    admin = Principal(
        user_id="forged-admin",
        username="admin",
        display_name="Forged Admin",
        kind="user",
        org_id="provider",
        customer_id=None,
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in DIRECTORY_ACTIONS),
    )
    signer = AssertionSigner(SigningKeys.from_jwks(jwk))
    return signer.mint(
        audience="directory", principal=admin, plane="customer", session_ref=None, request_id=None
    )


def check_health(target: Target) -> None:
    with target.client() as c:
        r = c.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["resources"]["directory"]["status"] == "ok"


def check_anonymous(target: Target) -> None:
    with target.client() as c:
        r = c.get("/")
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=/")
        assert c.get("/api/directory/users").status_code == 401


def check_tenancy(target: Target) -> None:
    with login(target, "alice@globex") as alice:
        dashboard = alice.get("/")
        assert dashboard.status_code == 200
        assert "Users" in dashboard.text
        assert usernames(alice.get("/api/directory/users")) == GLOBEX
        # a forged assertion from the client is dropped: alice still sees Globex only
        forged = alice.get(
            "/api/directory/users", headers={"X-Switchboard-Assertion": forged_assertion(target.certs_dir)}
        )
        assert usernames(forged) == GLOBEX
    with login(target, "carol@initech", host="acme.localhost") as carol:
        assert usernames(carol.get("/api/directory/users")) == INITECH
    with login(target, "bob@globex") as bob:
        assert bob.get("/api/directory/users").status_code == 403
        forged = bob.get(
            "/api/directory/users", headers={"X-Switchboard-Assertion": forged_assertion(target.certs_dir)}
        )
        assert forged.status_code == 403


def check_api_token(target: Target, *, name: str) -> None:
    text = target.cli("token", "create", "--user", "alice@globex", "--name", name).strip()
    token = text.splitlines()[-1].strip()
    bearer = {"Authorization": f"Bearer {token}"}
    with target.client() as api, login(target, "alice@globex") as alice:
        assert usernames(api.get("/api/directory/users", headers=bearer)) == GLOBEX
        mine = alice.get("/api/directory/me/tokens")
        assert mine.status_code == 200
        ids = [t["id"] for t in mine.json()["items"] if t["name"] == name and t["revoked_at"] is None]
        assert len(ids) == 1, mine.json()
        gone = alice.delete(f"/api/directory/me/tokens/{ids[0]}", headers={"X-CSRF-Token": csrf_token(alice)})
        assert gone.status_code == 204, gone.text[:500]
        assert api.get("/api/directory/users", headers=bearer).status_code == 401


def check_logout(target: Target) -> None:
    with login(target, "alice@globex") as alice:
        old = alice.cookies[SESSION_COOKIE]
        out = alice.post("/logout", data={"csrf_token": csrf_token(alice)})
        assert (out.status_code, out.headers["location"]) == (303, "/login")
    with target.client() as replay:
        replay.cookies.set(SESSION_COOKIE, old)
        r = replay.get("/")
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=/")
        assert replay.get("/api/directory/users").status_code == 401


def run_spine_checks(target: Target, *, token_name: str) -> None:
    """Every spine check; `token_name` names the API token this run creates (unique per run)."""
    check_health(target)
    check_anonymous(target)
    check_tenancy(target)
    check_api_token(target, name=token_name)
    check_logout(target)
