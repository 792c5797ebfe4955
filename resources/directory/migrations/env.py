"""Alembic environment of the directory tree; everything generic lives in resources.kit.migrate."""

from resources.directory.models import Base
from resources.kit.migrate import run_env

run_env(target_metadata=Base.metadata)
