"""Header hygiene between the client and a resource (DESIGN.md §3 "Header hygiene").

Requests: hop-by-hop headers (and any header `Connection` names), `Cookie`, `Authorization`,
every inbound `X-Switchboard-*`, the client's `X-Request-Id` and forwarding headers are dropped;
the dispatcher then adds its own (`forwarding_headers`, request id, assertion).
Responses: hop-by-hop headers and `Set-Cookie` are dropped (resources never set cookies on the
portal origin).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Headers = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"te", b"trailer", b"transfer-encoding", b"upgrade"})
_REQUEST_DROP = frozenset({b"cookie", b"authorization", b"x-request-id", b"forwarded", b"x-real-ip"})
_RESPONSE_DROP = frozenset({b"set-cookie", b"set-cookie2"})


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in `Connection` are hop-by-hop too (RFC 9110 §7.6.1)."""
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            names.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return frozenset(names)


def _hop_by_hop(name: bytes, listed: frozenset[bytes]) -> bool:
    return name in HOP_BY_HOP or name.startswith(b"proxy-") or name in listed


def clean_request_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    items = list(headers)
    listed = _connection_tokens(items)
    out: Headers = []
    for raw_name, value in items:
        name = raw_name.lower()
        if (
            _hop_by_hop(name, listed)
            or name in _REQUEST_DROP
            or name.startswith(b"x-switchboard-")
            or name.startswith(b"x-forwarded-")
        ):
            continue
        out.append((name, value))
    return out


def clean_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    items = list(headers)
    listed = _connection_tokens(items)
    return [
        (raw_name, value)
        for raw_name, value in items
        if not _hop_by_hop(raw_name.lower(), listed) and raw_name.lower() not in _RESPONSE_DROP
    ]


def forwarding_headers(scope: Mapping[str, Any]) -> Headers:
    """X-Forwarded-For/Proto/Host as the dispatcher saw the client (never the client's claims)."""
    out: Headers = []
    client = scope.get("client")
    if client:
        out.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
    scheme = str(scope.get("scheme") or ("ws" if scope.get("type") == "websocket" else "http"))
    proto = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    out.append((b"x-forwarded-proto", proto.encode("latin-1")))
    for name, value in scope.get("headers") or ():
        if name.lower() == b"host":
            out.append((b"x-forwarded-host", value))
            break
    return out
