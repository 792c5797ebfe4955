"""Secrets of the directory: password hashing, sealed MFA secrets, TOTP, API token format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

TOTP_DIGITS = 6
TOTP_PERIOD = 30
TOKEN_PREFIX = "sbt"  # noqa: S105 - a prefix, not a secret


def make_hasher(*, time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def temporary_password() -> str:
    """16 characters from an unambiguous alphabet (~82 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


@dataclass
class SecretBox:
    """AES-256-GCM with a key file created 0600 on first use. The user id is the associated
    data, so a sealed secret copied onto another user's row does not open."""

    key_path: Path
    _key: bytes | None = field(default=None, repr=False)

    def _load(self) -> bytes:
        if self._key is None:
            try:
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                key = self.key_path.read_bytes()
            else:
                key = AESGCM.generate_key(bit_length=256)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key)
            if len(key) != 32:
                raise ValueError(f"{self.key_path} must hold 32 bytes")
            self._key = key
        return self._key

    def seal(self, plaintext: bytes, *, aad: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self._load()).encrypt(nonce, plaintext, aad.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, aad: str) -> bytes:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(self._load()).decrypt(raw[:12], raw[12:], aad.encode())


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)


def b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def totp_code(secret: bytes, step: int) -> str:
    totp = TOTP(secret, TOTP_DIGITS, SHA1(), TOTP_PERIOD, enforce_key_length=False)  # noqa: S303 - RFC 6238
    return totp.generate(step * TOTP_PERIOD).decode()


def matching_step(secret: bytes, code: str, *, now: float, last_step: int | None) -> int | None:
    """The time step (now ±1) whose code equals `code` and that is newer than `last_step`."""
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    current = int(now) // TOTP_PERIOD
    found = None
    for step in (current - 1, current, current + 1):
        # compare every candidate (no early exit) in constant time
        if hmac.compare_digest(totp_code(secret, step), code) and (last_step is None or step > last_step):
            found = step
    return found


def otpauth_uri(*, issuer: str, username: str, secret: bytes) -> str:
    label = f"{quote(issuer, safe='')}:{quote(username, safe='@')}"
    return f"otpauth://totp/{label}?secret={b32(secret)}&issuer={quote(issuer, safe='')}"


def new_api_token() -> tuple[str, str]:
    """(token id, full token `sbt_<id>_<secret>`)."""
    token_id = secrets.token_hex(8)
    return token_id, f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def parse_api_token(token: str) -> str | None:
    """The token id, or None when the string is not shaped like one of ours."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or len(token_id) != 16 or len(secret) < 32 or len(token) > 200:
        return None
    if any(c not in "0123456789abcdef" for c in token_id):
        return None
    return token_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(stored_hash: str, token: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), token_hash(token).encode())
