"""The real switch obeys the portal: Kamailio asks the SCP (network plane, mTLS element cert) per
call and routes SIPp callers to SIPp call-center sites. Plans are created and activated by
alice@globex through the customer JSON API with her API token; numbers and sites by the provider
admin. Per-site counts come from the sites' own logs (one line per INVITE received) and the
callers' logs (one line per answered call, with the answering site's X-Site header).
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import kamailio_support as ks
import pytest
from e2e_support import Portal, launch_portal, run_cli

from resources.kit.shares import percent_bucket

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("kamailio")]

TFN = "+18885550123"
UNASSIGNED = "+18885550999"
CUSTOMER = "globex"
SITE_KINDS = {"east": "answer", "west": "answer", "south": "noanswer"}


def tel(site: str, *alternates: str, ring_timeout: int | None = None) -> dict[str, Any]:
    return {
        "type": "tel",
        "dest": f"site:{site}",
        "alternates": [f"site:{a}" for a in alternates],
        "carrier": None,
        "ring_timeout": ring_timeout,
    }


def plan(main: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": 1,
        "timezone": "America/New_York",
        "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
        "carrier": None,
        "switches": {},
        "sections": {"M": main},
    }


@dataclass
class Rig:
    portal: Portal
    run_dir: Path
    switch: ks.Switch
    sites: dict[str, ks.Site]
    alice: httpx.Client
    scp: httpx.Client  # network plane, the switch's own element certificate
    extra_logs: list[Path] = field(default_factory=list)

    def activate(self, main: dict[str, Any], note: str) -> int:
        """alice creates a version of TFN with this main section and activates it now; waits until
        the SCP answers with that version. Returns the version number."""
        path = f"/api/tollfree/numbers/{TFN}/versions"
        created = self.alice.post(path, json={"document": plan(main), "note": note})
        assert created.status_code == 201, created.text
        number = int(created.json()["number"])
        activated = self.alice.post(f"{path}/{number}/activate", json={})
        assert activated.status_code == 200, activated.text
        assert activated.json()["state"] == "ACTIVE"
        self.wait_scp_version(number)
        return number

    def scp_answer(self, *, ts: float | None = None) -> dict[str, Any]:
        r = self.scp.post(
            "/tollfree/route?format=rtjson",
            json={"dnis": TFN, "ani": "3125550100", "ts": ts, "callid": "probe"},
        )
        assert r.status_code == 200, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def wait_scp_version(self, number: int, *, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.scp_answer()["switchboard"]["version"]
            if seen == number:
                return
            time.sleep(0.05)
        pytest.fail(f"the SCP still answers version {seen} {timeout} s after activating {number}")

    def site_calls(self) -> dict[str, list[ks.SiteCall]]:
        return {name: site.calls() for name, site in self.sites.items()}

    def logs(self) -> str:
        parts = [f"--- kamailio ({self.switch.log_path})\n{self.switch.log_tail(80)}"]
        for site in self.sites.values():
            parts.append(f"--- site {site.name} errors\n{ks.tail(site.errors_path, 20)}")
        for path in self.extra_logs:
            parts.append(f"--- {path.name}\n{ks.tail(path, 30)}")
        parts.append(f"--- portal\n{self.portal.log_tail(60)}")
        return "\n".join(parts)


def new_calls(
    before: dict[str, list[ks.SiteCall]], after: dict[str, list[ks.SiteCall]]
) -> dict[str, list[str]]:
    """Call ids each site received between two snapshots."""
    return {name: [c.call_id for c in calls[len(before[name]) :]] for name, calls in after.items()}


def _token(portal: Portal, user: str) -> str:
    out: str = run_cli(portal.env, "token", "create", "--user", user, "--name", "kamailio-test")
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    run_dir = tmp_path_factory.mktemp("switch")
    with launch_portal(tmp_path_factory.mktemp("portal")) as portal:
        run_cli(portal.env, "element", "add", "switch", "--action", "tollfree:route-query")
        certs = portal.data_dir / "certs"
        access = ks.ScpAccess(
            base_url=f"https://127.0.0.1:{portal.network_port}/tollfree",
            ca=certs / "ca.pem",
            cert=certs / "elements" / "switch.pem",
            key=certs / "elements" / "switch-key.pem",
        )
        ca = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        admin = httpx.Client(
            base_url=portal.base_url,
            verify=ca,
            headers={"Authorization": f"Bearer {_token(portal, 'admin')}"},
        )
        alice = httpx.Client(
            base_url=portal.base_url,
            verify=ca,
            headers={"Authorization": f"Bearer {_token(portal, 'alice@globex')}"},
        )
        tls = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        tls.load_cert_chain(access.cert, access.key)
        scp = httpx.Client(base_url=f"https://127.0.0.1:{portal.network_port}", verify=tls)
        sites: dict[str, ks.Site] = {}
        switch: ks.Switch | None = None
        try:
            for name, kind in SITE_KINDS.items():
                sites[name] = ks.start_site(run_dir, name=name, kind=kind)
                r = admin.put(
                    f"/api/tollfree/sites/{CUSTOMER}/{name}",
                    json={"uri": sites[name].uri, "description": f"SIPp {kind} site"},
                )
                assert r.status_code == 200, r.text
            r = admin.post(
                "/api/tollfree/numbers",
                json={
                    "tfn": TFN,
                    "customer_id": CUSTOMER,
                    "reseller_chain": [],
                    "description": "switch test",
                },
            )
            assert r.status_code == 201, r.text
            switch = ks.start_switch(run_dir, scp=access, test_clock=True)
            yield Rig(portal=portal, run_dir=run_dir, switch=switch, sites=sites, alice=alice, scp=scp)
        finally:
            if switch is not None:
                ks.stop(switch.proc)
            for site in sites.values():
                ks.stop(site.proc)
            for client in (admin, alice, scp):
                client.close()


def test_calls_land_at_the_site_of_the_active_plan(rig: Rig) -> None:
    version = rig.activate(tel("east"), "plan A: everything to east")
    before = rig.site_calls()

    run = ks.run_callers(rig.run_dir, switch_port=rig.switch.port, dnis=TFN, calls=20, rate=20, name="plan-a")

    received = new_calls(before, rig.site_calls())
    assert (run.returncode, run.successful, run.failed) == (0, 20, 0)
    assert run.per_site() == {"east": 20}
    assert sorted(received["east"]) == sorted(c.call_id for c in run.answered)
    assert (received["west"], received["south"]) == ([], [])
    routes = {c.route for c in rig.sites["east"].calls()[-20:]}
    assert routes == {f"{TFN};v={version};dest=site:east"}


def test_activating_plan_b_moves_the_calls_within_5_seconds(rig: Rig) -> None:
    rig.activate(tel("east"), "plan A again")
    callers = ks.start_callers(
        rig.run_dir, switch_port=rig.switch.port, dnis=TFN, calls=50, rate=5, name="switchover"
    )
    rig.extra_logs.append(callers.log_path)
    deadline = time.monotonic() + 15
    while len(ks.answered_calls(callers.log_path)) < 5:  # calls are flowing to plan A
        assert callers.proc.poll() is None, "the callers stopped early"
        assert time.monotonic() < deadline, "no calls answered within 15 s"
        time.sleep(0.1)

    path = f"/api/tollfree/numbers/{TFN}/versions"
    created = rig.alice.post(path, json={"document": plan(tel("west")), "note": "plan B: west"})
    assert created.status_code == 201, created.text
    asked = time.time()
    activated = rig.alice.post(f"{path}/{created.json()['number']}/activate", json={})
    assert activated.status_code == 200, activated.text
    run = ks.finish_callers(callers)

    assert (run.returncode, run.successful, run.failed) == (0, 50, 0)
    sites_in_order = [c.site for c in sorted(run.answered, key=lambda c: c.at)]
    first_west = sites_in_order.index("west")
    # east until the switch-over, west from then on: no call goes back to plan A
    assert sites_in_order == ["east"] * first_west + ["west"] * (50 - first_west)
    assert all(c.site == "east" for c in run.answered if c.at < asked)
    first_west_at = min(c.at for c in run.answered if c.site == "west")
    assert first_west_at - asked <= 5.0, f"first call at west {first_west_at - asked:.2f} s after activation"


def test_percent_plan_splits_1000_calls_70_30(rig: Rig) -> None:
    rig.activate(
        {
            "type": "pct",
            "branches": [{"percent": 70, "then": tel("east")}, {"percent": 30, "then": tel("west")}],
        },
        "70/30",
    )
    before = rig.site_calls()

    run = ks.run_callers(
        rig.run_dir,
        switch_port=rig.switch.port,
        dnis=TFN,
        calls=1000,
        rate=200,
        name="percent",
        call_id_format="pct-%u-%p@switchboard.test",
        max_seconds=80,
    )

    received = new_calls(before, rig.site_calls())
    assert (run.returncode, run.successful, run.failed) == (0, 1000, 0)
    east, west = len(received["east"]), len(received["west"])
    assert (east + west, received["south"]) == (1000, [])
    # every call went where its share says: bucket(call id, root node "M") < 7000 → east. (The
    # call ids carry SIPp's pid, so the totals vary run to run — a count window was flaky.)
    calls = received["east"] + received["west"]
    to_east = sorted(c for c in calls if percent_bucket(c, "M") < 7000)
    to_west = sorted(set(calls) - set(to_east))
    assert (sorted(received["east"]), sorted(received["west"])) == (to_east, to_west)
    assert run.per_site() == {"east": east, "west": west}


def test_time_of_day_plan_routes_by_the_injected_time(rig: Rig) -> None:
    rig.activate(
        {
            "type": "tod",
            "tz": None,
            "dst": True,
            "branches": [{"match": ["08:00-17:00"], "then": tel("east")}],
            "other": tel("west"),
        },
        "office hours east, otherwise west",
    )
    # Wednesday 2026-01-14 in New York (EST, UTC-5): 10:00 and 22:00
    office = int(dt.datetime(2026, 1, 14, 15, 0, tzinfo=dt.UTC).timestamp())
    evening = int(dt.datetime(2026, 1, 15, 3, 0, tzinfo=dt.UTC).timestamp())

    day = ks.run_callers(
        rig.run_dir, switch_port=rig.switch.port, dnis=TFN, calls=3, rate=10, test_time=office, name="tod-day"
    )
    night = ks.run_callers(
        rig.run_dir,
        switch_port=rig.switch.port,
        dnis=TFN,
        calls=3,
        rate=10,
        test_time=evening,
        name="tod-night",
    )

    assert (day.successful, day.per_site()) == (3, {"east": 3})
    assert (night.successful, night.per_site()) == (3, {"west": 3})


def test_unanswered_site_fails_over_to_the_alternate(rig: Rig) -> None:
    version = rig.activate(tel("south", "west", ring_timeout=5), "south rings out after 5 s, then west")
    before = rig.site_calls()

    run = ks.run_callers(
        rig.run_dir, switch_port=rig.switch.port, dnis=TFN, calls=3, rate=10, name="failover"
    )

    received = new_calls(before, rig.site_calls())
    answered = sorted(c.call_id for c in run.answered)
    assert (run.returncode, run.successful, run.per_site()) == (0, 3, {"west": 3})
    assert sorted(received["south"]) == answered  # rang at south first
    assert sorted(received["west"]) == answered
    assert received["east"] == []
    assert {c.route for c in rig.sites["west"].calls()[-3:]} == {f"{TFN};v={version};dest=site:west"}


def test_unknown_number_is_rejected_with_the_scp_code(rig: Rig) -> None:
    probe = ks.probe_invite(rig.switch.port, UNASSIGNED)
    assert probe.code == 404


def test_unreachable_scp_fails_fast_with_503(rig: Rig) -> None:
    nowhere = ks.ScpAccess(
        base_url=f"https://127.0.0.1:{ks.free_udp_port()}/tollfree",
        ca=rig.portal.data_dir / "certs" / "ca.pem",
        cert=rig.portal.data_dir / "certs" / "elements" / "switch.pem",
        key=rig.portal.data_dir / "certs" / "elements" / "switch-key.pem",
    )
    switch = ks.start_switch(rig.run_dir / "no-scp", scp=nowhere, sip_workers=1, async_workers=1)
    try:
        probe = ks.probe_invite(switch.port, TFN, timeout=5)
    finally:
        ks.stop(switch.proc)
    assert (probe.code, probe.reason) == (503, "Routing service unavailable")
