"""Network elements (the switch, its simulator…) allowed on the network plane.

`<data>/elements.json` lists them: `[{"name", "token_sha256", "actions": [...], "created_at"}]`.
An element authenticates with a client certificate (CN `element:<name>`, issued by the dev CA)
or `Authorization: Bearer sbe_<name>_<secret>`; only the token's sha256 is stored, the token is
shown once by `add_element`. The registry re-reads the file when its mtime changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certs.files import write_atomic
from resources.kit.caller import Entitlement, Principal

TOKEN_PREFIX = "sbe_"  # noqa: S105 - a prefix, not a secret
CN_PREFIX = "element:"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_ACTION = re.compile(r"[a-z]+:[a-z][a-z-]*")


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Element:
    name: str
    token_sha256: str
    actions: tuple[str, ...]
    created_at: str

    def principal(self) -> Principal:
        return Principal(
            user_id=f"element:{self.name}",
            username=self.name,
            display_name=self.name,
            kind="element",
            org_id="provider",
            customer_id=None,
            reseller_chain=(),
            brand="default",
            entitlements=tuple(Entitlement(action=a) for a in self.actions),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "token_sha256": self.token_sha256,
            "actions": list(self.actions),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Element:
        return cls(
            name=str(raw["name"]),
            token_sha256=str(raw["token_sha256"]),
            actions=tuple(str(a) for a in raw.get("actions") or ()),
            created_at=str(raw.get("created_at") or ""),
        )


def _read(path: Path) -> list[Element]:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of elements")
    return [Element.from_json(item) for item in raw]


def add_element(path: Path, *, name: str, actions: Sequence[str]) -> str:
    """Add (or replace, with a new token) element `name`; returns the token — shown once."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"element name must be lowercase letters, digits and '-', got {name!r}")
    bad = [a for a in actions if not _ACTION.fullmatch(a)]
    if bad:
        raise ValueError(f"not an action name: {', '.join(bad)}")
    token = f"{TOKEN_PREFIX}{name}_{secrets.token_urlsafe(32)}"
    element = Element(
        name=name,
        token_sha256=_sha256(token),
        actions=tuple(dict.fromkeys(actions)),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    elements = [e for e in _read(path) if e.name != name] + [element]
    body = json.dumps([e.to_json() for e in elements], indent=2) + "\n"
    write_atomic(path, body.encode(), private=True)
    return token


def remove_element(path: Path, *, name: str) -> bool:
    elements = _read(path)
    kept = [e for e in elements if e.name != name]
    if len(kept) == len(elements):
        return False
    write_atomic(path, (json.dumps([e.to_json() for e in kept], indent=2) + "\n").encode(), private=True)
    return True


class ElementRegistry:
    def __init__(self, path: Path, *, recheck: float = 1.0) -> None:
        """`recheck`: seconds between looks at the file (an added or removed element applies
        within that time; the switch's per-call requests must not each cost a stat)."""
        self.path = path
        self.recheck = recheck
        self._elements: dict[str, Element] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._loaded = False
        self._checked = 0.0

    @classmethod
    def load(cls, path: Path, *, recheck: float = 1.0) -> ElementRegistry:
        registry = cls(path, recheck=recheck)
        registry._refresh()
        return registry

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._loaded and now - self._checked < self.recheck:
            return
        self._checked = now
        stamp = self._stat()
        if self._loaded and stamp == self._stamp:
            return
        self._elements = {e.name: e for e in _read(self.path)} if stamp is not None else {}
        self._stamp = stamp
        self._loaded = True

    @property
    def elements(self) -> tuple[Element, ...]:
        self._refresh()
        return tuple(self._elements.values())

    def get(self, name: str) -> Element | None:
        self._refresh()
        return self._elements.get(name)

    def authenticate_token(self, token: str) -> Element | None:
        """The element holding `token`; compares sha256 digests in constant time."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        name = token[len(TOKEN_PREFIX) :].split("_", 1)[0]  # names never contain "_"
        element = self.get(name)
        digest = _sha256(token)
        # Compare even for an unknown name so timing says nothing about which names exist.
        expected = element.token_sha256 if element is not None else "0" * 64
        ok = hmac.compare_digest(digest, expected)
        return element if ok and element is not None else None

    def by_common_name(self, cn: str) -> Element | None:
        """The element a verified client certificate with CN `element:<name>` belongs to."""
        if not cn.startswith(CN_PREFIX):
            return None
        return self.get(cn[len(CN_PREFIX) :])
