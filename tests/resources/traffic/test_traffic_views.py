"""The traffic pages through the real app + kit middleware (fake assertion verifier at the
boundary): titles, scoping, inline errors, no-JS forms and downloads, the live page's hooks for
traffic.js, CSP-clean markup, and the vendored uPlot matching its record."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from assertion_fakes import NamedVerifier
from traffic_store_support import db
from traffic_web_support import G1, G2, Web, caller, web

from resources.traffic.app import create_app

__all__ = ["db", "web"]

STATIC = Path(__file__).resolve().parents[3] / "webui" / "static"


@pytest.fixture
async def client(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web.ctx.settings, verifier=NamedVerifier(caller), context=web.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://traffic") as c:
        yield c


async def page(
    client: httpx.AsyncClient, path: str, user: str = "alice@globex", **params: str
) -> httpx.Response:
    return await client.get(path, params=params, headers={"X-Switchboard-Assertion": user})


def attr(html: str, name: str) -> list[str]:
    return re.findall(rf'{name}="([^"]*)"', html)


def csp_clean(html: str) -> None:
    assert " style=" not in html
    assert "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag, tag  # no inline script


async def test_live_page(client: httpx.AsyncClient) -> None:
    r = await page(client, "/live", "bob@globex", select=f"number:{G1[1:]}")
    assert r.status_code == 200
    assert r.headers["X-Switchboard-Page"] == "Live%20traffic"
    html = r.text
    csp_clean(html)
    assert '<script src="/static/uplot.min.js" defer></script>' in html
    assert '<script src="/static/traffic.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/traffic.css">' in html
    assert 'data-ws-url="/traffic/live/ws"' in html
    assert f'data-select="number:{G1}"' in html  # normalised
    assert 'data-window="900"' in html
    assert 'data-recent="50"' in html
    assert attr(html, "option value") == ["all", f"number:{G1}", "site:globex/east", "site:globex/west"]
    assert f'<option value="number:{G1}" selected>Number {G1}</option>' in html
    assert attr(html, "data-tile") == [
        "offered",
        "answered",
        "asr",
        "ner",
        "acd",
        "tta",
        "concurrent",
        "peak",
    ]
    assert 'id="traffic-status" class="traffic-status" role="status" aria-live="polite"' in html
    r = await page(client, "/live", select="nonsense")
    assert 'data-select="all"' in r.text  # a bad selection falls back to everything


async def test_history_page_without_js(client: httpx.AsyncClient) -> None:
    r = await page(client, "/history", "bob@globex", day="2026-03-02")
    assert (r.status_code, r.headers["X-Switchboard-Page"]) == (200, "Traffic%20history")
    html = r.text
    csp_clean(html)
    assert attr(html, "data-bucket") == ["2026-03-02T15:00:00+00:00", "2026-03-02T15:10:00+00:00"]
    assert '<dd data-total="offered">3</dd>' in html
    assert '<dd data-total="asr">33.3 %</dd>' in html
    assert '<dd data-total="ner">66.7 %</dd>' in html
    assert '<dd data-total="acd">60.0 s</dd>' in html
    assert '<dd data-total="tta">5.0 s</dd>' in html
    assert "<caption>2 intervals with calls (intervals without calls are left out)</caption>" in html
    assert '<th scope="row">15:00</th>' in html
    assert 'href="/traffic/history?day=2026-03-02&amp;format=csv"' in html
    series = re.search(r"data-series='([^']*)'", html)
    assert series is not None
    assert '"bucket_seconds": 300' in series.group(1)
    # a "+" typed into a URL arrives as a space: the form shows the number it meant
    r = await page(client, "/history", "bob@globex", select=f"number: {G1[1:]}", day="2026-03-02")
    assert f'<option value="number:{G1}" selected>Number {G1}</option>' in r.text
    assert '<dd data-total="offered">3</dd>' in r.text
    r = await page(client, "/history", "bob@globex", day="2026-03-02", format="csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(r.text.splitlines()) == 3


async def test_history_errors_are_inline(client: httpx.AsyncClient) -> None:
    r = await page(client, "/history", day="2026-02-30")
    assert r.status_code == 422
    html = r.text
    assert '<p class="field-error" id="field-day-error">Give the day as YYYY-MM-DD.</p>' in html
    assert 'aria-describedby="field-day-help field-day-error" aria-invalid="true"' in html
    assert '<a href="#field-day">Give the day as YYYY-MM-DD.</a>' in html  # the summary links to it
    assert 'value="2026-02-30"' in html  # what was typed stays
    r = await page(client, "/history", "bob@globex", select=f"number:{G2}")
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="field-select-error">+18005550101 is not among what you can see.</p>'
        in r.text
    )
    r = await page(client, "/history", **{"from": "2026-03-02 10:00", "to": "2026-03-02 09:00"})
    assert '<p class="field-error" id="field-to-error">The end must be after the start.</p>' in r.text


async def test_calls_page_search_paging_and_errors(client: httpx.AsyncClient) -> None:
    r = await page(client, "/calls", "alice@globex")
    assert (r.status_code, r.headers["X-Switchboard-Page"]) == (200, "Call%20records")
    csp_clean(r.text)
    assert attr(r.text, "data-call") == ["g4", "g3", "g2", "g1", "g5"]
    assert '<td data-disposition="busy">Busy <span class="muted">(486)</span></td>' in r.text
    assert '<a href="/traffic/calls/g1">Details<span class="visually-hidden"> of call g1</span></a>' in r.text
    r = await page(client, "/calls", "alice@globex", disposition="open")
    assert attr(r.text, "data-call") == ["g4", "g5"]
    r = await page(client, "/calls", "alice@globex", number=G2)
    assert attr(r.text, "data-call") == ["g3", "g5"]
    assert 'href="/traffic/calls?number=%2B18005550101&amp;format=csv"' in r.text
    r = await page(client, "/calls", "admin", limit="2")
    # the page size is the API's; the page itself shows 50
    assert attr(r.text, "data-call") == ["g4", "g3", "i1", "g2", "g1", "g5"]
    r = await page(client, "/calls", "bob@globex", number=G2, disposition="lost")
    assert r.status_code == 422
    assert "Unknown disposition &#39;lost&#39;" in r.text
    r = await page(client, "/calls", "bob@globex", number=G2)
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="field-number-error">+18005550101 is not one of your numbers.</p>'
        in r.text
    )


async def test_call_detail_page(client: httpx.AsyncClient) -> None:
    r = await page(client, "/calls/g1", "alice@globex")
    assert (r.status_code, r.headers["X-Switchboard-Page"]) == (200, "Call%20g1")
    html = r.text
    csp_clean(html)
    assert f'<a href="/tollfree/numbers/{G1}">{G1}</a>' in html
    assert f'<dd data-version><a href="/tollfree/numbers/{G1}/versions/1">Version 1</a></dd>' in html
    assert '<ol class="traffic-path"><li><code>M</code></li><li><code>M.0</code></li></ol>' in html
    assert "<dd>2026-03-02 15:00:15</dd>" in html  # answered
    assert "<dd>60 s</dd>" in html  # billable
    assert (await page(client, "/calls/g3", "bob@globex")).status_code == 404
    assert (await page(client, "/calls/nope")).status_code == 404


async def test_ingest_page(client: httpx.AsyncClient, web: Web) -> None:
    r = await page(client, "/ingest", "admin")
    assert (r.status_code, r.headers["X-Switchboard-Page"]) == (200, "Traffic%20ingest")
    csp_clean(r.text)
    assert '<dd data-stat="accepted">0</dd>' in r.text
    assert "No element has reported yet." in r.text
    assert "Nothing rejected." in r.text


def test_vendored_uplot_matches_record() -> None:
    record = (STATIC / "VENDORED.md").read_text()
    for name in ("uplot.min.js", "uplot.min.css"):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
        assert f"| `{name}` | `uplot` (npm) | 1.6.32 |" in record
        assert f"`{digest}`" in record
    assert (
        (STATIC / "uplot.min.js")
        .read_bytes()
        .startswith(b"/*! https://github.com/leeoniya/uPlot (v1.6.32) */")
    )


def test_traffic_js_speaks_the_protocol() -> None:
    js = (STATIC / "traffic.js").read_text()
    for needle in (
        '"?select=" + encodeURIComponent(this.select)',
        '"&since=" + encodeURIComponent(String(this.since))',
        "var MIN_DELAY = 500;",
        "var MAX_DELAY = 5000;",
        "Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, this.attempt))",
        "event.code === 4404",
        "window.requestAnimationFrame(",
        "this.points[points[i][0]] = points[i].slice(1);",
        "this.calls[calls[j].call_id] = calls[j];",
    ):
        assert needle in js, needle
    assert "eval(" not in js
    assert "innerHTML" not in js
    assert '.setAttribute("style"' not in js
