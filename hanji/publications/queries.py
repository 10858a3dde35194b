"""Which publication a request is for, and permission-checked getters over publications."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404

from hanji.publications.models import Domain, Publication, Role, TeamMember

# Host and slug look-ups are kept in the process for a few seconds: they run on every
# request, including cache hits, and change rarely. Saving a Publication or Domain clears
# this process's copy at once (see signals); other processes catch up within the TTL.
_TTL = 5.0
_lookup_cache: dict[tuple[str, str], tuple[float, int | None]] = {}


def clear_lookup_cache() -> None:
    _lookup_cache.clear()


def _cached(kind: str, key: str, load) -> int | None:
    now = time.monotonic()
    hit = _lookup_cache.get((kind, key))
    if hit and hit[0] > now:
        return hit[1]
    value = load()
    if len(_lookup_cache) > 10_000:
        _lookup_cache.clear()
    _lookup_cache[(kind, key)] = (now + _TTL, value)
    return value


def publication_id_for_slug(slug: str) -> int | None:
    return _cached(
        "slug",
        slug,
        lambda: Publication.objects.filter(slug=slug).values_list("id", flat=True).first(),
    )


def publication_id_for_domain(host: str) -> int | None:
    """The publication of a verified custom domain; an unproven claim serves nothing."""
    return _cached(
        "domain",
        host,
        lambda: (
            Domain.objects.filter(host=host, verified_at__isnull=False)
            .values_list("publication_id", flat=True)
            .first()
        ),
    )


def root_publication_id() -> int | None:
    """The publication the instance's own host serves at `/`: HANJI_ROOT_PUBLICATION (a slug),
    else the first publication made.

    It used to be "the only publication, else none", so creating a second one silently
    broke the first one's root URLs (/posts/…, /archive/, /rss/), which its feed, canonical
    links and sent emails carry. When the operator names another root, the old root's post
    addresses redirect to their new home (site.views.moved_root_post)."""

    def load() -> int | None:
        chosen = settings.HANJI_ROOT_PUBLICATION
        if chosen and (found := publication_id_for_slug(chosen)) is not None:
            return found
        return Publication.objects.order_by("id").values_list("id", flat=True).first()

    return _cached("root", "", load)


@dataclass(frozen=True)
class Resolved:
    publication_id: int | None
    prefix: str = ""  # "/p/<slug>" when reached under a path prefix
    unknown_host: bool = False


def resolve(host: str, path: str) -> Resolved:
    """1. /p/<slug>/… on an instance host; 2. <slug>.<base domain>; 3. a verified custom
    domain; 4. an instance host: the root publication (root_publication_id).

    The slug comes before custom domains so that no claimed domain can shadow another
    publication's own address (custom domains are also refused under the base domain)."""
    host = host.lower().rstrip(".")
    instance = host in settings.HANJI_INSTANCE_HOSTS
    if instance and path.startswith("/p/"):
        slug = path[3:].split("/", 1)[0]
        pub_id = publication_id_for_slug(slug) if slug else None
        if pub_id is not None:
            return Resolved(pub_id, prefix=f"/p/{slug}")
        return Resolved(None)
    if not instance:
        base = settings.HANJI_BASE_HOST
        if host.endswith("." + base):
            label = host[: -len(base) - 1]
            if "." not in label:
                pub_id = publication_id_for_slug(label)
                if pub_id is not None:
                    return Resolved(pub_id)
        pub_id = publication_id_for_domain(host)
        if pub_id is not None:
            return Resolved(pub_id)
        return Resolved(None, unknown_host=True)
    return Resolved(root_publication_id())


def role_of(user, publication: Publication) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        TeamMember.objects.filter(publication=publication, user=user)
        .values_list("role", flat=True)
        .first()
    )


def is_team_member(user, publication_id: int) -> bool:
    """Whether a signed-in person is on this publication's team (their own reading of its
    email and pages is not a reader's, so the figures leave it out)."""
    if user is None or not user.is_authenticated:
        return False
    return TeamMember.objects.filter(publication_id=publication_id, user=user).exists()


ROLE_RANK = {Role.AUTHOR: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


def get_publication_for_user(user, slug: str, at_least: str = Role.AUTHOR) -> Publication:
    """The publication `slug` if `user` has at least the role `at_least` on it; else 404."""
    membership = (
        TeamMember.objects.select_related("publication")
        .filter(publication__slug=slug, user_id=getattr(user, "id", None))
        .first()
    )
    if membership is None and not getattr(user, "is_superuser", False):
        raise Http404
    if membership is None:
        return Publication.objects.get(slug=slug)
    if ROLE_RANK[Role(membership.role)] < ROLE_RANK[Role(at_least)]:
        raise Http404
    return membership.publication


def publications_for_user(user):
    if getattr(user, "is_superuser", False):
        return Publication.objects.all()
    return Publication.objects.filter(team__user_id=getattr(user, "id", None)).distinct()
