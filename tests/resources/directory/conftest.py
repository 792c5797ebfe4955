"""Fixtures live in directory_fixtures.py (a unique module name, importable from the tests)."""

from directory_fixtures import env

__all__ = ["env"]
