"""Alembic environment of the outbound tree; everything generic lives in resources.kit.migrate."""

from resources.kit.migrate import run_env
from resources.outbound.models import Base

run_env(target_metadata=Base.metadata)
