"""Shared output: a plain table on stdout and JSON under var/bench/<name>.json."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any


def write(name: str, rows: list[dict[str, Any]], summary: dict[str, Any]) -> Path:
    out_dir = Path(os.environ.get("SWITCHBOARD_BENCH_DIR", "var/bench"))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    doc = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
        "summary": summary,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    cols = list(rows[0]) if rows else []
    widths = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in cols}
    print(f"\n== bench/{name} ==")
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(_fmt(r[c]).ljust(widths[c]) for c in cols))
    for k, v in summary.items():
        print(f"{k}: {_fmt(v)}")
    print(f"(written to {path})")
    return path


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)
