"""Alembic environment of the events tree; everything generic lives in resources.kit.migrate."""

from resources.events.models import Base
from resources.kit.migrate import run_env

run_env(target_metadata=Base.metadata)
