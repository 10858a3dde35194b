"""Who is reading: the signed-in reader (a Subscriber of the request's publication), and what
they may do. The one place engagement learns about sign-in and memberships."""

from __future__ import annotations

from django.http import HttpRequest

from hanji.subscribers.models import Subscriber, SubscriberStatus


def current_reader(request: HttpRequest) -> Subscriber | None:
    """The subscriber of this request's publication who signed in with a magic link, or None.

    Sign-in belongs to the subscribers app (hanji.subscribers.account); this is the one place
    engagement asks it. Cheap for anonymous readers: without a session cookie there is no
    session to read and no query.
    """
    cached = getattr(request, "_hanji_reader", False)
    if cached is not False:
        return cached
    reader = None
    session = getattr(request, "session", None)
    publication = getattr(request, "publication", None)
    if publication is not None and session is not None and session.session_key:
        from hanji.subscribers.account import signed_in_reader

        reader = signed_in_reader(request, publication)
        if reader is not None and reader.status == SubscriberStatus.COMPLAINED:
            reader = None
    request._hanji_reader = reader
    return reader


def is_confirmed(subscriber: Subscriber | None) -> bool:
    return subscriber is not None and subscriber.status == SubscriberStatus.ACTIVE


def is_paid_member(subscriber: Subscriber | None) -> bool:
    """Whether the reader has a paid, gifted or complimentary membership open right now
    (hanji.memberships.access decides)."""
    from hanji.memberships.access import reader_access

    return reader_access(subscriber).paid


def display_name(subscriber: Subscriber | None) -> str:
    """The name a reader shows with their comments; never their whole email address."""
    if subscriber is None:
        return ""
    if subscriber.name.strip():
        return subscriber.name.strip()
    local = subscriber.email.split("@", 1)[0]
    return (local[:2] if len(local) > 3 else local[:1]) + "***"
