"""The live traffic monitor in a real browser (Debian Chromium via Playwright) against the whole
portal: `switchboard serve` with its demo data and the built-in switch simulator.

The simulator runs at a flat 2 calls/s, on +18005550100 only (SWITCHBOARD_SIMULATOR_NUMBERS), so
Globex's other line +18005550101 carries exactly the calls this test posts to the network plane
with an element token (`switchboard element add e2e-switch --action traffic:ingest`).

alice@globex opens /traffic/live: the indicator says "live"; watching +18005550101 she sees the
tiles add up exactly the posted calls (and follow one more); watching all her numbers she sees
the simulator's calls make the chart grow. History and call records (no JavaScript needed) show
the same calls. No page may log a Content-Security-Policy violation. Screenshots land in
test-artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_watch import BrowserWatch
from e2e_support import (
    DEMO_PASSWORD,
    REPO,
    Portal,
    free_port,
    portal_env,
    run_cli,
    start_server,
    stop,
    wait_healthy,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

POSTED = "+18005550101"  # the test's calls only
SIMULATED = "+18005550100"  # the simulator's


class Running:
    """The portal's `switchboard serve` process, restartable (same ports, same data)."""

    def __init__(self, info: Portal, token: str) -> None:
        self.info, self.token = info, token
        self.proc = start_server(info.env, info.log_path, "serve")
        wait_healthy(info.url("/healthz"), self.proc, info)

    def stop(self) -> None:
        stop(self.proc)

    def start(self) -> None:
        self.proc = start_server(self.info.env, self.info.log_path, "serve")
        wait_healthy(self.info.url("/healthz"), self.proc, self.info)


@pytest.fixture(scope="module")
def traffic_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A fresh portal with the simulator on one number, and an element token for traffic:ingest."""
    if not (REPO / "gateway" / "cli.py").is_file():
        pytest.skip("gateway/cli.py does not exist yet")
    data = tmp_path_factory.mktemp("traffic-portal")
    port, network_port = free_port(), free_port()
    env = portal_env(data, port=port, network_port=network_port)
    env.update(
        {
            "SWITCHBOARD_SIMULATOR_RATE": "2",
            "SWITCHBOARD_SIMULATOR_PROFILE": "flat",
            "SWITCHBOARD_SIMULATOR_NUMBERS": SIMULATED,
            "SWITCHBOARD_SIMULATOR_SEED": "7",
        }
    )
    info = Portal(
        base_url=f"https://127.0.0.1:{port}",
        port=port,
        network_port=network_port,
        data_dir=data,
        log_path=data / "serve.log",
        env=env,
    )
    run_cli(env, "certs")
    run_cli(env, "migrate")
    run_cli(env, "demo", "--load-only")
    token = (
        run_cli(env, "element", "add", "e2e-switch", "--action", "traffic:ingest").strip().splitlines()[-1]
    )
    running = Running(info, token)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, BrowserWatch]]:
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 1000})
    ctx.set_default_timeout(20_000)
    watch = BrowserWatch()
    watch.watch(ctx)
    page = ctx.new_page()
    try:
        yield page, watch
    finally:
        ctx.close()
    assert watch.problems == []


def post_events(portal: Portal, token: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    r = httpx.post(
        f"https://127.0.0.1:{portal.network_port}/traffic/events",
        json=records,
        headers={"Authorization": f"Bearer {token}"},
        verify=False,  # noqa: S501 - the dev CA
        timeout=15,
    )
    assert r.status_code == 200, r.text[:500]
    return dict(r.json())


def calls_at(now: int) -> list[dict[str, Any]]:
    """Five calls to POSTED within the last half minute: three answered (20 s talk, 5 s to
    answer), one busy, one blocked by the plan."""
    out: list[dict[str, Any]] = []
    for i in (1, 2, 3):
        cid = f"e2e-answered-{i}@test"
        out += [
            {"type": "routed", "callid": cid, "ts": now - 30, "dnis": POSTED, "ani": "+13125550100",
             "dest": "site:east"},
            {"type": "answered", "callid": cid, "ts": now - 25, "dnis": POSTED},
            {"type": "ended", "callid": cid, "ts": now - 5, "dnis": POSTED, "start": now - 30,
             "answer": now - 25, "end": now - 5, "sip_code": 200},
        ]  # fmt: skip
    out += [
        {"type": "routed", "callid": "e2e-busy@test", "ts": now - 20, "dnis": POSTED, "dest": "site:west"},
        {"type": "failed", "callid": "e2e-busy@test", "ts": now - 18, "dnis": POSTED, "start": now - 20,
         "end": now - 18, "sip_code": 486},
        {"type": "failed", "callid": "e2e-blocked@test", "ts": now - 10, "dnis": POSTED, "start": now - 10,
         "end": now - 10, "block": "plan"},
    ]  # fmt: skip
    return out


def tile(p: Page, name: str) -> Any:
    return p.locator(f'[data-tile="{name}"]')


def offered_total(p: Page) -> int:
    return int(p.locator("#traffic-chart-rates").get_attribute("data-offered-total") or "0")


def test_alice_watches_live_traffic(
    page: tuple[Page, BrowserWatch], traffic_portal: Running, artifacts_dir: Path
) -> None:
    p, _ = page
    portal, token = traffic_portal.info, traffic_portal.token
    n = 0

    def shot(name: str) -> None:
        nonlocal n
        n += 1
        p.screenshot(path=str(artifacts_dir / f"traffic-{n:02d}-{name}.png"), full_page=True)

    p.goto(portal.url("/login"))
    p.fill("#username", "alice@globex")
    p.fill("#password", DEMO_PASSWORD)
    p.click("form[action='/login'] button[type=submit]")
    expect(p).to_have_url(portal.url("/"))

    # the number only this test calls: nothing yet
    p.goto(portal.url(f"/traffic/live?select=number:{POSTED}"))
    status = p.locator("#traffic-status")
    expect(status).to_have_text("live")
    expect(status).to_have_attribute("data-state", "live")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(p.locator("#traffic-select")).to_have_value(f"number:{POSTED}")
    options = p.locator("#traffic-select option")
    # all, her three numbers, her two outbound lines (Bob's, the lobby's), sites east and west
    expect(options).to_have_count(8)
    expect(p.locator("#traffic-select option[value='number:+13125550142']")).to_have_count(1)
    expect(p.locator("#traffic-select option[value='number:+13125550190']")).to_have_count(1)
    expect(tile(p, "offered")).to_have_text("0")
    expect(p.locator("#traffic-chart-rates .uplot canvas")).to_have_count(1)

    now = int(time.time())
    answer = post_events(portal, token, calls_at(now))
    assert answer == {"accepted": 12, "duplicates": 0, "rejected": []}
    expect(tile(p, "offered")).to_have_text("5")
    expect(tile(p, "answered")).to_have_text("3")
    expect(tile(p, "asr")).to_have_text("60.0 %")
    expect(tile(p, "ner")).to_have_text("100.0 %")  # answered + busy + blocked
    expect(tile(p, "acd")).to_have_text("20.0 s")
    expect(tile(p, "tta")).to_have_text("5.0 s")
    expect(tile(p, "concurrent")).to_have_text("0")
    expect(tile(p, "peak")).to_have_text("4")  # three answered calls and the busy one overlap
    expect(p.locator("#traffic-chart-rates")).to_have_attribute("data-offered-total", "5")
    rows = p.locator("#traffic-recent tr[data-call]")
    expect(rows).to_have_count(5)
    expect(p.locator('#traffic-recent tr[data-call="e2e-busy@test"] [data-disposition]')).to_have_text("Busy")
    expect(p.locator('#traffic-recent tr[data-call="e2e-blocked@test"] [data-disposition]')).to_have_text(
        "Blocked"
    )
    shot("posted")

    # a duplicate report changes nothing; one more call is followed live
    again = post_events(portal, token, calls_at(now)[:1])
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}
    post_events(portal, token, [{"type": "routed", "callid": "e2e-open@test", "ts": now, "dnis": POSTED}])
    expect(tile(p, "offered")).to_have_text("6")
    expect(tile(p, "concurrent")).to_have_text("1")
    expect(p.locator('#traffic-recent tr[data-call="e2e-open@test"] [data-disposition]')).to_have_text(
        "In progress"
    )
    expect(rows).to_have_count(6)

    # all her numbers: the simulator's calls on +18005550100 keep the chart growing
    p.select_option("#traffic-select", "all")
    expect(p).to_have_url(portal.url("/traffic/live?select=all"))
    expect(status).to_have_text("live")
    p.wait_for_function(
        "() => +document.getElementById('traffic-chart-rates').getAttribute('data-offered-total') > 6",
        timeout=30_000,
    )
    first = offered_total(p)
    p.wait_for_function(
        f"() => +document.getElementById('traffic-chart-rates').getAttribute('data-offered-total') > {first}",
        timeout=30_000,
    )
    assert offered_total(p) > first > 6
    expect(p.locator(f'#traffic-recent tr[data-call] >> text="{SIMULATED}"').first).to_be_visible()
    shot("simulator")

    # the same calls without JavaScript: history and call records
    span = {"from": datetime.fromtimestamp(now - 3600, UTC), "to": datetime.fromtimestamp(now + 3600, UTC)}
    query = "&".join(f"{k}={v:%Y-%m-%dT%H:%M}" for k, v in span.items())
    p.goto(portal.url(f"/traffic/history?select=number:{POSTED.replace('+', '%2B')}&{query}"))
    expect(p.locator("#field-select")).to_have_value(f"number:{POSTED}")
    expect(p.locator('[data-total="offered"]')).to_have_text("6")
    expect(p.locator('[data-total="answered"]')).to_have_text("3")
    expect(p.locator('[data-total="blocked"]')).to_have_text("1")
    expect(p.locator("#traffic-chart-history .uplot canvas")).to_have_count(1)
    shot("history")
    p.goto(portal.url(f"/traffic/calls?number={POSTED.replace('+', '%2B')}"))
    expect(p.locator("tr[data-call]")).to_have_count(6)
    expect(p.locator('tr[data-call="e2e-blocked@test"] [data-disposition]')).to_have_text("Blocked")
    p.locator('tr[data-call="e2e-answered-1@test"] a').click()
    expect(p.locator("#page-heading")).to_have_text("Call e2e-answered-1@test")
    expect(p.locator("[data-disposition]")).to_have_text("Answered")
    shot("call")

    # the portal restarts: the monitor says so, reconnects by itself and the restarted process
    # has rebuilt the same window from the store
    p.goto(portal.url(f"/traffic/live?select=number:{POSTED.replace('+', '%2B')}"))
    expect(status).to_have_text("live")
    expect(tile(p, "offered")).to_have_text("6")
    traffic_portal.stop()
    expect(status).to_have_text("reconnecting…")
    expect(status).to_have_attribute("data-state", "reconnecting")
    shot("reconnecting")
    traffic_portal.start()
    expect(status).to_have_text("live", timeout=30_000)
    expect(tile(p, "offered")).to_have_text("6")
    expect(tile(p, "answered")).to_have_text("3")
    expect(tile(p, "concurrent")).to_have_text("1")
    expect(rows).to_have_count(6)
    shot("reconnected")
