"""What reports, e-mails and invoices take from a brand (DESIGN.md §5: "a customer always sees its
reseller's brand: … emails, reports, invoices").

`document_context(brand)` is the template context every generated document renders with (all
values plain text: the document's renderer escapes them); `email_headers(brand)` are the headers
of every mail sent on the brand's behalf.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import formataddr
from typing import Any

from branding.model import Brand


def _from(name: str, address: str) -> str:
    """RFC 5322 mailbox; a non-ASCII display name is RFC 2047-encoded, specials are quoted."""
    Address(addr_spec=address)  # refuses anything that is not one address
    return formataddr((name, address), charset="utf-8")


def document_context(brand: Brand) -> dict[str, Any]:
    return {
        "brand_id": brand.id,
        "header": brand.report_header or brand.product_name,
        "footer": brand.report_footer or "",
        "legal": brand.legal_footer or "",
        "sender": {"name": brand.email_from_name, "address": brand.email_from_address},
        "support": {
            "email": brand.support_email,
            "phone": brand.support_phone or "",
            "url": brand.support_url or "",
        },
        "product_name": brand.product_name,
        "colours": dict(brand.colours),
        "font": brand.font_stack,
    }


def email_headers(brand: Brand) -> dict[str, str]:
    return {
        "From": _from(brand.email_from_name, brand.email_from_address),
        "Reply-To": brand.support_email,
    }
