"""The real switch reports traffic: Kamailio (deploy/kamailio/kamailio.cfg) routes SIPp callers to
SIPp call-center sites through the portal's SCP and reports every call — live events over evapi
(the portal dials Kamailio's evapi port: SWITCHBOARD_TRAFFIC_EVAPI_PEERS) and acc_json CDRs /
failed-transaction records POSTed from an mqueue to the network plane's `/traffic/events`.

One disposition per toll-free number (answered at east, busy at west, no answer at south, the
caller hanging up while south rings, blocked by the plan's area of service), each number with
its own plan activated by alice. Checked: what the SIPp callers got; the evapi records (a client
of our own next to the portal's); the exact counts per disposition in the store (alice's JSON
API: calls and 5-minute buckets); the live websocket showing each call's outcome within 2 s of
its end. A second switch POSTs to an HTTPS stand-in (switch_reports.RecordSink) that refuses the
first POST: the CDRs arrive exactly once anyway, with our fields.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import kamailio_support as ks
import pytest
from e2e_support import Portal, free_port, portal_env, run_cli, start_server, stop, wait_healthy
from spine_checks import SESSION_COOKIE, Target, login
from switch_reports import EvapiTap, RecordSink
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("kamailio")]

CUSTOMER = "globex"
ELEMENT = "switch"
ANI = "3125550100"  # Chicago: outside an area of service of NPA 212
SITE_KINDS = {"east": "answer", "west": "busy", "south": "noanswer"}
LIVE_DEADLINE = 2.0  # seconds from a call's end to its outcome on the live websocket


def tel(site: str, *, ring_timeout: int | None = None) -> dict[str, Any]:
    return {
        "type": "tel",
        "dest": f"site:{site}",
        "alternates": [],
        "carrier": None,
        "ring_timeout": ring_timeout,
    }


def plan(main: dict[str, Any], *, npas: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "format": 1,
        "timezone": "America/New_York",
        "aos": {"states": [], "npas": list(npas), "latas": [], "npanxx": []},
        "carrier": None,
        "switches": {},
        "sections": {"M": main},
    }


@dataclass(frozen=True)
class Case:
    """Calls to one number, all ending the same way."""

    number: str
    disposition: str
    calls: int
    scenario: str  # the SIPp caller (deploy/kamailio/sipp/<scenario>.xml)
    code: int  # the final status the caller gets
    document: dict[str, Any]
    site: str | None  # where the plan sends the calls (None: nowhere, the plan blocks them)
    hold_ms: int = 200  # answered: talk time; uac_cancel: ringing time before the caller hangs up


CASES = (
    Case("+18885550201", "answered", 4, "uac", 200, plan(tel("east")), "east", hold_ms=1500),
    Case("+18885550202", "busy", 3, "uac_fail", 486, plan(tel("west")), "west"),
    Case("+18885550203", "no_answer", 2, "uac_fail", 408, plan(tel("south", ring_timeout=5)), "south"),
    Case("+18885550204", "short", 2, "uac_cancel", 487, plan(tel("south", ring_timeout=60)), "south", 1000),
    Case("+18885550205", "blocked", 3, "uac_fail", 403, plan(tel("east"), npas=("212",)), None),
)
EVENT_TYPES = {
    "answered": ["routed", "answered", "ended"],
    "busy": ["routed", "failed"],
    "no_answer": ["routed", "failed"],
    "short": ["routed", "failed"],
    "blocked": ["failed"],
}


# --- the rig: portal (SCP + traffic), SIPp sites, Kamailio -----------------------------------------


@contextmanager
def traffic_portal(
    data: Path,
    *,
    evapi_port: int,
    actions: tuple[str, ...] = ("tollfree:route-query", "callcenter:route-query", "traffic:ingest"),
) -> Iterator[Portal]:
    """e2e_support.launch_portal plus: element `switch` (route queries to the SCP and the
    call-center router, traffic reports), the portal dialling the switch's evapi port, the demo's
    switch simulator off."""
    port, network_port = free_port(), free_port()
    env = portal_env(data, port=port, network_port=network_port)
    env["SWITCHBOARD_TRAFFIC_EVAPI_PEERS"] = f"{ELEMENT}=127.0.0.1:{evapi_port}"
    env["SWITCHBOARD_SIMULATOR_RATE"] = "0"
    portal = Portal(
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
    run_cli(env, "element", "add", ELEMENT, *(arg for a in actions for arg in ("--action", a)))
    proc = start_server(env, portal.log_path, "serve")
    try:
        wait_healthy(portal.url("/healthz"), proc, portal)
        yield portal
    finally:
        stop(proc)


@dataclass
class Rig:
    portal: Portal
    run_dir: Path
    switch: ks.Switch
    sites: dict[str, ks.Site]
    access: ks.ScpAccess
    evapi_port: int
    alice: httpx.Client
    versions: dict[str, int]  # number → the version alice activated
    tap: EvapiTap
    extra_logs: list[Path] = field(default_factory=list)

    @property
    def ca(self) -> Path:
        return self.access.ca

    def logs(self) -> str:
        parts = [f"--- kamailio ({self.switch.log_path})\n{self.switch.log_tail(80)}"]
        for site in self.sites.values():
            parts.append(f"--- site {site.name} errors\n{ks.tail(site.errors_path, 20)}")
        for path in self.extra_logs:
            parts.append(f"--- {path.name}\n{ks.tail(path, 40)}")
        parts.append(f"--- evapi tap errors: {self.tap.errors}")
        parts.append(f"--- portal\n{self.portal.log_tail(80)}")
        return "\n".join(parts)


def _token(portal: Portal, user: str) -> str:
    out: str = run_cli(portal.env, "token", "create", "--user", user, "--name", "kamailio-traffic-test")
    return out.strip().splitlines()[-1]


def _activate(alice: httpx.Client, scp: httpx.Client, number: str, document: dict[str, Any]) -> int:
    """alice creates and activates a version of `number`; waits until the SCP answers with it."""
    path = f"/api/tollfree/numbers/{number}/versions"
    created = alice.post(path, json={"document": document, "note": "traffic test"})
    assert created.status_code == 201, created.text
    version = int(created.json()["number"])
    activated = alice.post(f"{path}/{version}/activate", json={})
    assert activated.status_code == 200, activated.text
    deadline = time.monotonic() + 10
    seen = None
    while time.monotonic() < deadline:
        r = scp.post(
            "/tollfree/route?format=rtjson",
            json={"dnis": number, "ani": ANI, "ts": None, "callid": "probe"},
        )
        assert r.status_code == 200, r.text
        seen = r.json()["switchboard"]["version"]
        if seen == version:
            return version
        time.sleep(0.05)
    pytest.fail(f"the SCP still answers version {seen} for {number} 10 s after activating {version}")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    run_dir = tmp_path_factory.mktemp("traffic-switch")
    evapi_port = ks.free_udp_port()
    with traffic_portal(tmp_path_factory.mktemp("traffic-portal"), evapi_port=evapi_port) as portal:
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
        tap: EvapiTap | None = None
        try:
            for name, kind in SITE_KINDS.items():
                sites[name] = ks.start_site(run_dir, name=name, kind=kind)
                r = admin.put(
                    f"/api/tollfree/sites/{CUSTOMER}/{name}",
                    json={"uri": sites[name].uri, "description": f"SIPp {kind} site"},
                )
                assert r.status_code == 200, r.text
            versions: dict[str, int] = {}
            for case in CASES:
                r = admin.post(
                    "/api/tollfree/numbers",
                    json={
                        "tfn": case.number,
                        "customer_id": CUSTOMER,
                        "reseller_chain": [],
                        "description": f"traffic test: {case.disposition}",
                    },
                )
                assert r.status_code == 201, r.text
                versions[case.number] = _activate(alice, scp, case.number, case.document)
            traffic = ks.TrafficReporting(
                evapi_port=evapi_port, base_url=f"https://127.0.0.1:{portal.network_port}/traffic"
            )
            switch = ks.start_switch(run_dir, scp=access, traffic=traffic)
            # the portal dials first (it retries every ≤ 5 s); then our own tap joins
            ks.wait_log(switch, "evapi: traffic client connected", timeout=20)
            tap = EvapiTap(evapi_port)
            yield Rig(
                portal=portal,
                run_dir=run_dir,
                switch=switch,
                sites=sites,
                access=access,
                evapi_port=evapi_port,
                alice=alice,
                versions=versions,
                tap=tap,
            )
        finally:
            if tap is not None:
                tap.close()
            if switch is not None:
                ks.stop(switch.proc)
            for site in sites.values():
                ks.stop(site.proc)
            for client in (admin, alice, scp):
                client.close()


# --- the live websocket -----------------------------------------------------------------------------


class LiveWatcher:
    """alice's live monitor (`/traffic/live/ws`, her session cookie): a thread connects and keeps
    every message with the time it arrived until `close()`. Like the browser's monitor it tries
    again when the handshake fails (up to OPEN_ATTEMPTS times); every failed attempt is kept, and
    the fixture fails with them and the portal's log when none opened."""

    OPEN_ATTEMPTS = 3

    def __init__(self, portal: Portal, *, cookie: str, ca: Path) -> None:
        self._url = f"wss://127.0.0.1:{portal.port}/traffic/live/ws?select=all"
        self._origin = Origin(portal.base_url)
        self._cookie = cookie
        self._tls = ssl.create_default_context(cafile=str(ca))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open = threading.Event()
        self._messages: list[tuple[float, dict[str, Any]]] = []
        self.failed_attempts: list[str] = []
        self.closed: str | None = None
        self._thread = threading.Thread(target=self._run, name="live-watcher", daemon=True)
        self._thread.start()
        if not self._open.wait(timeout=self.OPEN_ATTEMPTS * 12 + 5):
            self.close()
            log = portal.log_path.read_text(errors="replace").splitlines()[-40:]
            pytest.fail(
                f"the live websocket did not open: attempts {self.failed_attempts}, "
                f"thread alive {self._thread.is_alive()}; the portal's log ends:\n" + "\n".join(log)
            )

    def _run(self) -> None:
        for _ in range(self.OPEN_ATTEMPTS):
            try:
                with connect(
                    self._url,
                    ssl=self._tls,
                    origin=self._origin,
                    additional_headers={"Cookie": f"{SESSION_COOKIE}={self._cookie}"},
                    open_timeout=10,
                ) as ws:
                    self._open.set()
                    self._read(ws)
                    return
            except Exception as exc:  # any failure: the fixture reports it
                if self._open.is_set():
                    self.closed = repr(exc)
                    return
                self.failed_attempts.append(f"{time.strftime('%H:%M:%S')} {exc!r}")
            if self._stop.wait(1):
                return

    def _read(self, ws: ClientConnection) -> None:
        while not self._stop.is_set():
            try:
                raw = ws.recv(timeout=0.5)
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                self.closed = f"{exc.rcvd.code} {exc.rcvd.reason}" if exc.rcvd else "closed"
                return
            with self._lock:
                self._messages.append((time.time(), json.loads(raw)))

    def messages(self) -> list[tuple[float, dict[str, Any]]]:
        with self._lock:
            return list(self._messages)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- the calls ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    runs: dict[str, ks.CallerRun]  # number → its callers
    started: float
    ended: float
    live: list[tuple[float, dict[str, Any]]]  # (arrival, message) of alice's websocket
    live_closed: str | None

    def call_ids(self, case: Case) -> list[str]:
        run = self.runs[case.number]
        return (
            sorted(c.call_id for c in run.answered)
            if case.scenario == "uac"
            else sorted(c.call_id for c in run.failures)
        )


def _wait_stored(alice: httpx.Client, expected: dict[str, int], *, timeout: float = 15) -> None:
    """Until every number has its calls ended in the store (or the timeout: the tests say what is off)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = 0
        for number, calls in expected.items():
            r = alice.get("/api/traffic/calls", params={"number": number, "limit": 100})
            if r.status_code == 200:
                items = r.json()["items"]
                done += len(items) == calls and all(i["disposition"] for i in items)
        if done == len(expected):
            return
        time.sleep(0.25)


@pytest.fixture(scope="module")
def traffic(rig: Rig) -> Traffic:
    """Every case's calls, placed at once; alice watches the live websocket meanwhile."""
    target = Target(
        base_url=rig.portal.base_url,
        certs_dir=rig.portal.data_dir / "certs",
        cli=lambda *args: run_cli(rig.portal.env, *args),
    )
    with login(target, "alice@globex") as session:
        cookie = session.cookies[SESSION_COOKIE]
    watcher = LiveWatcher(rig.portal, cookie=cookie, ca=rig.ca)
    try:
        started = time.time()
        callers = {
            case.number: ks.start_callers(
                rig.run_dir,
                switch_port=rig.switch.port,
                dnis=case.number,
                calls=case.calls,
                rate=10,
                name=f"calls-{case.disposition}",
                ani=ANI,
                hold_ms=case.hold_ms,
                scenario=case.scenario,
                call_id_format=f"{case.disposition}-%u-%p@switchboard.test",
            )
            for case in CASES
        }
        for c in callers.values():
            rig.extra_logs.append(c.log_path)
        runs = {number: ks.finish_callers(c) for number, c in callers.items()}
        ended = time.time()
        _wait_stored(rig.alice, {case.number: case.calls for case in CASES})
        time.sleep(LIVE_DEADLINE)  # the websocket has had its chance for the last call
    finally:
        watcher.close()
    return Traffic(
        runs=runs, started=started, ended=ended, live=watcher.messages(), live_closed=watcher.closed
    )


# --- tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("defines", [(), ("WITH_TEST_CLOCK",), ("WITHOUT_TRAFFIC",), ("WITH_STATIC_ROUTE",)])
def test_the_config_loads(defines: tuple[str, ...]) -> None:
    try:
        ks.ensure_packages()
    except ks.SwitchError as exc:
        pytest.fail(str(exc))
    command = ["kamailio", "-c", "-f", str(ks.CONFIG)]
    for d in defines:
        command += ["-A", d]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "config file ok" in done.stdout + done.stderr


def test_each_caller_gets_the_outcome_of_its_plan(rig: Rig, traffic: Traffic) -> None:
    for case in CASES:
        run = traffic.runs[case.number]
        assert (run.returncode, run.successful, run.failed) == (0, case.calls, 0), case
        if case.scenario == "uac":
            assert run.per_site() == {case.site: case.calls}
            assert run.failures == []
        else:
            assert run.answered == []
            assert [f.code for f in run.failures] == [case.code] * case.calls, case


def test_evapi_relays_each_call_event_in_the_wire_format(rig: Rig, traffic: Traffic) -> None:
    assert rig.tap.errors == []
    by_call: dict[str, list[dict[str, Any]]] = {}
    for record in rig.tap.records():
        by_call.setdefault(record["callid"], []).append(record)
    for case in CASES:
        ids = traffic.call_ids(case)
        assert len(ids) == case.calls
        for call_id in ids:
            events = by_call.get(call_id, [])
            assert [e["type"] for e in events] == EVENT_TYPES[case.disposition], (case, events)
            site_uri_port = f"127.0.0.1:{rig.sites[case.site].port}" if case.site else None
            for e in events:
                assert e["dnis"] == case.number
                assert e["ani"] == ANI
                assert e["version"] == rig.versions[case.number]
                assert traffic.started - 1 <= e["start"] <= e["ts"] <= traffic.ended + 1
                if case.site is None:  # refused before the plan's tree: no destination, no path
                    assert [k for k in ("site", "dest", "uri", "path") if k in e] == []
                else:  # the decision path of a plan with one tel node: its id
                    assert (e["site"], e["dest"], e["path"]) == (case.site, f"site:{case.site}", "M")
                    assert site_uri_port is not None
                    assert site_uri_port in e["uri"]
            final = events[-1]
            if case.disposition == "answered":
                assert events[1]["sip_code"] == 200
                assert "sip_code" not in final
                assert final["ts"] - events[1]["ts"] >= case.hold_ms / 1000
            else:
                assert final["sip_code"] == case.code
                assert final.get("block") == ("plan" if case.disposition == "blocked" else None)
    mine = {call_id for case in CASES for call_id in traffic.call_ids(case)}
    assert set(by_call) == mine  # nothing else, nothing twice (the lists above are exact)


def _window(traffic: Traffic) -> dict[str, str]:
    fmt = "%Y-%m-%dT%H:%M"
    lo = dt.datetime.fromtimestamp(traffic.started - 600, dt.UTC)
    hi = dt.datetime.fromtimestamp(traffic.ended + 600, dt.UTC)
    return {"from": lo.strftime(fmt), "to": hi.strftime(fmt)}


def test_the_store_counts_each_disposition_exactly(rig: Rig, traffic: Traffic) -> None:
    for case in CASES:
        r = rig.alice.get("/api/traffic/calls", params={"number": case.number, "limit": 100})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert sorted(i["call_id"] for i in items) == traffic.call_ids(case)
        assert Counter(i["disposition"] for i in items) == {case.disposition: case.calls}
        assert {i["sip_code"] for i in items} == {case.code}
        assert {i["version"] for i in items} == {rig.versions[case.number]}
        assert {i["site"] for i in items} == {case.site}

        r = rig.alice.get(
            "/api/traffic/buckets", params={"select": f"number:{case.number}", **_window(traffic)}
        )
        assert r.status_code == 200, r.text
        totals = r.json()["totals"]
        expected = {"offered": case.calls, "starts": case.calls, "ends": case.calls}
        expected |= {d: 0 for d in ("answered", "short", "no_answer", "busy", "blocked", "failed")}
        expected[case.disposition] = case.calls
        expected["talk_seconds"] = (
            case.calls * math.ceil(case.hold_ms / 1000) if case.scenario == "uac" else 0
        )
        assert {k: totals[k] for k in expected} == expected, case


def test_the_live_websocket_shows_each_outcome_within_2_seconds(rig: Rig, traffic: Traffic) -> None:
    assert traffic.live_closed is None
    assert traffic.live
    assert traffic.live[0][1]["type"] == "hello"
    fields: list[str] = traffic.live[0][1]["fields"]
    first_final: dict[str, tuple[float, dict[str, Any]]] = {}
    points: dict[int, list[int]] = {}
    for arrived, message in traffic.live:
        if message["type"] != "frame":
            continue
        for call in message["calls"]:
            if call["disposition"] and call["call_id"] not in first_final:
                first_final[call["call_id"]] = (arrived, call)
        for point in message["points"]:
            points[int(point[0])] = point[1:]  # absolute values: the latest frame wins
    for case in CASES:
        for call_id in traffic.call_ids(case):
            assert call_id in first_final, f"{call_id} never shown with an outcome"
            arrived, call = first_final[call_id]
            assert (call["number"], call["disposition"]) == (case.number, case.disposition)
            assert arrived - call["end"] <= LIVE_DEADLINE, (
                f"{call_id} shown {arrived - call['end']:.2f} s after its end"
            )
    # the per-second counters of the test's seconds add up to the calls placed
    seconds = range(int(traffic.started) - 1, int(traffic.ended) + 2)
    sums = {name: sum(points[s][i] for s in seconds if s in points) for i, name in enumerate(fields)}
    expected = Counter({case.disposition: case.calls for case in CASES})
    assert sums["offered"] == sum(case.calls for case in CASES)
    for name in ("answered", "busy", "no_answer", "short", "blocked"):
        assert sums[name] == expected[name], name


def test_cdrs_reach_the_network_plane_once_even_after_a_refused_post(rig: Rig) -> None:
    """A second switch reporting to an HTTPS stand-in that answers the first POST with 503."""
    certs = rig.portal.data_dir / "certs"
    sink = RecordSink(
        cert=certs / "gateway.pem", key=certs / "gateway-key.pem", ca=certs / "ca.pem", statuses=[503]
    )
    run_dir = rig.run_dir / "recorder"
    reporting = ks.TrafficReporting(evapi_port=ks.free_udp_port(), base_url=sink.base_url)
    switch = ks.start_switch(run_dir, scp=rig.access, traffic=reporting, sip_workers=2, async_workers=2)
    rig.extra_logs.append(switch.log_path)
    try:
        answered, busy, blocked = CASES[0], CASES[1], CASES[4]
        runs = {
            case.disposition: ks.run_callers(
                run_dir,
                switch_port=switch.port,
                dnis=case.number,
                calls=2,
                rate=10,
                name=f"recorded-{case.disposition}",
                ani=ANI,
                hold_ms=case.hold_ms,
                scenario=case.scenario,
            )
            for case in (answered, busy, blocked)
        }
        deadline = time.monotonic() + 10
        while len(sink.records()) < 8 and time.monotonic() < deadline:  # 2 x (200 + CDR), 2 + 2 failed
            time.sleep(0.1)
        time.sleep(1.5)  # three more drain ticks: nothing else may arrive
    finally:
        ks.stop(switch.proc)
        sink.close()

    assert [p.status for p in sink.posts][:1] == [503]
    assert {(p.path, p.client) for p in sink.posts} == {("/traffic/events", f"element:{ELEMENT}")}
    refused = [
        r for p in sink.posts if p.status == 503 for r in (p.body if isinstance(p.body, list) else [p.body])
    ]
    accepted = sink.records()
    assert refused
    assert all(r in accepted for r in refused)
    kinds: dict[str, list[str]] = {}
    for r in accepted:
        kinds.setdefault(r["callid"], []).append("cdr" if "start_time" in r else f"acc {r['sip_code']}")
    expected = {c.call_id: ["acc 200", "cdr"] for c in runs["answered"].answered}
    expected |= {c.call_id: ["acc 486"] for c in runs["busy"].failures}
    expected |= {c.call_id: ["acc 403"] for c in runs["blocked"].failures}
    assert {k: sorted(v) for k, v in kinds.items()} == expected  # each record exactly once

    version = rig.versions
    for r in accepted:
        number = r["dnis"]
        assert (r["ani"], r["version"]) == (ANI, str(version[number]))
        assert r["path"] == ("" if number == blocked.number else "M")
        if "start_time" in r:  # the CDR of an answered call: talk time ~ hold time
            assert number == answered.number
            assert (r["site"], r["dest"], r["sip_code"]) == ("east", "site:east", "200")
            assert float(r["seized"]) <= float(r["start_time"]) < float(r["end_time"])
            assert 1.5 <= float(r["duration"]) < 2.5
        elif r["sip_code"] == "403":
            assert (number, r["block"], r["site"]) == (blocked.number, "plan", "")
        else:
            assert r["method"] == "INVITE"
            assert r["block"] == ""
            assert r["site"] == ("east" if number == answered.number else "west")
