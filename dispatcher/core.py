"""The dispatcher the gateway uses: policy, assertion minting, header hygiene, forwarding."""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.types import Message, Receive, Scope, Send

from dispatcher.assertion import AssertionSigner
from dispatcher.backends import Backend
from dispatcher.errors import PolicyDenied, ResourceUnavailable
from dispatcher.hygiene import clean_request_headers, clean_response_headers, forwarding_headers
from dispatcher.policy import Decision, decide
from resources.kit.caller import Principal
from resources.kit.manifest import Manifest, Plane

log = logging.getLogger("dispatcher")

ASSERTION_HEADER = b"x-switchboard-assertion"
HEALTH_TIMEOUT = 2.0
SAFE_METHODS = frozenset({"GET", "HEAD"})  # reads: their assertion may be reused
# ASGI connection-scope keys a resource receives; everything else (the gateway's state, app,
# router, endpoint, path params…) stays behind.
_SCOPE_KEYS = (
    "type",
    "asgi",
    "http_version",
    "method",
    "scheme",
    "query_string",
    "client",
    "server",
    "subprotocols",
    "extensions",
)


@dataclass(frozen=True)
class CallResult:
    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return jsonlib.loads(self.body)


def _raw_path(path: str) -> bytes:
    return quote(path, safe="/:@!$&'()*+,;=-._~").encode("ascii")


class _Collector:
    """A buffering ASGI `send` for service calls (small JSON bodies only)."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.done = asyncio.Event()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers") or ():
                key, text = name.decode("latin-1").lower(), value.decode("latin-1")
                self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.done.set()

    def result(self) -> CallResult:
        return CallResult(status=self.status, headers=self.headers, body=b"".join(self.chunks))


class Dispatcher:
    def __init__(
        self,
        manifests: Mapping[str, Manifest],
        signer: AssertionSigner,
        backends: Mapping[str, Backend],
    ) -> None:
        missing = sorted(set(manifests) - set(backends))
        if missing:
            raise ValueError(f"no backend for resources {missing}")
        self.manifests = manifests
        self.signer = signer
        self.backends = backends
        self._started: list[Backend] = []

    # --- policy -------------------------------------------------------------------------------

    def decide(
        self, *, principal: Principal | None, resource: str, method: str, path: str, plane: Plane = "customer"
    ) -> Decision:
        manifest = self.manifests.get(resource)
        if manifest is None:
            return Decision(allow=False, action=None, reasons=(f"unknown resource {resource!r}",))
        return decide(principal=principal, manifest=manifest, method=method, path=path, plane=plane)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        for name, backend in self.backends.items():
            try:
                await backend.start()
            except BaseException:
                log.exception("resource %s failed to start", name)
                await self.stop()
                raise
            self._started.append(backend)

    async def stop(self) -> None:
        while self._started:
            backend = self._started.pop()
            try:
                await backend.stop()
            except Exception:
                log.exception("resource %s failed to stop", backend.resource)

    # --- forwarding ---------------------------------------------------------------------------

    def _resource_scope(
        self,
        scope: Scope,
        *,
        resource: str,
        path: str,
        principal: Principal | None,
        plane: Plane,
        session_ref: str | None,
        request_id: str,
    ) -> Scope:
        headers = clean_request_headers(scope.get("headers") or ())
        headers += forwarding_headers(scope)
        headers.append((b"x-request-id", request_id.encode("latin-1")))
        if principal is not None:
            token = self.signer.mint(
                audience=resource,
                principal=principal,
                plane=plane,
                session_ref=session_ref,
                request_id=request_id,
                reuse=scope["type"] == "http" and scope.get("method") in SAFE_METHODS,
            )
            headers.append((ASSERTION_HEADER, token.encode("ascii")))
        out: dict[str, Any] = {k: scope[k] for k in _SCOPE_KEYS if k in scope}
        out.update(path=path, raw_path=_raw_path(path), root_path="", headers=headers)
        return out

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
        """Stream one request or websocket to the resource. Raises `PolicyDenied` when the policy
        does not allow it (the gateway decides first; this is the backstop) and
        `ResourceUnavailable` when the resource fails before answering."""
        method = "WS" if scope["type"] == "websocket" else str(scope["method"])
        decision = self.decide(principal=principal, resource=resource, method=method, path=path, plane=plane)
        if not decision.allow:
            raise PolicyDenied(resource, decision.reasons)
        inner = self._resource_scope(
            scope,
            resource=resource,
            path=path,
            principal=principal,
            plane=plane,
            session_ref=session_ref,
            request_id=request_id,
        )
        await self._send_to(
            resource,
            inner,
            receive,
            send,
            request_id=request_id,
            label=f"{method} {path}",
            quiet=plane == "network",
        )

    async def _send_to(
        self,
        resource: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        request_id: str,
        label: str,
        quiet: bool = False,
    ) -> None:
        """`quiet`: successes at DEBUG (the switch's per-call traffic would flood INFO)."""
        status: int | str = "-"

        async def clean_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": clean_response_headers(message.get("headers") or ())}
            elif kind == "websocket.accept":
                status = 101
                message = {**message, "headers": clean_response_headers(message.get("headers") or ())}
            elif kind == "websocket.close" and status == "-":
                status = f"close {message.get('code', 1000)}"
            await send(message)

        started = time.perf_counter()
        try:
            await self.backends[resource].forward(
                scope, receive, clean_send, start_timeout=self.manifests[resource].timeout
            )
        except ResourceUnavailable as exc:
            status = exc.status
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            ok = isinstance(status, int) and status < 400
            log.log(
                logging.DEBUG if quiet and ok else logging.INFO,
                "rid=%s resource=%s %s status=%s ms=%.1f",
                request_id,
                resource,
                label,
                status,
                ms,
                extra={"request_id": request_id, "resource": resource, "status": status, "ms": round(ms, 1)},
            )

    async def call(
        self,
        *,
        resource: str,
        method: str,
        path: str,
        principal: Principal,
        plane: Plane = "service",
        json: Any = None,
        request_id: str | None = None,
    ) -> CallResult:
        """A buffered service call (the gateway's own JSON calls, e.g. the directory's internal API).
        `path` may carry a query string. Same policy and assertion as `forward`."""
        path_only, _, query = path.partition("?")
        decision = self.decide(
            principal=principal, resource=resource, method=method, path=path_only, plane=plane
        )
        if not decision.allow:
            raise PolicyDenied(resource, decision.reasons)
        rid = request_id or uuid.uuid4().hex
        body = b"" if json is None else jsonlib.dumps(json, separators=(",", ":")).encode()
        headers = [(b"host", resource.encode("ascii")), (b"accept", b"application/json")]
        if json is not None:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        outer = self._synthetic_scope(method, query, headers)
        scope = self._resource_scope(
            outer,
            resource=resource,
            path=path_only,
            principal=principal,
            plane=plane,
            session_ref=None,
            request_id=rid,
        )
        return await self._exchange(resource, scope, body, request_id=rid, label=f"{method} {path_only}")

    @staticmethod
    def _synthetic_scope(method: str, query: str, headers: list[tuple[bytes, bytes]]) -> Scope:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "query_string": query.encode("latin-1"),
            "headers": headers,
            "client": None,
            "server": None,
            "extensions": {},
        }

    async def _exchange(
        self, resource: str, scope: Scope, body: bytes, *, request_id: str, label: str
    ) -> CallResult:
        collector = _Collector()
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await collector.done.wait()
            return {"type": "http.disconnect"}

        await self._send_to(resource, scope, receive, collector.send, request_id=request_id, label=label)
        return collector.result()

    async def health(self) -> dict[str, dict[str, Any]]:
        """GET /healthz of every resource (2 s each, concurrently). Never raises."""

        async def probe(name: str) -> dict[str, Any]:
            started = time.perf_counter()
            rid = uuid.uuid4().hex
            headers = [(b"host", name.encode("ascii"))]
            scope = self._resource_scope(
                self._synthetic_scope("GET", "", headers),
                resource=name,
                path="/healthz",
                principal=None,
                plane="service",
                session_ref=None,
                request_id=rid,
            )
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    result = await self._exchange(name, scope, b"", request_id=rid, label="GET /healthz")
                ok = result.status == 200
                detail = "" if ok else f"status {result.status}"
            except ResourceUnavailable as exc:
                ok, detail = False, f"{exc.status} {exc.detail}"
            except TimeoutError:
                ok, detail = False, f"no answer within {HEALTH_TIMEOUT:g} s"
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            ms = round((time.perf_counter() - started) * 1000, 1)
            return {"status": "ok" if ok else "down", "ms": ms, "detail": detail}

        names = list(self.backends)
        results = await asyncio.gather(*(probe(n) for n in names))
        return dict(zip(names, results, strict=True))
