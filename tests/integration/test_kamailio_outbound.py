"""The real switch enforces what each user may dial: Kamailio takes the customer PBX's calls on
its outbound port, asks the outbound resource (network plane, the element certificate) per
INVITE and relays allowed calls to a SIPp PSTN gateway, with the class and account code on the
call (X-Switchboard-Route, which the gateway logs); denied calls get 403 with the reason, and
484 + X-Switchboard-Collect asks for a code. The switch accounts outbound calls to the traffic
resource like toll-free ones (acc_json CDRs POSTed to the network plane): the CDR carries the
line, the class and the account code; a refused call is a "blocked" record with the reason.
The demo's Globex lines: Bob (+13125550142, default policy, authorization code 4829 lifting him
to "international" whose account code is forced) and the lobby phone (+13125550190, local and
toll-free in office hours, Chicago). alice changes a policy through the customer JSON API and the
switch obeys on the next call.
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
from e2e_support import Portal, launch_portal, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("kamailio")]

BOB, LOBBY = "+13125550142", "+13125550190"
LONDON = "011442079460000"
OFFICE = int(dt.datetime(2026, 12, 7, 16, 0, tzinfo=dt.UTC).timestamp())  # Monday 10:00 Chicago
NIGHT = int(dt.datetime(2026, 12, 8, 3, 0, tzinfo=dt.UTC).timestamp())  # Monday 21:00 Chicago


@dataclass
class Rig:
    run_dir: Path
    portal: Portal
    switch: ks.Switch
    gateway: ks.Site
    alice: httpx.Client

    def call(self, caller: str, dialled: str, *, ts: int = OFFICE, **headers: str) -> ks.Probe:
        assert self.switch.outbound is not None
        extra = {"X-Test-Time": str(ts), **{k.replace("_", "-"): v for k, v in headers.items()}}
        return ks.probe_invite(self.switch.outbound.port, dialled, caller=caller, headers=extra, timeout=10)

    def logs(self) -> str:
        return "\n".join(
            [
                f"--- kamailio\n{self.switch.log_tail(60)}",
                f"--- gateway errors\n{ks.tail(self.gateway.errors_path, 10)}",
                f"--- portal\n{self.portal.log_tail(40)}",
            ]
        )

    def traffic_call(self, call_id: str, *, timeout: float = 15) -> dict[str, Any]:
        """The call as traffic has it once its CDR arrived (the switch POSTs CDRs every second)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.alice.get(f"/api/traffic/calls/{call_id}")
            if r.status_code == 200 and r.json()["disposition"] is not None:
                call: dict[str, Any] = r.json()
                return call
            assert time.monotonic() < deadline, f"no CDR of {call_id} in traffic: {r.status_code} {r.text}"
            time.sleep(0.2)

    def gateway_route(self) -> str:
        """The X-Switchboard-Route of the gateway's last call."""
        return self.gateway.calls()[-1].route


def _token(portal: Portal, user: str) -> str:
    out: str = run_cli(portal.env, "token", "create", "--user", user, "--name", "kamailio-outbound-test")
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    run_dir = tmp_path_factory.mktemp("outbound-switch")
    with launch_portal(tmp_path_factory.mktemp("outbound-portal")) as portal:
        run_cli(
            portal.env,
            "element",
            "add",
            "switch",
            "--action",
            "tollfree:route-query",
            "--action",
            "outbound:decide",
            "--action",
            "traffic:ingest",
        )
        certs = portal.data_dir / "certs"
        access = ks.ScpAccess(
            base_url=f"https://127.0.0.1:{portal.network_port}/tollfree",
            ca=certs / "ca.pem",
            cert=certs / "elements" / "switch.pem",
            key=certs / "elements" / "switch-key.pem",
        )
        alice = httpx.Client(
            base_url=portal.base_url,
            verify=ssl.create_default_context(cafile=str(certs / "ca.pem")),
            headers={"Authorization": f"Bearer {_token(portal, 'alice@globex')}"},
        )
        gateway = ks.start_site(run_dir, name="pstn", kind="answer")
        switch: ks.Switch | None = None
        try:
            # CDRs only: nobody dials the evapi port, so the events are dropped
            traffic = ks.TrafficReporting(
                evapi_port=ks.free_udp_port(), base_url=f"https://127.0.0.1:{portal.network_port}/traffic"
            )
            switch = ks.start_switch(
                run_dir,
                scp=access,
                test_clock=True,
                outbound_gateway=f"127.0.0.1:{gateway.port}",
                traffic=traffic,
            )
            yield Rig(run_dir=run_dir, portal=portal, switch=switch, gateway=gateway, alice=alice)
        finally:
            if switch is not None:
                ks.stop(switch.proc)
            ks.stop(gateway.proc)
            alice.close()


def test_an_allowed_call_reaches_the_gateway_with_its_class(rig: Rig) -> None:
    probe = rig.call(BOB, "3125550100")
    assert (probe.code, probe.headers.get("x-site")) == (200, "pstn")
    assert rig.gateway_route() == "+13125550100;class=local;account=-"


def test_international_needs_the_authorization_code_then_the_account_code(rig: Rig) -> None:
    probe = rig.call(BOB, LONDON)
    assert (probe.code, probe.reason, probe.headers.get("x-switchboard-collect")) == (
        484,
        "Authorization code required",
        "authorization",
    )
    probe = rig.call(BOB, LONDON, X_Switchboard_Auth_Code="4829")
    assert (probe.code, probe.reason, probe.headers.get("x-switchboard-collect")) == (
        484,
        "Account code required",
        "account",
    )
    probe = rig.call(BOB, LONDON, X_Switchboard_Auth_Code="4829", X_Switchboard_Account_Code="1001")
    assert probe.code == 200
    assert rig.gateway_route() == "+442079460000;class=international;account=1001"
    probe = rig.call(BOB, "0115351234567", X_Switchboard_Auth_Code="4829", X_Switchboard_Account_Code="1001")
    assert (probe.code, probe.reason) == (403, "International calls are not allowed")


def test_the_cdr_carries_the_line_class_and_account_code(rig: Rig) -> None:
    assert rig.switch.outbound is not None
    run = ks.run_callers(
        rig.run_dir,
        name="codes",
        switch_port=rig.switch.outbound.port,
        dnis=LONDON,
        ani=BOB,
        calls=1,
        rate=1,
        test_time=OFFICE,
        hold_ms=1200,
        scenario="uac_codes",
        codes=("4829", "1001"),
    )
    assert (run.successful, run.failed, [c.site for c in run.answered]) == (1, 0, ["pstn"]), rig.logs()
    call = rig.traffic_call(run.answered[0].call_id)
    seen = {k: call[k] for k in ("number", "customer_id", "call_class", "account_code", "destination")}
    assert seen == {
        "number": BOB,
        "customer_id": "globex",
        "call_class": "international",
        "account_code": "1001",
        "destination": "+442079460000",
    }
    assert (call["disposition"], call["sip_code"], call["billable"]) == ("answered", 200, 2)


def test_a_refused_call_is_a_blocked_record_with_its_reason(rig: Rig) -> None:
    assert rig.switch.outbound is not None
    run = ks.run_callers(
        rig.run_dir,
        name="refused",
        switch_port=rig.switch.outbound.port,
        dnis="2125550100",
        ani=LOBBY,
        calls=1,
        rate=1,
        test_time=OFFICE,
        scenario="uac_fail",
    )
    assert [f.code for f in run.failures] == [403], rig.logs()
    call = rig.traffic_call(run.failures[0].call_id)
    seen = {k: call[k] for k in ("number", "call_class", "destination", "disposition", "block", "reason")}
    assert seen == {
        "number": LOBBY,
        "call_class": "long-distance",
        "destination": "+12125550100",
        "disposition": "blocked",
        "block": "policy",
        "reason": "Long-distance calls are not allowed",
    }


def test_hours_emergency_and_unknown_lines(rig: Rig) -> None:
    assert rig.call(LOBBY, "3125550100").code == 200
    probe = rig.call(LOBBY, "3125550100", ts=NIGHT)
    assert (probe.code, probe.reason) == (403, "Outside the hours this line may dial")
    probe = rig.call(LOBBY, "911", ts=NIGHT)  # emergency: whatever the hours, and no code
    assert probe.code == 200
    assert rig.gateway_route() == "911;class=emergency;account=-"
    probe = rig.call("+14155550100", "3125550100")
    assert (probe.code, probe.reason) == (403, "Unknown calling line")


def test_a_policy_change_is_obeyed_on_the_next_call(rig: Rig) -> None:
    probe = rig.call(LOBBY, "2125550100")
    assert (probe.code, probe.reason) == (403, "Long-distance calls are not allowed")
    body = {
        "name": "lobby",
        "classes": ["local", "long-distance", "toll-free"],
        "hours": {
            "zone": "America/Chicago",
            "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    }
    r = rig.alice.put("/api/outbound/policies/lobby", json=body)
    assert r.status_code == 200, r.text
    changed = time.monotonic()
    while (probe := rig.call(LOBBY, "2125550100")).code != 200:
        assert time.monotonic() - changed < 5, f"still {probe.code} {probe.reason} 5 s after the change"
        time.sleep(0.1)
    assert rig.gateway_route() == "+12125550100;class=long-distance;account=-"


def test_wrong_codes_lock_the_line(rig: Rig) -> None:
    codes = {"X_Switchboard_Account_Code": "1001"}
    for _ in range(4):
        probe = rig.call(BOB, LONDON, X_Switchboard_Auth_Code="1111", **codes)
        assert (probe.code, probe.reason) == (403, "Wrong authorization code")
    probe = rig.call(BOB, LONDON, X_Switchboard_Auth_Code="1111", **codes)
    assert (probe.code, probe.reason) == (403, "Authorization code locked; try again later")
    probe = rig.call(BOB, LONDON, X_Switchboard_Auth_Code="4829", **codes)
    assert (probe.code, probe.reason) == (403, "Authorization code locked; try again later")
    r = rig.alice.get("/api/outbound/config")
    bob = next(line for line in r.json()["lines"] if line["number"] == BOB)
    assert (bob["authorization_code"]["failures"], bob["authorization_code"]["locked_until"] is not None) == (
        5,
        True,
    )
