"""The toll-free plan editor in a real browser (Debian Chromium via Playwright) against the whole
portal with its demo data (`fresh_portal`: this module changes +18005550101's plan and needs
alice@globex without the second factor other browser tests give her).

alice opens her support number, creates a draft, builds a time-of-day plan in the tree editor
(08:00-17:00 → site east, OTHER → site west) through its dialogs, mostly with the keyboard,
simulates calls at 10:00 and 20:00, activates the draft now and sees it ACTIVE. No page may log a
Content-Security-Policy violation. Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from browser_watch import BrowserWatch
from e2e_support import DEMO_PASSWORD
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.e2e

NUMBER = "+18005550101"


class Portal(Protocol):  # the `fresh_portal` fixture of tests/e2e/e2e_support.py
    def url(self, path: str, *, host: str = ...) -> str: ...


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, BrowserWatch]]:
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    watch = BrowserWatch()
    watch.watch(ctx)
    page = ctx.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    try:
        yield page, watch
    finally:
        ctx.close()
    assert watch.problems == []


def by_id(page: Page, element_id: str) -> Locator:
    return page.locator(f'[id="{element_id}"]')  # node ids contain dots


def open_dialog(page: Page, button_id: str) -> Locator:
    by_id(page, button_id).click()
    dialog = page.locator("dialog[data-tf-dialog][open]")
    expect(dialog).to_be_visible()
    return dialog


def save_with_keyboard(page: Page) -> None:
    """From the field that has the focus: Tab to the dialog's Save button and press Enter."""
    page.keyboard.press("Tab")
    expect(page.locator("[data-dialog-save]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("dialog[data-tf-dialog][open]")).to_have_count(0)


def set_type(page: Page, node: str, node_type: str) -> None:
    open_dialog(page, f"btn-set-type-{node}")
    expect(page.locator("#field-type")).to_be_focused()  # the modal dialog took the focus
    page.select_option("#field-type", node_type)
    save_with_keyboard(page)
    expect(page.locator(f'[id="node-{node}"] > .tf-node__head [data-type="{node_type}"]')).to_be_visible()


def set_site(page: Page, node: str, site: str) -> None:
    open_dialog(page, f"btn-set-action-{node}")
    expect(page.locator("#field-dest_site")).to_be_focused()
    page.select_option("#field-dest_site", site)
    page.locator("[data-dialog-save]").click()
    expect(page.locator(f'[id="node-{node}"] [data-dest]')).to_have_text(f"site {site}")


def simulate(page: Page, clock: str) -> Locator:
    page.fill("#sim-date", "2026-03-03")
    page.fill("#sim-time", clock)
    page.click("#sim-submit")
    result = page.locator("#tf-sim-result [data-sim-outcome]")
    expect(page.locator("#tf-sim-result")).to_contain_text(f"2026-03-03 {clock}")
    return result


def test_alice_builds_and_activates_a_time_of_day_plan(
    page: tuple[Page, BrowserWatch], fresh_portal: Portal, artifacts_dir: Path
) -> None:
    p, _ = page
    n = 0

    def shot(name: str) -> None:
        nonlocal n
        n += 1
        p.screenshot(path=str(artifacts_dir / f"tollfree-{n:02d}-{name}.png"), full_page=True)

    p.goto(fresh_portal.url("/login"))
    p.fill("#username", "alice@globex")
    p.fill("#password", DEMO_PASSWORD)
    p.click("form[action='/login'] button[type=submit]")
    expect(p).to_have_url(fresh_portal.url("/"))

    p.goto(fresh_portal.url("/tollfree/numbers"))
    expect(p.locator("[data-tfn]")).to_have_count(3)
    shot("numbers")
    p.click(f"a[href='/tollfree/numbers/{NUMBER}']")
    expect(p.locator("#page-heading")).to_contain_text(NUMBER)
    expect(p.locator('[data-version-row="1"]')).to_have_attribute("data-state", "ACTIVE")
    shot("number")

    p.click("#new-draft")
    expect(p).to_have_url(fresh_portal.url(f"/tollfree/numbers/{NUMBER}/versions/2"))
    expect(p.locator("[data-state]").first).to_contain_text("Draft")

    set_type(p, "M", "tod")
    expect(p.locator("[data-issue-count]")).to_have_attribute("data-issue-count", "3")
    expect(p.locator("#activate-button")).to_be_disabled()
    expect(p.locator("#activate-reason")).to_be_visible()
    shot("empty-time-of-day")

    open_dialog(p, "btn-set-branch-M-0")
    expect(p.locator("#field-values")).to_be_focused()
    p.keyboard.type("08:00-17:00")
    save_with_keyboard(p)
    expect(p.locator('[id="node-M"] [data-values]').first).to_have_text("08:00-17:00")
    expect(by_id(p, "btn-set-branch-M-0")).to_be_focused()  # focus returns to the edited branch

    set_type(p, "M.0", "tel")
    set_site(p, "M.0", "east")
    set_type(p, "M.o", "tel")
    shot("dialog-before-west")
    set_site(p, "M.o", "west")
    expect(p.locator("[data-issue-count]")).to_have_attribute("data-issue-count", "0")
    expect(p.locator("#activate-button")).to_be_enabled()
    expect(p.locator("[data-diff]")).to_contain_text("08:00-17:00")
    shot("plan-built")

    expect(simulate(p, "10:00")).to_have_text("routed to site east")
    expect(p.locator("[data-sim-path]")).to_contain_text("M Time of day → 08:00-17:00")
    shot("simulate-10")
    expect(simulate(p, "20:00")).to_have_text("routed to site west")
    expect(p.locator("[data-sim-path]")).to_contain_text("M Time of day → OTHER")
    shot("simulate-20")

    expect(p.locator("#when-now")).to_be_checked()
    p.click("#activate-button")
    expect(p.locator("[data-notice]")).to_have_text("Version 2 is active.")
    expect(p).to_have_url(fresh_portal.url(f"/tollfree/numbers/{NUMBER}"))  # HX-Push-Url
    expect(p.locator('[data-version-row="2"]')).to_have_attribute("data-state", "ACTIVE")
    expect(p.locator('[data-version-row="1"]')).to_have_attribute("data-state", "OLD")
    shot("activated")

    p.reload()  # the page as anyone opening it now sees it
    expect(p.locator("#active-heading")).to_have_text("Active plan: version 2")
    expect(p.locator('[id="node-M.0"] [data-dest]')).to_have_text("site east")
    expect(simulate(p, "10:00")).to_have_text("routed to site east")  # the active plan
