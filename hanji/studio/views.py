"""The studio (small for now): the dashboard and the outbox. Staff only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hanji.core.emailparts import split_message
from hanji.core.queries import get_outbox_message_for_user, outbox_for_user
from hanji.posts.models import Post
from hanji.publications.queries import publications_for_user

RECENT_POSTS = 20
OUTBOX_PAGE = 50

# What the HTML part of an email may do inside the studio: show itself, its styles and its
# images, nothing else. `sandbox` gives it an opaque origin, so it cannot read the studio.
EMAIL_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; "
    "style-src 'unsafe-inline' https: http:; font-src https: http: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def studio_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and staff; never cached; a signed-in non-staff account gets 403."""

    @wraps(view)
    @login_required
    @never_cache
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            return render(request, "studio/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _public_path(publication_slug: str, post_slug: str) -> str:
    # Relative to this host, so links work whatever port or domain the studio runs on.
    return f"/p/{publication_slug}{reverse('site:post', kwargs={'slug': post_slug})}"


@require_safe
@studio_view
def dashboard(request: HttpRequest) -> HttpResponse:
    # Drafts (no date yet) first, then the newest publish time.
    recent = (
        Post.objects.defer("body")
        .select_related("category")
        .order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id")
    )
    publications = list(
        publications_for_user(request.user)
        .annotate(post_count=Count("posts", distinct=True))
        .prefetch_related(Prefetch("posts", queryset=recent[:RECENT_POSTS], to_attr="recent"))
        .order_by("name", "id")
    )
    for publication in publications:
        for post in publication.recent:
            post.public_path = _public_path(publication.slug, post.slug)
    return render(
        request,
        "studio/dashboard.html",
        {
            "publications": publications,
            "admin_edits_posts": admin.site.is_registered(Post),
            "outbox_count": outbox_for_user(request.user).count(),
        },
    )


@require_safe
@studio_view
def outbox(request: HttpRequest) -> HttpResponse:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404 from None
    paginator = Paginator(outbox_for_user(request.user).order_by("-created_at", "-id"), OUTBOX_PAGE)
    if number < 1 or (number > paginator.num_pages):
        raise Http404
    return render(request, "studio/outbox.html", {"page": paginator.page(number)})


@require_safe
@studio_view
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_outbox_message_for_user(request.user, pk)
    parts = split_message(bytes(message.raw))
    return render(request, "studio/outbox_message.html", {"message": message, "parts": parts})


@require_safe
@studio_view
def outbox_message_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part alone, for the sandboxed frame on the message page."""
    message = get_outbox_message_for_user(request.user, pk)
    html = split_message(bytes(message.raw)).html
    if html is None:
        raise Http404
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@studio_view
def outbox_message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message as it would have left, to open in a mail program (.eml)."""
    message = get_outbox_message_for_user(request.user, pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="hanji-outbox-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
