"""Fixtures live in e2e_support.py (a unique module name, importable by test modules)."""

from e2e_support import *  # noqa: F403
