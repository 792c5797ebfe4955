"""Brand queries (versions and assets). No logic beyond filtering; tenancy is the service's."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from resources.directory.brand_models import BrandAsset, BrandVersion
from resources.directory.models import Org, User


async def versions_of(session: AsyncSession, org_id: str) -> list[BrandVersion]:
    rows = await session.execute(
        select(BrandVersion).where(BrandVersion.org_id == org_id).order_by(BrandVersion.version.desc())
    )
    return list(rows.scalars())


async def in_state(session: AsyncSession, org_id: str, state: str) -> BrandVersion | None:
    rows = await session.execute(
        select(BrandVersion).where(BrandVersion.org_id == org_id, BrandVersion.state == state)
    )
    return rows.scalar_one_or_none()


async def by_number(session: AsyncSession, org_id: str, number: int) -> BrandVersion | None:
    rows = await session.execute(
        select(BrandVersion).where(BrandVersion.org_id == org_id, BrandVersion.version == number)
    )
    return rows.scalar_one_or_none()


async def next_number(session: AsyncSession, org_id: str) -> int:
    top = await session.execute(select(func.max(BrandVersion.version)).where(BrandVersion.org_id == org_id))
    return int(top.scalar_one() or 0) + 1


async def published(session: AsyncSession, org_ids: Collection[str] | None = None) -> list[BrandVersion]:
    """Every PUBLISHED version (of `org_ids` only, when given), by org id."""
    query = select(BrandVersion).where(BrandVersion.state == "PUBLISHED")
    if org_ids is not None:
        query = query.where(BrandVersion.org_id.in_(sorted(org_ids)))
    return list((await session.execute(query.order_by(BrandVersion.org_id))).scalars())


async def get_asset(session: AsyncSession, org_id: str, sha256: str) -> BrandAsset | None:
    """The org's own upload of those bytes."""
    return await session.get(BrandAsset, (org_id, sha256))


async def any_asset(session: AsyncSession, sha256: str) -> BrandAsset | None:
    """Some org's upload of those bytes (the bytes are the same whoever stored them)."""
    rows = await session.execute(
        select(BrandAsset).where(BrandAsset.sha256 == sha256).order_by(BrandAsset.org_id).limit(1)
    )
    return rows.scalar_one_or_none()


async def add_asset(session: AsyncSession, asset: BrandAsset) -> BrandAsset:
    session.add(asset)
    await session.flush()
    return asset


async def assets_of(session: AsyncSession, org_id: str) -> list[BrandAsset]:
    """The org's uploads, newest first, without their bytes."""
    rows = await session.execute(
        select(BrandAsset)
        .options(defer(BrandAsset.data, raiseload=True))
        .where(BrandAsset.org_id == org_id)
        .order_by(BrandAsset.created_at.desc(), BrandAsset.sha256)
    )
    return list(rows.scalars())


async def asset_kinds(session: AsyncSession, org_id: str, sha256s: Collection[str]) -> dict[str, str]:
    """sha256 → kind of the org's own uploads among `sha256s`."""
    rows = await session.execute(
        select(BrandAsset.sha256, BrandAsset.kind).where(
            BrandAsset.org_id == org_id, BrandAsset.sha256.in_(sorted(sha256s))
        )
    )
    return {r.sha256: r.kind for r in rows}


async def user_ids_in(session: AsyncSession, org_ids: Collection[str]) -> list[str]:
    rows = await session.execute(select(User.id).where(User.org_id.in_(sorted(org_ids))).order_by(User.id))
    return list(rows.scalars())


async def set_org_brand(session: AsyncSession, org_id: str, brand_id: str) -> None:
    org = await session.get(Org, org_id)
    if org is not None:
        org.brand = brand_id
        await session.flush()
