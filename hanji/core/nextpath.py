"""Where a reader goes back to after signing in or confirming: a `next` that is safe.

Only a path on the same host is kept ("/posts/hello/#comments"): a full URL, a
scheme-relative one ("//evil.example"), a backslash trick ("/\\evil.example"), control
characters or anything longer than a path needs all become "" (the caller's default). A path
carries no host, so it stays on whichever of the publication's hosts the link was opened on.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.utils.http import url_has_allowed_host_and_scheme

MAX_LENGTH = 500


def safe_next(target: object) -> str:
    """`target` when it is a path on this host, else ""."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return ""
    if not target.startswith("/"):
        return ""
    # Encoded too ("/%5Cevil.example", "/%2F%2Fevil"): a proxy on the way may decode them.
    if any(form.startswith(("//", "/\\")) for form in (target, unquote(target))):
        return ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return ""
    # Django's own check as well: it knows the browsers' quirks.
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        return ""
    return target
