"""Reading requests the same way in every resource: a JSON body that must be an object, and the
customer a request is about."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from resources.kit.caller import Caller
from resources.kit.errors import FieldError, ProblemError, ValidationFailed

MAX_JSON_BODY = 1_000_000
CUSTOMER_MAX = 64


async def json_object(request: Request, *, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The body as a JSON object: 413 when larger than `limit` bytes, 422 (`field` "body") when
    it is not JSON or not an object."""
    raw_bytes = await request.body()
    if len(raw_bytes) > limit:
        raise ProblemError(413, detail=f"the body is larger than {limit} bytes")
    try:
        raw = json.loads(raw_bytes or b"null")
    except (ValueError, RecursionError):
        raise ValidationFailed([{"field": "body", "message": "The body is not valid JSON."}]) from None
    if not isinstance(raw, dict):
        raise ValidationFailed([{"field": "body", "message": "Send a JSON object."}])
    return raw


def customer_of(request: Request, caller: Caller) -> str:
    """The customer a request is about: a customer's users work on their own; provider staff
    name one with `?customer=<id>` (422 when missing or malformed). Whether the caller may reach
    it is the resource's access check, not this."""
    named = request.query_params.get("customer")
    if named is not None and (not named or len(named) > CUSTOMER_MAX):
        raise FieldError("customer", "must be a customer id").problem()
    customer = named or caller.customer_id
    if customer is None:
        raise FieldError("customer", "name the customer: ?customer=<id>").problem()
    return customer
