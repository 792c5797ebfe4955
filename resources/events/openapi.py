"""The events resource's API contract: pydantic models of every JSON operation (the routes keep
their own parsers and error sentences: tmf.py, thresholds.py, intake.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from resources.events.conditions import ALARM_TYPES, SEVERITIES
from resources.events.manifest import MANIFEST, TMF
from resources.kit.openapi import Contract, op

CUSTOMER = "Only this customer (provider and reseller staff); a customer's users leave it out"
ALARM_PATH = {"alarm_id": {"type": "string", "minLength": 1, "maxLength": 32}}
THRESHOLD_PATH = {
    "metric": {"type": "string", "enum": ["asr", "ner"]},
    "target": {"type": "string", "description": "number:+E.164, number:*, site:<name> or site:*"},
}


class CustomerQuery(BaseModel):
    customer: str | None = Field(default=None, description=CUSTOMER)


class AlarmListQuery(CustomerQuery):
    fields: str | None = Field(
        default=None, description="Comma list: only these attributes (+ id, href, @type)"
    )
    offset: int | None = Field(default=None, ge=0, description="Skip this many (default 0)")
    limit: int | None = Field(default=None, ge=1, le=1000, description="At most this many (default 100)")
    perceivedSeverity: str | None = Field(default=None, description="Comma list of severities")
    state: str | None = Field(default=None, description="raised, updated, cleared (comma list)")
    ackState: str | None = Field(default=None, description="acknowledged, unacknowledged")
    alarmType: str | None = None
    probableCause: str | None = None
    specificProblem: str | None = None
    sourceSystemId: str | None = None
    ackUserId: str | None = None
    id: str | None = None


class FieldsQuery(BaseModel):
    fields: str | None = Field(
        default=None, description="Comma list: only these attributes (+ id, href, @type)"
    )


class FeedQuery(CustomerQuery):
    after: int | None = Field(
        default=None, ge=0, description="The cursor: the last seq already seen (default 0)"
    )
    limit: int | None = Field(default=None, ge=1, le=1000, description="Rows (default 100)")


class AlarmedObject(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    referredType: str = Field(alias="@referredType")


class Ref(BaseModel):
    id: str


class Comment(BaseModel):
    time: str
    userId: str
    comment: str


class Alarm(BaseModel):
    """TMF642 v4 Alarm (with `fields=`, only those attributes plus id, href, @type)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    href: str
    type_: Literal["Alarm"] = Field(alias="@type")
    alarmType: Literal[ALARM_TYPES] | None = None  # type: ignore[valid-type]
    perceivedSeverity: Literal[(*SEVERITIES, "cleared")] | None = None  # type: ignore[valid-type]
    probableCause: str | None = None
    specificProblem: str | None = None
    alarmedObject: AlarmedObject | None = None
    state: Literal["raised", "updated", "cleared"] | None = None
    ackState: Literal["acknowledged", "unacknowledged"] | None = None
    ackUserId: str | None = None
    ackSystemId: str | None = None
    alarmRaisedTime: str | None = None
    alarmChangedTime: str | None = None
    alarmClearedTime: str | None = None
    alarmReportingTime: str | None = None
    sourceSystemId: str | None = None
    isRootCause: bool | None = None
    correlatedAlarm: list[Ref] | None = None
    comment: list[Comment] | None = None
    occurrences: int | None = Field(default=None, description="Observations the alarm absorbed (extension)")


class AlarmList(RootModel[list[Alarm]]):
    """A JSON array of Alarm."""


class NewComment(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class AlarmPatch(BaseModel):
    """application/merge-patch+json: only these two; ackUserId becomes the caller."""

    ackState: Literal["acknowledged", "unacknowledged"] | None = None
    comment: list[NewComment] | None = Field(default=None, description="Appended to the alarm's comments")


class Entry(BaseModel):
    seq: int
    kind: Literal["raised", "updated", "cleared", "acknowledged", "unacknowledged", "commented"]
    customer_id: str
    alarm_id: str
    at: str
    actor: str | None
    alarm: dict[str, Any] = Field(description="The TMF642 Alarm after the change")


class Feed(BaseModel):
    items: list[Entry]
    next: int = Field(description="The cursor to resume from (after=)")


class OpenCount(BaseModel):
    open_unacknowledged: int


class ThresholdBody(BaseModel):
    window_seconds: int = Field(ge=60, le=3600)
    min_calls: int = Field(ge=1, le=10000)
    raise_below: float = Field(gt=0, lt=1)
    clear_at: float = Field(gt=0, le=1, description="Above raise_below")
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]


class Threshold(ThresholdBody):
    customer_id: str
    target: str
    metric: Literal["asr", "ner"]


class Thresholds(BaseModel):
    customer: str
    items: list[Threshold]


NotifyKind = Literal["raised", "updated", "cleared", "acknowledged", "unacknowledged", "commented"]


def _default_kinds() -> list[NotifyKind]:
    return ["raised", "cleared"]


class NewSubscription(BaseModel):
    kind: Literal["email", "webhook"]
    address: str | None = Field(default=None, max_length=254, description="email: the address")
    url: str | None = Field(
        default=None,
        max_length=2000,
        description="webhook: an https:// URL (http:// only to 127.0.0.1 or localhost)",
    )
    min_severity: Literal["critical", "major", "minor", "warning"] = "major"
    kinds: list[Literal["raised", "updated", "cleared", "acknowledged", "unacknowledged", "commented"]] = (
        Field(default_factory=_default_kinds, min_length=1)
    )


class Subscription(BaseModel):
    id: str
    customer_id: str
    kind: Literal["email", "webhook"]
    address: str | None = None
    url: str | None = None
    min_severity: Literal["critical", "major", "minor", "warning"]
    kinds: list[str]
    state: Literal["active", "disabled"] = Field(description="disabled: the webhook answered 410")
    disabled_reason: str | None
    created_at: str
    created_by: str


class CreatedSubscription(Subscription):
    secret: str | None = Field(
        default=None,
        description="webhook: the signing secret, shown this once (webhook.py: how to verify)",
    )


class Subscriptions(BaseModel):
    customer: str
    items: list[Subscription]


SUBSCRIPTION_PATH = {"subscription_id": {"type": "string", "minLength": 1, "maxLength": 32}}


class Condition(BaseModel):
    customer_id: str
    resellers: list[str] = Field(default_factory=list)
    alarmed_object: str = Field(description="kind:id, like site:east or number:+18005550100")
    probable_cause: str = Field(description="camelCase, like siteUnreachable")
    alarm_type: Literal[ALARM_TYPES]  # type: ignore[valid-type]
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    specific_problem: str
    active: bool
    at: float = Field(description="Epoch seconds")
    source: str | None = Field(default=None, description="Ignored: the element's identity is the source")


class Accepted(BaseModel):
    accepted: int


class ProbeReport(BaseModel):
    """A change of a probed site's state, as the switch reports it (probes.py)."""

    target: str = Field(description="The SIP URI the switch probes, as in the probe list: sip:10.0.0.71:5071")
    state: str = Field(description="down (missed the probes) or up (answers again)")
    at: float = Field(
        description="Epoch seconds of the change; an older report than the target's latest is ignored"
    )


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op(
            "GET",
            TMF,
            "TMF642 alarms, newest raised first",
            query=AlarmListQuery,
            responses={200: AlarmList},
            description="A JSON array of Alarm; headers X-Total-Count and X-Result-Count",
        ),
        op(
            "GET",
            TMF + "/{alarm_id}",
            "One TMF642 alarm",
            query=FieldsQuery,
            responses={200: Alarm},
            path_params=ALARM_PATH,
        ),
        op(
            "PATCH",
            TMF + "/{alarm_id}",
            "Acknowledge, unacknowledge or comment an alarm",
            body=AlarmPatch,
            responses={200: Alarm},
            path_params=ALARM_PATH,
        ),
        op(
            "GET",
            "/api/feed",
            "Alarm changes after a cursor, in order (store and forward)",
            query=FeedQuery,
            responses={200: Feed},
        ),
        op(
            "GET",
            "/api/open-count",
            "Open alarms nobody acknowledged",
            query=CustomerQuery,
            responses={200: OpenCount},
        ),
        op(
            "GET",
            "/api/thresholds",
            "The customer's quality thresholds",
            query=CustomerQuery,
            responses={200: Thresholds},
        ),
        op(
            "GET",
            "/api/thresholds/{metric}/{target}",
            "One threshold",
            query=CustomerQuery,
            responses={200: Threshold},
            path_params=THRESHOLD_PATH,
        ),
        op(
            "PUT",
            "/api/thresholds/{metric}/{target}",
            "Create or replace a threshold",
            query=CustomerQuery,
            body=ThresholdBody,
            responses={200: Threshold, 201: Threshold},
            path_params=THRESHOLD_PATH,
        ),
        op(
            "DELETE",
            "/api/thresholds/{metric}/{target}",
            "Delete a threshold",
            query=CustomerQuery,
            responses={204: None},
            path_params=THRESHOLD_PATH,
        ),
        op(
            "GET",
            "/api/subscriptions",
            "The customer's alarm notification subscriptions",
            query=CustomerQuery,
            responses={200: Subscriptions},
        ),
        op(
            "POST",
            "/api/subscriptions",
            "Subscribe an e-mail address or the webhook to the customer's alarms",
            query=CustomerQuery,
            body=NewSubscription,
            responses={201: CreatedSubscription},
            description="A webhook's signing secret is in this answer only",
        ),
        op(
            "DELETE",
            "/api/subscriptions/{subscription_id}",
            "Delete a subscription (its pending deliveries fail)",
            query=CustomerQuery,
            responses={204: None},
            path_params=SUBSCRIPTION_PATH,
        ),
        op(
            "POST",
            "/network/conditions",
            "Report conditions (a network element)",
            plane="network",
            body=Condition,
            responses={202: Accepted},
            description="One condition or an array of up to 1000",
        ),
        op(
            "POST",
            "/network/probes",
            "Report a probed site down or up (the switch's SIP OPTIONS probing)",
            plane="network",
            body=ProbeReport,
            responses={202: Accepted},
            description="The site is found by its SIP URI; `accepted` 0: older than the latest report",
        ),
        op(
            "GET",
            "/network/probe-list",
            "The dispatcher list file of every known site (text/plain: `1 <uri> 0 0 site=<customer>/<name>`)",
            plane="network",
            responses={200: None},
        ),
    ),
)
