"""Administrator accounts made from the command line (`hanji createadmin`, first `make run`)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hanji.publications.models import Publication, Role, TeamMember

# The account made on the first `make run`; the address never receives mail.
FIRST_ADMIN_EMAIL = "admin@localhost"


class AccountError(ValueError):
    """A reason, in one line, why the account cannot be made."""


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def has_admin() -> bool:
    return get_user_model().objects.filter(is_superuser=True, is_active=True).exists()


def check_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(_("not an email address: %(email)s") % {"email": email}) from None
    User = get_user_model()
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise AccountError(_("an account with %(email)s already exists") % {"email": email})
    return email


def check_password(password: str, email: str) -> None:
    User = get_user_model()
    try:
        validate_password(password, User(username=email, email=email))
    except ValidationError as error:
        raise AccountError(" ".join(error.messages)) from None


@transaction.atomic
def create_owner(email: str, password: str, publication: Publication):
    """An account that owns `publication` and nothing else: no superuser, no staff (the
    instance's administrator can open every publication; an owner only their own)."""
    email = check_email(email)
    check_password(password, email)
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    TeamMember.objects.create(publication=publication, user=user, role=Role.OWNER)
    return user


@transaction.atomic
def create_admin(email: str, password: str, publication: Publication | None = None):
    """The instance's administrator: a superuser who signs in with their email (the first
    `make run` also makes them the owner of the demo publication)."""
    email = check_email(email)
    check_password(password, email)
    user = get_user_model().objects.create_superuser(username=email, email=email, password=password)
    if publication is not None:
        TeamMember.objects.update_or_create(
            publication=publication, user=user, defaults={"role": Role.OWNER}
        )
    return user
