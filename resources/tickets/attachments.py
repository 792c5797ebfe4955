"""What a ticket accepts as an attachment (pure): at most 5 MB, of five types — PNG, JPEG and PDF
recognised by their first bytes (a declared type the bytes do not bear out is refused), plain
text and CSV as UTF-8 without NUL bytes — and a file name reduced to something safe to store
and to send back in Content-Disposition."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from resources.kit.errors import ProblemError

PNG, JPEG, PDF, TEXT, CSV = "image/png", "image/jpeg", "application/pdf", "text/plain", "text/csv"
ALLOWED = (PNG, JPEG, PDF, TEXT, CSV)
MAGIC = {PNG: b"\x89PNG\r\n\x1a\n", JPEG: b"\xff\xd8\xff", PDF: b"%PDF-"}
BY_EXTENSION = {
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".pdf": PDF,
    ".txt": TEXT,
    ".log": TEXT,
    ".csv": CSV,
}
MAX_NAME = 100
UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


@dataclass(frozen=True)
class Upload:
    name: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def safe_name(raw: str | None) -> str:
    """`../../etc/pass<wd>.txt` → `pass_wd_.txt`: the last path segment, ASCII letters, digits,
    dot, dash, space, brackets and underscores only, no leading dots, at most 100 characters
    (the extension kept); `attachment` when nothing is left."""
    base = re.split(r"[/\\]", raw or "")[-1]
    decomposed = unicodedata.normalize("NFKD", base)
    ascii_name = "".join(c if c.isascii() else "" if unicodedata.combining(c) else "_" for c in decomposed)
    cleaned = UNSAFE.sub("_", ascii_name).strip(" .")
    cleaned = re.sub(r"_+", "_", cleaned)
    if len(cleaned) > MAX_NAME:
        _stem, dot, ext = cleaned.rpartition(".")
        keep = f".{ext}" if dot and len(ext) <= 10 else ""
        cleaned = cleaned[: MAX_NAME - len(keep)] + keep
    return cleaned or "attachment"


def declared_type(content_type: str | None, name: str) -> str:
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("", "application/octet-stream"):
        dot = name.rfind(".")
        return (
            BY_EXTENSION.get(name[dot:].lower(), media or "application/octet-stream") if dot >= 0 else media
        )
    return media


def sniffed(content: bytes) -> str | None:
    return next((media for media, magic in MAGIC.items() if content.startswith(magic)), None)


def check_upload(*, filename: str | None, content_type: str | None, content: bytes, limit: int) -> Upload:
    """The upload as stored; 413 when larger than `limit`, 415 for a type not allowed or not
    borne out by the bytes, 422 when empty."""
    if len(content) > limit:
        raise ProblemError(413, detail=f"an attachment may be at most {limit // (1024 * 1024)} MB")
    if not content:
        raise ProblemError(
            422, detail="the file is empty", errors=[{"field": "file", "message": "the file is empty"}]
        )
    name = safe_name(filename)
    media = declared_type(content_type, name)
    if media not in ALLOWED:
        raise ProblemError(
            415, detail=f"{media} files are not accepted (PNG, JPEG, PDF, plain text or CSV only)"
        )
    found = sniffed(content)
    if media in MAGIC and found != media:
        raise ProblemError(415, detail=f"the file is not a {media} file: its content does not match")
    if media in (TEXT, CSV):
        if found is not None or b"\x00" in content:
            raise ProblemError(415, detail=f"the file is not {media}: it holds binary data")
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise ProblemError(415, detail=f"the file is not {media}: it is not UTF-8 text") from None
    return Upload(name=name, media_type=media, content=content)


def content_disposition(name: str) -> str:
    return f'attachment; filename="{safe_name(name)}"'
