"""Changes to a publication: its profile and business information (the settings screens, the
CLI and the tests call these), and its custom domains: add, prove, remove."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core.changes import apply_changes
from hanji.publications import domains
from hanji.publications.models import Domain, Publication

PROFILE_FIELDS = ["name", "description", "bio", "language", "time_zone", "accent_color", "logo"]
BUSINESS_FIELDS = [
    "company_name",
    "representative",
    "business_number",
    "mail_order_number",
    "address",
    "contact_email",
    "phone",
]
LEGAL_FIELDS = ["terms", "privacy", "recurring_terms", "faq"]


def update_profile(publication: Publication, changes: dict) -> list[str]:
    """Name, description, bio, language, time zone, accent colour, logo. Raises
    ValidationError (nothing saved) for a bad value or a field that is not one of these."""
    return apply_changes(publication, changes, PROFILE_FIELDS)


def update_business(publication: Publication, changes: dict) -> list[str]:
    """The business information 전자상거래법 asks for, and the legal pages (Markdown)."""
    return apply_changes(publication, changes, BUSINESS_FIELDS + LEGAL_FIELDS)


# How long an unproven domain is re-checked by the periodic job before it waits for the
# "check now" button (records take minutes to hours to appear; nobody waits a week).
PENDING_CHECK_DAYS = 7


def add_domain(publication: Publication, raw_host: str) -> Domain:
    """Claim `raw_host` for `publication`, unproven (it serves nothing until verify_domain
    finds the TXT record). Raises ValidationError with a sentence for the studio."""
    host = domains.clean_host(raw_host, publication)
    if Domain.objects.filter(host=host).exists():
        raise ValidationError(_("%(host)s is already in use.") % {"host": host})
    try:
        with transaction.atomic():
            domain = Domain.objects.create(publication=publication, host=host)
    except IntegrityError:  # claimed by someone else between the check and the insert
        raise ValidationError(_("%(host)s is already in use.") % {"host": host}) from None
    if host == domains.own_subdomain(publication):
        # The instance answers for its base domain: nothing to prove.
        Domain.objects.filter(pk=domain.pk).update(verified_at=timezone.now())
        domain.refresh_from_db()
    return domain


def verify_domain(domain: Domain) -> bool:
    """Look for `_hanji-verify.<host>` = `hanji-verify=<token>`; the domain serves from the
    first time it is found. Returns whether the domain is verified now."""
    expected = domains.record_value(domain.verify_token)
    found = expected in domains.txt_values(domains.record_name(domain.host))
    now = timezone.now()
    domain.checked_at = now
    fields = ["checked_at"]
    if found and domain.verified_at is None:
        domain.verified_at = now
        fields.append("verified_at")
    domain.save(update_fields=fields)
    return domain.verified_at is not None


def remove_domain(publication: Publication, domain_id: int) -> None:
    Domain.objects.filter(publication=publication, pk=domain_id).delete()


def check_pending_domains() -> int:
    """The periodic job: check every recent unproven domain once. Returns how many passed."""
    since = timezone.now() - timedelta(days=PENDING_CHECK_DAYS)
    pending = Domain.objects.filter(verified_at__isnull=True, created_at__gte=since)
    return sum(verify_domain(domain) for domain in pending[:500])
