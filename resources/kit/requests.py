"""Reading a JSON request body the same way in every resource: an object, or a clear 4xx."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from resources.kit.errors import ProblemError, ValidationFailed

MAX_JSON_BODY = 1_000_000


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
