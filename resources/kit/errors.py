"""RFC 9457 problem details for every resource (and the gateway's API paths)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    502: "Resource unavailable",
    503: "Service unavailable",
    504: "Resource timed out",
}


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title or _TITLES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ProblemError(Exception):
    """Raise from services/routes; rendered as problem JSON by `install_error_handlers`."""

    def __init__(
        self, status: int, title: str | None = None, detail: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail or title or str(status))
        self.status = status
        self.title = title or _TITLES.get(status, "Error")
        self.detail = detail
        self.extra = extra

    def response(self) -> JSONResponse:
        return problem(self.status, self.title, self.detail, **self.extra)


class ValidationFailed(ProblemError):
    """422 with `errors: [{"field": ..., "message": ...}]` so forms can point at the bad field."""

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(
            422, "Invalid input", detail or "; ".join(e["message"] for e in errors), errors=errors
        )
        self.errors = errors


class FieldError(ValueError):
    """One bad input value found by a pure parser: `field` names it as a problem's
    `errors[].field` does, `message` says what is wrong (`problem()` gives a ValidationFailed)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def problem(self) -> ValidationFailed:
        return ValidationFailed([{"field": self.field, "message": self.message}])


def install_error_handlers(app: Starlette) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return exc.response()

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return problem(
            exc.status_code, detail=exc.detail if exc.detail != _TITLES.get(exc.status_code) else None
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(HTTPException, on_http)
