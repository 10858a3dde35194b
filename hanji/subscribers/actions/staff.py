"""Changes the publication's team makes to subscribers in the studio: tags, saved segments
(made and deleted), and the newsletters themselves."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from hanji.core.changes import apply_changes
from hanji.core.params import parse_int
from hanji.publications.models import Publication
from hanji.subscribers import csvread, figures
from hanji.subscribers.actions.common import Refused
from hanji.subscribers.models import Newsletter, Segment, Source, Subscriber, SubscriberStatus

MAX_TAGS = 50
NEWSLETTER_FIELDS = [
    "name",
    "slug",
    "description",
    "sender_name",
    "sender_email",
    "reply_to",
    "subscribe_by_default",
    "welcome_message",
]


def save_newsletter(
    publication: Publication, newsletter: Newsletter | None, changes: dict
) -> Newsletter:
    """Make a newsletter (`newsletter` None) or change one of the publication's. Raises
    ValidationError for a bad value or a slug another of its newsletters has."""
    if newsletter is not None and newsletter.publication_id != publication.pk:
        raise ValidationError("Not a newsletter of this publication.")
    newsletter = newsletter or Newsletter(publication=publication)
    slug = changes.get("slug", newsletter.slug)
    taken = Newsletter.objects.filter(publication=publication, slug=slug)
    if taken.exclude(pk=newsletter.pk).exists():
        raise ValidationError({"slug": _("Another newsletter already has this address.")})
    apply_changes(newsletter, changes, NEWSLETTER_FIELDS)
    return newsletter


def set_subscriber_tags(subscriber: Subscriber, text: str) -> list[str]:
    """Replace the subscriber's tags with those in `text` (comma-separated), sorted."""
    tags = sorted(set(csvread.split_tags(text)))[:MAX_TAGS]
    Subscriber.objects.filter(pk=subscriber.pk).update(tags=tags, updated_at=timezone.now())
    subscriber.tags = tags
    figures.forget(subscriber.publication_id)
    return tags


def _day(value: str | date | None, field: str) -> date | None:
    if isinstance(value, date) or not value:
        return value or None
    try:
        day = parse_date(value.strip())
    except ValueError:  # well formed but no such day (2026-02-30)
        day = None
    if day is None:
        raise Refused(_("Write dates as YYYY-MM-DD, for example 2026-11-01."), field)
    return day


def save_segment(publication: Publication, data: dict) -> Segment:
    """A new segment from the studio's form; Refused without a name or with a bad date.
    Criteria that do not belong to the publication (another one's newsletter, unknown
    statuses) are left out. Signup dates are whole days in the publication's time zone,
    both included (`signed_up_from`, `signed_up_until`)."""
    name = (data.get("name") or "").strip()[:200]
    if not name:
        raise Refused(_("Give the segment a name."), "name")
    first_day = _day(data.get("signed_up_from"), "signed_up_from")
    last_day = _day(data.get("signed_up_until"), "signed_up_until")
    if first_day and last_day and first_day > last_day:
        raise Refused(_("The first signup day comes after the last one."), "signed_up_until")
    newsletter_id = parse_int(data.get("newsletter"), default=None)
    newsletter = (
        Newsletter.objects.filter(publication=publication, pk=newsletter_id).first()
        if newsletter_id is not None
        else None
    )
    statuses = [s for s in data.get("statuses", []) if s in SubscriberStatus.values]
    source = data.get("source") or ""
    figures.forget(publication.pk)
    return Segment.objects.create(
        publication=publication,
        name=name,
        statuses=statuses,
        newsletter=newsletter,
        tags=csvread.split_tags(data.get("tags") or ""),
        source=source if source in Source.values else "",
        signed_up_from=first_day,
        signed_up_until=last_day,
    )


def delete_segment(publication: Publication, segment_id: int | None) -> bool:
    """Delete one of the publication's segments (sends keep their figures; their segment
    becomes none); False when there is no such segment here."""
    deleted, _detail = Segment.objects.filter(publication=publication, pk=segment_id).delete()
    figures.forget(publication.pk)
    return bool(deleted)
