"""The events pages through the real app (fake assertion verifier): the alarm list with its filters
and live rows, acknowledging from the list, one alarm with comments and history, the thresholds
form with inline errors, the menu count and the live script; and the demo seed."""

from __future__ import annotations

import html as htmlib
import re
from pathlib import Path

from events_support import TREE, Rig, condition, rig

from resources.events.demo import seed
from resources.events.intake import sweep
from resources.events.manifest import MANIFEST
from resources.kit.events import InProcessBus
from resources.kit.manifest import NavEntry
from resources.kit.migrate import upgrade
from resources.kit.settings import ResourceSettings

__all__ = ["rig"]


def hx(name: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name, "HX-Request": "true"}


def text(fragment: str) -> str:
    return " ".join(htmlib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(page: str) -> dict[str, str]:
    return {
        m.group(1): text(m.group(2))
        for m in re.finditer(r'<tr data-alarm="([^"]+)"[^>]*>(.*?)</tr>', page, re.S)
    }


async def two(rig: Rig) -> tuple[str, str]:
    [a] = await rig.observe(condition())
    rig.clock.advance(1)
    [b] = await rig.observe(
        condition(obj="site:east", cause="siteUnreachable", severity="critical", problem="East is down")
    )
    return a.id, b.id


def test_the_menu_entry() -> None:
    assert MANIFEST.nav == (NavEntry(title="Alarms", path="/events/alarms", action="events:view", order=30),)


async def test_the_alarm_list_shows_open_alarms_with_badges_and_actions(rig: Rig) -> None:
    a, b = await two(rig)
    r = await rig.client.get("/alarms", headers=hx("alice"))
    assert r.status_code == 200
    assert r.headers["x-switchboard-page"] == "Alarms"
    assert rows(r.text) == {
        b: "critical site:east siteUnreachable East is down 2026-12-14 09:00:01 2026-12-14 09:00:01 no "
        "Acknowledge siteUnreachable on site:east Comment",
        a: "major number:+18005550100 lowAnswerSeizureRatio ASR 31 % over 5 min (threshold 50 %) "
        "2026-12-14 09:00:00 2026-12-14 09:00:00 no "
        "Acknowledge lowAnswerSeizureRatio on number:+18005550100 Comment",
    }
    assert 'data-open-count="2"' in r.text
    assert 'data-ws-url="/events/alarms/ws"' in r.text
    assert 'hx-get="/events/alarms/rows?state=open" hx-trigger="events-changed, every 30s"' in r.text
    assert '<script src="/events/alarms/live.js" defer></script>' in r.text
    viewer = await rig.client.get("/alarms", headers=hx("vic"))
    assert "data-ack-button" in r.text
    assert "data-ack-button" not in viewer.text
    assert list(rows(viewer.text)) == [b, a]
    assert rows((await rig.client.get("/alarms", headers=hx("wendy"))).text) == {}
    staff = await rig.client.get("/alarms", headers=hx("pat"))
    assert "<td data-customer>globex</td>" in staff.text


async def test_filters_and_the_live_rows_fragment(rig: Rig) -> None:
    a, b = await two(rig)
    await rig.observe(condition(active=False))
    rig.clock.advance(10)
    await sweep(rig.ctx)
    assert list(rows((await rig.client.get("/alarms", headers=hx("alice"))).text)) == [b]
    cleared = (await rig.client.get("/alarms?state=cleared", headers=hx("alice"))).text
    assert list(rows(cleared)) == [a]
    assert "cleared" in rows(cleared)[a]
    assert list(
        rows((await rig.client.get("/alarms?state=all&severity=critical", headers=hx("alice"))).text)
    ) == [b]
    fragment = await rig.client.get("/alarms/rows?state=all", headers=hx("alice"))
    assert fragment.text.startswith("<tbody data-events-live")
    assert "x-switchboard-page" not in fragment.headers
    assert list(rows(fragment.text)) == [b, a]
    count = await rig.client.get("/alarms/count", headers=hx("alice"))
    assert (
        count.text == '<span class="badge badge--danger" data-open-count="1" '
        'title="1 open unacknowledged alarm">1</span>'
    )


async def test_acknowledge_from_the_list_and_comment_on_the_detail_page(rig: Rig) -> None:
    a, _ = await two(rig)
    r = await rig.client.post(f"/alarms/{a}/ack?state=open", data={"return": "list"}, headers=hx("alice"))
    assert r.status_code == 200
    assert "Alarm lowAnswerSeizureRatio on number:+18005550100 acknowledged." in text(r.text)
    assert "acknowledged alice@globex Unacknowledge" in rows(r.text)[a]
    r = await rig.client.post(f"/alarms/{a}/comment", data={"comment": "  "}, headers=hx("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="field-comment-error">A comment is 1 to 2000 characters of text.</p>'
        in r.text
    )
    rig.clock.advance(4)
    r = await rig.client.post(
        f"/alarms/{a}/comment", data={"comment": "Carrier <b>ticket</b>"}, headers=hx("alice")
    )
    assert r.status_code == 200
    assert "2026-12-14T09:00:05Z alice@globex: Carrier <b>ticket</b>" in text(r.text)
    assert "Carrier &lt;b&gt;ticket&lt;/b&gt;" in r.text
    history = re.findall(r'<tr data-entry="(\d+)" data-kind="([a-z]+)">', r.text)
    assert [k for _, k in history] == ["raised", "acknowledged", "commented"]
    assert (await rig.client.post(f"/alarms/{a}/ack", headers=hx("vic"))).status_code == 403
    assert (await rig.client.post(f"/alarms/{a}/ack", headers=hx("wendy"))).status_code == 404
    assert (await rig.client.get(f"/alarms/{a}", headers=hx("wendy"))).status_code == 404


async def test_the_thresholds_form(rig: Rig) -> None:
    r = await rig.client.get("/thresholds", headers=hx("alice"))
    assert r.status_code == 200
    assert "No thresholds yet." in r.text
    form = {
        "metric": "asr",
        "target": "number:*",
        "window_seconds": "30",
        "min_calls": "20",
        "raise_below": "0.7",
        "clear_at": "0.6",
        "severity": "major",
    }
    r = await rig.client.post("/thresholds", data=form, headers=hx("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="field-window_seconds-error">The window is 60 to 3600 seconds.</p>'
        in r.text
    )
    assert (
        '<p class="field-error" id="field-clear_at-error">Clear at a ratio above the one that raises.</p>'
        in r.text
    )
    assert 'value="0.7"' in r.text  # as typed
    r = await rig.client.post(
        "/thresholds", data={**form, "window_seconds": "300", "raise_below": "0.5"}, headers=hx("alice")
    )
    assert r.status_code == 200
    assert "ASR threshold on number:* added." in text(r.text)
    assert '<tr data-threshold="asr number:*">' in r.text
    r = await rig.client.post("/thresholds/asr/number%3A%2A/delete", headers=hx("alice"))
    assert "ASR threshold on number:* deleted." in text(r.text)
    asked = await rig.client.get("/thresholds", headers=hx("pat"))
    assert "Whose thresholds? Name the customer." in asked.text
    assert (await rig.client.post("/thresholds", data=form, headers=hx("vic"))).status_code == 403


async def test_the_live_script(rig: Rig) -> None:
    r = await rig.client.get("/alarms/live.js", headers=hx("alice"))
    assert (r.status_code, r.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    assert 'window.htmx.trigger(rows, "events-changed")' in r.text


async def test_the_demo_seed_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    bus = InProcessBus()
    settings = ResourceSettings(
        name="events",
        data_dir=tmp_path,
        database_url=url,
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=bus,
    )
    await seed(settings)
    await seed(settings)
    from sqlalchemy import select

    from resources.events.context import open_context, transaction
    from resources.events.models import AlarmRow, ThresholdRow
    from resources.events.settings import EventsSettings

    async with (
        open_context(EventsSettings.from_resource(settings)) as (ctx, _),
        transaction(ctx, write=False) as tx,
    ):
        alarms = list(
            (await tx.session.execute(select(AlarmRow).order_by(AlarmRow.alarmed_object))).scalars()
        )
        thresholds = list((await tx.session.execute(select(ThresholdRow))).scalars())
    assert [(a.alarmed_object, a.state) for a in alarms] == [
        ("number:+18005550100", "raised"),
        ("site:east", "cleared"),
    ]
    assert [
        (
            t.customer_id,
            t.metric,
            t.target,
            t.raise_below,
            t.clear_at,
            t.window_seconds,
            t.min_calls,
            t.severity,
        )
        for t in thresholds
    ] == [("globex", "asr", "number:*", 0.5, 0.6, 300, 20, "major")]
