"""The real portal (`switchboard serve`, tests/e2e/e2e_support.py) and the real, certified
`oidc-provider` (Node.js, pinned by package-lock.json, `npm ci` into a cache directory keyed by
the lock's hash) on a 127.0.0.1 high port, stopped by pid at the end of the module."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from e2e_support import DEMO_PASSWORD, Portal, free_port, launch_portal

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "__Host-sb_session"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CONTINUE = re.compile(r'id="sso-continue" href="([^"]+)"')
SECRETS = {"globex-portal": "globex-secret-0123456789", "switchboard-portal": "provider-secret-0123456789"}
ACCOUNTS = {  # account id (= the e-mail typed, sent as login_hint) -> claims
    "dana@globex.example": {"email": "dana@globex.example", "email_verified": True, "name": "Dana Driver",
                            "groups": ["telecom-admins"]},
    "erin@globex.example": {"email": "erin@globex.example", "email_verified": True, "name": "Erin Ex",
                            "groups": []},
    "alice@globex.example": {"email": "alice@globex.example", "email_verified": True, "name": "Alice A"},
    "mallory@switchboard.example": {"email": "mallory@switchboard.example", "email_verified": True,
                                    "name": "Mallory", "groups": ["telecom-admins"]},
}  # fmt: skip


def node_modules() -> Path:
    """`npm ci` once per lock into a cache directory; returns the directory holding node_modules."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the OpenID provider (make system-deps installs them)")
    lock = (HERE / "package-lock.json").read_bytes()
    cache = Path(tempfile.gettempdir()) / f"switchboard-oidc-{hashlib.sha256(lock).hexdigest()[:12]}"
    if not (cache / "node_modules" / "oidc-provider" / "package.json").is_file():
        work = Path(tempfile.mkdtemp(prefix="switchboard-oidc-npm-"))
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, work / name)
        done = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work,
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"npm ci failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        try:
            work.rename(cache)
        except OSError:  # another run made it meanwhile
            shutil.rmtree(work, ignore_errors=True)
    return cache


@dataclass
class Idp:
    issuer: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.issuer + path, timeout=10)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@dataclass
class SsoPortal:
    portal: Portal
    idp: Idp

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.portal.base_url,
            verify=ssl.create_default_context(cafile=str(self.portal.data_dir / "certs" / "ca.pem")),
            headers={"Origin": self.portal.base_url}, timeout=15, follow_redirects=False,
        )  # fmt: skip


def start_idp(tmp: Path, *, redirect_uri: str) -> Idp:
    modules = node_modules()
    script = modules / f"provider-{hashlib.sha256((HERE / 'provider.js').read_bytes()).hexdigest()[:12]}.js"
    if not script.is_file():
        shutil.copy(HERE / "provider.js", script)  # next to node_modules: ESM resolves imports there
    port = free_port()
    config = {
        "port": port,
        "clients": [
            {"client_id": cid, "client_secret": secret, "redirect_uris": [redirect_uri]}
            for cid, secret in SECRETS.items()
        ],
        "accounts": ACCOUNTS,
    }
    (tmp / "idp.json").write_text(json.dumps(config))
    log_path = tmp / "idp.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["node", str(script), str(tmp / "idp.json")], stdout=log, stderr=subprocess.STDOUT
        )
    idp = Idp(issuer=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path)
    deadline = time.monotonic() + 30
    while "READY" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_idp(idp)
            pytest.fail(f"oidc-provider did not start:\n{idp.log_tail()}")
        time.sleep(0.1)
    return idp


def stop_idp(idp: Idp) -> None:
    if idp.proc.poll() is None:
        os.kill(idp.proc.pid, signal.SIGTERM)
        try:
            idp.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(idp.proc.pid, signal.SIGKILL)
            idp.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def sso_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoPortal]:
    with launch_portal(tmp_path_factory.mktemp("sso-portal")) as portal:
        idp = start_idp(tmp_path_factory.mktemp("idp"), redirect_uri=portal.url("/login/sso/callback"))
        try:
            yield SsoPortal(portal=portal, idp=idp)
        finally:
            stop_idp(idp)


@pytest.fixture(scope="module")
def idp(sso_portal: SsoPortal) -> Idp:
    return sso_portal.idp


def password_login(
    sp: SsoPortal, username: str, password: str = DEMO_PASSWORD
) -> tuple[httpx.Client, httpx.Response]:
    client = sp.client()
    form = client.get("/login")
    token = _FORM_TOKEN.search(form.text)
    assert token is not None
    done = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )
    return client, done


def csrf(client: httpx.Client) -> str:
    match = _META_TOKEN.search(client.get("/").text)
    assert match is not None
    return match.group(1)


def put_sso(sp: SsoPortal, admin: str, body: dict[str, object]) -> httpx.Response:
    client, done = password_login(sp, admin)
    assert done.status_code == 303, done.text[:300]
    with closing(client):
        return client.put("/api/directory/sso", json=body, headers={"X-CSRF-Token": csrf(client)})


@dataclass
class Flow:
    client: httpx.Client  # the browser at the portal (its cookies)
    callback: str  # the callback URL the IdP sent the browser to
    response: httpx.Response  # the portal's answer to it


def sso_signin(sp: SsoPortal, email: str, *, account: str | None = None, tamper: str | None = None) -> Flow:
    """Type `email` into the login page's SSO form and follow the browser's way through the IdP
    (which signs in `account`, by default the e-mail sent as login_hint) back to the callback."""
    client = sp.client()
    try:
        return _follow(sp, client, email, account=account, tamper=tamper)
    except BaseException:
        client.close()
        raise


def _follow(
    sp: SsoPortal, client: httpx.Client, email: str, *, account: str | None, tamper: str | None
) -> Flow:
    form = client.get("/login")
    token = _FORM_TOKEN.search(form.text)
    assert token is not None
    page = client.post("/login/sso", data={"email": email, "csrf_token": token.group(1)})
    assert page.status_code == 200, page.text[:500]
    found = _CONTINUE.search(page.text)
    assert found is not None, page.text[:2000]
    url = html.unescape(found.group(1))
    assert url.startswith(sp.idp.issuer + "/auth?"), url
    if account is not None:
        sp.idp.get(f"/__test/next-account?id={account}")
    if tamper is not None:
        sp.idp.get(f"/__test/tamper?mode={tamper}")
    with httpx.Client(timeout=10, follow_redirects=False) as browser_at_idp:
        for _ in range(10):
            r = browser_at_idp.get(url)
            assert r.status_code in (302, 303), (r.status_code, r.text[:500], sp.idp.log_tail())
            url = urljoin(url, r.headers["location"])
            if url.startswith(sp.portal.base_url):
                break
        else:
            pytest.fail("the IdP never sent the browser back")
    callback = url.removeprefix(sp.portal.base_url)
    return Flow(client=client, callback=callback, response=client.get(callback))
