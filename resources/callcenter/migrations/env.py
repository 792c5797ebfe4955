"""Alembic environment of the callcenter tree; everything generic lives in resources.kit.migrate."""

from resources.callcenter.models import Base
from resources.kit.migrate import run_env

run_env(target_metadata=Base.metadata)
