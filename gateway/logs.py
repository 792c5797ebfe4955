"""JSON logs: one line per record, with the request id of the request being served.

`configure_logging(level)` installs the formatter on the root logger (the CLI calls it once);
`AccessLogMiddleware` writes one `gateway.access` line per HTTP request: method, path (never the
query string), status, duration and request id — never headers, cookies or bodies.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("switchboard_request_id", default=None)

# Attributes every LogRecord has; anything else came in through `extra=`.
_RESERVED = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str | int = "INFO") -> None:
    """Root logger → stderr as JSON lines; uvicorn's own access log is silenced (ours replaces it)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per client request
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


@functools.cache
def _request_ids() -> tuple[str, Iterator[int]]:
    return secrets.token_hex(4), itertools.count(1)


def new_request_id() -> str:
    """16 hex digits, unique per process run (random prefix + counter): correlation, not a secret."""
    prefix, counter = _request_ids()
    return f"{prefix}{next(counter) & 0xFFFFFFFF:08x}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _valid_request_id(raw: str | None) -> str | None:
    if raw and len(raw) <= 64 and all(c.isalnum() or c in "-_." for c in raw):
        return raw
    return None


class AccessLogMiddleware:
    """Sets `request_id_var` (from a sane inbound X-Request-Id when `trust_request_id`, else new),
    stores it in `scope["state"]["request_id"]` and logs one access line per HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        logger: str = "gateway.access",
        plane: str | None = None,
        trust_request_id: bool = False,
        success_level: int = logging.INFO,
    ) -> None:
        self.app = app
        self.success_level = success_level
        self.logger = logging.getLogger(logger)
        self.plane = plane
        self.trust_request_id = trust_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        inbound = _valid_request_id(_header(scope, b"x-request-id")) if self.trust_request_id else None
        request_id = inbound or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        status: int | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and status is None:
                status = 403
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            status = status or 500
            raise
        finally:
            extra: dict[str, Any] = {
                "method": "WS" if scope["type"] == "websocket" else scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 1),
            }
            if self.plane is not None:
                extra["plane"] = self.plane
            ok = status is not None and status < 400
            self.logger.log(
                self.success_level if ok else logging.INFO,
                "%s %s %s",
                extra["method"],
                extra["path"],
                status,
                extra=extra,
            )
            request_id_var.reset(token)
