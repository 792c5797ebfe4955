"""gateway.logs: exact JSON line fields and the access-log middleware."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.logs import AccessLogMiddleware, JsonFormatter, configure_logging, request_id_var


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield handler
    logger.removeHandler(handler)


def test_json_line_has_exact_fields() -> None:
    record = logging.LogRecord("gateway", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.created = 1767225600.25  # 2026-01-01T00:00:00.250Z
    record.user = "alice"  # as if passed through extra=
    token = request_id_var.set("rid-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "2026-01-01T00:00:00.250+00:00",
        "level": "WARNING",
        "logger": "gateway",
        "msg": "hello world",
        "request_id": "rid-1",
        "user": "alice",
    }


def test_exception_is_one_line_with_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    out = json.loads(JsonFormatter().format(record))
    assert out["request_id"] is None
    assert out["exc"].endswith("RuntimeError: boom")


def test_configure_logging_installs_json_on_root() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("debug")
        assert root.level == logging.DEBUG
        assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
        assert logging.getLogger("uvicorn.access").disabled is True
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("uvicorn.access").disabled = False


async def test_access_log_line_never_has_query_headers_or_cookies(capture: _Capture) -> None:
    seen: list[str | None] = []

    async def page(request: Request) -> PlainTextResponse:
        seen.append(request_id_var.get())
        assert request.state.request_id == seen[0]
        return PlainTextResponse("ok", status_code=201)

    app = AccessLogMiddleware(Starlette(routes=[Route("/p", page)]), logger="test.logs", plane="customer")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        await client.get(
            "/p?token=sekrit",
            headers={"Authorization": "Bearer sekrit", "Cookie": "sb=sekrit", "X-Request-Id": "forged"},
        )
    assert len(capture.lines) == 1
    line = capture.lines[0]
    assert isinstance(line.pop("ms"), float)
    assert isinstance(line.pop("ts"), str)
    rid = seen[0]
    assert rid is not None
    assert len(rid) == 16
    assert rid != "forged"
    assert line == {
        "level": "INFO",
        "logger": "test.logs",
        "msg": "GET /p 201",
        "request_id": rid,
        "method": "GET",
        "path": "/p",
        "status": 201,
        "plane": "customer",
    }
    assert "sekrit" not in json.dumps(capture.lines)
    assert request_id_var.get() is None


async def test_trusted_request_id_and_errors_logged_as_500(capture: _Capture) -> None:
    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("boom")

    app = AccessLogMiddleware(
        Starlette(routes=[Route("/b", boom)]), logger="test.logs", trust_request_id=True
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        response = await client.get("/b", headers={"X-Request-Id": "abc-123"})
    assert response.status_code == 500
    assert (capture.lines[0]["status"], capture.lines[0]["request_id"]) == (500, "abc-123")
