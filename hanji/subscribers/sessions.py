"""A reader's session on one publication: who is signed in, signing in, signing out.

The session holds the subscriber id under `hanji.reader.<publication id>`, so a browser may
be signed in to several publications of the instance, each as its own subscriber. Both ways
in prove the mailbox: a magic sign-in link, and the confirmation link of a subscription
(after which the reader may comment at once, as on Substack, without a second email).
"""

from __future__ import annotations

from django.http import HttpRequest

from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber


def session_key(publication: Publication) -> str:
    return f"hanji.reader.{publication.pk}"


def signed_in_reader(request: HttpRequest, publication: Publication) -> Subscriber | None:
    """The subscriber signed in to this publication in this session, if any."""
    subscriber_id = request.session.get(session_key(publication))
    if not subscriber_id:
        return None
    return Subscriber.objects.filter(publication=publication, pk=subscriber_id).first()


def start_reader_session(
    request: HttpRequest, publication: Publication, subscriber: Subscriber
) -> None:
    # A new session key on sign-in: a key planted before cannot ride along.
    request.session.cycle_key()
    request.session[session_key(publication)] = subscriber.pk


def end_reader_session(request: HttpRequest, publication: Publication) -> None:
    request.session.pop(session_key(publication), None)
    request.session.cycle_key()
