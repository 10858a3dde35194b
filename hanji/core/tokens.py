"""Signed tokens for links: each is scoped to one purpose and one publication.

A token made for "confirm" in publication 3 never validates as "unsubscribe", nor in
publication 4. Expiry is checked by `read_token`; single use is the caller's business (it
stores something that changes once the token has been used, and puts it in the payload).
"""

from __future__ import annotations

from typing import Any

from django.core import signing


class BadToken(Exception):
    """The token is tampered with, expired, or meant for something else."""


def _salt(purpose: str, publication_id: int | None) -> str:
    return f"hanji.token.{purpose}.{publication_id or 0}"


def make_token(purpose: str, publication_id: int | None, payload: Any) -> str:
    return signing.dumps(payload, salt=_salt(purpose, publication_id), compress=True)


def read_token(
    purpose: str, publication_id: int | None, token: str, max_age: float | None = None
) -> Any:
    try:
        return signing.loads(token, salt=_salt(purpose, publication_id), max_age=max_age)
    except signing.SignatureExpired as error:
        raise BadToken("expired") from error
    except signing.BadSignature as error:
        raise BadToken("invalid") from error
