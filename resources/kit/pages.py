"""What every resource's pages do alike with a submitted form and a change: its text fields, a
refusal as one sentence, and a document's before/after as `(path, before, after)` rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import FormData

from resources.kit.errors import ProblemError, ValidationFailed

CSRF_FIELD = "csrf_token"  # the gateway checks it (gateway/csrf.py); portal.js adds it to every form


def text_fields(form: FormData) -> dict[str, str]:
    """The form's text values (uploads and the gateway's CSRF field left out)."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}


def problem_text(exc: ProblemError) -> str:
    """A refusal as one sentence for the page."""
    if isinstance(exc, ValidationFailed):
        text = "; ".join(e["message"] for e in exc.errors) or (exc.detail or "")
    else:
        text = exc.detail or exc.title
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


ItemText = Callable[[Mapping[str, Any]], str]


def _pairs(item: Mapping[str, Any]) -> str:
    return "; ".join(f"{k} {v}" for k, v in item.items())


def flatten(
    document: Any, prefix: str = "", *, item_text: ItemText = _pairs, sep: str = ", "
) -> dict[str, str]:
    """A document as `path → text` (`hours.weekly.mon → 08:00-12:00, 13:00-17:00`); the objects
    in a list are written by `item_text`, the list's entries joined by `sep`."""
    out: dict[str, str] = {}
    if isinstance(document, Mapping):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, path, item_text=item_text, sep=sep))
    elif isinstance(document, list):
        out[prefix] = sep.join(item_text(v) if isinstance(v, Mapping) else str(v) for v in document)
    elif document is None:
        out[prefix] = ""
    else:
        out[prefix] = str(document)
    return out


def changes(
    before: Any, after: Any, *, item_text: ItemText = _pairs, sep: str = ", "
) -> list[tuple[str, str, str]]:
    """`(path, before, after)` for every value that differs, in the order of the documents."""
    old = flatten(before or {}, item_text=item_text, sep=sep)
    new = flatten(after or {}, item_text=item_text, sep=sep)
    keys = [*new, *(k for k in old if k not in new)]
    return [(k, old.get(k, ""), new.get(k, "")) for k in keys if old.get(k, "") != new.get(k, "")]
