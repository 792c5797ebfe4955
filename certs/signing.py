"""The dispatcher's assertion signing key on disk: create, rotate, retire (spine "Assertion").

`<certs>/signing/current.jwk` (private, 0600), optional `previous.jwk` (private, 0600) and the
public `jwks.json` holding both during a rotation. Key generation and the public JWKS shape come
from `dispatcher.assertion` so minting and the tooling never disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from certs.files import ensure_dir, remove, write_atomic
from dispatcher.assertion import SigningKeys, new_signing_jwk, public_jwks


def signing_dir(certs_dir: Path) -> Path:
    return certs_dir / "signing"


def current_path(certs_dir: Path) -> Path:
    return signing_dir(certs_dir) / "current.jwk"


def previous_path(certs_dir: Path) -> Path:
    return signing_dir(certs_dir) / "previous.jwk"


def jwks_path(certs_dir: Path) -> Path:
    return signing_dir(certs_dir) / "jwks.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def _write_jwk(path: Path, jwk: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(jwk, indent=2, sort_keys=True) + "\n").encode(), private=True)


def _loaded(certs_dir: Path) -> SigningKeys | None:
    current = _read(current_path(certs_dir))
    if current is None:
        return None
    previous = _read(previous_path(certs_dir))
    try:
        return SigningKeys.from_jwks(current, previous)
    except (ValueError, KeyError, TypeError):
        return None


def write_jwks(certs_dir: Path, keys: SigningKeys | None = None) -> Path:
    """(Re)write the public JWKS from `keys` or else from the private key files."""
    keys = keys or _loaded(certs_dir)
    if keys is None:
        raise FileNotFoundError(f"no usable signing key at {current_path(certs_dir)}")
    path = jwks_path(certs_dir)
    write_atomic(path, (json.dumps(public_jwks(keys), indent=2) + "\n").encode(), private=False)
    return path


def jwks_matches(certs_dir: Path) -> bool:
    keys = _loaded(certs_dir)
    return keys is not None and _read(jwks_path(certs_dir)) == public_jwks(keys)


def ensure_signing_key(certs_dir: Path, *, force: bool = False) -> bool:
    """Create `current.jwk` (+ JWKS) unless a usable one exists. True when a new key was made.

    `force` starts over: a fresh current key and no previous key."""
    ensure_dir(signing_dir(certs_dir))
    if not force and _loaded(certs_dir) is not None:
        if not jwks_matches(certs_dir):
            write_jwks(certs_dir)
        return False
    remove(previous_path(certs_dir))
    _write_jwk(current_path(certs_dir), new_signing_jwk())
    write_jwks(certs_dir)
    return True


def rotate_signing_key(certs_dir: Path) -> str:
    """current → previous, a new current; the JWKS then accepts both. Returns the new kid.

    Resources reload the JWKS, so tokens minted with the old key stay valid until they expire;
    call `retire_previous` once that window (≥ the assertion lifetime) has passed."""
    current = _read(current_path(certs_dir))
    if current is None:
        raise FileNotFoundError(f"no signing key to rotate at {current_path(certs_dir)}")
    new = new_signing_jwk()
    both = SigningKeys.from_jwks(new, current)
    # Publish both public keys before the dispatcher can start signing with the new one.
    _write_jwk(previous_path(certs_dir), current)
    write_jwks(certs_dir, both)
    _write_jwk(current_path(certs_dir), new)
    return str(new["kid"])


def retire_previous(certs_dir: Path) -> bool:
    """Drop `previous.jwk` and rewrite the JWKS with the current key only."""
    removed = remove(previous_path(certs_dir))
    write_jwks(certs_dir)
    return removed
