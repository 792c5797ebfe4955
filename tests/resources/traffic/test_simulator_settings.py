"""SimulatorSettings from the environment, the numbers it calls, and the portal's hooks:
`switchboard simulate`'s settings, the demo's background task and element registration."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from certs import generate_all
from gateway.admin import register_simulator
from gateway.config import Config
from gateway.serve import simulator_settings, start_demo_simulator, stop_simulator
from resources.traffic.simulator.client import NetworkClient, NetworkError
from resources.traffic.simulator.model import Behaviour
from resources.traffic.simulator.runner import choose_numbers, run_simulator, wait_ready
from resources.traffic.simulator.settings import DEMO_NUMBERS, SimulatorConfigError, SimulatorSettings


def test_defaults_and_environment() -> None:
    assert SimulatorSettings.from_env({}) == SimulatorSettings()
    assert SimulatorSettings().rate == 2.0
    env = {
        "SWITCHBOARD_SIMULATOR_RATE": "0.5",
        "SWITCHBOARD_SIMULATOR_SEED": "42",
        "SWITCHBOARD_SIMULATOR_DURATION": "",
        "SWITCHBOARD_SIMULATOR_NUMBERS": "8005550100=3, 18775550103",
        "SWITCHBOARD_SIMULATOR_PROFILE": "flat",
        "SWITCHBOARD_SIMULATOR_SITE_CAPACITY": "unlimited",
        "SWITCHBOARD_SIMULATOR_CAPACITIES": "east=10,west=0",
        "SWITCHBOARD_SIMULATOR_HOLDING_MEAN": "30",
        "SWITCHBOARD_SIMULATOR_RING_TIMEOUT": "15",
        "SWITCHBOARD_SIMULATOR_URL": "https://10.0.0.5:8450",
    }
    s = SimulatorSettings.from_env(env, network_url="https://127.0.0.1:9999", rate=7.0)
    assert s == SimulatorSettings(
        network_url="https://10.0.0.5:8450",
        rate=0.5,
        seed=42,
        numbers=(("+18005550100", 3.0), ("+18775550103", 1.0)),
        profile="flat",
        site_capacity=None,
        capacities=(("east", 10), ("west", 0)),
        behaviour=Behaviour(holding_mean=30.0, ring_timeout=15),
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RATE", "fast", "SWITCHBOARD_SIMULATOR_RATE must be a number, got 'fast'"),
        ("RATE", "-1", "rate must be a number of calls per second ≥ 0, got -1.0"),
        ("SEED", "1.5", "SWITCHBOARD_SIMULATOR_SEED must be a whole number, got '1.5'"),
        (
            "NUMBERS",
            "+13125550100",
            "SWITCHBOARD_SIMULATOR_NUMBERS: '+13125550100' is not a toll-free number",
        ),
        ("NUMBERS", "+18005550100=0", "the weight of +18005550100 must be greater than 0"),
        ("CAPACITIES", "east", "SWITCHBOARD_SIMULATOR_CAPACITIES: expected SITE=TRUNKS, got 'east'"),
        ("PROFILE", "night", "profile must be one of business, flat, got 'night'"),
        ("TIMEZONE", "Mars/Olympus", "timezone 'Mars/Olympus' is not a known time zone"),
        ("ABANDON_PROB", "2", "abandon_prob must be between 0 and 1"),
        ("URL", "ftp://x", "network_url must be an http(s) URL"),
    ],
)
def test_bad_settings_say_what_is_wrong(name: str, value: str, message: str) -> None:
    with pytest.raises(SimulatorConfigError) as err:
        SimulatorSettings.from_env({f"SWITCHBOARD_SIMULATOR_{name}": value})
    assert message in str(err.value)


def test_numbers_configured_discovered_or_demo() -> None:
    mine = SimulatorSettings(numbers=(("+18005550100", 2.0),))
    assert choose_numbers(mine, {"targets": ["+18665550104"]}) == (("+18005550100", 2.0),)
    plain = SimulatorSettings()
    assert choose_numbers(plain, {"targets": ["*GLOBEX-STD", "+18005550101", "+18445550199"]}) == (
        ("+18005550101", 3.0),
        ("+18445550199", 1.0),
    )
    assert choose_numbers(plain, {"targets": 5}) == DEMO_NUMBERS
    assert choose_numbers(plain, {"targets": ["*ONLY-TEMPLATES"]}) == DEMO_NUMBERS


def test_portal_settings_point_at_the_network_plane_with_the_elements_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("RATE", "URL", "SEED", "DURATION"):
        monkeypatch.delenv(f"SWITCHBOARD_SIMULATOR_{var}", raising=False)
    config = Config(data_dir=tmp_path, network_host="0.0.0.0", network_port=9450)  # noqa: S104
    s = simulator_settings(config, rate=5.0, duration=None, seed=3)
    certs = tmp_path / "certs"
    assert (s.network_url, s.rate, s.duration, s.seed) == ("https://127.0.0.1:9450", 5.0, None, 3)
    assert (s.ca_file, s.cert_file, s.key_file) == (
        certs / "ca.pem",
        certs / "elements" / "simulator.pem",
        certs / "elements" / "simulator-key.pem",
    )
    assert s.missing_files() == [s.ca_file, s.cert_file, s.key_file]
    v6 = simulator_settings(Config(data_dir=tmp_path, network_host="::1"))
    assert v6.network_url == "https://[::1]:8450"


async def test_demo_hook_only_in_demo_mode_with_a_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWITCHBOARD_SIMULATOR_RATE", raising=False)
    assert start_demo_simulator(Config(data_dir=tmp_path, demo=False)) is None
    monkeypatch.setenv("SWITCHBOARD_SIMULATOR_RATE", "0")
    assert start_demo_simulator(Config(data_dir=tmp_path, demo=True)) is None
    monkeypatch.setenv("SWITCHBOARD_SIMULATOR_RATE", "often")
    assert start_demo_simulator(Config(data_dir=tmp_path, demo=True)) is None
    monkeypatch.setenv("SWITCHBOARD_SIMULATOR_RATE", "1")
    # no certificate yet: the task logs why and ends; the portal is not affected
    simulator = start_demo_simulator(Config(data_dir=tmp_path, demo=True))
    assert simulator is not None
    await asyncio.wait_for(asyncio.shield(simulator.task), 5)
    assert simulator.task.exception() is None
    await stop_simulator(simulator)
    await stop_simulator(None)


async def test_refused_simulator_stops_with_a_clear_error() -> None:
    async def status(_request: Request) -> JSONResponse:
        return JSONResponse({"title": "Forbidden"}, status_code=403)

    app = Starlette(routes=[Route("/tollfree/status", status)])
    s = SimulatorSettings(network_url="https://net.test", ready_timeout=1)
    with pytest.raises(NetworkError, match="HTTP 403"):
        await run_simulator(s, transport=httpx.ASGITransport(app=app))
    async with NetworkClient(base_url="https://127.0.0.1:1") as down:
        with pytest.raises(NetworkError, match=r"did not answer within 0\.3 s"):
            await wait_ready(down, within=0.3)


def test_register_simulator_is_idempotent(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    generate_all(config.certs_dir, resources=[], hosts=[])
    register_simulator(config)
    elements = json.loads((tmp_path / "elements.json").read_text())
    assert [(e["name"], e["actions"]) for e in elements] == [
        ("simulator", ["tollfree:route-query", "callcenter:route-query", "traffic:ingest"])
    ]
    cert = config.certs_dir / "elements" / "simulator.pem"
    first = (cert.read_bytes(), (tmp_path / "elements.json").read_bytes())
    register_simulator(config)
    assert (cert.read_bytes(), (tmp_path / "elements.json").read_bytes()) == first
    # a new CA (certs --force) makes the old certificate useless: it is re-issued
    generate_all(config.certs_dir, resources=[], hosts=[], force=True)
    register_simulator(config)
    assert cert.read_bytes() != first[0]
