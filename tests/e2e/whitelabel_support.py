"""Helpers shared by the white-label end-to-end tests (test_isolation_matrix.py,
test_browser_whitelabel.py): small valid PNG images and signed-in httpx clients per principal.

A unique module name (tests/e2e is on sys.path through its conftest, like e2e_support).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx
from e2e_support import Portal
from spine_checks import Target, csrf_token, login

ACME_HOST = "acme.localhost"  # Acme's brand host (branding/brands/acme/brand.toml)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (8-bit RGB, no interlace)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width  # filter byte "none", then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def target_of(portal: Portal) -> Target:
    return Target(base_url=portal.base_url, certs_dir=portal.data_dir / "certs", cli=lambda *a: "")


@dataclass(frozen=True)
class Session:
    """A signed-in client and the session's CSRF token (for POST/PUT/PATCH/DELETE)."""

    username: str
    client: httpx.Client
    csrf: str

    def call(
        self,
        method: str,
        path: str,
        *,
        json: object | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if method not in ("GET", "HEAD"):
            sent["X-CSRF-Token"] = self.csrf
        return self.client.request(
            method, path, json=json, data=data, content=content, params=params, headers=sent
        )


@contextmanager
def sessions(portal: Portal, users: dict[str, tuple[str, str | None]]) -> Iterator[dict[str, Session]]:
    """{name: (username, host or None)} → {name: Session}, all signed in until the block ends."""
    target = target_of(portal)
    with ExitStack() as stack:
        out: dict[str, Session] = {}
        for name, (username, host) in users.items():
            client = stack.enter_context(login(target, username, host=host))
            out[name] = Session(username=username, client=client, csrf=csrf_token(client))
        yield out
