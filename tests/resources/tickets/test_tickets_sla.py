"""The SLA with a fake clock: due by severity (4/8/24/72 h), `warning` once less than 25 % is
left, `breached` past due while open or when resolved late; shown in the API and on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tickets_support import T0, TMF, Rig, as_, rig

__all__ = ["rig"]


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        ("critical", "2026-12-14T13:00:00Z"),
        ("major", "2026-12-14T17:00:00Z"),
        ("minor", "2026-12-15T09:00:00Z"),
        ("low", "2026-12-17T09:00:00Z"),
    ],
)
async def test_due_by_severity(rig: Rig, severity: str, due: str) -> None:
    assert (await rig.open(severity=severity))["expectedResolutionDate"] == due


@pytest.mark.parametrize(
    ("after", "state"),
    [
        (timedelta(0), "ok"),
        (timedelta(hours=3), "ok"),  # exactly 25 % left
        (timedelta(hours=3, seconds=1), "warning"),
        (timedelta(hours=4), "warning"),  # exactly due
        (timedelta(hours=4, seconds=1), "breached"),
    ],
)
async def test_states_as_the_clock_runs(rig: Rig, after: timedelta, state: str) -> None:
    await rig.open(severity="critical")
    await rig.move("admin", "T-000001", "inProgress", "pending")  # the clock runs on while pending
    rig.clock.now = T0 + after
    assert (await rig.get("alice", "T-000001")).json()["slaState"] == state
    listed = (await rig.client.get(f"{TMF}?fields=slaState", headers=as_("alice"))).json()
    assert listed[0]["slaState"] == state
    page = (await rig.client.get("/list", headers=as_("alice"))).text
    assert f'data-sla="{state}"' in page


async def test_resolved_tickets_keep_how_they_ended(rig: Rig) -> None:
    await rig.open(severity="critical")
    await rig.open(severity="critical")
    await rig.move("admin", "T-000001", "inProgress")
    await rig.move("admin", "T-000002", "inProgress")
    rig.clock.now = T0 + timedelta(hours=3, minutes=59)
    await rig.move("admin", "T-000001", "resolved")
    rig.clock.now = T0 + timedelta(hours=5)
    await rig.move("admin", "T-000002", "resolved")
    rig.clock.now = T0 + timedelta(days=2)
    assert [(await rig.get("alice", t)).json()["slaState"] for t in ("T-000001", "T-000002")] == [
        "ok",
        "breached",
    ]
    await rig.open(severity="low")
    await rig.move("alice", "T-000003", "cancelled")
    rig.clock.now = T0 + timedelta(days=30)
    assert (await rig.get("alice", "T-000003")).json()["slaState"] == "ok"
