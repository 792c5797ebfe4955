"""Real TLS: uvicorn on 127.0.0.1 with the generated certs and gateway.tlsproto (client cert optional)."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from starlette.types import Receive, Scope, Send

from certs import generate_all, issue_element_cert
from certs.generate import CertsReport
from gateway.elements import ElementRegistry, add_element
from gateway.metrics import Metrics
from gateway.network import create_network_app
from gateway.tlsproto import PeerCertH11Protocol, peer_cert_protocol, peer_common_name, tls_server_kwargs


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> CertsReport:
    certs_dir = tmp_path_factory.mktemp("tls") / "certs"
    report = generate_all(certs_dir, resources=[], hosts=[])
    issue_element_cert(certs_dir, "sim")
    return report


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    tls = (scope.get("extensions") or {}).get("tls") or {}
    body = {
        "cn": peer_common_name(scope),
        "subject": tls.get("client_cert_subject"),
        "tls_version": tls.get("tls_version"),
        "scheme": scope.get("scheme"),
    }
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(body)})
        await send({"type": "websocket.close", "code": 1000})
        return
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def _serve(app: Any, pki: CertsReport, http: Any = PeerCertH11Protocol) -> AsyncIterator[int]:
    kwargs = tls_server_kwargs(
        certfile=pki.network.cert,
        keyfile=pki.network.key,
        ca_file=pki.ca.cert,
        require_client_cert="optional",
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_config=None, http=http, **kwargs
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.fixture(params=["h11", "httptools"])
async def echo_port(pki: CertsReport, request: pytest.FixtureRequest) -> AsyncIterator[int]:
    """Both protocol flavours: h11 (fallback) and httptools (what `serve` picks when installed)."""
    http = PeerCertH11Protocol if request.param == "h11" else peer_cert_protocol()
    assert (
        http.__name__
        == {"h11": "PeerCertH11Protocol", "httptools": "PeerCertHttpToolsProtocol"}[request.param]
    )
    async for port in _serve(echo_app, pki, http):
        yield port


def _client_ctx(pki: CertsReport, *, element: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    if element is not None:
        base = pki.certs_dir / "elements"
        ctx.load_cert_chain(base / f"{element}.pem", base / f"{element}-key.pem")
    return ctx


async def test_element_cert_cn_reaches_the_app(pki: CertsReport, echo_port: int) -> None:
    async with httpx.AsyncClient(verify=_client_ctx(pki, element="sim")) as client:
        response = await client.get(f"https://localhost:{echo_port}/who")
    assert response.json() == {
        "cn": "element:sim",
        "subject": "CN=element:sim,O=Switchboard",
        "tls_version": 0x0304,
        "scheme": "https",
    }


async def test_without_client_cert_the_handshake_succeeds_and_cn_is_none(
    pki: CertsReport, echo_port: int
) -> None:
    async with httpx.AsyncClient(verify=_client_ctx(pki, element=None)) as client:
        response = await client.get(f"https://127.0.0.1:{echo_port}/who")
    assert response.json()["cn"] is None
    assert response.json()["subject"] is None


async def test_websocket_scope_carries_the_cn(pki: CertsReport, echo_port: int) -> None:
    async with websockets.connect(
        f"wss://localhost:{echo_port}/ws", ssl=_client_ctx(pki, element="sim")
    ) as ws:
        message = json.loads(await ws.recv())
    assert (message["cn"], message["scheme"]) == ("element:sim", "wss")


def test_listener_context_requires_tls12_and_verifies_optional_client_certs(pki: CertsReport) -> None:
    kwargs = tls_server_kwargs(
        certfile=pki.network.cert,
        keyfile=pki.network.key,
        ca_file=pki.ca.cert,
        require_client_cert="optional",
    )
    assert sorted(kwargs) == [
        "ssl_ca_certs",
        "ssl_cert_reqs",
        "ssl_certfile",
        "ssl_context_factory",
        "ssl_keyfile",
    ]
    config = uvicorn.Config(echo_app, lifespan="off", log_config=None, **kwargs)
    config.load()
    assert config.ssl is not None
    assert config.ssl.minimum_version == ssl.TLSVersion.TLSv1_2
    assert config.ssl.verify_mode == ssl.CERT_OPTIONAL
    with pytest.raises(ValueError, match="ca_file"):
        tls_server_kwargs(
            certfile=pki.network.cert, keyfile=pki.network.key, ca_file=None, require_client_cert=True
        )


async def test_cert_from_another_ca_is_refused(pki: CertsReport, echo_port: int, tmp_path: Path) -> None:
    other = generate_all(tmp_path / "other", resources=[], hosts=[])
    issue_element_cert(other.certs_dir, "sim")
    ctx = _client_ctx(pki, element=None)
    ctx.load_cert_chain(
        other.certs_dir / "elements" / "sim.pem", other.certs_dir / "elements" / "sim-key.pem"
    )
    async with httpx.AsyncClient(verify=ctx) as client:
        # TLS 1.3: the server checks the client cert after the client finished its handshake,
        # so the refusal surfaces as a failed read rather than a failed connect.
        with pytest.raises((httpx.ConnectError, httpx.ReadError)):
            await client.get(f"https://localhost:{echo_port}/who")


class _NoDispatcher:
    manifests: dict[str, Any] = {}


async def test_network_app_over_tls_accepts_cert_and_refuses_anonymous(
    pki: CertsReport, tmp_path: Path
) -> None:
    elements_file = tmp_path / "elements.json"
    add_element(elements_file, name="sim", actions=[])
    app = create_network_app(
        dispatcher=_NoDispatcher(),  # type: ignore[arg-type]
        elements=ElementRegistry.load(elements_file),
        metrics=Metrics(resources=[]),
    )
    async for port in _serve(app, pki):
        async with httpx.AsyncClient(verify=_client_ctx(pki, element="sim")) as client:
            ok = await client.get(f"https://localhost:{port}/metrics")
        async with httpx.AsyncClient(verify=_client_ctx(pki, element=None)) as client:
            anonymous = await client.get(f"https://localhost:{port}/metrics")
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert anonymous.status_code == 401
