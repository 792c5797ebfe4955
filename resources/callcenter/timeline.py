"""Effective-dated revisions of one site or distribution: what is in effect when, as data.

Every change a customer makes is a new numbered revision with the instant it takes effect (now,
or later: "west has 40 agents from 18:00"); nothing is overwritten. At any instant the revision
in effect is the latest one that has taken effect (by effective time, then number) and was not
cancelled; a revision with no document removes the object from then on. A revision that has not
taken effect yet can be cancelled; one that has cannot (roll back instead). Rolling back to
revision n is a new revision with n's document, effective now, so the history keeps both the
change and its undo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resources.kit.errors import FieldError


class TimelineError(FieldError):
    """A change the timeline refuses (cancel too late, roll back to nothing …)."""


@dataclass(frozen=True)
class Revision:
    number: int  # 1, 2, … per object
    effective_at: datetime  # aware UTC
    document: dict[str, Any] | None  # None: the object is removed from effective_at on
    cancelled: bool = False

    def in_force(self, at: datetime) -> bool:
        return not self.cancelled and self.effective_at <= at


def in_effect(revisions: Sequence[Revision], at: datetime) -> Revision | None:
    """The revision in effect at `at` (None: none yet, or all cancelled)."""
    live = [r for r in revisions if r.in_force(at)]
    return max(live, key=lambda r: (r.effective_at, r.number), default=None)


def document_at(revisions: Sequence[Revision], at: datetime) -> dict[str, Any] | None:
    """The configuration in effect at `at`; None when the object does not exist then."""
    revision = in_effect(revisions, at)
    return None if revision is None else revision.document


def new_revision(
    revisions: Sequence[Revision], *, document: dict[str, Any] | None, effective_at: datetime, now: datetime
) -> Revision:
    """The next revision; `effective_at` may not be in the past (a change applies from now on)."""
    if effective_at.tzinfo is None:
        raise ValueError("naive datetime given; use UTC-aware datetimes")
    if effective_at < now:
        raise TimelineError("effective_at", "must be now or later (a change cannot apply to the past)")
    if document is None and document_at(revisions, effective_at) is None:
        raise TimelineError("revision", "there is nothing to remove at that time")
    number = max((r.number for r in revisions), default=0) + 1
    return Revision(number=number, effective_at=effective_at, document=document)


def cancel(revisions: Sequence[Revision], number: int, *, now: datetime) -> Revision:
    """Revision `number`, cancelled; only one that has not taken effect yet."""
    revision = _find(revisions, number)
    if revision.cancelled:
        raise TimelineError("revision", f"revision {number} is already cancelled")
    if revision.effective_at <= now:
        raise TimelineError("revision", f"revision {number} is already in effect; roll back instead")
    return Revision(revision.number, revision.effective_at, revision.document, cancelled=True)


def rollback(revisions: Sequence[Revision], number: int, *, now: datetime) -> Revision:
    """A new revision, effective `now`, that restores revision `number`'s document."""
    target = _find(revisions, number)
    if target.cancelled:
        raise TimelineError("revision", f"revision {number} was cancelled and never took effect")
    if target.effective_at > now:
        raise TimelineError("revision", f"revision {number} has not taken effect yet")
    current = in_effect(revisions, now)
    if current is not None and current.document == target.document:
        raise TimelineError("revision", f"revision {number} is what is in effect now")
    return new_revision(revisions, document=target.document, effective_at=now, now=now)


def _find(revisions: Sequence[Revision], number: int) -> Revision:
    for revision in revisions:
        if revision.number == number:
            return revision
    raise TimelineError("revision", f"there is no revision {number}")
