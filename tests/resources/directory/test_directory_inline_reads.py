"""The directory's hot reads (user by id, grants) answer the same inline as through the session."""

from __future__ import annotations

from directory_fixtures import Env

from resources.directory import repository as repo
from resources.directory.models import User

COLUMNS = tuple(c.key for c in User.__table__.columns)


def columns(user: User | None) -> tuple[object, ...] | None:
    return None if user is None else tuple(getattr(user, k) for k in COLUMNS)


async def test_every_demo_user_reads_the_same_inline_and_through_the_session(env: Env) -> None:
    for username, user_id in sorted(env.ids.items()):
        async with env.tx(write=True) as tx:  # the session's own, tracked objects
            tracked = await repo.user_by_id(tx.session, user_id)
            tracked_row, tracked_grants = columns(tracked), await repo.grants_of(tx.session, user_id)
        async with env.tx(write=False) as tx:  # inline: a transient copy, grants read on sqlite3
            copy = await repo.user_by_id(tx.session, user_id)
            copy_grants = await repo.grants_of(tx.session, user_id)
            assert tx.session.identity_map.keys() == set()  # nothing entered the session
        assert copy is not None
        assert copy is not tracked
        assert (username, columns(copy), copy_grants) == (username, tracked_row, tracked_grants)
    async with env.tx(write=False) as tx:
        assert await repo.user_by_id(tx.session, "no-such-user") is None
        assert await repo.grants_of(tx.session, "no-such-user") == ([], (), ())
