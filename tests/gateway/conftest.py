"""Fixtures live in gateway_support.py (a unique module name, importable by test modules)."""

from gateway_support import *  # noqa: F403
