from __future__ import annotations

import secrets
from zoneinfo import available_timezones

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIME_ZONES = sorted((tz, tz) for tz in available_timezones())


class Language(models.TextChoices):
    KOREAN = "ko", "한국어"
    ENGLISH = "en", "English"


class Publication(models.Model):
    """One creator's site and list: the unit of tenancy."""

    invalidates_pages = True

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=63,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
                _("Use lower-case letters, digits and hyphens."),
            )
        ],
        help_text=_("Used in the address: <slug>.<base domain> or /p/<slug>/"),
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    bio = models.TextField(_("author bio"), blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.KOREAN
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONES, default="Asia/Seoul"
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        default="#c0392b",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #c0392b."))],
    )
    # The operator's business information (Korean e-commerce law asks for it in the footer).
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    representative = models.CharField(_("representative"), max_length=100, blank=True)
    business_number = models.CharField(_("business registration number"), max_length=40, blank=True)
    mail_order_number = models.CharField(
        _("mail-order business report number"), max_length=60, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Legal pages, in Markdown.
    terms = models.TextField(_("terms of service"), blank=True)
    privacy = models.TextField(_("privacy policy"), blank=True)
    recurring_terms = models.TextField(_("recurring-payment terms"), blank=True)
    faq = models.TextField(_("FAQ and contact"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return self.name

    @property
    def has_business_info(self) -> bool:
        return any(
            (
                self.company_name,
                self.representative,
                self.business_number,
                self.mail_order_number,
                self.address,
                self.contact_email,
                self.phone,
            )
        )


def _verify_token() -> str:
    return secrets.token_urlsafe(24)


class Domain(models.Model):
    """A custom host name that serves one publication, once its DNS proves the claim
    (see hanji.publications.domains). `host` is stored normalised (lower-case A-labels)."""

    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(_("host"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("primary"), default=True)
    verify_token = models.CharField(max_length=64, default=_verify_token, editable=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.host

    def save(self, *args, **kwargs):
        from hanji.publications.domains import normalise_host

        self.host = normalise_host(self.host)
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    EDITOR = "editor", _("Editor")
    AUTHOR = "author", _("Author")


class TeamMember(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teams"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AUTHOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "user"], name="team_member_unique")
        ]
        verbose_name = _("team member")
        verbose_name_plural = _("team")

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) @ {self.publication}"


class Author(models.Model):
    """A byline on a publication, with its own page; may belong to a team member."""

    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="authors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    bio = models.TextField(_("bio"), blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="author_slug_unique")
        ]
        ordering = ["name", "id"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name
