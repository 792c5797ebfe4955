"""Where the shell's files live (for the gateway's loader chain and static mount)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR"]
