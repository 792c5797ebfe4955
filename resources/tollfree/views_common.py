"""Plumbing shared by the toll-free pages: the target of a URL, the caller, rendering,
inline errors, local time entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import editor
from resources.tollfree.context import Context
from resources.tollfree.diff import field_text
from resources.tollfree.plan import Issue

DEFAULT_ZONE = "America/New_York"
MAX_WHATIF_CALLS = 20_000
VERBS = ("activate", "hold", "release", "cancel", "rollback")
STATE_BADGES = {"SAVED": "info", "INVALID": "danger", "PENDING": "warning", "HOLD": "neutral",
                "ACTIVE": "success", "OLD": "neutral", "FAILED": "danger"}  # fmt: skip
STATE_WORDS = {"SAVED": "Draft", "INVALID": "Draft with problems", "PENDING": "Scheduled", "HOLD": "On hold",
               "ACTIVE": "Active", "OLD": "Superseded", "FAILED": "Failed"}  # fmt: skip


UI = {
    "type_name": editor.type_name, "decisions": editor.DECISIONS, "actions": editor.ACTIONS,
    "timed": editor.TIMED, "value_help": editor.VALUE_HELP, "positions": editor.POSITIONS,
    "dest_text": editor.dest_text, "field_text": field_text, "state_badges": STATE_BADGES,
    "state_words": STATE_WORDS,
}  # fmt: skip


# --- plumbing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    target: str  # "+18005550100" or "*EASTWEST"
    url: str  # browser URL of its page
    kind: str  # "number" | "template"


def target_of(request: Request) -> Target:
    params = request.path_params
    if "tfn" in params:
        tfn = str(params["tfn"])
        return Target(tfn, f"/tollfree/numbers/{tfn}", "number")
    name = str(params["name"]).upper()
    return Target(f"*{name.removeprefix('*')}", f"/tollfree/templates/{name.removeprefix('*')}", "template")


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def is_htmx(request: Request) -> bool:
    return "hx-request" in request.headers


def render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:  # fmt: skip
    values = {"ui": UI, **context}
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, values, title=title, status=status, headers=headers
    )


def problem_text(exc: ProblemError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(e["message"] for e in exc.errors) or (exc.detail or "")
    text = exc.detail or exc.title
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(e["field"].split("[")[0], e["message"])
    return out


def version_number(request: Request) -> int:
    raw = str(request.path_params.get("n", ""))
    if not raw.isdigit():
        raise ProblemError(404, detail="no such version")
    return int(raw)


def zone_of(document: Any) -> str:
    zone = document.get("timezone") if isinstance(document, dict) else None
    try:
        ZoneInfo(zone) if isinstance(zone, str) and zone else None
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return zone if isinstance(zone, str) and zone else DEFAULT_ZONE


def local_to_utc(day: str, clock: str, zone: str) -> datetime | None:
    """A date and a time typed in `zone` as UTC; both empty = None (now)."""
    if not day.strip() and not clock.strip():
        return None
    try:
        moment = datetime.combine(
            date.fromisoformat(day.strip()), time.fromisoformat(clock.strip() or "00:00")
        )
    except ValueError:
        raise ValidationFailed(
            [{"field": "when", "message": "Give a date (YYYY-MM-DD) and a time (HH:MM)."}]
        ) from None
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def issue_index(issues: Sequence[Issue]) -> Callable[..., list[Issue]]:
    """issues_at(node, branch=None): the issues of a node (not those of one of its branches),
    or of branch `branch` of a decision; node None = the record."""

    def issues_at(node: str | None, branch: int | None = None) -> list[Issue]:
        if branch is not None:
            return [i for i in issues if i.node == node and i.field.startswith(f"branches[{branch}]")]
        return [i for i in issues if i.node == node and not i.field.startswith("branches[")]

    return issues_at


# --- lists --------------------------------------------------------------------------------------
