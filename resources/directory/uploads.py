"""Brand image uploads, checked before anything is stored (pure; docs/whitelabel-contracts.md).

`validate_image(data, kind=...)` recognises the type by its magic bytes only (never by the file
name or the browser's content type), reads the dimensions from the header and refuses anything
outside the limits. SVG is parsed with the standard library after any DOCTYPE/ENTITY is refused
(no entity expansion is possible then) and checked against an allowlist of elements and
attributes; a refusal names the offending element or attribute. Accepted SVGs are re-serialised.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from resources.kit.errors import ValidationFailed

Kind = Literal["logo", "favicon"]
KINDS: tuple[Kind, ...] = ("logo", "favicon")
MAX_BYTES = 256 * 1024
LIMITS: dict[Kind, tuple[int, int]] = {"logo": (16, 2048), "favicon": (16, 512)}

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset(
    {
        "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
        "tspan", "defs", "linearGradient", "radialGradient", "stop", "title", "desc", "clipPath",
        "mask", "use",
    }
)  # fmt: skip
ATTRIBUTES = frozenset(
    {
        # structure and geometry
        "id", "class", "version", "baseProfile", "viewBox", "preserveAspectRatio", "x", "y",
        "width", "height", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
        "d", "points", "pathLength", "transform", "dx", "dy", "rotate", "textLength",
        "lengthAdjust", "offset", "gradientUnits", "gradientTransform", "spreadMethod",
        "clipPathUnits", "maskUnits", "maskContentUnits", "role", "aria-label", "aria-hidden",
        "focusable", "href",
        # presentation
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
        "stroke-dashoffset", "opacity", "color", "display", "visibility", "clip-path",
        "clip-rule", "mask", "stop-color", "stop-opacity", "font-family", "font-size",
        "font-weight", "font-style", "text-anchor", "dominant-baseline", "alignment-baseline",
        "letter-spacing", "word-spacing", "text-decoration", "shape-rendering", "text-rendering",
        "vector-effect", "paint-order", "style",
        f"{{{XLINK_NS}}}href", f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang",
    }
)  # fmt: skip
_LOCAL_URL = re.compile(r"url\(\s*#[A-Za-z_][\w.:-]*\s*\)")
_LENGTH = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:px)?\s*")
_DECLARATIONS = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    content_type: str
    width: int | None  # None: an SVG without width/height/viewBox
    height: int | None
    size: int
    data: bytes


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed([{"field": "file", "message": message}])


def validate_image(data: bytes, *, kind: Kind) -> ImageInfo:
    """The checked image (SVGs re-serialised), or `ValidationFailed` naming the problem."""
    if kind not in KINDS:
        raise ValueError(f"unknown image kind {kind!r}")
    if len(data) > MAX_BYTES:
        raise refuse(f"The file is {len(data) / 1024:.1f} KiB; the limit is {MAX_BYTES // 1024} KiB.")
    if not data:
        raise refuse("The file is empty.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _raster("image/png", data, _png_size(data), kind)
    if data.startswith(b"\xff\xd8\xff"):
        return _raster("image/jpeg", data, _jpeg_size(data), kind)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _raster("image/webp", data, _webp_size(data), kind)
    if data[:4] == b"\x00\x00\x01\x00":
        if kind != "favicon":
            raise refuse("ICO files are accepted for the favicon only.")
        return _raster("image/x-icon", data, _ico_size(data), kind)
    if _looks_like_svg(data):
        return _svg(data, kind)
    if data.startswith((b"GIF87a", b"GIF89a")):
        raise refuse("GIF images are not accepted; upload PNG, JPEG, WebP or SVG.")
    raise refuse("The file is not a PNG, JPEG, WebP, ICO or SVG image.")


def _raster(content_type: str, data: bytes, size: tuple[int, int] | None, kind: Kind) -> ImageInfo:
    if size is None:
        raise refuse(f"The {content_type.split('/')[1].upper()} header is damaged: no image size found.")
    width, height = size
    _check_dimensions(width, height, kind)
    return ImageInfo(content_type=content_type, width=width, height=height, size=len(data), data=data)


def _check_dimensions(width: int, height: int, kind: Kind) -> None:
    low, high = LIMITS[kind]
    if not (low <= width <= high and low <= height <= high):
        raise refuse(f"The image is {width}x{height} px; a {kind} must be {low} to {high} px on each side.")
    if kind == "favicon" and width != height:
        raise refuse(f"The image is {width}x{height} px; a favicon must be square.")


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the segments to the first start-of-frame marker (SOF0 to SOF15 but DHT/JPG/DAC)."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        if length < 2:
            return None
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (int(bits) & 0x3FFF) + 1, ((int(bits) >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def _ico_size(data: bytes) -> tuple[int, int] | None:
    """The largest image in the icon directory (a width/height byte of 0 means 256)."""
    if len(data) < 6:
        return None
    (count,) = struct.unpack("<H", data[4:6])
    if count == 0 or len(data) < 6 + 16 * count:
        return None
    sizes = [(data[6 + 16 * n] or 256, data[7 + 16 * n] or 256) for n in range(count)]
    return max(sizes, key=lambda s: s[0] * s[1])


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype"))


def _svg(data: bytes, kind: Kind) -> ImageInfo:
    if _DECLARATIONS.search(data):
        raise refuse("SVG files must not contain a DOCTYPE or ENTITY declaration.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD can be present (checked above)
    except ET.ParseError as exc:
        raise refuse(f"The SVG is not well-formed XML: {exc}.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise refuse("The file is not an SVG image: its root element is not <svg> in the SVG namespace.")
    for element in root.iter():
        _check_element(element)
    width, height = _svg_size(root)
    if kind == "favicon" and width is not None and height is not None and width != height:
        raise refuse(f"The image is {width}x{height} px; a favicon must be square.")
    clean = serialise(root).encode()
    return ImageInfo(content_type="image/svg+xml", width=width, height=height, size=len(clean), data=clean)


def _name(tag: str) -> str:
    if tag.startswith(f"{{{SVG_NS}}}"):
        return tag[len(SVG_NS) + 2 :]
    return tag.replace(f"{{{XLINK_NS}}}", "xlink:").replace(f"{{{XML_NS}}}", "xml:")


def _check_element(element: ET.Element) -> None:
    if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{SVG_NS}}}"):
        raise refuse(f"Element <{_name(str(element.tag))}> is not allowed in an SVG logo.")
    name = _name(element.tag)
    if name not in ELEMENTS:
        raise refuse(f"Element <{name}> is not allowed in an SVG logo.")
    for attr, value in element.attrib.items():
        shown = _name(attr)
        where = f"Attribute {shown} on <{name}>"
        if shown.lower().startswith("on"):
            raise refuse(f"{where} is not allowed: event handlers are refused.")
        if attr not in ATTRIBUTES:
            raise refuse(f"{where} is not allowed in an SVG logo.")
        if attr in ("href", f"{{{XLINK_NS}}}href"):
            if name != "use" or not value.strip().startswith("#"):
                raise refuse(f"{where} is not allowed: only <use> may link, and only to #local ids.")
        elif attr == "style":
            lowered = value.lower()
            if "url(" in lowered or "expression" in lowered or "\\" in value or "@import" in lowered:
                raise refuse(f"{where} is not allowed: style must not contain url(), expression or escapes.")
        elif "url(" in value.lower() and _LOCAL_URL.sub("", value).lower().find("url(") != -1:
            raise refuse(f"{where} is not allowed: url() may only point at #local ids.")


def serialise(root: ET.Element) -> str:
    """The checked tree as SVG text: the SVG namespace as default, `xlink:`/`xml:` prefixes,
    text and attribute values escaped (ElementTree's own writer cannot mix a default namespace
    with unprefixed attributes)."""
    parts: list[str] = []
    uses_xlink = any(a.startswith(f"{{{XLINK_NS}}}") for el in root.iter() for a in el.attrib)

    def write(element: ET.Element, *, top: bool) -> None:
        attrs = [f' xmlns="{SVG_NS}"', f' xmlns:xlink="{XLINK_NS}"' if uses_xlink else ""] if top else []
        attrs += [f" {_name(k)}={quoteattr(v)}" for k, v in element.attrib.items()]
        name = _name(str(element.tag))
        parts.append(f"<{name}{''.join(attrs)}>")
        parts.append(escape(element.text or ""))
        for child in element:
            write(child, top=False)
            parts.append(escape(child.tail or ""))
        parts.append(f"</{name}>")

    write(root, top=True)
    return "".join(parts)


def _svg_size(root: ET.Element) -> tuple[int | None, int | None]:
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is not None and height is not None:
        return width, height
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            return round(float(box[2])), round(float(box[3]))
        except ValueError:
            return None, None
    return None, None


def _length(value: str | None) -> int | None:
    match = _LENGTH.fullmatch(value or "")
    return round(float(match.group(1))) if match else None
