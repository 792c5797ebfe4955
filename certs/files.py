"""Safe file primitives for key material: atomic writes, 0600 secrets, 0700 directories."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIR_MODE = 0o700


def ensure_dir(path: Path) -> Path:
    """Create `path` (and parents) and force it to 0700 whatever the umask."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_atomic(path: Path, data: bytes, *, private: bool) -> None:
    """Write `data` to a temporary file next to `path`, fsync, then rename over `path`.

    The temporary file is created with `os.open(..., 0o600)` so a secret is never readable by
    others, not even for a moment; public files are widened to 0644 afterwards.
    """
    ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, PRIVATE_MODE if private else PUBLIC_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove(path: Path) -> bool:
    """Delete `path` if present; True when something was removed."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
