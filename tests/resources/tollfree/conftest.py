"""Fixtures live in tollfree_fixtures.py (a unique module name, importable from the tests)."""

from tollfree_fixtures import demo, env, pg_demo, seeds

__all__ = ["demo", "env", "pg_demo", "seeds"]
