"""kill -9 during a burst of alarms loses nothing that was acknowledged: a network element posts
conditions (each a new alarm on its own object) to the real portal while the portal is killed
with SIGKILL; after a restart on the same data, every condition of every batch the portal
answered 202 is an alarm, exactly once, and its log row is in the store-and-forward feed."""

from __future__ import annotations

import os
import signal
import ssl
import threading
import time

import httpx
import pytest
from e2e_support import Portal, free_port, portal_env, run_cli, start_server, stop, wait_healthy

pytestmark = pytest.mark.e2e

ELEMENT = "burst"
BATCH = 20
ALARMS = "/api/events/tmf-api/alarmManagement/v4/alarm"


def condition(n: int) -> dict[str, object]:
    return {
        "customer_id": "globex",
        "resellers": [],
        "alarmed_object": f"number:+1800{n:07d}",
        "probable_cause": "lowAnswerSeizureRatio",
        "alarm_type": "qualityOfServiceAlarm",
        "severity": "minor",
        "specific_problem": f"burst condition {n}",
        "active": True,
        "at": time.time(),
        "source": "burst",
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Portal, dict[str, str]]:
    root = tmp_path_factory.mktemp("events-burst")
    port, network_port = free_port(), free_port()
    env = {**portal_env(root, port=port, network_port=network_port), "SWITCHBOARD_SIMULATOR_RATE": "0"}
    portal = Portal(
        base_url=f"https://127.0.0.1:{port}",
        port=port,
        network_port=network_port,
        data_dir=root,
        log_path=root / "serve.log",
        env=env,
    )
    run_cli(env, "certs")
    run_cli(env, "migrate")
    run_cli(env, "demo", "--load-only")
    run_cli(env, "element", "add", ELEMENT, "--action", "events:report")
    return portal, env


def element_client(portal: Portal) -> httpx.Client:
    certs = portal.data_dir / "certs"
    tls = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    tls.load_cert_chain(certs / "elements" / f"{ELEMENT}.pem", certs / "elements" / f"{ELEMENT}-key.pem")
    return httpx.Client(base_url=f"https://127.0.0.1:{portal.network_port}", verify=tls, timeout=5)


def test_a_kill_during_a_burst_loses_no_acknowledged_alarm(data: tuple[Portal, dict[str, str]]) -> None:
    portal, env = data
    proc = start_server(env, portal.log_path, "serve")
    acknowledged: list[int] = []
    stop_posting = threading.Event()

    def post() -> None:
        n = 0
        with element_client(portal) as client:
            while not stop_posting.is_set():
                batch = list(range(n, n + BATCH))
                n += BATCH
                try:
                    r = client.post("/events/conditions", json=[condition(i) for i in batch])
                except httpx.HTTPError:
                    continue  # the portal is down: this batch was never acknowledged
                if r.status_code == 202:
                    assert r.json() == {"accepted": BATCH}
                    acknowledged.extend(batch)

    try:
        wait_healthy(portal.url("/healthz"), proc, portal)
        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 10 * BATCH:  # well into the burst
            assert time.monotonic() < deadline, f"only {len(acknowledged)} acknowledged\n{portal.log_tail()}"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop_posting.set()
        poster.join(timeout=10)
        seen = sorted(acknowledged)
    finally:
        stop_posting.set()
        stop(proc)
    assert len(seen) >= 10 * BATCH
    restarted = start_server(env, portal.data_dir / "serve-2.log", "serve")
    try:
        wait_healthy(portal.url("/healthz"), restarted, portal)
        token = run_cli(env, "token", "create", "--user", "admin", "--name", "burst").strip().splitlines()[-1]
        with httpx.Client(
            base_url=portal.base_url,
            verify=ssl.create_default_context(cafile=str(portal.data_dir / "certs" / "ca.pem")),
            timeout=30,
        ) as api:
            api.headers["Authorization"] = f"Bearer {token}"
            objects: list[str] = []
            offset = 0
            while True:
                r = api.get(
                    ALARMS, params={"probableCause": "lowAnswerSeizureRatio", "offset": offset, "limit": 1000}
                )
                assert r.status_code == 200, r.text
                page = [
                    a["alarmedObject"]["id"] for a in r.json() if a["sourceSystemId"] == f"element:{ELEMENT}"
                ]
                objects += page
                if len(r.json()) < 1000:
                    break
                offset += 1000
            stored = {int(o.removeprefix("number:+1800")) for o in objects}
            assert len(objects) == len(stored)  # each condition raised one alarm, once
            missing = [n for n in seen if n not in stored]
            assert missing == []
            raised: list[str] = []
            after = 0
            while True:
                feed = api.get("/api/events/feed", params={"after": after, "limit": 1000})
                assert feed.status_code == 200, feed.text
                items = feed.json()["items"]
                if not items:
                    break
                raised += [
                    i["alarm"]["alarmedObject"]["id"]
                    for i in items
                    if i["kind"] == "raised" and i["alarm"]["sourceSystemId"] == f"element:{ELEMENT}"
                ]
                after = feed.json()["next"]
            assert sorted(raised) == sorted(objects)  # the feed has every raise once
    finally:
        stop(restarted)
