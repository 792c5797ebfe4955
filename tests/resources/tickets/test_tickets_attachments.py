"""Attachments through the real app: the type by its first bytes, text as UTF-8, the 5 MB cap,
sanitised names, the download's headers, and who may attach and download."""

from __future__ import annotations

import hashlib

import pytest
from tickets_support import Rig, as_, rig

from resources.tickets.attachments import safe_name

__all__ = ["rig"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
MB = 1024 * 1024


def url(ticket_id: str = "T-000001") -> str:
    return f"/api/troubleTicket/{ticket_id}/attachment"


async def upload(
    rig: Rig, name: str, content: bytes, media: str, who: str = "alice", ticket: str = "T-000001"
):  # type: ignore[no-untyped-def]
    return await rig.client.post(url(ticket), files={"file": (name, content, media)}, headers=as_(who))


@pytest.mark.parametrize(
    ("name", "content", "media", "stored"),
    [
        ("trace.png", PNG, "image/png", "image/png"),
        ("photo.jpg", JPEG, "image/jpeg", "image/jpeg"),
        ("report.pdf", PDF, "application/pdf", "application/pdf"),
        ("calls.csv", b"number,calls\n+18005550100,3\n", "text/csv", "text/csv"),
        ("notes.txt", "Grüße\n".encode(), "text/plain; charset=utf-8", "text/plain"),
        ("scan.pdf", PDF, "application/octet-stream", "application/pdf"),  # from the extension, then checked
    ],
)
async def test_allowed_types_are_stored(rig: Rig, name: str, content: bytes, media: str, stored: str) -> None:
    await rig.open()
    r = await upload(rig, name, content, media)
    assert (r.status_code, r.json()) == (
        201,
        {
            "id": "1",
            "name": name,
            "mimeType": stored,
            "size": {"amount": len(content), "units": "bytes"},
            "url": "/api/tickets/troubleTicket/T-000001/attachment/1",
            "@type": "AttachmentRefOrValue",
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "media", "detail"),
    [
        (
            "fake.png",
            b"<script>alert(1)</script>",
            "image/png",
            "the file is not a image/png file: its content does not match",
        ),
        ("fake.jpg", PNG, "image/jpeg", "the file is not a image/jpeg file: its content does not match"),
        (
            "fake.pdf",
            b"MZ\x90\x00",
            "application/pdf",
            "the file is not a application/pdf file: its content does not match",
        ),
        (
            "tool.exe",
            b"MZ\x90\x00",
            "application/x-msdownload",
            "application/x-msdownload files are not accepted (PNG, JPEG, PDF, plain text or CSV only)",
        ),
        (
            "page.html",
            b"<html>",
            "text/html",
            "text/html files are not accepted (PNG, JPEG, PDF, plain text or CSV only)",
        ),
        ("binary.txt", b"abc\x00def", "text/plain", "the file is not text/plain: it holds binary data"),
        ("image.txt", PNG, "text/plain", "the file is not text/plain: it holds binary data"),
        (
            "latin1.csv",
            "café".encode("latin-1"),
            "text/csv",
            "the file is not text/csv: it is not UTF-8 text",
        ),
        (
            "blob",
            b"data",
            "application/octet-stream",
            "application/octet-stream files are not accepted (PNG, JPEG, PDF, plain text or CSV only)",
        ),
    ],
)
async def test_types_not_borne_out_are_refused(
    rig: Rig, name: str, content: bytes, media: str, detail: str
) -> None:
    await rig.open()
    r = await upload(rig, name, content, media)
    assert (r.status_code, r.json()["detail"]) == (415, detail)
    assert (await rig.get("alice", "T-000001")).json()["attachment"] == []


async def test_five_megabytes_at_most(rig: Rig) -> None:
    await rig.open()
    r = await upload(rig, "big.txt", b"a" * (5 * MB), "text/plain")
    assert (r.status_code, r.json()["size"]["amount"]) == (201, 5 * MB)
    r = await upload(rig, "bigger.txt", b"a" * (5 * MB + 1), "text/plain")
    assert (r.status_code, r.json()["detail"]) == (413, "an attachment may be at most 5 MB")
    r = await upload(rig, "huge.txt", b"a" * (6 * MB), "text/plain")  # refused by its Content-Length
    assert r.status_code == 413
    r = await upload(rig, "empty.txt", b"", "text/plain")
    assert (r.status_code, r.json()["detail"]) == (422, "the file is empty")
    r = await rig.client.post(url(), json={"file": "x"}, headers=as_("alice"))
    assert r.status_code == 415
    r = await rig.client.post(url(), files={"other": ("a.txt", b"a", "text/plain")}, headers=as_("alice"))
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "file", "message": "choose a file to attach"}],
    )


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/pass<wd>.txt", "pass_wd_.txt"),
        ("C:\\Users\\bob\\trace.png", "trace.png"),
        (".htaccess", "htaccess"),
        ('report "final"; v2.pdf', "report _final_ v2.pdf"),
        ("Übersicht\N{EN DASH}Jänner.csv", "Ubersicht_Janner.csv"),
        ("\r\nSet-Cookie: x=1.txt", "_Set-Cookie_ x_1.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("a" * 150 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe


async def test_the_download_is_an_attachment_of_its_type(rig: Rig) -> None:
    await rig.open()
    r = await upload(rig, "../evil name<1>.pdf", PDF, "application/pdf")
    assert r.json()["name"] == "evil name_1_.pdf"
    r = await rig.client.get(f"{url()}/1", headers=as_("alice"))
    assert (r.status_code, r.content) == (200, PDF)
    assert {k: r.headers[k] for k in ("content-type", "content-disposition", "x-content-type-options")} == {
        "content-type": "application/pdf",
        "content-disposition": 'attachment; filename="evil name_1_.pdf"',
        "x-content-type-options": "nosniff",
    }
    assert (r.headers["content-security-policy"], r.headers["cache-control"]) == (
        "default-src 'none'; sandbox",
        "private, no-store",
    )
    from resources.tickets.context import transaction
    from resources.tickets.models import AttachmentRow

    async with transaction(rig.ctx, write=False) as tx:
        row = await tx.session.get(AttachmentRow, 1)
    assert row is not None
    assert (row.sha256, row.size, row.author) == (hashlib.sha256(PDF).hexdigest(), len(PDF), "alice@globex")
    assert (await rig.client.get(f"{url()}/2", headers=as_("alice"))).status_code == 404
    assert (await rig.client.get(f"{url()}/x", headers=as_("alice"))).status_code == 404


async def test_who_may_attach_and_download(rig: Rig) -> None:
    await rig.open()
    assert (await upload(rig, "a.txt", b"a", "text/plain", who="admin")).status_code == 201
    r = await upload(rig, "a.txt", b"a", "text/plain", who="vic")
    assert (r.status_code, r.json()["detail"]) == (403, "you may view tickets but not change them")
    r = await upload(rig, "a.txt", b"a", "text/plain", who="carol")
    assert (r.status_code, r.json()["detail"]) == (404, "no such ticket: T-000001")
    assert (await rig.client.get(f"{url()}/1", headers=as_("carol"))).status_code == 404
    assert (await rig.client.get(f"{url()}/1", headers=as_("vic"))).status_code == 200
    await rig.move("alice", "T-000001", "cancelled")
    r = await upload(rig, "late.txt", b"a", "text/plain")
    assert (r.status_code, r.json()["detail"]) == (409, "the ticket is cancelled: no more attachments")
