"""The studio's front pages: the list of one's publications, and each publication's dashboard."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from hanji.core.models import OutboxMessage
from hanji.posts.models import Post
from hanji.publications.models import Publication, TeamMember
from hanji.sending.queries import progress
from hanji.studio import stats
from hanji.studio.onboarding import checklist
from hanji.studio.queries import Access, posts_for_access
from hanji.studio.views.base import context, forbidden, publication_view, studio_view

RECENT_POSTS = 20


def public_path(publication_slug: str, post_slug: str) -> str:
    # Relative to this host, so links work whatever port or domain the studio runs on.
    return f"/p/{publication_slug}{reverse('site:post', kwargs={'slug': post_slug})}"


@require_safe
@studio_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every publication the person works on, with its newest posts (drafts first)."""
    user = request.user
    recent = (
        Post.objects.defer("body")
        .select_related("category")
        .order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id")
    )
    publications = Publication.objects.all()
    if not user.is_superuser:
        publications = publications.filter(team__user_id=user.pk)
    publications = list(
        publications.annotate(post_count=Count("posts", distinct=True))
        .prefetch_related(Prefetch("posts", queryset=recent[:RECENT_POSTS], to_attr="recent"))
        .order_by("name", "id")
    )
    if not publications and not settings.HANJI_ALLOW_SIGNUPS and not user.is_staff:
        return forbidden(request)
    roles = dict(TeamMember.objects.filter(user=user).values_list("publication_id", "role"))
    for publication in publications:
        publication.role = roles.get(publication.pk, "owner")
        for post in publication.recent:
            post.public_path = public_path(publication.slug, post.slug)
    # Each outbox the person may read, with its size (one query for all of them).
    readable = [p.pk for p in publications if Access(user, p, p.role).can("outbox")]
    outbox_counts = dict(
        OutboxMessage.objects.filter(publication_id__in=readable)
        .order_by()
        .values_list("publication_id")
        .annotate(count=Count("id"))
    )
    for publication in publications:
        publication.outbox_count = outbox_counts.get(publication.pk, 0)
    return render(
        request,
        "studio/dashboard.html",
        {
            "publications": publications,
            "instance_outbox_count": OutboxMessage.objects.count() if user.is_superuser else 0,
            "may_create": settings.HANJI_ALLOW_SIGNUPS or user.is_staff,
        },
    )


@require_safe
@publication_view("view")
def publication_home(request: HttpRequest, access: Access) -> HttpResponse:
    """Subscribers and their growth, recent posts with views, opens and clicks, sends."""
    publication = access.publication
    running = stats.active_sends(publication) if access.can("send") else []
    for send in running:
        send.progress = progress(send)
    return render(
        request,
        "studio/home.html",
        context(
            access,
            subscribers=stats.subscriber_stats(publication),
            posts=stats.recent_posts(posts_for_access(access)),
            running=running,
            finished=stats.recent_sends(publication) if access.can("send") else [],
            checklist=checklist(publication) if access.can("settings") else None,
        ),
    )
