"""The TLS peer certificate in the ASGI scope (uvicorn does not put it there).

`PeerCertH11Protocol` subclasses uvicorn's h11 protocol; at `connection_made` it reads the verified
client certificate from the SSL transport and wraps the app so every request of that connection
(websocket upgrades included, whatever the ws implementation) gets the ASGI TLS extension:

    scope["extensions"]["tls"] = {
        "client_cert_name": "O=Switchboard,CN=element:sim",   # RFC 4514, or None
        "client_cert_subject": <same>, "client_cn": "element:sim",
        "client_cert_chain": [<leaf PEM>], "tls_version": 0x0303 | 0x0304, ...
    }

Only a certificate the listener's SSL context verified against the CA reaches the app: with
CERT_OPTIONAL a presented certificate that fails verification aborts the handshake.
`tls_server_kwargs(...)` returns the uvicorn Config keyword arguments for such a listener.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def tls_info(transport: Any) -> dict[str, Any] | None:
    """The ASGI TLS extension for this transport, or None for plain TCP."""
    ssl_object = transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    subject: str | None = None
    cn: str | None = None
    chain: list[str] = []
    if der:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string()
        attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        value = attrs[0].value if attrs else None
        cn = value if isinstance(value, str) else None
        chain = [cert.public_bytes(serialization.Encoding.PEM).decode("ascii")]
    cipher = ssl_object.cipher()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": subject,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
        "cipher_name": cipher[0] if cipher else None,
        "client_cert_subject": subject,
        "client_cn": cn,
    }


def peer_common_name(scope: Scope) -> str | None:
    """The CN of the verified TLS client certificate of this request, if any."""
    tls = (scope.get("extensions") or {}).get("tls")
    if not isinstance(tls, dict):
        return None
    cn = tls.get("client_cn")
    return cn if isinstance(cn, str) and cn else None


class TLSScopeApp:
    """Adds `extensions.tls` to every http/websocket scope of one connection."""

    def __init__(self, app: ASGIApp, info: dict[str, Any]) -> None:
        self.app = app
        self.info = info

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": dict(self.info)}
        await self.app(scope, receive, send)


class _PeerCert:
    """Mixin for a uvicorn HTTP protocol: the TLS extension on every request of the connection."""

    _tls: dict[str, Any] | None = None
    app: ASGIApp
    ws_protocol_class: type[asyncio.Protocol] | None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._tls = tls_info(transport)
        if self._tls is not None:
            self.app = TLSScopeApp(self.app, self._tls)

    @contextmanager
    def _websocket_with_tls(self) -> Iterator[bool]:
        """Swap in a ws protocol factory that wraps the app too (yields False: nothing to do)."""
        original, info = self.ws_protocol_class, self._tls
        if original is None or info is None:
            yield False
            return

        def with_tls(**kwargs: Any) -> Any:
            protocol = original(**kwargs)
            # every uvicorn websocket implementation reads self.app only when the ASGI task runs
            protocol.app = TLSScopeApp(protocol.app, info)  # type: ignore[attr-defined]
            return protocol

        self.ws_protocol_class = cast("type[asyncio.Protocol]", with_tls)
        try:
            yield True
        finally:
            self.ws_protocol_class = original


class PeerCertH11Protocol(_PeerCert, H11Protocol):
    """uvicorn's h11 protocol plus the TLS extension, for HTTP and for websocket upgrades."""

    def handle_websocket_upgrade(self, event: Any) -> None:
        with self._websocket_with_tls():
            super().handle_websocket_upgrade(event)


def peer_cert_protocol() -> type[asyncio.Protocol]:
    """The fastest available protocol with the TLS extension: httptools (C parser) when
    installed, else h11."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a declared dependency
        return PeerCertH11Protocol

    class PeerCertHttpToolsProtocol(_PeerCert, HttpToolsProtocol):
        def handle_websocket_upgrade(self) -> None:
            with self._websocket_with_tls():
                super().handle_websocket_upgrade()

    return PeerCertHttpToolsProtocol


ClientCert = Literal["optional"] | bool


def _tls12_minimum(config: Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    ctx = default()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def tls_server_kwargs(
    *, certfile: Path, keyfile: Path, ca_file: Path | None, require_client_cert: ClientCert
) -> dict[str, Any]:
    """uvicorn.Config ssl_* kwargs for a TLS ≥ 1.2 listener. To expose the client certificate to
    the app also pass `http=PeerCertH11Protocol` (without it `peer_common_name` is always None, so
    certificate-only callers fail closed).

    `require_client_cert`: True → CERT_REQUIRED, "optional" → CERT_OPTIONAL (token auth still
    possible), False → no client certificates asked for. Client certs need `ca_file`."""
    if require_client_cert is True:
        reqs = ssl.CERT_REQUIRED
    elif require_client_cert == "optional":
        reqs = ssl.CERT_OPTIONAL
    elif require_client_cert is False:
        reqs = ssl.CERT_NONE
    else:
        raise ValueError(
            f"require_client_cert must be True, False or 'optional', got {require_client_cert!r}"
        )
    if reqs != ssl.CERT_NONE and ca_file is None:
        raise ValueError("client certificates need ca_file (the CA that issued them)")
    return {
        "ssl_certfile": str(certfile),
        "ssl_keyfile": str(keyfile),
        "ssl_ca_certs": str(ca_file) if ca_file is not None else None,
        "ssl_cert_reqs": reqs,
        "ssl_context_factory": _tls12_minimum,
    }
