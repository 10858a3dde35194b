"""Engagement endpoints (thin: parse → get through a getter → act → answer)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from hanji.core import cookies, ratelimit
from hanji.core.params import parse_int
from hanji.core.tokens import BadToken, read_token
from hanji.engagement import actions, counting, limits, og, queries
from hanji.engagement import beacon as beacon_module
from hanji.engagement.models import Comment, CommentStatus
from hanji.engagement.readers import current_reader
from hanji.engagement.tasks import REPLIES_OFF
from hanji.engagement.text import MAX_LENGTH, CommentTextError
from hanji.publications.models import Role
from hanji.publications.queries import get_publication_for_user
from hanji.site.templatetags.hanji import compact_number
from hanji.subscribers.models import Subscriber


def _over_limit(name: str, ident: str) -> bool:
    count, period = limits.limit(name)
    return not ratelimit.allow(f"engagement-{name}", ident, limit=count, period=period)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Hanji-Request") == "1"


def _trusted_post(request: HttpRequest) -> bool:
    """A POST made by our own page: the script's custom header from the same origin (a
    header no other site can add without a CORS preflight we never grant), or a form with
    Django's CSRF token (signed-in readers' pages carry one; cached pages carry none)."""
    if _wants_json(request):
        return beacon_module.same_origin(request)
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is None


@csrf_exempt
@require_POST
def beacon(request: HttpRequest, post_id: int) -> HttpResponse:
    """The beacon for signed-in readers and non-public posts (others: BeaconMiddleware)."""
    return beacon_module.answer(request, post_id, current_reader(request))


@csrf_exempt  # see _trusted_post
@require_POST
def like(request: HttpRequest, post_id: int) -> HttpResponse:
    if not _trusted_post(request):
        return JsonResponse({"ok": False}, status=403)
    reader = current_reader(request)
    post = queries.get_post_for_reader(request.publication_id, post_id, reader)
    visitor, new_visitor = counting.visitor_id(request)
    options = queries.engagement_settings(post.publication_id)
    error, status = None, 200
    if reader is None and not options.anonymous_likes:
        error, status = _("Sign in with your email to like posts."), 403
    elif _over_limit("like-ip", ratelimit.client_ip(request)) or _over_limit(
        "like-liker", f"r{reader.pk}" if reader else visitor
    ):
        error, status = _("Too many likes at once. Try again in a minute."), 429
    liked, count = False, post.like_count
    if error is None:
        wanted = {"1": True, "0": False}.get(request.POST.get("like", ""))
        try:
            liked, count = actions.set_like(
                post, reader=reader, visitor="" if reader else visitor, like=wanted
            )
        except actions.Refused as refused:
            error, status = str(refused), 409
    if _wants_json(request):
        response = JsonResponse(
            {
                "ok": error is None,
                "error": error,
                "liked": liked,
                "likes": count,
                "likes_label": compact_number(count),
                "like_label": _("Liked") if liked else _("Like"),
            },
            status=status,
        )
    else:
        if error:
            messages.error(request, error)
        response = redirect(reverse("site:post", args=[post.slug]) + "#engagement")
    response["Cache-Control"] = "no-store"
    if new_visitor and reader is None:
        counting.set_visitor_cookie(response, visitor)
    if liked and reader is None:
        cookies.set_cookie(response, beacon_module.LIKED_HINT, "1", max_age=365 * 24 * 3600)
    return response


def _comment_form(
    request: HttpRequest, post, *, error: str, body: str, status: int, comment=None, parent=None
) -> HttpResponse:
    return render(
        request,
        "engagement/comment_form.html",
        {
            "post": post,
            "error": error,
            "body": body,
            "comment": comment,
            "parent_id": parent,
            "max_length": MAX_LENGTH,
        },
        status=status,
    )


def _parent_id(request: HttpRequest) -> int | None:
    return parse_int(request.POST.get("parent"), default=None)


@require_POST
def comment_create(request: HttpRequest, post_id: int) -> HttpResponse:
    reader = current_reader(request)
    post = queries.get_post_for_reader(request.publication_id, post_id, reader)
    body = request.POST.get("body", "")
    parent = _parent_id(request)
    if _over_limit("comment-reader", f"r{reader.pk}" if reader else "-") or _over_limit(
        "comment-ip", ratelimit.client_ip(request)
    ):
        error = _("You are commenting too fast. Wait a few minutes and try again.")
        return _comment_form(request, post, error=error, body=body, status=429, parent=parent)
    try:
        comment = actions.post_comment(
            post,
            reader,
            body,
            parent_id=parent,
            notify_replies=request.POST.get("notify_replies") == "on",
        )
    except actions.Refused as refused:
        return _comment_form(
            request, post, error=str(refused), body=body, status=403, parent=parent
        )
    except CommentTextError as problem:
        return _comment_form(
            request, post, error=str(problem), body=body, status=400, parent=parent
        )
    if comment.status == CommentStatus.REVIEW:
        messages.info(
            request, _("Thanks! Your comment will appear once the author has looked at it.")
        )
    return redirect(reverse("site:post", args=[post.slug]) + f"#comment-{comment.pk}")


def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    reader = current_reader(request)
    comment = queries.get_own_comment(request.publication_id, comment_id, reader)
    post = comment.post
    if request.method != "POST":
        if not queries.may_change_own(comment, reader):
            raise Http404
        return _comment_form(
            request, post, error="", body=comment.body, status=200, comment=comment
        )
    body = request.POST.get("body", "")
    try:
        actions.edit_comment(comment, reader, body)
    except actions.Refused as refused:
        return _comment_form(
            request, post, error=str(refused), body=body, status=403, comment=comment
        )
    except CommentTextError as problem:
        return _comment_form(
            request, post, error=str(problem), body=body, status=400, comment=comment
        )
    return redirect(reverse("site:post", args=[post.slug]) + f"#comment-{comment.pk}")


@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    reader = current_reader(request)
    comment = queries.get_own_comment(request.publication_id, comment_id, reader)
    try:
        actions.delete_own_comment(comment, reader)
    except actions.Refused as refused:
        messages.error(request, str(refused))
    return redirect(reverse("site:post", args=[comment.post.slug]) + "#comments")


@never_cache
def replies_off(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reply emails for one comment (GET asks, POST does: mail scanners open links)."""
    try:
        (comment_id,) = read_token(REPLIES_OFF, request.publication_id, token)
    except (BadToken, ValueError, TypeError):
        raise Http404 from None
    comment = get_object_or_404(Comment, pk=comment_id, publication_id=request.publication_id)
    done = False
    if request.method == "POST":
        actions.replies_off(comment)
        done = True
    return render(request, "engagement/replies_off.html", {"comment": comment, "done": done})


@require_safe
def og_image(request: HttpRequest, post_id: int, version: str) -> HttpResponse:
    gate = queries.post_gate(post_id)
    if gate is None or gate.publication_id != request.publication_id:
        raise Http404
    data = og.image_for(post_id, version)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- staff: moderation -----------------------------------------------------------------------

MODERATION = {
    "approve": actions.approve_comment,
    "hide": actions.hide_comment,
    "delete": actions.delete_comment,
    "pin": lambda comment, by: actions.pin_comment(comment, by, True),
    "unpin": lambda comment, by: actions.pin_comment(comment, by, False),
}


@login_required
@require_safe
def moderation(request: HttpRequest, slug: str) -> HttpResponse:
    from hanji.studio.queries import get_access

    publication = get_publication_for_user(request.user, slug, at_least=Role.EDITOR)
    access = get_access(request.user, slug, "comments")
    return render(
        request,
        "engagement/moderation.html",
        {
            "publication": None,
            "moderated": publication,
            # The studio's navigation, like every studio screen.
            "pub": publication,
            "can": access.capabilities,
            "queue": list(queries.review_queue(publication)[:200]),
            "recent": list(queries.recent_comments(publication)),
        },
    )


@login_required
@require_POST
def moderate(request: HttpRequest, slug: str, comment_id: int, action: str) -> HttpResponse:
    publication = get_publication_for_user(request.user, slug, at_least=Role.EDITOR)
    comment = get_object_or_404(Comment, pk=comment_id, publication=publication)
    try:
        if action == "ban":
            subscriber = get_object_or_404(Subscriber, pk=comment.subscriber_id)
            actions.ban_reader(publication, subscriber, request.user, hide_all=True)
        elif action in MODERATION:
            MODERATION[action](comment, request.user)
        else:
            raise Http404
    except actions.Refused as refused:
        messages.error(request, str(refused))
    return redirect("engagement:moderation", slug=publication.slug)
