"""Administration journeys in a real browser (Debian Chromium via Playwright) against the whole
portal (`portal` fixture of tests/e2e/conftest.py).

Order-independent: every test creates its own user through the UI (as carol@initech, a customer
admin no other test changes) instead of mutating demo users other tests rely on. Every page the
tests open must log no Content-Security-Policy violation. Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from browser_watch import BrowserWatch
from e2e_support import DEMO_PASSWORD
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.e2e


class Portal(Protocol):  # the `portal` fixture of tests/e2e/conftest.py
    def url(self, path: str, *, host: str = ...) -> str: ...


class Shots:
    def __init__(self, page: Page, root: Path, prefix: str) -> None:
        self.page, self.root, self.prefix, self.n = page, root, prefix, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.root / f"{self.prefix}-{self.n:02d}-{name}.png"), full_page=True)


ADMIN = "carol@initech"
ACME_HOST = "acme.localhost"  # Initech is Acme's customer: its users sign in on Acme's host
NEW_PASSWORD = "a-fresh-e2e-passphrase"


@pytest.fixture
def console() -> BrowserWatch:
    return BrowserWatch()


@pytest.fixture
def contexts(browser: Browser, console: BrowserWatch) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for ctx in made:
        ctx.close()
    assert console.problems == []


def new_page(browser: Browser, contexts: list[BrowserContext], console: BrowserWatch) -> Page:
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    console.watch(ctx)
    contexts.append(ctx)
    page = ctx.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    return page


def acme_url(portal: Portal, path: str) -> str:
    """Initech's users (carol and the users she adds) use their reseller's brand host."""
    return portal.url(path, host=ACME_HOST)


def sign_in(page: Page, portal: Portal, username: str, password: str = DEMO_PASSWORD) -> None:
    host = ACME_HOST if username == ADMIN or username.endswith("@initech") else "127.0.0.1"
    page.goto(portal.url("/login", host=host))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(portal.url("/", host=host))


def nav_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".site-nav__link").all_inner_texts()]


def add_user(
    page: Page, portal: Portal, *, roles: tuple[str, ...] = ("customer-user",)
) -> tuple[str, str, str]:
    """As an admin: add a user through the UI, give it `roles`; returns (username, id, password)."""
    username = f"e2e-{secrets.token_hex(4)}@initech"
    page.goto(acme_url(portal, "/directory/users/new"))
    page.fill("#field-username", username)
    page.fill("#field-display_name", "E2E Person")
    page.click("form[action='/directory/users'] button[type=submit]")
    expect(page.locator("#page-heading")).to_have_text(f"E2E Person ({username})")
    expect(page).to_have_url(re.compile(r"/directory/users/[^/]+$"))  # HX-Push-Url
    user_id = page.url.rsplit("/", 1)[1]
    temporary = page.locator("[data-temporary-password]").inner_text().strip()
    assert len(temporary) >= 12
    for role in roles:
        page.check(f"#role-{role}")
    page.click("form[action$='/entitlements'] button[type=submit]")
    expect(page.locator(".alert--success")).to_have_text("Roles and entitlements saved.")
    return username, user_id, temporary


def test_entitlement_change_applies_to_the_users_next_request(
    browser: Browser,
    contexts: list[BrowserContext],
    console: BrowserWatch,
    portal: Portal,
    artifacts_dir: Path,
) -> None:
    admin = new_page(browser, contexts, console)
    shot = Shots(admin, artifacts_dir, "grant")
    sign_in(admin, portal, ADMIN)
    username, user_id, password = add_user(admin, portal)
    shot("user-added")

    user = new_page(browser, contexts, console)
    sign_in(user, portal, username, password)
    assert nav_titles(user) == ["My account"]
    assert user.locator(".tile__title", has_text="Users").count() == 0

    admin.check("#action-directory-view-users")
    admin.click("form[action$='/entitlements'] button[type=submit]")
    expect(admin.locator(".alert--success")).to_have_text("Roles and entitlements saved.")
    expect(admin.locator("[data-effective]")).to_contain_text("directory:view-users")
    shot("granted")

    user.reload()
    assert nav_titles(user) == ["Users", "Roles", "My account"]  # directory:view-users shows both
    expect(user.locator(".tile__title", has_text="Users")).to_be_visible()
    user.click(".site-nav__link:text-is('Users')")
    expect(user.locator("#page-heading")).to_have_text("Users")
    expect(user.locator("table.table a", has_text=username)).to_be_visible()
    Shots(user, artifacts_dir, "grant-user")("users-visible")

    admin.goto(acme_url(portal, f"/directory/users/{user_id}"))
    admin.uncheck("#action-directory-view-users")
    admin.click("form[action$='/entitlements'] button[type=submit]")
    expect(admin.locator(".alert--success")).to_have_text("Roles and entitlements saved.")

    user.goto(acme_url(portal, "/"))
    assert nav_titles(user) == ["My account"]
    assert user.locator(".tile__title", has_text="Users").count() == 0
    response = user.goto(acme_url(portal, "/directory/users"))
    assert response is not None
    assert response.status == 403


def test_api_token_shown_once_works_and_revocation_applies(
    browser: Browser,
    contexts: list[BrowserContext],
    console: BrowserWatch,
    portal: Portal,
    artifacts_dir: Path,
) -> None:
    admin = new_page(browser, contexts, console)
    sign_in(admin, portal, ADMIN)
    username, _, password = add_user(admin, portal)

    page = new_page(browser, contexts, console)
    shot = Shots(page, artifacts_dir, "token")
    sign_in(page, portal, username, password)
    page.goto(acme_url(portal, "/directory/me"))
    page.fill("#field-name", "e2e script")
    page.click("form[action='/directory/me/tokens'] button[type=submit]")
    expect(page.locator(".alert--success")).to_have_text("Token created. Copy it now: it is shown only once.")
    token = page.locator("[data-new-token] code.secret").inner_text().strip()
    assert token.startswith("sbt_")
    row = page.locator("tbody tr", has_text="e2e script")
    expect(row).to_have_count(1)
    prefix = row.locator("td").nth(1).inner_text().rstrip("…")
    assert token.startswith(prefix)
    assert len(prefix) < len(token)
    shot("created")

    me = httpx.get(
        portal.url("/api/directory/me"),  # a Bearer API call: any host
        headers={"Authorization": f"Bearer {token}"},
        verify=False,  # noqa: S501
    )
    assert me.status_code == 200
    assert me.json()["username"] == username

    page.reload()  # shown once: not on the next page load
    assert token not in page.content()
    expect(page.locator("[data-new-token]")).to_have_count(0)
    expect(page.locator("tbody tr", has_text="e2e script").locator("td").nth(4)).not_to_have_text("Never")

    page.locator("tbody tr", has_text="e2e script").locator("button[type=submit]").click()
    expect(page.locator(".alert--success")).to_have_text("The token was revoked.")
    expect(page.locator("tbody tr", has_text="e2e script").locator(".badge")).to_have_text("Revoked")
    shot("revoked")

    gone = httpx.get(
        portal.url("/api/directory/me"),  # a Bearer API call: any host
        headers={"Authorization": f"Bearer {token}"},
        verify=False,  # noqa: S501
    )
    assert gone.status_code == 401


def test_sessions_page_revokes_the_other_session(
    browser: Browser,
    contexts: list[BrowserContext],
    console: BrowserWatch,
    portal: Portal,
    artifacts_dir: Path,
) -> None:
    admin = new_page(browser, contexts, console)
    sign_in(admin, portal, ADMIN)
    username, _, password = add_user(admin, portal)

    laptop = new_page(browser, contexts, console)
    phone = new_page(browser, contexts, console)
    sign_in(laptop, portal, username, password)
    sign_in(phone, portal, username, password)

    laptop.goto(acme_url(portal, "/account/sessions"))
    shot = Shots(laptop, artifacts_dir, "sessions")
    rows = laptop.locator("table.table tbody tr")
    expect(rows).to_have_count(2)
    expect(laptop.locator(".table__row--current")).to_have_count(1)
    expect(laptop.locator(".table__row--current .badge")).to_have_text("This session")
    shot("two")

    laptop.locator("tbody tr:not(.table__row--current) button[type=submit]").click()
    expect(laptop).to_have_url(acme_url(portal, "/account/sessions"))
    expect(rows).to_have_count(1)
    expect(laptop.locator("form[action='/account/sessions/revoke'] input[name=all_others]")).to_have_count(0)
    shot("one")

    phone.goto(acme_url(portal, "/directory/me"))
    expect(phone).to_have_url(re.compile(r"/login(\?|$)"))
    laptop.goto(acme_url(portal, "/directory/me"))
    expect(laptop.locator("#page-heading")).to_have_text("My account")


def test_forbidden_page_is_branded_and_helpful(
    browser: Browser,
    contexts: list[BrowserContext],
    console: BrowserWatch,
    portal: Portal,
    artifacts_dir: Path,
) -> None:
    page = new_page(browser, contexts, console)
    sign_in(page, portal, "bob@globex")
    response = page.goto(portal.url("/directory/users"))
    assert response is not None
    assert response.status == 403
    expect(page.locator(".brand__name")).to_have_text("Switchboard")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".error-page__status")).to_have_text("Error 403")
    expect(page.locator(".error-page h1 + p")).to_have_text(
        "Your account does not have access to this page. If you need it, ask your administrator to grant it."
    )
    expect(page.locator(".error-page a[href='/']")).to_have_text("Back to the start page")
    expect(page.locator(".error-page a[href^='mailto:']")).to_have_text("support@switchboard.example")
    expect(page.locator(".user-menu__summary")).to_contain_text("Bob User")  # still signed in, menu works
    assert nav_titles(page) == [
        "Toll-free numbers",
        "Routing templates",
        "Live traffic",
        "Traffic history",
        "Call records",
        "My account",
    ]
    Shots(page, artifacts_dir, "forbidden")("bob-users")

    missing = page.goto(portal.url("/directory/users/no-such-user"))
    assert missing is not None
    assert missing.status in (403, 404)


def test_account_pages_validate_inline_without_csp_errors(
    browser: Browser,
    contexts: list[BrowserContext],
    console: BrowserWatch,
    portal: Portal,
    artifacts_dir: Path,
) -> None:
    """The known CSP issue: htmx copied `style` attributes (left by screenshots, extensions or
    autofill) onto swapped elements. A journey of htmx swaps must now log no violation."""
    admin = new_page(browser, contexts, console)
    shot = Shots(admin, artifacts_dir, "forms")
    sign_in(admin, portal, ADMIN)
    admin.goto(acme_url(portal, "/directory/users/new"))
    shot("new-user")  # screenshots leave style="" on inputs: the swap below must not copy it
    admin.fill("#field-username", "Not Valid!")
    admin.fill("#field-phone", "123")
    admin.click("form[action='/directory/users'] button[type=submit]")
    expect(admin.locator("#field-username-error")).to_have_text(
        "Use 2 to 64 characters: lowercase letters, digits and . _ @ -"
    )
    expect(admin.locator("#field-phone-error")).to_have_text(
        "Enter the number in E.164 form, e.g. +441632960001."
    )
    expect(admin.locator("#field-username")).to_have_attribute("aria-invalid", "true")
    shot("new-user-invalid")
    username, _, password = add_user(admin, portal)

    page = new_page(browser, contexts, console)
    shot = Shots(page, artifacts_dir, "forms-user")
    sign_in(page, portal, username, password)
    page.goto(acme_url(portal, "/directory/me"))
    shot("me")
    page.fill("#field-current_password", "wrong password")
    page.fill("#field-new_password", "short")
    page.fill("#field-confirm_password", "short")
    page.click("form[action='/directory/me/password'] button[type=submit]")
    expect(page.locator("#field-current_password-error")).to_have_text("The current password is not correct.")
    expect(page.locator("#field-new_password-error")).to_have_text("Use at least 12 characters.")
    shot("password-invalid")
    page.fill("#field-current_password", password)
    page.fill("#field-new_password", NEW_PASSWORD)
    page.fill("#field-confirm_password", NEW_PASSWORD)
    page.click("form[action='/directory/me/password'] button[type=submit]")
    expect(page.locator(".alert--success")).to_have_text("Your password was changed.")
    page.click("form[action='/directory/me/mfa/enrol'] button[type=submit]")
    expect(page.locator("figure.qr svg")).to_be_visible()
    expect(page.locator("[data-totp-secret]")).to_have_text(re.compile(r"^[A-Z2-7 ]{16,}$"))
    shot("mfa-enrol")
    assert console.problems == []
