"""Template tags for engagement on the public pages.

Pages for readers who are not signed in are cached and shared, so nothing here may depend on
the visitor unless the page has a session (then it is never cached): the like state and the
live counts arrive from the beacon. Pages with a session show the reader's own comment form.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from django import template
from django.core.paginator import Page
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _

from hanji.core.pagecache import publication_cached
from hanji.engagement import og, queries
from hanji.engagement.models import WhoMayComment
from hanji.engagement.readers import current_reader, display_name
from hanji.posts.models import Post
from hanji.publications.links import publication_base_url
from hanji.site.templatetags.hanji import compact_number

register = template.Library()


def _post_url(request, post: Post) -> str:
    return request.build_absolute_uri(reverse("site:post", args=[post.slug]))


def share_links(url: str, title: str) -> list[dict[str, str]]:
    """Share targets that are plain links: no script of theirs ever loads on our pages."""
    return [
        {
            "name": "x",
            "label": "X",
            "href": "https://x.com/intent/post?" + urlencode({"url": url, "text": title}),
        },
        {
            "name": "facebook",
            "label": "Facebook",
            "href": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        },
        {
            "name": "linkedin",
            "label": "LinkedIn",
            "href": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        },
    ]


def kakao_form(url: str, app_key: str, origin: str, language: str) -> dict[str, str]:
    """The form the Kakao SDK itself posts to open its share picker ("scrap" of a URL, whose
    preview Kakao builds from our OpenGraph tags); posting it ourselves needs no SDK."""
    agent = (
        f"sdk/2.7.4 os/javascript sdk_type/javascript lang/{language} device/web "
        f"origin/{quote(origin, safe='')}"
    )
    return {
        "action": "https://sharer.kakao.com/picker/link",
        "app_key": app_key,
        "ka": agent,
        "validation_action": "scrap",
        "validation_params": json.dumps({"link_ver": "4.0", "request_url": url}),
    }


@register.inclusion_tag("engagement/_bar.html", takes_context=True)
def engagement_bar(context, post: Post) -> dict:
    """Like button, share links and the beacon's address (the script reads them)."""
    request = context["request"]
    options = queries.engagement_settings(post.publication_id)
    url = _post_url(request, post)
    reader = current_reader(request) if request.session.session_key else None
    kakao = None
    if options.kakao_javascript_key:
        origin = f"{request.scheme}://{request.get_host()}"
        kakao = kakao_form(url, options.kakao_javascript_key, origin, post.publication.language)
    return {
        "post": post,
        "request": request,
        "preview": bool(context.get("preview")),
        "url": url,
        "shares": share_links(url, post.title),
        "kakao": kakao,
        "anonymous_likes": options.anonymous_likes,
        "reader": reader,
        # Only pages with a session carry a CSRF token: it would stop a shared page's caching.
        "csrf": get_token(request) if reader is not None else "",
        "likes_label": compact_number(post.like_count),
    }


@register.inclusion_tag("engagement/_comments.html", takes_context=True)
def comments_section(context, post: Post) -> dict:
    request = context["request"]
    options = queries.engagement_settings(post.publication_id)
    has_session = bool(request.session.session_key)
    reader = current_reader(request) if has_session else None
    conversation = queries.thread(post, reader)
    why_not = queries.why_not_comment(post, reader)
    for comment in conversation.comments:
        comment.author_name = display_name(comment.subscriber)
        comment.changeable = queries.may_change_own(comment, reader)
        for reply in comment.shown_replies:
            reply.author_name = display_name(reply.subscriber)
            reply.changeable = queries.may_change_own(reply, reader)
    return {
        "post": post,
        "request": request,
        "publication": post.publication,
        "thread": conversation,
        "reader": reader,
        "reader_name": display_name(reader),
        "may_comment": why_not is None,
        "why_not": why_not,
        "comments_off": options.who_may_comment == WhoMayComment.NOBODY,
        "csrf": get_token(request) if reader is not None else "",
        "messages": context.get("messages") if has_session else None,
    }


@register.simple_tag(takes_context=True)
def og_image_url(context, post: Post) -> str:
    request = context["request"]
    path = reverse("engagement:og_image", args=[post.pk, og.version_of(post)])
    return request.build_absolute_uri(path)


def _posts_in(context) -> list[Post]:
    """The list of posts a card is rendered from (home: posts, lists: page, search: results)."""
    found: list[Post] = []
    for layer in context.dicts:
        for value in layer.values():
            # type(), not isinstance(): isinstance would evaluate lazy context values such as
            # csrf_token, and evaluating that sets a cookie, which stops the page's caching.
            if type(value) is Page:
                value = value.object_list
            if type(value) in (list, tuple) and value and type(value[0]) is Post:
                found.extend(value)
    return found


@register.simple_tag(takes_context=True)
def comment_count(context, post: Post) -> int:
    """Published comments of a post; every post of the surrounding list is counted in the
    same query the first time, so a list page costs one query, not one per card."""
    if not hasattr(post, "_hanji_comments"):
        posts = [p for p in _posts_in(context) if not hasattr(p, "_hanji_comments")]
        if post not in posts:
            posts.append(post)
        counts = queries.comment_counts([p.pk for p in posts])
        for item in posts:
            item._hanji_comments = counts.get(item.pk, 0)
    return post._hanji_comments


@register.filter
def comments_label(count: int) -> str:
    if not count:
        return _("No comments yet")
    return _("%(count)s comments") % {"count": compact_number(count)}


@register.inclusion_tag("engagement/_recommendations.html", takes_context=True)
def recommendations(context, publication=None) -> dict:
    publication = publication or context.get("publication")
    if publication is None:
        return {"recommendations": [], "publication": None}
    # Shown on every home page: kept with the page-cache generation, rebuilt after a change.
    shown = publication_cached(publication.pk, "recommendations", lambda: _recommended(publication))
    return {"recommendations": shown, "publication": publication}


def _recommended(publication) -> list[dict]:
    shown = []
    for item in queries.recommendations_of(publication):
        if item.recommended is not None:
            shown.append(
                {
                    "name": item.name or item.recommended.name,
                    "description": item.description or item.recommended.description,
                    "url": publication_base_url(item.recommended) + "/",
                }
            )
        else:
            shown.append({"name": item.name, "description": item.description, "url": item.url})
    return shown
