"""Changes the publication's team makes to subscribers in the studio: tags and saved
segments."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.publications.models import Publication
from hanji.subscribers import csvread
from hanji.subscribers.actions.common import Refused
from hanji.subscribers.models import Newsletter, Segment, Source, Subscriber, SubscriberStatus

MAX_TAGS = 50


def set_subscriber_tags(subscriber: Subscriber, text: str) -> list[str]:
    """Replace the subscriber's tags with those in `text` (comma-separated), sorted."""
    tags = sorted(set(csvread.split_tags(text)))[:MAX_TAGS]
    Subscriber.objects.filter(pk=subscriber.pk).update(tags=tags, updated_at=timezone.now())
    subscriber.tags = tags
    return tags


def save_segment(publication: Publication, data: dict) -> Segment:
    """A new segment from the studio's form; Refused without a name. Criteria that do not
    belong to the publication (another one's newsletter, unknown statuses) are left out."""
    name = (data.get("name") or "").strip()[:200]
    if not name:
        raise Refused(_("Give the segment a name."))
    newsletter_id = data.get("newsletter") or ""
    newsletter = (
        Newsletter.objects.filter(publication=publication, pk=newsletter_id).first()
        if str(newsletter_id).isdigit()
        else None
    )
    statuses = [s for s in data.get("statuses", []) if s in SubscriberStatus.values]
    source = data.get("source") or ""
    return Segment.objects.create(
        publication=publication,
        name=name,
        statuses=statuses,
        newsletter=newsletter,
        tags=csvread.split_tags(data.get("tags") or ""),
        source=source if source in Source.values else "",
        signed_up_after=data.get("signed_up_after") or None,
        signed_up_before=data.get("signed_up_before") or None,
    )
