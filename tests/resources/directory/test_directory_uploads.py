"""validate_image: type by magic bytes, size and dimension limits, the SVG allowlist."""

from __future__ import annotations

import struct
import zlib

import pytest

from resources.directory.uploads import ImageInfo, validate_image
from resources.kit.errors import ValidationFailed


def png(width: int, height: int, *, pad: int = 0) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"c\x00" + b"x" * pad) if pad else b""
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IEND", b"")


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def ico(size: int) -> bytes:
    entry = bytes([size % 256, size % 256, 0, 0]) + struct.pack("<HHII", 1, 32, 40, 22)
    return b"\x00\x00\x01\x00" + struct.pack("<H", 1) + entry + b"\x00" * 40


def message(data: bytes, kind: str = "logo") -> str:
    with pytest.raises(ValidationFailed) as info:
        validate_image(data, kind=kind)  # type: ignore[arg-type]
    assert [e["field"] for e in info.value.errors] == ["file"]
    return info.value.errors[0]["message"]


SVG_HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 120 40">'
)


def svg(body: str, head: str = SVG_HEAD) -> bytes:
    return f"{head}{body}</svg>".encode()


def test_raster_types_and_dimensions() -> None:
    data = png(200, 80)
    assert validate_image(data, kind="logo") == ImageInfo(
        content_type="image/png", width=200, height=80, size=len(data), data=data
    )
    info = validate_image(jpeg(640, 480), kind="logo")
    assert (info.content_type, info.width, info.height) == ("image/jpeg", 640, 480)
    info = validate_image(webp(300, 100), kind="logo")
    assert (info.content_type, info.width, info.height) == ("image/webp", 300, 100)
    info = validate_image(ico(32), kind="favicon")
    assert (info.content_type, info.width, info.height) == ("image/x-icon", 32, 32)
    info = validate_image(ico(0), kind="favicon")  # a 0 byte means 256 px
    assert (info.width, info.height) == (256, 256)


def test_limits() -> None:
    assert message(png(200, 80, pad=300 * 1024)) == "The file is 300.1 KiB; the limit is 256 KiB."
    assert message(png(4096, 100)) == "The image is 4096x100 px; a logo must be 16 to 2048 px on each side."
    assert (
        message(png(8, 8), "favicon") == "The image is 8x8 px; a favicon must be 16 to 512 px on each side."
    )
    assert message(png(64, 32), "favicon") == "The image is 64x32 px; a favicon must be square."
    assert message(ico(32)) == "ICO files are accepted for the favicon only."
    assert message(b"") == "The file is empty."
    assert message(b"\x89PNG\r\n\x1a\n\x00\x00") == "The PNG header is damaged: no image size found."


def test_wrong_types_by_magic_bytes() -> None:
    assert message(b"GIF89a\x10\x00\x10\x00" + b"\x00" * 20) == (
        "GIF images are not accepted; upload PNG, JPEG, WebP or SVG."
    )
    # a PDF renamed logo.png: the name is never looked at
    assert (
        message(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
        == "The file is not a PNG, JPEG, WebP, ICO or SVG image."
    )
    assert message(b"<html><body>hi</body></html>") == "The file is not a PNG, JPEG, WebP, ICO or SVG image."


def test_clean_svg_is_reserialised() -> None:
    body = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
        '<title>Acme</title><rect id="r" width="120" height="40" fill="url(#g)"/>'
        '<use xlink:href="#r" x="2"/><text x="4" y="30" font-family="sans-serif">Acme</text>'
    )
    info = validate_image(svg(body, '<?xml version="1.0"?>\n' + SVG_HEAD), kind="logo")
    assert (info.content_type, info.width, info.height) == ("image/svg+xml", 120, 40)
    assert info.data.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    assert b"<?xml" not in info.data
    assert info.size == len(info.data)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<script>alert(1)</script>", "Element <script> is not allowed in an SVG logo."),
        (
            '<rect onload="alert(1)"/>',
            "Attribute onload on <rect> is not allowed: event handlers are refused.",
        ),
        (
            '<a href="javascript:alert(1)"><rect/></a>',
            "Element <a> is not allowed in an SVG logo.",
        ),
        (
            '<use href="javascript:alert(1)"/>',
            "Attribute href on <use> is not allowed: only <use> may link, and only to #local ids.",
        ),
        (
            '<use xlink:href="https://evil.example/x.svg#a"/>',
            "Attribute xlink:href on <use> is not allowed: only <use> may link, and only to #local ids.",
        ),
        (
            '<rect href="#a"/>',
            "Attribute href on <rect> is not allowed: only <use> may link, and only to #local ids.",
        ),
        ("<foreignObject><p>x</p></foreignObject>", "Element <foreignObject> is not allowed in an SVG logo."),
        (
            '<rect style="fill: url(https://evil.example/t)"/>',
            "Attribute style on <rect> is not allowed: style must not contain url(), expression or escapes.",
        ),
        (
            '<rect style="width: expression(alert(1))"/>',
            "Attribute style on <rect> is not allowed: style must not contain url(), expression or escapes.",
        ),
        (
            '<rect fill="url(https://evil.example/p#x)"/>',
            "Attribute fill on <rect> is not allowed: url() may only point at #local ids.",
        ),
        ("<image/>", "Element <image> is not allowed in an SVG logo."),
        ('<rect data-x="1"/>', "Attribute data-x on <rect> is not allowed in an SVG logo."),
    ],
)
def test_malicious_svgs_name_the_offender(body: str, expected: str) -> None:
    assert message(svg(body)) == expected


def test_svg_declarations_refused_before_parsing() -> None:
    doctype = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    assert message(doctype) == "SVG files must not contain a DOCTYPE or ENTITY declaration."
    entity_only = b'<svg xmlns="http://www.w3.org/2000/svg"><!ENTITY x "y"></svg>'
    assert message(entity_only) == "SVG files must not contain a DOCTYPE or ENTITY declaration."


def test_svg_structure() -> None:
    assert message(b"<svg><rect/></svg>") == (
        "The file is not an SVG image: its root element is not <svg> in the SVG namespace."
    )
    assert message(b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>').startswith(
        "The SVG is not well-formed XML: mismatched tag"
    )
    assert (
        message(b'<svg xmlns="http://www.w3.org/2000/svg"><x:y xmlns:x="urn:x"/></svg>')
        == "Element <{urn:x}y> is not allowed in an SVG logo."
    )
    square = svg("<rect/>", '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32">')
    assert message(square, "favicon") == "The image is 64x32 px; a favicon must be square."


def test_svg_output_exact() -> None:
    source = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        b' viewBox="0 0 16 16">'
        b'<rect id="r" width="16" height="16"/><use xlink:href="#r"/><text>a &amp; &lt;b&gt;</text></svg>'
    )
    info = validate_image(source, kind="favicon")
    assert info.data == (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        b' viewBox="0 0 16 16">'
        b'<rect id="r" width="16" height="16"></rect><use xlink:href="#r"></use>'
        b"<text>a &amp; &lt;b&gt;</text></svg>"
    )
    assert (info.width, info.height) == (16, 16)
