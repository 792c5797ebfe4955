"""The switch simulator against a real portal: `serve` in demo mode starts it in the background
(element `simulator`, registered by `demo --load-only`, mTLS on the network plane), and
`switchboard simulate` runs it from the command line; traffic ingest counts what both reported."""

from __future__ import annotations

import re
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import Portal, free_port, portal_env, run_cli, start_server, stop, wait_healthy

pytestmark = pytest.mark.e2e

FAST_CALLS = {
    "SWITCHBOARD_SIMULATOR_RATE": "8",
    "SWITCHBOARD_SIMULATOR_PROFILE": "flat",
    "SWITCHBOARD_SIMULATOR_HOLDING_MEAN": "2",
    "SWITCHBOARD_SIMULATOR_ANSWER_DELAY_MEAN": "0.5",
}


def element_tls(data: Path) -> ssl.SSLContext:
    certs = data / "certs"
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(
        str(certs / "elements" / "simulator.pem"), str(certs / "elements" / "simulator-key.pem")
    )
    return context


def ingest_status(network_port: int, tls: ssl.SSLContext) -> dict[str, Any]:
    response = httpx.get(f"https://127.0.0.1:{network_port}/traffic/status", verify=tls, timeout=5)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["ingest"]
    return data


def test_demo_portal_runs_the_simulator_and_simulate_reports(tmp_path: Path) -> None:
    port, network_port = free_port(), free_port()
    env = portal_env(tmp_path, port=port, network_port=network_port) | FAST_CALLS
    log_path = tmp_path / "serve.log"
    portal = Portal(f"https://127.0.0.1:{port}", port, network_port, tmp_path, log_path, env)
    run_cli(env, "certs")
    run_cli(env, "migrate")
    run_cli(env, "demo", "--load-only")
    proc = start_server(env, log_path, "serve")
    try:
        wait_healthy(portal.url("/healthz"), proc, portal)
        tls = element_tls(tmp_path)
        deadline = time.monotonic() + 45
        seen = 0
        while time.monotonic() < deadline:
            seen = ingest_status(network_port, tls)["elements"].get("simulator", {}).get("accepted", 0)
            if seen >= 40:
                break
            time.sleep(0.5)
        assert seen >= 40, portal.log_tail()
        before = ingest_status(network_port, tls)

        out = run_cli(env, "simulate", "--rate", "10", "--duration", "2", "--seed", "1")
        match = re.search(r"records: (\d+) sent, (\d+) accepted, 0 duplicates, 0 rejected, 0 dropped", out)
        assert match, out
        sent = int(match.group(1))
        assert sent == int(match.group(2)) > 0
        summary = re.search(r"simulated (\d+) calls to 5 numbers", out)
        assert summary, out
        assert int(summary.group(1)) > 0
        after = ingest_status(network_port, tls)
        assert after["rejected"] == before["rejected"] == {}
        assert (
            after["elements"]["simulator"]["accepted"] >= before["elements"]["simulator"]["accepted"] + sent
        )
    finally:
        stop(proc)
    assert "Traceback" not in log_path.read_text(errors="replace")
