"""Fixtures live in oidc_support.py (a unique module name, importable by the test module)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))  # e2e_support: the real portal

from oidc_support import idp, sso_portal

__all__ = ["idp", "sso_portal"]
