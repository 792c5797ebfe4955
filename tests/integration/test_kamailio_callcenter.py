"""The real switch steers toll-free calls between call centers: a plan's leaf is
`distribution:itest`; Kamailio asks the SCP, gets the call-center router's request back, asks the
router (network plane, the same element certificate) and relays to its sites in order, with
failover. Live calls per site reach the router from the switch's own traffic reports (evapi →
traffic → `traffic.delta`), so least-busy follows real calls.

alice@globex changes the call centers through the customer JSON API with her API token: the
capacities (east 5, west 10, later west 40), "east closes early today" (a closure from now),
every site closed (the after-hours voicemail site), no treatment at all (480 from the switch).
Which site got each call comes from the SIPp sites' own logs and the callers' X-Site headers.
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import kamailio_support as ks
import pytest
from e2e_support import Portal
from test_kamailio_traffic import CUSTOMER, ELEMENT, _activate, _token, traffic_portal

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("kamailio")]

TFN = "+18885550177"
SITES = ("east", "west", "south", "vm")  # every one a SIPp site that answers
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = {"zone": "UTC", "weekly": {d: ["00:00-24:00"] for d in DAYS}}
CAPACITIES = {"east": 5, "west": 10, "south": 3, "vm": 0}
HOLD_MS = 4000  # every call of a batch is still up when the last one is routed
PLAN = {
    "format": 1,
    "timezone": "America/New_York",
    "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
    "carrier": None,
    "switches": {},
    "sections": {
        "M": {
            "type": "tel",
            "dest": "distribution:itest",
            "alternates": [],
            "carrier": None,
            "ring_timeout": 10,
        }
    },
}


def distribution(*, after_hours: dict[str, str] | None) -> dict[str, Any]:
    return {
        "name": "itest",
        "method": "least-busy",
        "members": [{"site": "east", "share": 1}, {"site": "west", "share": 1}],
        "overflow": ["south"],
        "after_hours": after_hours,
        "all_busy": None,
    }


@dataclass
class Rig:
    portal: Portal
    run_dir: Path
    switch: ks.Switch
    sites: dict[str, ks.Site]
    alice: httpx.Client
    version: int = 0  # TFN's active version

    def put_site(self, name: str, capacity: int, hours: dict[str, Any] = ALWAYS) -> float:
        """alice changes a site; returns when the change was committed (epoch seconds)."""
        body = {"name": name, "uri": self.sites[name].uri, "capacity": capacity, "hours": hours}
        r = self.alice.put(f"/api/callcenter/sites/{name}", json=body)
        unchanged = r.status_code == 422 and "already configured like that" in r.text  # same minute
        assert r.status_code in (200, 201) or unchanged, r.text
        return time.time()

    def reset(self) -> None:
        """Every site open with its first capacity, the distribution without treatments (each
        test starts from here, whatever ran before it)."""
        for name, capacity in CAPACITIES.items():
            self.put_site(name, capacity)
        self.put_distribution(after_hours=None)

    def put_distribution(self, *, after_hours: dict[str, str] | None) -> None:
        """alice sets the distribution (the same again is fine: tests may run in any order)."""
        r = self.alice.put("/api/callcenter/distributions/itest", json=distribution(after_hours=after_hours))
        unchanged = r.status_code == 422 and "already configured like that" in r.text
        assert r.status_code == 200 or unchanged, r.text

    def calls(self, n: int, name: str, *, rate: float = 10) -> ks.CallerRun:
        run = ks.run_callers(
            self.run_dir,
            switch_port=self.switch.port,
            dnis=TFN,
            calls=n,
            rate=rate,
            name=name,
            hold_ms=HOLD_MS,
        )
        assert (run.returncode, run.successful, run.failed) == (0, n, 0), self.logs()
        self.wait_idle()
        return run

    def wait_idle(self, timeout: float = 15) -> None:
        """Until traffic has no open call of TFN (the router has heard every end)."""
        deadline = time.monotonic() + timeout
        items: list[Any] = []
        while time.monotonic() < deadline:
            r = self.alice.get("/api/traffic/calls", params={"number": TFN, "disposition": "open"})
            assert r.status_code == 200, r.text
            items = r.json()["items"]
            if not items:
                time.sleep(0.3)  # traffic.delta reaches the router after the store
                return
            time.sleep(0.1)
        pytest.fail(f"{len(items)} calls of {TFN} still open {timeout} s after the callers finished")

    def logs(self) -> str:
        parts = [f"--- kamailio\n{self.switch.log_tail(60)}"]
        parts += [f"--- site {s.name} errors\n{ks.tail(s.errors_path, 10)}" for s in self.sites.values()]
        parts.append(f"--- portal\n{self.portal.log_tail(40)}")
        return "\n".join(parts)


def closure_from_now(zone: str = "UTC") -> dict[str, Any]:
    """Open all week, but closed from a minute ago until tomorrow ("closes early today")."""
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=1), now + dt.timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    return {
        **ALWAYS,
        "closures": [{"from": start.strftime(fmt), "to": end.strftime(fmt), "reason": "closes early"}],
    }


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    run_dir = tmp_path_factory.mktemp("callcenter-switch")
    evapi_port = ks.free_udp_port()
    with traffic_portal(tmp_path_factory.mktemp("callcenter-portal"), evapi_port=evapi_port) as portal:
        certs = portal.data_dir / "certs"
        access = ks.ScpAccess(
            base_url=f"https://127.0.0.1:{portal.network_port}/tollfree",
            ca=certs / "ca.pem",
            cert=certs / "elements" / f"{ELEMENT}.pem",
            key=certs / "elements" / f"{ELEMENT}-key.pem",
        )
        ca = ssl.create_default_context(cafile=str(access.ca))
        tls = ssl.create_default_context(cafile=str(access.ca))
        tls.load_cert_chain(access.cert, access.key)
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
        scp = httpx.Client(base_url=f"https://127.0.0.1:{portal.network_port}", verify=tls)
        sites: dict[str, ks.Site] = {}
        switch: ks.Switch | None = None
        try:
            for name in SITES:
                sites[name] = ks.start_site(run_dir, name=name, kind="answer")
            rig = Rig(portal=portal, run_dir=run_dir, switch=None, sites=sites, alice=alice)  # type: ignore[arg-type]
            for name, capacity in CAPACITIES.items():
                rig.put_site(name, capacity)
            r = alice.put("/api/callcenter/distributions/itest", json=distribution(after_hours=None))
            assert r.status_code == 201, r.text
            r = admin.post(
                "/api/tollfree/numbers",
                json={
                    "tfn": TFN,
                    "customer_id": CUSTOMER,
                    "reseller_chain": [],
                    "description": "call centers",
                },
            )
            assert r.status_code == 201, r.text
            rig.version = _activate(alice, scp, TFN, PLAN)
            traffic = ks.TrafficReporting(
                evapi_port=evapi_port, base_url=f"https://127.0.0.1:{portal.network_port}/traffic"
            )
            switch = ks.start_switch(run_dir, scp=access, traffic=traffic)
            ks.wait_log(switch, "evapi: traffic client connected", timeout=20)
            rig.switch = switch
            yield rig
        finally:
            if switch is not None:
                ks.stop(switch.proc)
            for site in sites.values():
                ks.stop(site.proc)
            for client in (admin, alice, scp):
                client.close()


def test_least_busy_splits_by_capacity_and_follows_a_capacity_change(rig: Rig) -> None:
    rig.reset()
    # 12 calls held 4 s, all up together: each goes to the lower occupancy (ties: the larger
    # site), so east 5 / west 10 fill alike: west, east, west, west, east, … → 4 and 8
    run = rig.calls(12, "least-busy")
    assert run.per_site() == {"east": 4, "west": 8}

    changed = rig.put_site("west", 40)  # "west has 40 agents now"
    run = rig.calls(12, "west-40")
    # from empty: west 1/40 … 8/40 = 0.2 ties east 1/5, west 9, east 2/5, west 10 → east 2, west 10
    assert run.per_site() == {"east": 2, "west": 10}
    first = min(c.at for c in run.answered)
    assert first - changed <= 5.0, f"first call of the new split {first - changed:.2f} s after the change"


def test_a_closed_site_overflows_and_all_closed_goes_to_the_after_hours_site(rig: Rig) -> None:
    rig.reset()
    rig.put_site("east", 5, closure_from_now())  # "east closes early today"
    run = rig.calls(6, "east-closed")
    assert run.per_site() == {"west": 6}

    rig.put_site("west", 10, closure_from_now())
    run = rig.calls(3, "both-closed")
    assert run.per_site() == {"south": 3}  # the overflow chain

    rig.put_distribution(after_hours={"kind": "voicemail", "target": "vm"})
    rig.put_site("south", 3, closure_from_now())
    run = rig.calls(2, "after-hours")
    assert run.per_site() == {"vm": 2}
    assert {c.route for c in rig.sites["vm"].calls()[-2:]} == {f"{TFN};v={rig.version};treatment=site:vm"}


def test_every_site_closed_without_a_treatment_is_480_from_the_switch(rig: Rig) -> None:
    rig.reset()
    for name, capacity in (("east", 5), ("west", 10), ("south", 3)):
        rig.put_site(name, capacity, closure_from_now())
    probe = ks.probe_invite(rig.switch.port, TFN, timeout=10)
    assert (probe.code, probe.reason) == (480, "Call centers closed")
