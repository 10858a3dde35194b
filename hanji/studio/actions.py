"""Changes the studio makes that no other app owns yet: starting a publication with its owner,
the team and its invitations.

(Subscriber tags, saved segments and import uploads belong to the subscribers app:
hanji.subscribers.actions.staff and hanji.subscribers.uploads.)
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core.accounts import AccountError, check_email, check_password
from hanji.core.emailkinds import message_id_for
from hanji.core.headers import single_line
from hanji.core.tokens import BadToken, make_token, read_token
from hanji.publications.models import Publication, Role, TeamMember
from hanji.studio.models import Invitation
from hanji.subscribers.actions import ensure_newsletter

INVITATION = "team-invitation"
INVITATION_MAX_AGE = 14 * 24 * 3600


class StudioError(ValueError):
    """A change refused, with the reason for the person who asked; `field` names the input
    the reason is about (the form shows it under that field), None for the whole form."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- start your own newsletter ----------------------------------------------------------------


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    field = Publication._meta.get_field("slug")
    try:
        field.run_validators(slug)
        if not slug or len(slug) > 63:
            raise ValidationError("")
    except ValidationError:
        raise StudioError(
            _("Use lower-case letters, digits and hyphens for the address."), "slug"
        ) from None
    if slug in {"www", "admin", "studio", "static", "media", "api", "mail"}:
        raise StudioError(_("That address is reserved. Choose another."), "slug")
    if Publication.objects.filter(slug=slug).exists():
        raise StudioError(_("That address is taken. Choose another."), "slug")
    return slug


@transaction.atomic
def start_publication(user, *, name: str, slug: str, language: str = "ko") -> Publication:
    """A publication owned by `user`, with its first newsletter."""
    name = name.strip()[:200]
    if not name:
        raise StudioError(_("Give the publication a name."), "name")
    slug = check_slug(slug)
    try:
        with transaction.atomic():
            publication = Publication.objects.create(
                name=name, slug=slug, language=language if language in ("ko", "en") else "ko"
            )
    except IntegrityError:
        raise StudioError(_("That address is taken. Choose another."), "slug") from None
    TeamMember.objects.create(publication=publication, user=user, role=Role.OWNER)
    ensure_newsletter(publication)
    return publication


def create_account(email: str, password: str):
    try:
        email = check_email(email)
    except AccountError as error:
        raise StudioError(str(error), "email") from None
    try:
        check_password(password, email)
    except AccountError as error:
        raise StudioError(str(error), "password") from None
    return get_user_model().objects.create_user(username=email, email=email, password=password)


@transaction.atomic
def sign_up(email: str, password: str, *, name: str, slug: str, language: str = "ko"):
    """A new creator: an account (signed in with the email) and their publication."""
    user = create_account(email, password)
    publication = start_publication(user, name=name, slug=slug, language=language)
    return user, publication


# --- the team ---------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return make_token(INVITATION, invitation.publication_id, [invitation.pk, invitation.email])


def invite(publication: Publication, email: str, role: str, by, link_for) -> Invitation:
    """Invite `email` with `role`; an admin cannot hand out a role above their own."""
    from hanji.publications.queries import ROLE_RANK

    email = email.strip().lower()
    try:
        from django.core.validators import validate_email

        validate_email(email)
    except ValidationError:
        raise StudioError(_("That is not an email address.")) from None
    if role not in Role.values:
        raise StudioError(_("Choose a role."))
    inviter_role = (
        TeamMember.objects.filter(publication=publication, user=by)
        .values_list("role", flat=True)
        .first()
    )
    if not by.is_superuser and ROLE_RANK[Role(role)] > ROLE_RANK[Role(inviter_role or Role.AUTHOR)]:
        raise StudioError(_("You cannot give a role above your own."))
    if TeamMember.objects.filter(publication=publication, user__email__iexact=email).exists():
        raise StudioError(_("That person is already on the team."))
    # One transaction: an invitation whose email could not be sent is not left behind.
    with transaction.atomic():
        invitation = Invitation.objects.create(
            publication=publication, email=email, role=role, invited_by=by
        )
        url = link_for(invitation_token(invitation))
        body = _(
            "%(name)s invites you to work on %(publication)s as %(role)s.\n\nAccept: %(url)s\n\n"
            "The invitation is good for 14 days."
        ) % {
            "name": by.get_username(),
            "publication": single_line(publication.name),
            "role": Role(role).label,
            "url": url,
        }
        subject = _("Join %(publication)s on Hanji") % {"publication": publication.name}
        message = EmailMessage(
            single_line(subject),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [email],
            headers={"Message-ID": message_id_for("invitation")},
        )
        message.publication_id = publication.pk
        message.send(using="transactional")
    return invitation


def read_invitation(publication_id: int, token: str) -> Invitation:
    try:
        invitation_id, email = read_token(
            INVITATION, publication_id, token, max_age=INVITATION_MAX_AGE
        )
    except (BadToken, ValueError, TypeError):
        raise StudioError(_("This invitation is not valid any more.")) from None
    invitation = (
        Invitation.objects.filter(
            pk=invitation_id, publication_id=publication_id, email=email, accepted_at__isnull=True
        )
        .select_related("publication")
        .first()
    )
    if invitation is None:
        raise StudioError(_("This invitation is not valid any more."))
    return invitation


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> TeamMember:
    member, _created = TeamMember.objects.get_or_create(
        publication=invitation.publication, user=user, defaults={"role": invitation.role}
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    return member


def revoke_invitation(publication: Publication, invitation_id: int | None) -> bool:
    """Withdraw an invitation not yet accepted; its link stops working. False when there is
    no such open invitation here."""
    deleted, _detail = Invitation.objects.filter(
        publication=publication, pk=invitation_id, accepted_at__isnull=True
    ).delete()
    return bool(deleted)


@transaction.atomic
def change_role(publication: Publication, member_id: int, role: str, by) -> None:
    member = (
        TeamMember.objects.select_for_update().filter(publication=publication, pk=member_id).first()
    )
    if member is None or role not in Role.values:
        raise StudioError(_("No such team member."))
    by_role = (
        TeamMember.objects.filter(publication=publication, user=by)
        .values_list("role", flat=True)
        .first()
    )
    if Role.OWNER in (role, member.role) and by_role != Role.OWNER and not by.is_superuser:
        raise StudioError(_("Only an owner can change who owns the publication."))
    _keep_an_owner(publication, member, role)
    member.role = role
    member.save(update_fields=["role"])


@transaction.atomic
def remove_member(publication: Publication, member_id: int, by) -> None:
    member = (
        TeamMember.objects.select_for_update().filter(publication=publication, pk=member_id).first()
    )
    if member is None:
        raise StudioError(_("No such team member."))
    by_role = (
        TeamMember.objects.filter(publication=publication, user=by)
        .values_list("role", flat=True)
        .first()
    )
    if member.role == Role.OWNER and by_role != Role.OWNER and not by.is_superuser:
        raise StudioError(_("Only an owner can remove an owner."))
    _keep_an_owner(publication, member, None)
    member.delete()


def _keep_an_owner(publication: Publication, member: TeamMember, new_role: str | None) -> None:
    if member.role == Role.OWNER and new_role != Role.OWNER:
        owners = TeamMember.objects.filter(publication=publication, role=Role.OWNER).count()
        if owners <= 1:
            raise StudioError(_("A publication needs at least one owner."))


@transaction.atomic
def delete_publication(publication: Publication, confirm_slug: str) -> None:
    if confirm_slug.strip() != publication.slug:
        raise StudioError(_("Type the publication's address to confirm."))
    publication.delete()
