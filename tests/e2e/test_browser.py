"""A real browser (Debian's Chromium via Playwright) against the whole portal (`portal` fixture).

Screenshots of every step land in test-artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from e2e_support import DEMO_PASSWORD
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.e2e

STEP = 30


class Portal(Protocol):  # the `portal` fixture of tests/e2e/conftest.py
    def url(self, path: str, *, host: str = ...) -> str: ...


_B32 = re.compile(r"\b[A-Z2-7]{4}(?:[ -]?[A-Z2-7]{4}){3,}=*\b")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


class Shots:
    def __init__(self, page: Page, root: Path, prefix: str) -> None:
        self.page, self.root, self.prefix, self.n = page, root, prefix, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.root / f"{self.prefix}-{self.n:02d}-{name}.png"), full_page=True)


def sign_in(page: Page, portal: Portal, username: str, *, start: str = "/") -> None:
    page.goto(portal.url(start))
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


def sign_out(page: Page) -> None:
    page.click(".user-menu__summary")
    page.click("form[action='/logout'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))


def tile_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".tile__title").all_inner_texts()]


def totp_secret(page: Page) -> bytes:
    """The secret the enrolment page shows: [data-totp-secret], an otpauth:// URI, or the
    base32 text itself (grouped or not)."""
    marked = page.locator("[data-totp-secret]")
    if marked.count():
        raw = marked.first.get_attribute("data-totp-secret") or marked.first.inner_text()
    else:
        html = page.content()
        uri = re.search(r"otpauth://totp/[^\"'<>\s]+", html)
        if uri:
            raw = parse_qs(urlsplit(uri.group(0).replace("&amp;", "&")).query)["secret"][0]
        else:
            found = _B32.search(page.locator("main").inner_text())
            assert found, "no TOTP secret visible on the enrolment page"
            raw = found.group(0)
    cleaned = re.sub(r"[\s-]", "", raw).upper().rstrip("=")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def totp(secret: bytes, at: float) -> str:
    return TOTP(secret, 6, SHA1(), STEP, enforce_key_length=False).generate(int(at)).decode()  # noqa: S303


def wait_for_next_step(after_step: int) -> None:
    while int(time.time()) // STEP <= after_step:
        time.sleep(0.5)


def test_login_mfa_enrolment_and_second_factor(
    context: BrowserContext, portal: Portal, artifacts_dir: Path
) -> None:
    page = context.new_page()
    shot = Shots(page, artifacts_dir, "alice")

    page.goto(portal.url("/"))
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$|/login\?next=/$|/login$"))
    expect(page.locator(".brand__name")).to_have_text("Switchboard")
    expect(page.locator("meta[name=csrf-token]")).to_have_attribute("content", re.compile(r".{16,}"))
    shot("login")

    page.fill("#username", "alice@globex")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(portal.url("/"))
    expect(page.locator(".brand__name")).to_have_text("Switchboard")
    expect(page.locator(".tile__title", has_text="Users")).to_be_visible()
    assert "Users" in tile_titles(page)
    shot("dashboard")

    # My account → enrol two-factor authentication
    page.goto(portal.url("/directory/me"))
    expect(page.locator(".site-nav__link[aria-current=page]")).to_have_text("My account")
    shot("account")
    page.locator("form[action$='/mfa/enrol'] button[type=submit]").click()
    confirm = page.locator("form[action$='/mfa/confirm'], form[hx-post$='/mfa/confirm']").first
    expect(confirm).to_be_visible()
    secret = totp_secret(page)
    shot("mfa-enrol")
    now = time.time()
    confirm_step = int(now) // STEP
    confirm.locator("input[name=code]").fill(totp(secret, now))
    confirm.locator("[type=submit]").first.click()
    expect(page.locator("form[action$='/mfa/disable'], [hx-post$='/mfa/disable']").first).to_be_visible()
    shot("mfa-enabled")

    sign_out(page)
    shot("signed-out")

    # Second sign-in asks for the code
    sign_in(page, portal, "alice@globex")
    expect(page).to_have_url(re.compile(r"/login/mfa(\?|$)"))
    code_input = page.locator("input[name=code]")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    shot("mfa-prompt")
    wait_for_next_step(confirm_step)  # a code of an already used step is refused (replay)
    code_input.fill(totp(secret, time.time()))
    page.click("form[action='/login/mfa'] button[type=submit]")
    expect(page).to_have_url(portal.url("/"))
    expect(page.locator(".tile__title", has_text="Users")).to_be_visible()
    shot("dashboard-after-mfa")

    sign_out(page)
    page.goto(portal.url("/"))
    expect(page).to_have_url(re.compile(r"/login"))
    shot("signed-out-again")


def test_narrower_user_has_no_users_tile(
    context: BrowserContext, portal: Portal, artifacts_dir: Path
) -> None:
    page = context.new_page()
    shot = Shots(page, artifacts_dir, "bob")
    sign_in(page, portal, "bob@globex")
    expect(page).to_have_url(portal.url("/"))
    expect(page.locator(".user-menu__summary")).to_be_visible()
    titles = tile_titles(page)
    assert "Users" not in titles
    assert "My account" in titles
    assert page.locator(".site-nav__link", has_text="Users").count() == 0
    shot("dashboard")
    sign_out(page)


def test_acme_host_shows_acme_brand(context: BrowserContext, portal: Portal, artifacts_dir: Path) -> None:
    page = context.new_page()
    shot = Shots(page, artifacts_dir, "acme")
    page.goto(portal.url("/login", host="acme.localhost"))
    expect(page.locator(".brand__name")).to_have_text("Acme Telecom")
    expect(page.locator("h1")).to_have_text("Sign in to Acme Telecom")
    expect(page.locator("link[rel=stylesheet][href^='/brand/acme/brand.css?v=']")).to_have_count(1)
    primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary')")
    assert primary.strip() == "#6b1d4f"
    shot("login")
