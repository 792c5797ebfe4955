"""Brand tables (`directory_brand_versions`, `directory_brand_assets`; migration 0003).

Kept apart from models.py but on the same `Base`, so alembic sees one metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from resources.directory.models import Base
from resources.kit.db import UTCDateTime

ONE_DRAFT_WHERE = "state = 'DRAFT'"
ONE_PUBLISHED_WHERE = "state = 'PUBLISHED'"


class BrandVersion(Base):
    """One version of an org's brand overrides; its state follows brand_lifecycle.TRANSITIONS."""

    __tablename__ = "directory_brand_versions"
    __table_args__ = (
        UniqueConstraint("org_id", "version"),
        Index(
            "ux_directory_brand_versions_one_draft",
            "org_id",
            unique=True,
            sqlite_where=text(ONE_DRAFT_WHERE),
            postgresql_where=text(ONE_DRAFT_WHERE),
        ),
        Index(
            "ux_directory_brand_versions_one_published",
            "org_id",
            unique=True,
            sqlite_where=text(ONE_PUBLISHED_WHERE),
            postgresql_where=text(ONE_PUBLISHED_WHERE),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))  # DRAFT | PUBLISHED | OLD
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # only this org's overrides
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(64))
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)


class BrandAsset(Base):
    """An org's uploaded logo or favicon, content-addressed (`asset:<sha256>` in a brand's
    fields). Each org that uploads some bytes has its own row (migration 0004); a brand may
    only reference its own org's uploads."""

    __tablename__ = "directory_brand_assets"

    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # logo | favicon
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
