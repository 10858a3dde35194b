"""The public pages of a publication (thin: parse → get → render)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import get_script_prefix
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from hanji.core.params import MAX_PAGE, parse_int
from hanji.engagement.queries import public_comments
from hanji.engagement.readers import current_reader
from hanji.memberships.access import can_read, differs_by_reader, visible_body
from hanji.posts.body import markdown_to_html
from hanji.posts.models import Category, Post, Tag
from hanji.posts.queries import PostPage, get_post_page, listed_posts
from hanji.publications.models import Author, Publication
from hanji.search.queries import reader_full_text, search_posts
from hanji.search.terms import clean_query
from hanji.site import feeds
from hanji.site.queries import latest_posts

PAGE_SIZE = 12


def _publication(request: HttpRequest) -> Publication:
    if request.publication is None:
        raise Http404
    return request.publication


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    number = parse_int(request.GET.get("page") or "1", high=MAX_PAGE, default=0)
    paginator = Paginator(queryset, size)
    if number < 1 or number > paginator.num_pages:
        raise Http404
    return paginator.page(number)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if request.publication is None:
        return instance_index(request)
    latest = latest_posts(request.publication, PAGE_SIZE)
    return render(request, "site/home.html", {"posts": latest.posts, "more": latest.more})


def instance_index(request: HttpRequest) -> HttpResponse:
    """The instance's own front page when it hosts several publications."""
    return render(request, "site/instance.html", {"publications": Publication.objects.all()[:200]})


@require_safe
def archive(request: HttpRequest) -> HttpResponse:
    publication = _publication(request)
    page = _page(request, listed_posts(publication))
    return render(request, "site/list.html", {"page": page, "heading": _("Archive")})


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request)
    item = get_object_or_404(Category, publication=publication, slug=slug)
    page = _page(request, listed_posts(publication).filter(category=item))
    return render(
        request,
        "site/list.html",
        {"page": page, "heading": item.name, "description": item.description},
    )


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request)
    item = get_object_or_404(Tag, publication=publication, slug=slug)
    page = _page(request, listed_posts(publication).filter(tags=item))
    return render(request, "site/list.html", {"page": page, "heading": f"#{item.name}"})


@require_safe
def author(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request)
    item = get_object_or_404(Author, publication=publication, slug=slug)
    page = _page(request, listed_posts(publication).filter(authors=item))
    return render(request, "site/list.html", {"page": page, "heading": item.name, "author": item})


@require_safe
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request)
    try:
        page = get_post_page(publication, slug)
    except Http404:
        if moved := moved_root_post(request, publication, slug):
            return redirect(moved, permanent=True)
        raise
    post = page.post
    reader = current_reader(request) if request.session.session_key else None
    locked = not can_read(reader, post)
    response = render(
        request,
        "site/post.html",
        {
            "post": post,
            "body": visible_body(reader, post),
            "locked": locked,
            "json_ld": _json_ld(request, page),
            "authors": page.authors,
            "writer": page.writer,
            "tags": page.tags,
            "comment_count": 0 if locked else public_comments(post).count,
        },
    )
    if differs_by_reader(post):
        # One version per reader: never shared by a cache (the anonymous page cache stores
        # only what a reader without a session gets, and a session makes the page private).
        patch_vary_headers(response, ["Cookie"])
        if reader is not None or settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True)
    return response


def _json_ld(request: HttpRequest, page: PostPage) -> str:
    post = page.post
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.title,
        "description": post.seo_description or post.excerpt,
        "datePublished": post.published_at.isoformat() if post.published_at else None,
        "dateModified": post.updated_at.isoformat(),
        "mainEntityOfPage": request.build_absolute_uri(),
        "author": [{"@type": "Person", "name": a.name} for a in page.authors]
        or ([{"@type": "Person", "name": page.writer}] if page.writer else []),
        "publisher": {"@type": "Organization", "name": post.publication.name},
        "isAccessibleForFree": post.is_public,
    }
    if post.cover_image:
        data["image"] = request.build_absolute_uri(post.cover_image.url)
    # </script> inside a string must not end the script element.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


LEGAL_PAGE_FIELDS = {
    "terms": "terms",
    "privacy": "privacy",
    "recurring-terms": "recurring_terms",
    "faq": "faq",
}


@require_safe
def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    publication = _publication(request)
    text = getattr(publication, LEGAL_PAGE_FIELDS[page])
    if not text.strip():
        raise Http404
    titles = {
        "terms": _("Terms of service"),
        "privacy": _("Privacy policy"),
        "recurring-terms": _("Recurring-payment terms"),
        "faq": _("FAQ and contact"),
    }
    return render(
        request, "site/page.html", {"title": titles[page], "body": markdown_to_html(text)}
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    publication = _publication(request)
    query = clean_query(request.GET.get("q", ""))
    results = []
    if query:
        reader = current_reader(request)
        full_text_of = reader_full_text(publication, reader)
        results = search_posts(publication, query, full_text_of=full_text_of)
    return render(request, "site/search.html", {"query": query, "results": results})


@require_safe
def rss(request: HttpRequest) -> HttpResponse:
    return feeds.feed_response(request, _publication(request), "rss")


@require_safe
def atom(request: HttpRequest) -> HttpResponse:
    return feeds.feed_response(request, _publication(request), "atom")


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    publication = _publication(request)
    posts = Post.objects.published().filter(publication=publication).only("slug", "updated_at")
    categories = Category.objects.filter(publication=publication).only("slug")
    return render(
        request,
        "site/sitemap.xml",
        {"posts": posts, "categories": categories},
        content_type="application/xml; charset=utf-8",
    )


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /studio/", "Disallow: /admin/", "Disallow: /account/"]
    if request.publication is not None:
        from django.urls import reverse

        lines.append(f"Sitemap: {request.build_absolute_uri(reverse('site:sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    content = loader.render_to_string("404.html", {"request_path": request.path}, request)
    return HttpResponseNotFound(content)


def unknown_host(request: HttpRequest) -> HttpResponse:
    request.publication = None
    return page_not_found(request)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may come from the database or a context processor.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def moved_root_post(request: HttpRequest, publication, slug: str) -> str | None:
    """The new address of a post that was served at the instance's root when its publication
    was the root one (HANJI_ROOT_PUBLICATION changed since): a published URL keeps working
    for as long as the post exists. Only at the bare root (no /p/<slug> prefix, no domain)."""
    from hanji.publications.links import absolute_url

    if get_script_prefix() != "/" or request.get_host().split(":")[0] not in (
        settings.HANJI_INSTANCE_HOSTS
    ):
        return None
    elsewhere = list(
        Post.objects.published()
        .filter(slug=slug)
        .exclude(publication=publication)
        .select_related("publication")[:2]
    )
    if len(elsewhere) != 1:
        return None  # unknown, or ambiguous: a 404 is more honest than a guess
    return absolute_url(elsewhere[0].publication, "site:post", slug=slug)
