"""TMF642 v4 (Alarm Management) as this resource speaks it — pure: the alarm's JSON shape, the list
query (TMF630 filtering by attribute, `fields=`, `offset`/`limit`) and the merge-patch body.

Attributes: id, href, @type "Alarm", alarmType, perceivedSeverity, probableCause,
specificProblem, alarmedObject {id, @referredType}, state, ackState, ackUserId, ackSystemId,
alarmRaisedTime, alarmChangedTime, alarmClearedTime, alarmReportingTime, sourceSystemId,
isRootCause, correlatedAlarm [{id}], comment [{time, userId, comment}], and our extension
`occurrences` (how many observations the alarm has absorbed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from resources.events.models import AlarmRow
from resources.kit.errors import ProblemError, ValidationFailed

BASE = "/api/tmf-api/alarmManagement/v4/alarm"  # resource-relative
HREF = "/api/events/tmf-api/alarmManagement/v4/alarm/"  # as the gateway exposes it
ACK_SYSTEM = "switchboard"
SEVERITIES_ALL = ("critical", "major", "minor", "warning", "indeterminate", "cleared")
STATES = ("raised", "updated", "cleared")
ACK_STATES = ("acknowledged", "unacknowledged")
REFERRED = {
    "number": "TelephoneNumber",
    "site": "CallCenterSite",
    "line": "Line",
    "plan": "RoutingPlan",
    "switch": "Switch",
}
ATTRIBUTES = (
    "id",
    "href",
    "@type",
    "alarmType",
    "perceivedSeverity",
    "probableCause",
    "specificProblem",
    "alarmedObject",
    "state",
    "ackState",
    "ackUserId",
    "ackSystemId",
    "alarmRaisedTime",
    "alarmChangedTime",
    "alarmClearedTime",
    "alarmReportingTime",
    "sourceSystemId",
    "isRootCause",
    "correlatedAlarm",
    "comment",
    "occurrences",
)
ALWAYS = ("id", "href", "@type")
# attribute -> AlarmRow column a filter compares (a comma list of values: any of them)
FILTERS = {
    "id": "id",
    "alarmType": "alarm_type",
    "perceivedSeverity": "perceived_severity",
    "probableCause": "probable_cause",
    "specificProblem": "specific_problem",
    "alarmedObject.id": "alarmed_object",
    "state": "state",
    "ackState": "ack_state",
    "ackUserId": "ack_by",
    "sourceSystemId": "source",
}
RESERVED = ("fields", "offset", "limit", "customer")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
PATCHABLE = ("ackState", "comment")
MAX_COMMENT = 2000
MERGE_PATCH = "application/merge-patch+json"


def stamp(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at is not None else None


def referred_type(alarmed_object: str) -> str:
    kind = alarmed_object.partition(":")[0]
    return REFERRED.get(kind, kind)


# left out while they have no value (TMF630: an attribute without a value is absent, not null)
OPTIONAL = ("ackUserId", "ackSystemId", "alarmClearedTime")


def alarm_json(row: AlarmRow) -> dict[str, Any]:
    """The whole TMF642 Alarm."""
    out = {
        "id": row.id,
        "href": HREF + row.id,
        "@type": "Alarm",
        "alarmType": row.alarm_type,
        "perceivedSeverity": row.perceived_severity,
        "probableCause": row.probable_cause,
        "specificProblem": row.specific_problem,
        "alarmedObject": {"id": row.alarmed_object, "@referredType": referred_type(row.alarmed_object)},
        "state": row.state,
        "ackState": row.ack_state,
        "ackUserId": row.ack_by,
        "ackSystemId": ACK_SYSTEM if row.ack_by is not None else None,
        "alarmRaisedTime": stamp(row.raised_time),
        "alarmChangedTime": stamp(row.updated_time),
        "alarmClearedTime": stamp(row.cleared_time),
        "alarmReportingTime": stamp(row.event_time),
        "sourceSystemId": row.source,
        "isRootCause": not row.correlated,
        "correlatedAlarm": [{"id": i} for i in row.correlated],
        "comment": [{"time": c["time"], "userId": c["author"], "comment": c["text"]} for c in row.comments],
        "occurrences": row.occurrences,
    }
    return {k: v for k, v in out.items() if v is not None or k not in OPTIONAL}


def select_fields(alarm: Mapping[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    if fields is None:
        return dict(alarm)
    return {k: v for k, v in alarm.items() if k in ALWAYS or k in fields}


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, tuple[str, ...]]  # AlarmRow column -> accepted values
    fields: tuple[str, ...] | None
    offset: int
    limit: int


def _whole(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(
            [{"field": name, "message": f"{name} must be a whole number from {low} to {high}"}]
        )
    return int(raw)


def parse_list_query(params: Mapping[str, str]) -> ListQuery:
    """`?perceivedSeverity=major,critical&state=raised&fields=state,ackState&offset=0&limit=100`;
    400 naming an attribute that cannot be filtered on or a field that does not exist."""
    filters: dict[str, tuple[str, ...]] = {}
    unknown = sorted(k for k in params if k not in FILTERS and k not in RESERVED)
    if unknown:
        raise ProblemError(
            400,
            detail=f"cannot filter by {', '.join(unknown)}; filter by {', '.join(FILTERS)}",
            unknown=unknown,
        )
    for name, column in FILTERS.items():
        if name in params:
            filters[column] = tuple(v for v in params[name].split(",") if v)
    fields: tuple[str, ...] | None = None
    if "fields" in params:
        fields = tuple(f.strip() for f in params["fields"].split(",") if f.strip())
        bad = sorted(f for f in fields if f not in ATTRIBUTES)
        if bad:
            raise ProblemError(400, detail=f"no such attribute: {', '.join(bad)}", unknown=bad)
    return ListQuery(
        filters=filters,
        fields=fields,
        offset=_whole("offset", params.get("offset"), 0, 0, 10**9),
        limit=_whole("limit", params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT),
    )


@dataclass(frozen=True)
class Patch:
    ack_state: str | None
    comments: tuple[str, ...]


def comment_text(raw: Any, field: str) -> str:
    text = raw.strip() if isinstance(raw, str) else None
    if not text or len(text) > MAX_COMMENT:
        raise ValidationFailed(
            [{"field": field, "message": f"a comment is 1 to {MAX_COMMENT} characters of text"}]
        )
    return text


def parse_patch(body: Mapping[str, Any]) -> Patch:
    """A merge-patch of an Alarm: only `ackState` and `comment` (appended) may change; anything
    else is refused by name (422). `ackUserId` is always the caller."""
    refused = sorted(k for k in body if k not in PATCHABLE)
    if refused:
        raise ValidationFailed(
            [
                {"field": k, "message": f"{k} is not patchable (only ackState and comment are)"}
                for k in refused
            ],
            detail=f"not patchable: {', '.join(refused)}; only ackState and comment may change",
        )
    ack = body.get("ackState")
    if "ackState" in body and ack not in ACK_STATES:
        raise ValidationFailed(
            [{"field": "ackState", "message": "ackState is acknowledged or unacknowledged"}]
        )
    comments: list[str] = []
    raw = body.get("comment")
    if "comment" in body:
        if not isinstance(raw, list) or not raw:
            raise ValidationFailed(
                [{"field": "comment", "message": 'comment is a list of {"comment": "text"} to append'}]
            )
        for i, item in enumerate(raw):
            where = f"comment[{i}]"
            if not isinstance(item, dict) or set(item) - {"comment", "@type"}:
                raise ValidationFailed(
                    [
                        {
                            "field": where,
                            "message": 'each comment is {"comment": "text"} (time and userId are set)',
                        }
                    ]
                )
            comments.append(comment_text(item.get("comment"), f"{where}.comment"))
    return Patch(ack_state=ack if isinstance(ack, str) else None, comments=tuple(comments))
