"""The life of a brand version, as data (DESIGN.md §6.4):

    (new) ──save──▶ DRAFT ──publish──▶ PUBLISHED ──supersede──▶ OLD
                    DRAFT ──save──▶ DRAFT               (new) ──rollback──▶ PUBLISHED

At most one DRAFT and one PUBLISHED per org (partial unique indexes). A rollback never revives an
OLD row: it publishes a copy (a new version with `rolled_back_from`). The audit row of each move
(`brand.draft`, `brand.publish`, `brand.rollback`) is written by the service with the fields
before and after.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from resources.directory.brand_models import BrandVersion
from resources.kit.errors import ProblemError

DRAFT: Final = "DRAFT"
PUBLISHED: Final = "PUBLISHED"
OLD: Final = "OLD"
STATES = (DRAFT, PUBLISHED, OLD)

TRANSITIONS: Final[dict[tuple[str | None, str], str]] = {
    (None, "save"): DRAFT,
    (DRAFT, "save"): DRAFT,
    (DRAFT, "publish"): PUBLISHED,
    (PUBLISHED, "supersede"): OLD,
    (None, "rollback"): PUBLISHED,
}
VERBS = frozenset(verb for _, verb in TRANSITIONS)


def allowed(state: str | None) -> list[str]:
    return [verb for (s, verb) in TRANSITIONS if s == state]


def next_state(state: str | None, verb: str) -> str:
    """The state after `verb`; 409 problem when the table has no such move."""
    try:
        return TRANSITIONS[(state, verb)]
    except KeyError:
        shown = state or "new"
        raise ProblemError(
            409, title="Conflict", detail=f"a {shown} brand version cannot {verb}", state=state, verb=verb,
            allowed=allowed(state),
        ) from None  # fmt: skip


def _stamp(version: BrandVersion, *, actor: str, at: datetime) -> None:
    if version.state == PUBLISHED:
        version.published_at, version.published_by = at, actor


async def transition(
    session: AsyncSession, version: BrandVersion, verb: str, *, actor: str, at: datetime
) -> BrandVersion:
    """Move an existing version by `verb` (anything not in TRANSITIONS → 409)."""
    version.state = next_state(version.state, verb)
    _stamp(version, actor=actor, at=at)
    await session.flush()
    return version


async def create(
    session: AsyncSession,
    *,
    org_id: str,
    number: int,
    verb: str,
    fields: dict[str, Any],
    actor: str,
    at: datetime,
    rolled_back_from: int | None = None,
) -> BrandVersion:
    """A new version, its state given by the table's move from nothing (`save` or `rollback`)."""
    version = BrandVersion(
        id=uuid.uuid4().hex, org_id=org_id, version=number, state=next_state(None, verb), fields=fields,
        created_at=at, created_by=actor, rolled_back_from=rolled_back_from,
    )  # fmt: skip
    _stamp(version, actor=actor, at=at)
    session.add(version)
    await session.flush()
    return version
