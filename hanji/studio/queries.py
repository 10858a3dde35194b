"""Permission-checked getters for the studio: every view starts with one of these.

`get_access(user, slug, capability)` answers "may this person do this in this publication":
someone who is not on the publication's team gets a 404 (the publication might as well not
exist), a team member whose role is too low gets a 403. Superusers act as owners.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from hanji.core.models import OutboxMessage
from hanji.posts.models import Post, Status
from hanji.publications.models import Publication, Role, TeamMember
from hanji.publications.queries import ROLE_RANK

# What each role may do; a role may do everything the roles below it may.
CAPABILITIES: dict[str, str] = {
    "view": Role.AUTHOR,  # the publication's studio home, its own drafts, previews
    "write": Role.AUTHOR,  # create posts, edit one's own drafts, upload images
    "edit_any_post": Role.EDITOR,
    "publish": Role.EDITOR,  # publish, schedule, unpublish
    "send": Role.EDITOR,  # sends, test sends, pause, resume, cancel
    "comments": Role.EDITOR,
    "subscribers": Role.ADMIN,  # readers' personal data: list, import, export, delete
    "settings": Role.ADMIN,
    "team": Role.ADMIN,
    "outbox": Role.ADMIN,  # every email it would have sent: readers' confirmation links too
    "billing": Role.OWNER,
    "delete_publication": Role.OWNER,
}


@dataclass(frozen=True)
class Access:
    """A person's standing in one publication, checked once per request."""

    user: object
    publication: Publication
    role: str

    def can(self, capability: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(CAPABILITIES[capability])]

    @property
    def capabilities(self) -> dict[str, bool]:
        """For templates: {"send": True, …}, so menus show only what works."""
        return {name: self.can(name) for name in CAPABILITIES}


def get_access(user, slug: str, capability: str = "view") -> Access:
    """The user's access to publication `slug` if they may do `capability`; 404 for people
    outside the team, 403 for team members whose role is too low."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        TeamMember.objects.select_related("publication")
        .filter(publication__slug=slug, user_id=user.pk)
        .first()
    )
    if membership is not None:
        access = Access(user, membership.publication, membership.role)
    elif user.is_superuser:
        publication = Publication.objects.filter(slug=slug).first()
        if publication is None:
            raise Http404
        access = Access(user, publication, Role.OWNER)
    else:
        raise Http404
    if not access.can(capability):
        raise PermissionDenied
    return access


def memberships_for_user(user) -> list[tuple[Publication, str]]:
    """(publication, role) for every publication the user works on, by name."""
    if user.is_superuser:
        roles = dict(TeamMember.objects.filter(user=user).values_list("publication_id", "role"))
        return [(p, roles.get(p.pk, Role.OWNER)) for p in Publication.objects.order_by("name")]
    rows = TeamMember.objects.filter(user=user).select_related("publication")
    return sorted(((m.publication, m.role) for m in rows), key=lambda pr: (pr[0].name, pr[0].pk))


# --- posts ----------------------------------------------------------------------------------


def _own(access: Access) -> Q:
    return Q(created_by_id=access.user.pk) | Q(authors__user_id=access.user.pk)


def posts_for_access(access: Access) -> QuerySet[Post]:
    """The posts this person sees in the studio: all of them from editors up, an author's own
    otherwise."""
    posts = Post.objects.filter(publication=access.publication)
    if not access.can("edit_any_post"):
        own = Post.objects.filter(publication=access.publication).filter(_own(access))
        posts = posts.filter(pk__in=own.values("pk"))
    return posts


def get_post_for_access(access: Access, post_id: int, *, edit: bool = False) -> Post:
    """A post this person may see (or, with `edit`, change): an author changes only their
    own drafts. Anything else is a 404, never someone else's post."""
    post = (
        posts_for_access(access)
        .select_related("publication", "category")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise Http404
    if edit and not access.can("edit_any_post") and post.status != Status.DRAFT:
        raise PermissionDenied
    return post


# --- the outbox -----------------------------------------------------------------------------


def outbox_for_access(access: Access) -> QuerySet[OutboxMessage]:
    """The emails the publication would have sent; the view has checked "outbox"."""
    return OutboxMessage.objects.filter(publication=access.publication).defer("raw")


def instance_outbox_for_user(user) -> QuerySet[OutboxMessage]:
    """Every email of this Hanji, the studio's own (sign-in links) included: for superusers,
    who run the whole instance; a 403 for everyone else."""
    if not getattr(user, "is_superuser", False):
        raise PermissionDenied
    return OutboxMessage.objects.select_related("publication").defer("raw")


def get_outbox_message(messages: QuerySet[OutboxMessage], pk: int) -> OutboxMessage:
    """Message `pk` among `messages` (one of the two outboxes above), raw bytes and all; 404
    when it is not there, never someone else's."""
    message = messages.defer(None).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


def request_user_address(access: Access) -> str:
    """The signed-in person's own email address (the test send's default): the account's
    email, else its username when that is an address (accounts sign in with their email)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    user = access.user
    for candidate in (getattr(user, "email", ""), user.get_username()):
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""
