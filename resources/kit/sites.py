"""What a call-center site's name and SIP address look like, wherever a resource takes one (a
toll-free plan's `site:<name>` leaf, a call-center site): one rule, so a site named in one
resource is a valid name in the other."""

from __future__ import annotations

import re

SITE_NAME_RE = re.compile(r"^[a-z0-9-]{1,32}$")
SITE_URI_RE = re.compile(
    r"^sip:(?P<host>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(?P<port>\d{1,5})"
    r"(?:;transport=(?:udp|tcp))?$"
)
SITE_NAME_HINT = "A site name is 1 to 32 lowercase letters, digits or dashes, like east."
SITE_URI_HINT = "Give the site as sip:host:port, optionally ;transport=udp or tcp."
