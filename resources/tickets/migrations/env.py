"""Alembic environment of the tickets tree; everything generic lives in resources.kit.migrate."""

from resources.kit.migrate import run_env
from resources.tickets.models import Base

run_env(target_metadata=Base.metadata)
