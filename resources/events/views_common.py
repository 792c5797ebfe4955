"""What the events pages share: their portal address and severity badges."""

from __future__ import annotations

from urllib.parse import urlencode

BASE = "/events"  # the pages' address in the portal
BADGES = {
    "critical": "danger",
    "major": "danger",
    "minor": "warning",
    "warning": "warning",
    "indeterminate": "info",
    "cleared": "success",
}


def url(path: str, **params: str | None) -> str:
    """A page's portal address; empty or None parameters are left out."""
    kept = {k: v for k, v in params.items() if v}
    return BASE + path + ("?" + urlencode(kept) if kept else "")
