from __future__ import annotations

import secrets

from django.utils.text import slugify

SHORT_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def short_id(length: int = 8) -> str:
    return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(length))


def readable_slug(text: str, max_length: int = 80) -> str:
    """A slug that keeps Hangul readable ("주간-실리콘밸리"); a short id when nothing is left."""
    slug = slugify(text, allow_unicode=True)[:max_length].strip("-")
    return slug or short_id()


def unique_slug(text: str, taken) -> str:
    """`readable_slug(text)`, with -2, -3 … appended while `taken(slug)` is true."""
    base = readable_slug(text)
    slug, n = base, 1
    while taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
