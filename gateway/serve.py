"""Composition root: builds every part from a Config and runs the listeners.

One process (default): gateway (customer port) + network plane + every resource in-process.
Split: `serve_resource` runs one resource as its own HTTPS service with mutual TLS, and the
gateway reaches it at the URL its Config names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import uvicorn

from dispatcher.assertion import AssertionSigner, SigningKeys
from dispatcher.backends import Backend, InProcessBackend
from dispatcher.core import Dispatcher
from dispatcher.registry import load_manifests
from dispatcher.remote import RemoteBackend, client_ssl_context
from gateway.config import Config
from gateway.tlsproto import tls_server_kwargs
from resources.kit.events import EventBus, make_bus
from resources.kit.manifest import Manifest
from resources.kit.settings import ResourceSettings

if TYPE_CHECKING:
    from resources.traffic.simulator.runner import BackgroundSimulator
    from resources.traffic.simulator.settings import SimulatorSettings

log = logging.getLogger("gateway")
BEFORE_EXIT_TIMEOUT = 5.0

REPO_ROOT = Path(__file__).resolve().parent.parent


def database_url(config: Config, name: str) -> tuple[str, str | None]:
    """(url, schema) for one part (`gateway` or a resource name)."""
    if config.database_url:
        return config.database_url, name
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return ResourceSettings.sqlite_url(config.data_dir, name), None


def resource_settings(config: Config, name: str, bus: EventBus) -> ResourceSettings:
    url, schema = database_url(config, name)
    return ResourceSettings(
        name=name,
        data_dir=config.data_dir,
        database_url=url,
        db_schema=schema,
        jwks_path=config.certs_dir / "signing" / "jwks.json",
        bus=bus,
        demo=config.demo,
    )


def migrations_dirs(manifests: Mapping[str, Manifest]) -> dict[str, Path]:
    dirs = {"gateway": REPO_ROOT / "gateway" / "migrations"}
    for name in manifests:
        dirs[name] = REPO_ROOT / "resources" / name / "migrations"
    return dirs


async def migrate(config: Config, *, only: str | None = None) -> list[str]:
    from resources.kit.migrate import upgrade

    done = []
    for name, path in migrations_dirs(load_manifests()).items():
        if only and name != only:
            continue
        url, schema = database_url(config, name)
        await upgrade(migrations_dir=path, url=url, schema=schema)
        done.append(name)
    return done


def dispatcher_client_tls(config: Config) -> ssl.SSLContext:
    c = config.certs_dir
    return client_ssl_context(c / "ca.pem", c / "dispatcher-client.pem", c / "dispatcher-client-key.pem")


@dataclass
class Portal:
    config: Config
    bus: EventBus
    dispatcher: Dispatcher
    gateway_app: Any
    network_app: Any


def build_dispatcher(config: Config, bus: EventBus) -> Dispatcher:
    manifests = load_manifests()
    signer = AssertionSigner(SigningKeys.load(config.certs_dir))
    backends: dict[str, Backend] = {}
    for name, manifest in manifests.items():
        where = config.resource_location(name)
        if where == "inproc":
            backends[name] = InProcessBackend(
                manifest.create_app(resource_settings(config, name, bus)), resource=name
            )
        else:
            backends[name] = RemoteBackend(where, dispatcher_client_tls(config), resource=name)
    return Dispatcher(manifests, signer, backends)


def build_portal(config: Config) -> Portal:
    from gateway.app import create_app
    from gateway.elements import ElementRegistry
    from gateway.metrics import Metrics
    from gateway.network import create_network_app

    bus = make_bus(config.redis_url)
    dispatcher = build_dispatcher(config, bus)
    metrics = Metrics(resources=tuple(dispatcher.manifests))
    gateway_app = create_app(config=config, dispatcher=dispatcher, bus=bus, metrics=metrics)
    elements = ElementRegistry.load(config.data_dir / "elements.json")
    network_app = create_network_app(dispatcher=dispatcher, elements=elements, metrics=metrics)
    return Portal(config, bus, dispatcher, gateway_app, network_app)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `run_servers` (two servers, one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_servers(
    configs: list[uvicorn.Config], *, before_exit: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM. `before_exit` runs first (at most BEFORE_EXIT_TIMEOUT s) while
    the listeners still answer — e.g. the demo's simulator hangs up its calls and reports them."""
    servers = [_Server(c) for c in configs]
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def exit_now() -> None:
        for s in servers:
            s.should_exit = True

    async def drain_then_exit() -> None:
        try:
            if before_exit is not None:
                await asyncio.wait_for(before_exit(), BEFORE_EXIT_TIMEOUT)
        except Exception:
            log.exception("before-exit step failed")
        finally:
            exit_now()

    def stop() -> None:
        if stopping:  # a second signal: stop at once
            exit_now()
            return
        stopping.append(loop.create_task(drain_then_exit()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(*(s.serve() for s in servers))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _uvicorn_config(
    app: Any, *, host: str, port: int, tls: dict[str, Any], lifespan: Literal["on", "off"], **extra: Any
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan=lifespan,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=True,
        timeout_graceful_shutdown=5,
        **tls,
        **extra,
    )


async def serve_portal(config: Config) -> None:
    from gateway.tlsproto import peer_cert_protocol

    portal = build_portal(config)
    certs = config.certs_dir
    customer = _uvicorn_config(
        portal.gateway_app,
        host=config.host,
        port=config.port,
        lifespan="on",
        tls=tls_server_kwargs(
            certfile=certs / "gateway.pem",
            keyfile=certs / "gateway-key.pem",
            ca_file=None,
            require_client_cert=False,
        ),
    )
    network = _uvicorn_config(
        portal.network_app,
        host=config.network_host,
        port=config.network_port,
        lifespan="off",
        http=peer_cert_protocol(),
        tls=tls_server_kwargs(
            certfile=certs / "gateway.pem",
            keyfile=certs / "gateway-key.pem",
            ca_file=certs / "ca.pem",
            require_client_cert="optional",
        ),
    )
    log.info(
        "serving",
        extra={
            "customer": f"https://{config.public_host}:{config.port}",
            "network": f"https://{config.network_host}:{config.network_port}",
        },
    )
    simulator = start_demo_simulator(config)
    try:
        await run_servers([customer, network], before_exit=simulator.stop if simulator is not None else None)
    finally:
        await stop_simulator(simulator)
        await portal.bus.aclose()


# --- the demo's switch simulator (resources/traffic/simulator) ----------------------------------


def simulator_settings(config: Config, **overrides: Any) -> SimulatorSettings:
    """SimulatorSettings for element `simulator` against this portal's network plane."""
    from resources.traffic.simulator.settings import SimulatorSettings

    host = config.network_host
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - a bind-all address
    host = f"[{host}]" if ":" in host else host
    return SimulatorSettings.for_element(
        network_url=f"https://{host}:{config.network_port}", certs_dir=config.certs_dir, **overrides
    )


def start_demo_simulator(config: Config) -> BackgroundSimulator | None:
    """In demo mode, with SWITCHBOARD_SIMULATOR_RATE > 0 (default 2): the simulator as a
    background task. It waits until the network plane answers, so starting it before the
    listeners is fine; a failure is logged and never takes the portal down."""
    if not config.demo:
        return None
    from resources.traffic.simulator.runner import BackgroundSimulator, SimulatorConfigError

    try:
        settings = simulator_settings(config)
    except SimulatorConfigError as exc:
        log.warning("switch simulator not started: %s", exc)
        return None
    return BackgroundSimulator(settings) if settings.rate > 0 else None


async def stop_simulator(simulator: BackgroundSimulator | None) -> None:
    if simulator is not None:
        await simulator.stop()


async def serve_resource(config: Config, name: str, *, host: str, port: int) -> None:
    """One resource as its own HTTPS service: mutual TLS (client cert from the dev CA required)."""
    manifests = load_manifests()
    if name not in manifests:
        raise SystemExit(f"unknown resource {name!r}; known: {', '.join(sorted(manifests))}")
    bus = make_bus(config.redis_url)
    app = manifests[name].create_app(resource_settings(config, name, bus))
    certs = config.certs_dir
    cfg = _uvicorn_config(
        app,
        host=host,
        port=port,
        lifespan="on",
        tls=tls_server_kwargs(
            certfile=certs / "resources" / f"{name}.pem",
            keyfile=certs / "resources" / f"{name}-key.pem",
            ca_file=certs / "ca.pem",
            require_client_cert=True,
        ),
    )
    try:
        await run_servers([cfg])
    finally:
        await bus.aclose()
