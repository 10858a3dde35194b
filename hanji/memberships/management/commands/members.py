"""`hanji members list|grant|revoke --publication SLUG`: comps and support work."""

from __future__ import annotations

import csv
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hanji.memberships import actions, stats
from hanji.memberships.models import MemberStatus, Tier
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber


def _publication(slug: str) -> Publication:
    try:
        return Publication.objects.get(slug=slug)
    except Publication.DoesNotExist:
        raise CommandError(f"No publication with the slug {slug!r}.") from None


def _subscriber(publication: Publication, email: str) -> Subscriber:
    found = Subscriber.objects.filter(publication=publication, email__iexact=email.strip()).first()
    if found is None:
        raise CommandError(f"{email} does not subscribe to {publication.slug}.")
    return found


class Command(BaseCommand):
    help = "List members, grant a complimentary membership, or end one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="members as CSV on standard output")
        listing.add_argument("--publication", required=True)
        listing.add_argument("--status", choices=MemberStatus.values)
        listing.add_argument("--tier", help="a tier's slug")
        grant = sub.add_parser("grant", help="a complimentary membership")
        grant.add_argument("email")
        grant.add_argument("--publication", required=True)
        grant.add_argument("--tier", required=True, help="a paid tier's slug")
        grant.add_argument("--until", help="YYYY-MM-DD (default: no end)")
        revoke = sub.add_parser("revoke", help="end a membership now")
        revoke.add_argument("email")
        revoke.add_argument("--publication", required=True)

    def handle(self, *args, **options) -> None:
        publication = _publication(options["publication"])
        action = options["action"]
        if action == "list":
            return self._list(publication, options)
        subscriber = _subscriber(publication, options["email"])
        if action == "grant":
            tier = Tier.objects.filter(publication=publication, slug=options["tier"]).first()
            if tier is None:
                raise CommandError(f"No tier {options['tier']!r} in {publication.slug}.")
            until = None
            if options.get("until"):
                try:
                    day = datetime.fromisoformat(options["until"]).date()
                except ValueError:
                    raise CommandError("--until takes a date: YYYY-MM-DD.") from None
                until = timezone.make_aware(datetime.combine(day, time.max))
            try:
                member = actions.grant_comp(subscriber, tier, until)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"{subscriber.email}: {member.tier.slug} {member.status}")
        else:
            member = actions.revoke(subscriber)
            if member is None:
                raise CommandError(f"{subscriber.email} has no membership.")
            self.stdout.write(f"{subscriber.email}: {member.status}")

    def _list(self, publication: Publication, options) -> None:
        tier_id = None
        if options.get("tier"):
            tier = Tier.objects.filter(publication=publication, slug=options["tier"]).first()
            if tier is None:
                raise CommandError(f"No tier {options['tier']!r} in {publication.slug}.")
            tier_id = tier.pk
        out = csv.writer(self.stdout, lineterminator="\n")
        out.writerow(["email", "tier", "status", "period", "amount", "currency", "period_end"])
        before = None
        while True:
            page = stats.members_page(
                publication,
                tier=tier_id,
                status=options.get("status") or "",
                before_id=before,
                size=1000,
            )
            for m in page:
                out.writerow(
                    [
                        m.subscriber.email,
                        m.tier.slug,
                        m.status,
                        m.period,
                        m.amount,
                        m.currency,
                        m.current_period_end.isoformat() if m.current_period_end else "",
                    ]
                )
            if len(page) < 1000:
                break
            before = page[-1].pk
