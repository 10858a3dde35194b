"""What the studio keeps about the people who run publications (not about readers).

Staff sign-in (two-factor devices, the list of signed-in sessions) and team invitations live
here because they exist only for the studio; everything about posts, subscribers and sends
stays in its own app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hanji.publications.models import Publication, Role


class TwoFactorDevice(models.Model):
    """A TOTP authenticator app of one account (RFC 6238, 30-second steps, 6 digits)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = models.CharField(max_length=64)
    # Until confirmed with a first code the device does not guard sign-in.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is good once (no replay within its 30 seconds).
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class StaffSession(models.Model):
    """A signed-in browser of a staff account, so the person can see and end it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=64, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class Invitation(models.Model):
    """An invitation by email to join a publication's team with a role."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AUTHOR)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.publication_id} ({self.role})"


class OnboardingStep(models.TextChoices):
    PROFILE = "profile", _("Describe your publication")
    SENDER = "sender", _("Set the sender address and publish its DNS records")
    FIRST_POST = "first_post", _("Write your first post")
    IMPORT = "import", _("Import your subscribers")


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator app at sign-in (a lost phone).

    Only a slow salted hash is kept (hanji.studio.recovery): the codes are shown once, when
    made, and a copy of the database does not sign anyone in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")
        ]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery {self.user_id} {'used' if self.used_at else 'unused'}"
