"""Changing a staff account's password from the account page.

The current password is asked for (a browser left signed in must not be enough to take the
account over) and Django's password validators judge the new one (AUTH_PASSWORD_VALIDATORS).
Wrong current passwords count against the account as failed sign-ins do, so the form cannot
be used to guess it. Afterwards every other browser is signed out, this one stays signed in
(with the factors it had proven), and the account's address is told by email.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core import ratelimit
from hanji.studio import accounts
from hanji.studio.models import StaffSession

WRONG_CURRENT_LIMIT = 10  # wrong current passwords per account, per FAILURE_WINDOW


def password_form(user, data=None):
    """Django's own form: the current password when the account has one, the new one twice."""
    if user.has_usable_password():
        return PasswordChangeForm(user, data)
    return SetPasswordForm(user, data)  # made with an email link only: nothing to confirm


def change_password(request, data) -> tuple[object, int]:
    """(form, ended): the bound form (with its errors when nothing changed) and how many other
    browsers were signed out. Raises SignInRefused after too many wrong current passwords."""
    user = request.user
    scope, ident = "staff-password-change", str(user.pk)
    if ratelimit.hits(scope, ident, accounts.FAILURE_WINDOW) >= WRONG_CURRENT_LIMIT:
        raise accounts.SignInRefused(
            _("Too many wrong passwords. Wait a quarter of an hour, or sign in with an email link.")
        )
    form = password_form(user, data)
    if not form.is_valid():
        if "old_password" in form.errors:
            ratelimit.allow(scope, ident, limit=10**6, period=accounts.FAILURE_WINDOW)
        return form, 0
    form.save()
    _keep_this_session(request, user)
    ended = accounts.end_other_sessions(user, request.session.session_key)
    _tell_the_owner(request, user)
    return form, ended


def _keep_this_session(request, user) -> None:
    """Django signs out sessions made with the old password; this one moves to a new key with
    the new password's hash, and keeps its record and proven factors."""
    old_key, factors = request.session.session_key, request.session.get(accounts.FACTORS)
    update_session_auth_hash(request, user)  # cycles the session key
    if factors is not None:
        request.session[accounts.FACTORS] = factors
    request.session.save()
    StaffSession.objects.filter(session_key=old_key or "").update(
        session_key=request.session.session_key
    )


def _tell_the_owner(request, user) -> None:
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    body = _(
        "The password of your Hanji studio account %(account)s was changed on %(when)s from "
        "%(address)s. Every other browser was signed out.\n\nIf it was not you, sign in "
        "with an email link at %(url)s at once, change the password and turn on two-factor "
        "sign-in."
    ) % {
        "account": user.get_username(),
        "when": when,
        "address": ratelimit.client_ip(request),
        "url": request.build_absolute_uri(reverse("studio:login_link")),
    }
    EmailMessage(
        _("Your Hanji studio password was changed"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email or user.get_username()],
    ).send(using="transactional")
