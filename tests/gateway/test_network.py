"""gateway.network: element-only authentication, policy on the network plane, forwarding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatcher.errors import ResourceUnavailable
from dispatcher.policy import Decision, decide
from gateway.elements import ElementRegistry, add_element
from gateway.metrics import Metrics
from gateway.network import _resource_path, create_network_app
from resources.kit.caller import Principal
from resources.kit.manifest import Action, Manifest, Plane, Rule

MANIFEST = Manifest(
    name="tollfree",
    title="Toll-free",
    create_app=lambda settings: None,
    actions=(
        Action(name="tollfree:route-query", description="Answer route queries", scope_kind="service"),
        Action(name="tollfree:report-call", description="Report call events", scope_kind="service"),
        Action(name="tollfree:edit-routing", description="Edit routing"),
    ),
    rules=(
        Rule(method="POST", path="/network/route-query", action="tollfree:route-query", plane="network"),
        Rule(method="POST", path="/network/calls/{call_id}", action="tollfree:report-call", plane="network"),
        Rule(method="GET", path="/network/slow", action="tollfree:route-query", plane="network"),
        Rule(method="WS", path="/network/events", action="tollfree:route-query", plane="network"),
        Rule(method="POST", path="/api/plans", action="tollfree:edit-routing"),
    ),
)


@dataclass
class FakeDispatcher:
    """Stands in for dispatcher.core.Dispatcher at the gateway ⇄ dispatcher boundary."""

    manifests: dict[str, Manifest] = field(default_factory=lambda: {"tollfree": MANIFEST})
    calls: list[dict[str, Any]] = field(default_factory=list)

    def decide(
        self, *, principal: Principal | None, resource: str, method: str, path: str, plane: Plane = "customer"
    ) -> Decision:
        return decide(
            principal=principal, manifest=self.manifests[resource], method=method, path=path, plane=plane
        )

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        resource: str,
        path: str,
        principal: Principal,
        plane: Plane,
        session_ref: str | None,
        request_id: str,
    ) -> None:
        self.calls.append(
            {
                "resource": resource,
                "path": path,
                "principal": principal.user_id,
                "plane": plane,
                "session_ref": session_ref,
                "query": scope["query_string"],
                "request_id": request_id,
            }
        )
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        if path == "/network/slow":
            raise ResourceUnavailable(resource, 504, "timed out")
        body = (await receive())["body"]
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"routed:" + body})


@dataclass
class Setup:
    client: httpx.AsyncClient
    dispatcher: FakeDispatcher
    metrics: Metrics
    token: str
    app: ASGIApp


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Setup]:
    path = tmp_path / "elements.json"
    token = add_element(path, name="sim", actions=["tollfree:route-query"])
    dispatcher = FakeDispatcher()
    metrics = Metrics(resources=["tollfree"])
    app = create_network_app(dispatcher=dispatcher, elements=ElementRegistry.load(path), metrics=metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://net") as client:
        yield Setup(client=client, dispatcher=dispatcher, metrics=metrics, token=token, app=app)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_element_token_reads_metrics(net: Setup) -> None:
    response = await net.client.get("/metrics", headers=_auth(net.token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.text.startswith("# HELP switchboard_http_requests_total HTTP requests answered.\n")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sbt_abc_0123456789"},
        {"Cookie": "__Host-sb_session=abc"},
        {"Authorization": "Basic c2ltOnNlY3JldA=="},
        {"Authorization": "Bearer sbe_sim_wrong"},
    ],
    ids=["nothing", "api-token", "session-cookie", "basic", "wrong-element-token"],
)
async def test_anything_but_an_element_credential_is_401(net: Setup, headers: dict[str, str]) -> None:
    for path in ("/metrics", "/tollfree/route-query", "/nosuch/x"):
        response = (
            await net.client.post(path, headers=headers)
            if path != "/metrics"
            else await net.client.get(path, headers=headers)
        )
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="switchboard-network"'
        assert response.json()["title"] == "Not authenticated"
    assert net.dispatcher.calls == []


async def test_forward_uses_network_plane_and_path(net: Setup) -> None:
    response = await net.client.post(
        "/tollfree/route-query?number=%2B18005550100", headers=_auth(net.token), content=b"q"
    )
    assert (response.status_code, response.text) == (200, "routed:q")
    [call] = net.dispatcher.calls
    request_id = call.pop("request_id")
    assert len(request_id) == 16
    assert call == {
        "resource": "tollfree",
        "path": "/network/route-query",
        "principal": "element:sim",
        "plane": "network",
        "session_ref": None,
        "query": b"number=%2B18005550100",
    }
    assert net.metrics.requests.value(plane="network", resource="tollfree", method="POST", status="200") == 1


async def test_denied_action_is_403(net: Setup) -> None:
    response = await net.client.post("/tollfree/calls/c1", headers=_auth(net.token))
    assert response.status_code == 403
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "POST /network/calls/c1 is not allowed for this element",
    }
    assert net.dispatcher.calls == []


async def test_unknown_resource_and_dot_segments_are_404(net: Setup) -> None:
    unknown = await net.client.post("/nosuch/route-query", headers=_auth(net.token))
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "no such resource")
    # %2E%2E survives the client's normalisation and is decoded to ".." in the ASGI path
    climbing = await net.client.post("/tollfree/%2E%2E/internal/authenticate", headers=_auth(net.token))
    assert (climbing.status_code, climbing.json()["detail"]) == (404, "no such resource")
    assert net.dispatcher.calls == []


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("route-query", "/network/route-query"),
        ("a/b", "/network/a/b"),
        ("", "/network/"),
        ("../internal/x", None),
        ("a/./b", None),
    ],
)
def test_resource_path(rest: str, expected: str | None) -> None:
    assert _resource_path(rest) == expected


async def test_unavailable_resource_is_problem_and_counted(net: Setup) -> None:
    response = await net.client.get("/tollfree/slow", headers=_auth(net.token))
    assert response.status_code == 504
    assert response.json()["title"] == "Resource timed out"
    assert net.metrics.resource_errors.value(resource="tollfree", status="504") == 1


async def _websocket(app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    sent: list[Message] = []
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "wss",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8450),
        "subprotocols": [],
        "state": {},
    }

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_websocket_needs_an_element_and_is_forwarded_on_the_network_plane(net: Setup) -> None:
    assert await _websocket(net.app, "/tollfree/events", []) == [{"type": "websocket.close", "code": 1008}]
    auth = [(b"authorization", f"Bearer {net.token}".encode())]
    assert await _websocket(net.app, "/tollfree/route-query", auth) == [
        {"type": "websocket.close", "code": 1008}
    ]
    assert await _websocket(net.app, "/tollfree/events", auth) == [{"type": "websocket.accept"}]
    [call] = net.dispatcher.calls
    assert (call["path"], call["plane"], call["principal"]) == ("/network/events", "network", "element:sim")
