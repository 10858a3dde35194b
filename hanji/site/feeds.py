"""RSS 2.0 and Atom feeds (feedgen) with the full content of public posts.

Every field is either sanitized HTML (the body, as CDATA) or text. Text means different
things in the two formats: Atom's text elements are plain text, while RSS readers render
`<title>` and `<description>` as HTML. So for RSS, text is HTML-escaped once more: a title or
excerpt that says `<img onerror=…>` reaches the reader as those characters, never as markup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from hanji.memberships.access import public_body
from hanji.posts.models import Post
from hanji.posts.queries import LIST_PREFETCH, listed_posts
from hanji.publications.models import Publication

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

FEED_SIZE = 30


def _absolute_body(request: HttpRequest, body: str) -> str:
    """Feed readers need absolute image and link URLs."""
    root = request.build_absolute_uri("/")[:-1]
    return body.replace('src="/', f'src="{root}/').replace('href="/', f'href="{root}/')


def _content(request: HttpRequest, post: Post) -> str:
    # A feed is read by anyone: only what the access function gives an anonymous reader.
    body = public_body(post)
    return _absolute_body(request, body) if body else ""


def _text_for(kind: str):
    """How plain text goes into the feed `kind` (see the module's docstring)."""
    if kind == "rss":
        return lambda value: html.escape(value or "", quote=False)
    return lambda value: value or ""


def build_feed(request: HttpRequest, publication: Publication, kind: str = "rss") -> FeedGenerator:
    # feedgen pulls in lxml (~9 MB per process): imported when a feed is first asked for.
    from feedgen.feed import FeedGenerator

    text = _text_for(kind)
    home = request.build_absolute_uri(reverse("site:home"))
    fg = FeedGenerator()
    fg.id(home)
    fg.title(text(publication.name))
    fg.subtitle(text(publication.description or publication.name))
    fg.link(href=home, rel="alternate")
    fg.link(href=request.build_absolute_uri(), rel="self")
    fg.language(publication.language)
    if publication.logo:
        fg.logo(request.build_absolute_uri(publication.logo.url))
    posts = list(listed_posts(publication).prefetch_related(*LIST_PREFETCH).defer(None)[:FEED_SIZE])
    for post in reversed(posts):
        url = request.build_absolute_uri(reverse("site:post", kwargs={"slug": post.slug}))
        entry = fg.add_entry()
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(text(post.title))
        entry.link(href=url)
        entry.published(post.published_at)
        entry.updated(post.updated_at)
        entry.description(text(post.excerpt or post.subtitle or post.title), isSummary=True)
        content = _content(request, post)
        if content:
            # RSS readers take the HTML of content:encoded as CDATA; Atom says "html" (an
            # unknown type such as "CDATA" is invalid Atom, and readers guess).
            entry.content(content, type="html" if kind == "atom" else "CDATA")
        for author in post.authors.all():
            entry.author(name=author.name)
        if post.category_id:
            entry.category(term=post.category.name)
    if not posts:
        fg.updated(publication.updated_at)
    return fg


def feed_response(request: HttpRequest, publication: Publication, kind: str) -> HttpResponse:
    fg = build_feed(request, publication, kind)
    if kind == "atom":
        return HttpResponse(
            fg.atom_str(pretty=False), content_type="application/atom+xml; charset=utf-8"
        )
    return HttpResponse(fg.rss_str(pretty=False), content_type="application/rss+xml; charset=utf-8")
