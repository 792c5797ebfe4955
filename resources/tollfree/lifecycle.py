"""The life of a routing record, as data: states, verbs and the one function that moves a
version and writes its event row (DESIGN.md §6.4).

    SAVED ──schedule──▶ PENDING ──activate──▶ ACTIVE ──supersede──▶ OLD
      ▲ │                │  ▲ │
      │ invalidate  hold │  │ release          PENDING ──fail──▶ FAILED
  revalidate ▼           ▼  │ │
    INVALID              HOLD  cancel (PENDING or HOLD) ──▶ SAVED

Drafts (SAVED, INVALID) are the only editable states. A "now" activation still passes through
PENDING (two event rows in one transaction), like the industry's records do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from resources.kit.errors import ProblemError
from resources.tollfree.models import Event, Version

SAVED: Final = "SAVED"
INVALID: Final = "INVALID"
PENDING: Final = "PENDING"
HOLD: Final = "HOLD"
ACTIVE: Final = "ACTIVE"
OLD: Final = "OLD"
FAILED: Final = "FAILED"
STATES = (SAVED, INVALID, PENDING, HOLD, ACTIVE, OLD, FAILED)

DRAFTS = frozenset({SAVED, INVALID})  # editable
LIVE = frozenset({PENDING, ACTIVE})  # what the SCP serves
SCHEDULED = frozenset({PENDING, HOLD})

TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (SAVED, "schedule"): PENDING,
    (PENDING, "hold"): HOLD,
    (HOLD, "release"): PENDING,
    (PENDING, "cancel"): SAVED,
    (HOLD, "cancel"): SAVED,
    (PENDING, "activate"): ACTIVE,
    (PENDING, "fail"): FAILED,
    (ACTIVE, "supersede"): OLD,
    (SAVED, "invalidate"): INVALID,
    (INVALID, "revalidate"): SAVED,
}
VERBS = frozenset(verb for _, verb in TRANSITIONS)


def allowed(state: str) -> list[str]:
    """The verbs a version in `state` accepts, in table order."""
    return [verb for (s, verb) in TRANSITIONS if s == state]


def next_state(state: str, verb: str) -> str:
    """The state after `verb`; 409 problem when the table has no such move."""
    try:
        return TRANSITIONS[(state, verb)]
    except KeyError:
        raise ProblemError(
            409,
            title="Conflict",
            detail=f"a {state} version cannot {verb}",
            state=state,
            verb=verb,
            allowed=allowed(state),
        ) from None


async def transition(
    session: AsyncSession,
    version: Version,
    verb: str,
    *,
    actor: str,
    session_ref: str | None,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> Version:
    """Move `version` by `verb` and write the event row; anything not in TRANSITIONS → 409.
    Keeps the timestamps in step: ACTIVE sets `activated_at`, OLD sets `superseded_at`."""
    before = version.state
    after = next_state(before, verb)
    version.state = after
    if after == ACTIVE:
        version.activated_at = at
    elif after == OLD:
        version.superseded_at = at
    session.add(
        Event(
            version_id=version.id,
            from_state=before,
            to_state=after,
            at=at,
            actor=actor,
            session=session_ref,
            detail={"verb": verb, **(detail or {})},
        )
    )
    await session.flush()
    return version


async def created(
    session: AsyncSession,
    version: Version,
    *,
    actor: str,
    session_ref: str | None,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The first event row of a new version (from nothing to SAVED or INVALID)."""
    if version.state not in DRAFTS:
        raise ValueError(f"a new version starts as a draft, not {version.state}")
    session.add(
        Event(
            version_id=version.id,
            from_state=None,
            to_state=version.state,
            at=at,
            actor=actor,
            session=session_ref,
            detail={"verb": "create", **(detail or {})},
        )
    )
    await session.flush()
