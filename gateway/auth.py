"""Who may sign in: a pluggable Authenticator (password today, OIDC later) + safe redirects."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from gateway.directory_client import AuthResult, DirectoryClient

GENERIC_LOGIN_ERROR = "Sign-in failed. Check your username and password or try again later."
MFA_ERROR = "Sign-in failed. Check the code or try again later."
MAX_USERNAME = 256
MAX_PASSWORD = 1024


class Authenticator(Protocol):
    async def authenticate(
        self, *, username: str, password: str, ip: str, request_id: str | None = None
    ) -> AuthResult: ...

    async def verify_second_factor(
        self, *, user_id: str, code: str, ip: str, request_id: str | None = None
    ) -> bool: ...


class PasswordAuthenticator:
    """Username + password (+ TOTP) checked by the directory."""

    def __init__(self, directory: DirectoryClient) -> None:
        self._directory = directory

    async def authenticate(
        self, *, username: str, password: str, ip: str, request_id: str | None = None
    ) -> AuthResult:
        if not username or not password or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            return AuthResult(ok=False, reason="invalid")
        return await self._directory.authenticate(
            username=username, password=password, ip=ip, request_id=request_id
        )

    async def verify_second_factor(
        self, *, user_id: str, code: str, ip: str, request_id: str | None = None
    ) -> bool:
        code = code.strip().replace(" ", "")
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return False
        return await self._directory.verify_mfa(user_id=user_id, code=code, ip=ip, request_id=request_id)


def safe_next(value: str | None, *, default: str = "/") -> str:
    """Only same-origin relative paths survive; anything else (schemes, `//host`, backslashes,
    control characters, the login pages themselves) becomes `default`."""
    if not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if parts.path in ("/login", "/login/mfa", "/logout"):
        return default
    return value
