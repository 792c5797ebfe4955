"""kit.errors: a parser's FieldError becomes the 422 problem forms and API clients read."""

from __future__ import annotations

import json

from resources.kit.errors import FieldError, ValidationFailed


def test_a_field_error_is_a_422_problem_naming_its_field() -> None:
    error = FieldError("hours.weekly.mon[0]", "'8-17' is not HH:MM-HH:MM")
    assert str(error) == "hours.weekly.mon[0]: '8-17' is not HH:MM-HH:MM"
    problem = error.problem()
    assert isinstance(problem, ValidationFailed)
    response = problem.response()
    assert (response.status_code, response.media_type) == (422, "application/problem+json")
    assert json.loads(bytes(response.body)) == {
        "type": "about:blank",
        "title": "Invalid input",
        "status": 422,
        "detail": "'8-17' is not HH:MM-HH:MM",
        "errors": [{"field": "hours.weekly.mon[0]", "message": "'8-17' is not HH:MM-HH:MM"}],
    }
