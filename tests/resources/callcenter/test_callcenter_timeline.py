"""Effective-dated revisions: in effect, scheduled, cancel, rollback, remove."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from resources.callcenter.timeline import (
    Revision,
    TimelineError,
    cancel,
    document_at,
    in_effect,
    new_revision,
    rollback,
)

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def history() -> list[Revision]:
    """40 agents from T0, 25 from T0+2h, 60 from T0+5h (scheduled when 'now' is T0+3h)."""
    revs: list[Revision] = []
    for doc, when, now in (
        ({"capacity": 40}, T0, T0),
        ({"capacity": 25}, T0 + 2 * H, T0),
        ({"capacity": 60}, T0 + 5 * H, T0 + 3 * H),
    ):
        revs.append(new_revision(revs, document=doc, effective_at=when, now=now))
    return revs


def test_the_revision_in_effect_follows_the_effective_times() -> None:
    revs = history()
    assert [r.number for r in revs] == [1, 2, 3]
    assert document_at(revs, T0 - H) is None
    assert document_at(revs, T0) == {"capacity": 40}
    assert document_at(revs, T0 + 2 * H - timedelta(seconds=1)) == {"capacity": 40}
    assert document_at(revs, T0 + 2 * H) == {"capacity": 25}
    assert document_at(revs, T0 + 6 * H) == {"capacity": 60}


def test_a_later_number_wins_at_the_same_instant() -> None:
    revs = [Revision(1, T0, {"capacity": 1}), Revision(2, T0, {"capacity": 2})]
    assert in_effect(revs, T0) == Revision(2, T0, {"capacity": 2})


def test_a_scheduled_change_can_be_cancelled_until_it_takes_effect() -> None:
    revs = history()
    cancelled = cancel(revs, 3, now=T0 + 3 * H)
    assert cancelled == Revision(3, T0 + 5 * H, {"capacity": 60}, cancelled=True)
    revs[2] = cancelled
    assert document_at(revs, T0 + 6 * H) == {"capacity": 25}
    with pytest.raises(TimelineError, match="revision 3 is already cancelled"):
        cancel(revs, 3, now=T0 + 3 * H)
    with pytest.raises(TimelineError, match="revision 2 is already in effect; roll back instead"):
        cancel(revs, 2, now=T0 + 3 * H)


def test_rollback_is_a_new_revision_restoring_an_old_document_now() -> None:
    revs = history()
    now = T0 + 3 * H
    undo = rollback(revs, 1, now=now)
    assert undo == Revision(4, now, {"capacity": 40})
    revs.append(undo)
    assert document_at(revs, now) == {"capacity": 40}
    assert document_at(revs, T0 + 5 * H) == {"capacity": 60}  # the scheduled change still comes
    with pytest.raises(TimelineError, match="revision 1 is what is in effect now"):
        rollback(revs, 1, now=now)
    with pytest.raises(TimelineError, match="revision 3 has not taken effect yet"):
        rollback(revs, 3, now=now)
    with pytest.raises(TimelineError, match="there is no revision 9"):
        rollback(revs, 9, now=now)


def test_removal_and_its_refusals() -> None:
    revs = history()
    gone = new_revision(revs, document=None, effective_at=T0 + 3 * H, now=T0 + 3 * H)
    revs.append(gone)
    assert document_at(revs, T0 + 4 * H) is None
    assert document_at(revs, T0 + 5 * H) == {"capacity": 60}  # scheduled before: it recreates
    with pytest.raises(TimelineError, match="there is nothing to remove at that time"):
        new_revision([], document=None, effective_at=T0, now=T0)
    with pytest.raises(TimelineError) as caught:
        new_revision(revs, document={"capacity": 1}, effective_at=T0, now=T0 + H)
    assert (caught.value.field, caught.value.message) == (
        "effective_at",
        "must be now or later (a change cannot apply to the past)",
    )
    with pytest.raises(ValueError, match="naive datetime"):
        new_revision(revs, document={}, effective_at=datetime(2027, 1, 1), now=T0)
