"""Alarms from the real network: Kamailio probes the call-center sites with SIP OPTIONS
(dispatcher module; the list file from the events resource's `GET /network/probe-list`, which
is `/events/probe-list` on the network plane) and reports each change on the network plane; the
events resource raises "site unreachable" on the customer's site when a SIPp site stops, and
clears it when the site answers again (after the hysteresis). A quality threshold alice sets
(ASR below 50 % over a minute) raises "low ASR" on a number while a SIPp site answers busy, and
clears when answered calls bring the ratio back to 60 %: the detectors read traffic's live
counters (the switch's evapi events and CDRs). alice@globex reads the alarms through the TMF642
API with her API token.
"""

from __future__ import annotations

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

ALARMS = "/api/events/tmf-api/alarmManagement/v4/alarm"
TFN = "+18885550166"
PLAN = {
    "format": 1,
    "timezone": "America/New_York",
    "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
    "carrier": None,
    "switches": {},
    "sections": {
        "M": {"type": "tel", "dest": "site:quality", "alternates": [], "carrier": None, "ring_timeout": 5}
    },
}
ACTIONS = ("tollfree:route-query", "callcenter:route-query", "traffic:ingest", "events:report")


@dataclass
class Rig:
    portal: Portal
    run_dir: Path
    switch: ks.Switch
    site: ks.Site
    alice: httpx.Client
    admin: httpx.Client
    element: httpx.Client

    def logs(self) -> str:
        return "\n".join(
            [
                f"--- kamailio\n{self.switch.log_tail(60)}",
                f"--- site errors\n{ks.tail(self.site.errors_path, 10)}",
                f"--- portal\n{self.portal.log_tail(40)}",
            ]
        )

    def alarms(self, cause: str, obj: str) -> list[dict[str, Any]]:
        r = self.alice.get(ALARMS, params={"probableCause": cause})
        assert r.status_code == 200, r.text
        return [a for a in r.json() if a["alarmedObject"]["id"] == obj]

    def unreachable(self) -> list[dict[str, Any]]:
        return self.alarms("siteUnreachable", "site:probed")

    def wait_for(
        self, state: str, timeout: float, *, cause: str = "siteUnreachable", obj: str = "site:probed"
    ) -> tuple[dict[str, Any], float]:
        started = time.monotonic()
        while True:
            alarms = self.alarms(cause, obj)
            if alarms and alarms[0]["state"] == state:
                return alarms[0], time.monotonic() - started
            assert time.monotonic() - started < timeout, (
                f"no {state} {cause} alarm after {timeout} s: {alarms}\n{self.switch.log_tail(30)}"
            )
            time.sleep(0.2)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    run_dir = tmp_path_factory.mktemp("events-switch")
    evapi_port = ks.free_udp_port()
    with traffic_portal(
        tmp_path_factory.mktemp("events-portal"), evapi_port=evapi_port, actions=ACTIONS
    ) as portal:
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
        element = httpx.Client(base_url=f"https://127.0.0.1:{portal.network_port}", verify=tls)
        site = ks.start_site(run_dir, name="probed")
        switch: ks.Switch | None = None
        made: Rig | None = None
        try:
            r = admin.put(
                f"/api/tollfree/sites/{CUSTOMER}/probed", json={"uri": site.uri, "description": "probed"}
            )
            assert r.status_code in (200, 201), r.text
            # the switch's list file, as a deployment fetches it (the events resource learns the
            # site from the toll-free resource's picture on the bus)
            deadline = time.monotonic() + 10
            while site.uri not in (listing := element.get("/events/probe-list").text):
                assert time.monotonic() < deadline, f"{site.uri} not in the probe list: {listing!r}"
                time.sleep(0.1)
            probe_list = run_dir / "dispatcher.list"
            probe_list.write_text(listing)
            traffic = ks.TrafficReporting(
                evapi_port=evapi_port, base_url=f"https://127.0.0.1:{portal.network_port}/traffic"
            )
            switch = ks.start_switch(run_dir, scp=access, traffic=traffic, probes=probe_list)
            ks.wait_log(switch, "evapi: traffic client connected", timeout=20)
            made = Rig(
                portal=portal,
                run_dir=run_dir,
                switch=switch,
                site=site,
                alice=alice,
                admin=admin,
                element=element,
            )
            yield made
        finally:
            if switch is not None:
                ks.stop(switch.proc)
            ks.stop((made.site if made else site).proc)  # the test restarts the site
            for client in (admin, alice, element):
                client.close()


def test_a_site_that_stops_answering_raises_a_major_alarm_and_clears_when_it_is_back(rig: Rig) -> None:
    time.sleep(3)  # three probe intervals while the site answers: nothing is raised
    assert rig.unreachable() == []
    ks.stop(rig.site.proc)
    alarm, took = rig.wait_for("raised", timeout=10)
    seen = {k: alarm[k] for k in ("perceivedSeverity", "alarmType", "ackState", "sourceSystemId")}
    assert seen == {
        "perceivedSeverity": "major",
        "alarmType": "communicationsAlarm",
        "ackState": "unacknowledged",
        "sourceSystemId": f"element:{ELEMENT}",
    }
    assert alarm["specificProblem"].startswith(
        f"Site probed does not answer the switch's SIP OPTIONS ({rig.site.uri}"
    )
    assert took < 10
    rig.site = ks.start_site(rig.run_dir, name="probed", port=rig.site.port)
    cleared, _ = rig.wait_for("cleared", timeout=25)  # up after one answer, cleared 10 s later
    assert (cleared["id"], cleared["perceivedSeverity"]) == (alarm["id"], "cleared")


def test_a_low_asr_raises_while_a_site_is_busy_and_clears_when_calls_are_answered(rig: Rig) -> None:
    quality = ks.start_site(rig.run_dir, name="quality", kind="busy")
    try:
        r = rig.admin.put(
            f"/api/tollfree/sites/{CUSTOMER}/quality", json={"uri": quality.uri, "description": "q"}
        )
        assert r.status_code in (200, 201), r.text
        body = {"tfn": TFN, "customer_id": CUSTOMER, "reseller_chain": [], "description": "quality"}
        assert rig.admin.post("/api/tollfree/numbers", json=body).status_code == 201
        _activate(rig.alice, rig.element, TFN, PLAN)
        threshold = {
            "window_seconds": 60,
            "min_calls": 10,
            "raise_below": 0.5,
            "clear_at": 0.6,
            "severity": "minor",
        }
        r = rig.alice.put(f"/api/events/thresholds/asr/number:{TFN}", json=threshold)
        assert r.status_code in (200, 201), r.text
        run = ks.run_callers(
            rig.run_dir,
            switch_port=rig.switch.port,
            dnis=TFN,
            calls=12,
            rate=10,
            name="busy",
            scenario="uac_fail",
        )
        assert [f.code for f in run.failures] == [486] * 12, rig.logs()
        alarm, _ = rig.wait_for("raised", timeout=15, cause="lowAnswerSeizureRatio", obj=f"number:{TFN}")
        assert (alarm["perceivedSeverity"], alarm["alarmType"]) == ("minor", "qualityOfServiceAlarm")
        assert (
            alarm["specificProblem"] == "ASR 0 % over the last 1 min (0 of 12 calls answered; threshold 50 %)"
        )
        ks.stop(quality.proc)
        quality = ks.start_site(rig.run_dir, name="quality", kind="answer", port=quality.port)
        run = ks.run_callers(
            rig.run_dir, switch_port=rig.switch.port, dnis=TFN, calls=18, rate=10, name="answered"
        )
        assert (run.successful, run.failed) == (18, 0), rig.logs()  # 18 of 30 answered: 60 %
        cleared, _ = rig.wait_for("cleared", timeout=25, cause="lowAnswerSeizureRatio", obj=f"number:{TFN}")
        assert cleared["id"] == alarm["id"]
    finally:
        ks.stop(quality.proc)
