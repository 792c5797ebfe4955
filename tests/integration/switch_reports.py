"""What the switch reports, caught first-hand (tests/integration/test_kamailio_traffic.py): its
evapi stream (`EvapiTap`, a client of our own next to the portal's) and its CDR POSTs
(`RecordSink`, an HTTPS stand-in for the network plane's `/traffic/events`). No pytest here.
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class EvapiTap:
    """An evapi client of our own (the switch relays every event to all connected clients): keeps
    each netstring record with its arrival time. A framing error stops the reader (see `errors`)."""

    def __init__(self, port: int, *, timeout: float = 10) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._sock.settimeout(0.2)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._records: list[tuple[float, dict[str, Any]]] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name=f"evapi-tap-{port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                self.errors.append(repr(exc))
                return
            if not data:
                return
            buf += data
            try:
                buf = self._frames(buf)
            except ValueError as exc:
                self.errors.append(str(exc))
                return

    def _frames(self, buf: bytes) -> bytes:
        """Take the complete netstrings `<len>:<json>,` off `buf`; returns the rest."""
        while True:
            head, sep, rest = buf.partition(b":")
            if not sep:
                return buf
            if not head.isdigit():
                raise ValueError(f"not a netstring: {buf[:80]!r}")
            size = int(head)
            if len(rest) < size + 1:
                return buf
            if rest[size : size + 1] != b",":
                raise ValueError(f"netstring without its comma: {rest[: size + 1][-80:]!r}")
            record = json.loads(rest[:size])
            with self._lock:
                self._records.append((time.time(), record))
            buf = rest[size + 1 :]

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for _, r in self._records]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@dataclass(frozen=True)
class Post:
    path: str
    status: int  # what the sink answered
    body: Any  # the parsed JSON body (an object or an array of records)
    client: str  # common name of the client certificate


class RecordSink:
    """A tiny HTTPS server standing in for the network plane's `/traffic/events`: mutual TLS like
    the portal (its server certificate and CA), answers POSTs with the next of `statuses` (then
    200 `{"accepted": n}`) and keeps every POST. Stop with `close()`."""

    def __init__(self, *, cert: Path, key: Path, ca: Path, statuses: Sequence[int] = ()) -> None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
        tls.verify_mode = ssl.CERT_REQUIRED
        tls.load_cert_chain(cert, key)
        self._statuses = list(statuses)
        self._lock = threading.Lock()
        self.posts: list[Post] = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                status = sink._answer(self.path, json.loads(raw), _common_name(peer))
                out = json.dumps({"accepted": 0} if status >= 300 else {"accepted": 1}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="record-sink", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/traffic"

    def _answer(self, path: str, body: Any, client: str) -> int:
        with self._lock:
            status = self._statuses.pop(0) if self._statuses else 200
            self.posts.append(Post(path=path, status=status, body=body, client=client))
            return status

    def records(self, *, accepted_only: bool = True) -> list[dict[str, Any]]:
        """Every record POSTed (arrays flattened), in arrival order; by default only those of
        POSTs answered 2xx."""
        with self._lock:
            posts = list(self.posts)
        out: list[dict[str, Any]] = []
        for post in posts:
            if accepted_only and not 200 <= post.status < 300:
                continue
            out += post.body if isinstance(post.body, list) else [post.body]
        return out

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _common_name(peer: Any) -> str:
    for rdn in (peer or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""
