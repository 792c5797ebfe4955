"""What-if: replay a set of calls against the active plan and a draft, compare where they go."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from resources.tollfree.compiler import Answer, CompiledPlan, Query
from resources.tollfree.origin import OriginData


@dataclass(frozen=True)
class WhatIfRow:
    key: str  # "site:east", "+13125550100", "carrier:0288", "announce:closed", "reject:403"
    before: int
    after: int
    before_share: float  # percent of all calls, 2 decimals
    after_share: float
    delta: float  # after_share - before_share, percentage points


@dataclass(frozen=True)
class WhatIf:
    calls: int
    changed: int  # calls whose outcome key differs between before and after
    rows: tuple[WhatIfRow, ...]  # most calls first

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "changed": self.changed,
            "rows": [
                {
                    "key": r.key,
                    "before": r.before,
                    "after": r.after,
                    "before_share": r.before_share,
                    "after_share": r.after_share,
                    "delta": r.delta,
                }
                for r in self.rows
            ],
        }


def outcome_key(answer: Answer) -> str:
    """Where a call ends: its primary destination, ``announce:<treatment>`` or ``reject:<code>``."""
    if answer.outcome == "route" and answer.destinations:
        return answer.destinations[0].dest
    if answer.outcome == "announce":
        return f"announce:{answer.treatment}"
    return f"reject:{answer.code}"


def _no_templates(name: str) -> CompiledPlan | None:
    return None


def replay(
    calls: Sequence[Query],
    *,
    before: CompiledPlan | None,
    after: CompiledPlan,
    origin: OriginData,
    resolve: Callable[[str], CompiledPlan | None] = _no_templates,
) -> WhatIf:
    """Evaluate every call with both plans (`before` None = no plan yet: nothing counted before).
    Give calls a call id so percent splits take the same share in both plans."""
    counts_before: Counter[str] = Counter()
    counts_after: Counter[str] = Counter()
    changed = 0
    for query in calls:
        key_after = outcome_key(after.evaluate(query, origin=origin, resolve=resolve))
        counts_after[key_after] += 1
        if before is None:
            changed += 1
            continue
        key_before = outcome_key(before.evaluate(query, origin=origin, resolve=resolve))
        counts_before[key_before] += 1
        changed += key_before != key_after
    total = len(calls)

    def share(n: int) -> float:
        return round(n * 100 / total, 2) if total else 0.0

    keys = sorted(
        set(counts_before) | set(counts_after),
        key=lambda k: (-max(counts_before[k], counts_after[k]), k),
    )
    rows = tuple(
        WhatIfRow(
            key=k,
            before=counts_before[k],
            after=counts_after[k],
            before_share=share(counts_before[k]),
            after_share=share(counts_after[k]),
            delta=round(share(counts_after[k]) - share(counts_before[k]), 2),
        )
        for k in keys
    )
    return WhatIf(calls=total, changed=changed, rows=rows)
