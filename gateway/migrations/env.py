from gateway.models import Base
from resources.kit.migrate import run_env

run_env(target_metadata=Base.metadata)
