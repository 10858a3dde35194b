"""Posts: the list with search, filters and bulk actions; the editor; publishing and sending."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hanji.core.params import parse_ids, parse_int
from hanji.memberships.queries import paid_tiers
from hanji.posts.actions import delete_post, publish_post, set_cover, unpublish_post
from hanji.posts.models import Category, Post, PostRevision, Status, Tag, Visibility
from hanji.posts.revisions import (
    Edit,
    EditConflict,
    autosave,
    create_draft,
    restore_revision,
    save_from_editor,
    version_of,
)
from hanji.posts.slugs import readable_slug
from hanji.publications.models import TeamMember
from hanji.sending.actions import SendError, start_send_for_post
from hanji.sending.models import Send
from hanji.studio.editor_labels import editor_labels
from hanji.studio.pages import keyset_page
from hanji.studio.queries import (
    Access,
    get_post_for_access,
    may_change_post,
    posts_for_access,
    request_user_address,
)
from hanji.studio.views.base import context, publication_view
from hanji.subscribers.actions import ensure_newsletter
from hanji.subscribers.models import Newsletter, Segment
from hanji.subscribers.queries import segment_recipients

PAGE = 50


# --- the list ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("view")
def post_list(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "POST":
        return _bulk(request, access)
    posts = posts_for_access(access).defer("body").select_related("category")
    query = request.GET.get("q", "").strip()
    if query:
        posts = posts.filter(Q(title__icontains=query) | Q(subtitle__icontains=query))
    status = request.GET.get("status", "")
    if status in Status.values:
        posts = posts.filter(status=status)
    if category := request.GET.get("category", ""):
        posts = posts.filter(category__slug=category)
    if tag := request.GET.get("tag", ""):
        posts = posts.filter(tags__slug=tag)
    if author := request.GET.get("author", ""):
        author_id = parse_int(author, default=None)
        posts = (
            posts.filter(Q(created_by_id=author_id) | Q(authors__user_id=author_id))
            if author_id is not None
            else posts.none()
        )
    page = keyset_page(request, posts, size=PAGE, by="updated_at")
    publication = access.publication
    return render(
        request,
        "studio/posts.html",
        context(
            access,
            posts=page.rows,
            page=page,
            query=query,
            status=status,
            filters=request.GET,
            statuses=Status.choices,
            categories=Category.objects.filter(publication=publication),
            tags=Tag.objects.filter(publication=publication)[:200],
            team=TeamMember.objects.filter(publication=publication).select_related("user"),
        ),
    )


def _bulk(request: HttpRequest, access: Access) -> HttpResponse:
    action = request.POST.get("action", "")
    ids = parse_ids(request.POST.getlist("ids"))
    posts = list(posts_for_access(access).filter(pk__in=ids))
    done = 0
    if action in ("publish", "unpublish"):
        if not access.can("publish"):
            raise PermissionDenied
        for post in posts:
            (publish_post if action == "publish" else unpublish_post)(post)
            done += 1
    elif action == "delete":
        for post in posts:
            if may_change_post(access, post):
                delete_post(post)
                done += 1
    else:
        raise Http404
    messages.success(request, _("%(count)d posts changed.") % {"count": done})
    return redirect("studio:posts", access.publication.slug)


@require_POST
@publication_view("write")
def post_new(request: HttpRequest, access: Access) -> HttpResponse:
    post = create_draft(access.publication, request.user, _("Untitled"))
    return redirect("studio:post_edit", access.publication.slug, post.pk)


# --- the editor -------------------------------------------------------------------------------


def _edit_from(request: HttpRequest) -> Edit:
    data = request.POST
    visibility = data.get("visibility", Visibility.PUBLIC)
    return Edit(
        title=data.get("title", "").strip()[:300] or _("Untitled"),
        body_html=data.get("body", ""),
        subtitle=data.get("subtitle", "")[:500],
        slug=data.get("slug", "")[:200],
        category=data.get("category", "").strip()[:100],
        tags=[t.strip() for t in data.get("tags", "").split(",") if t.strip()][:30],
        visibility=visibility if visibility in Visibility.values else Visibility.PUBLIC,
        excerpt=data.get("excerpt", "")[:500],
        seo_title=data.get("seo_title", ""),
        seo_description=data.get("seo_description", ""),
        cover_alt=data.get("cover_alt", ""),
        cover_caption=data.get("cover_caption", ""),
    )


def _editor_context(access: Access, post: Post, **extra) -> dict:
    publication = access.publication
    return context(
        access,
        post=post,
        version=version_of(post),
        tags_text=", ".join(post.tags.values_list("name", flat=True)),
        visibilities=Visibility.choices,
        newsletters=Newsletter.objects.filter(publication=publication),
        segments=Segment.objects.filter(publication=publication),
        categories=Category.objects.filter(publication=publication),
        revisions=post.revisions.select_related("created_by")[:5],
        slug_auto=_slug_is_automatic(post),
        last_send=_last_send(post) if post.pk else None,
        test_to=request_user_address(access),
        now_local=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        editor_labels=editor_labels(),
        editor_tiers=[
            {"slug": slug, "name": name}
            for slug, name in paid_tiers(publication).values_list("slug", "name")
        ],
        **extra,
    )


def _slug_is_automatic(post: Post) -> bool:
    """The slug still follows the title: never published, and made from the title (the
    editor sends `slug_auto=1` until the writer types a slug of their own)."""
    return post.published_at is None and (
        post.slug == ""
        or re.fullmatch(re.escape(readable_slug(post.title)) + r"(?:-\d+)?", post.slug) is not None
    )


def _edit_for(request: HttpRequest, post: Post) -> Edit:
    """The editor's fields; while the slug is automatic the stored slug is sent on, so the
    post takes its slug from the new title even when the page still shows an older one."""
    edit = _edit_from(request)
    if request.POST.get("slug_auto") == "1" and _slug_is_automatic(post):
        edit = replace(edit, slug=post.slug)
    return edit


def _last_send(post: Post) -> Send | None:
    """The post's newest send that was not cancelled (what the editor reports)."""
    return (
        Send.objects.filter(post=post)
        .exclude(state="cancelled")
        .select_related("newsletter", "segment")
        .order_by("-created_at")
        .first()
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("write")
def post_edit(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id, edit=True)
    if request.method != "POST":
        return render(request, "studio/editor.html", _editor_context(access, post))
    action = request.POST.get("action", "save")
    if action in ("publish", "schedule", "unpublish", "publish-send") and not access.can("publish"):
        raise PermissionDenied
    edit = _edit_for(request, post)
    try:
        post = save_from_editor(
            post,
            edit,
            request.POST.get("version", ""),
            request.user,
            force=request.POST.get("force") == "1",
        )
    except EditConflict as conflict:
        return _conflict(request, access, post, edit, conflict)
    if cover := request.FILES.get("cover"):
        from hanji.posts.images import ImageRefused

        try:
            set_cover(post, cover.read())
        except ImageRefused as refused:
            messages.error(request, str(refused))
    return _after_save(request, access, post, action)


def _conflict(request: HttpRequest, access: Access, post: Post, edit, conflict) -> HttpResponse:
    """Re-show the writer's own words with the warning; nothing of either side is lost."""
    if conflict.reason:  # refused for what it would lose, not for a newer version
        messages.error(request, conflict.reason)
        return redirect("studio:post_edit", access.publication.slug, post.pk)
    mine = Post(
        pk=post.pk,
        publication=access.publication,
        title=edit.title,
        subtitle=edit.subtitle,
        body=edit.body_html,
        slug=edit.slug,
        status=conflict.post.status,
        visibility=edit.visibility,
        updated_at=conflict.post.updated_at,
    )
    return render(
        request,
        "studio/editor.html",
        _editor_context(access, mine, conflict=conflict.post),
        status=409,
    )


def _after_save(request: HttpRequest, access: Access, post: Post, action: str) -> HttpResponse:
    """What the button asked for once the post is saved: publish, schedule, send..."""
    if action == "unpublish":
        unpublish_post(post)
        messages.success(request, _("The post is a draft again."))
    elif action == "schedule":
        at = _parse_local(request.POST.get("publish_at", ""))
        if at is None or at <= timezone.now():
            messages.error(request, _("Choose a time in the future to schedule the post."))
        else:
            publish_post(post, at=at)
            messages.success(request, _("The post is scheduled."))
    elif action == "publish":
        publish_post(post)
        messages.success(request, _("The post is published."))
    elif action == "publish-send":
        # Saved, not yet published: the confirmation says where it goes and to how many.
        return redirect(_confirm_url(request, access, post, publish=True))
    else:
        messages.success(request, _("Saved."))
    return redirect("studio:post_edit", access.publication.slug, post.pk)


def _parse_local(value: str) -> datetime | None:
    parsed = parse_datetime(value.strip()) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _chosen(access: Access, request: HttpRequest) -> tuple[Newsletter | None, Segment | None]:
    data = request.POST if request.method == "POST" else request.GET
    publication = access.publication
    newsletter_id, segment_id = data.get("newsletter", ""), data.get("segment", "")
    newsletter = (
        Newsletter.objects.filter(publication=publication, pk=newsletter_id).first()
        if newsletter_id.isdigit()
        # No choice made: the first newsletter (every publication has one, made here if a
        # path that created the publication missed it).
        else ensure_newsletter(publication)
    )
    segment = (
        Segment.objects.filter(publication=publication, pk=segment_id).first()
        if segment_id.isdigit()
        else None
    )
    if newsletter is None or (segment_id.isdigit() and segment is None):
        raise Http404
    return newsletter, segment


def _confirm_url(request: HttpRequest, access: Access, post: Post, *, publish: bool) -> str:
    data = request.POST
    query = QueryDict(mutable=True)
    query.update(
        {"newsletter": data.get("newsletter", ""), "segment": data.get("segment", "")}
        | ({"publish": "1"} if publish else {})
    )
    url = reverse("studio:post_send", args=[access.publication.slug, post.pk])
    return f"{url}?{query.urlencode()}"


def _start_send(request: HttpRequest, access: Access, post: Post) -> HttpResponse:
    if not access.can("send"):
        raise PermissionDenied
    newsletter, segment = _chosen(access, request)
    if request.POST.get("publish") == "1" and post.status == Status.DRAFT:
        if not access.can("publish"):
            raise PermissionDenied
        publish_post(post)
        messages.success(request, _("The post is published."))
    try:
        send = start_send_for_post(post, newsletter, segment, created_by=request.user)
    except SendError as error:
        messages.error(request, str(error))
        return redirect("studio:post_edit", access.publication.slug, post.pk)
    return redirect("studio:send_detail", access.publication.slug, send.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("send")
def post_send(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    """GET: the confirmation (newsletter, segment, the exact number of recipients now);
    POST with `confirmed=1`: publish if asked, and send. A POST without it (the editor's
    "Send by email") shows the confirmation first."""
    post = get_post_for_access(access, post_id)
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        return _start_send(request, access, post)
    if request.method == "POST":
        return redirect(_confirm_url(request, access, post, publish=False))
    newsletter, segment = _chosen(access, request)
    publish = request.GET.get("publish") == "1" and post.status == Status.DRAFT
    if publish and not access.can("publish"):
        raise PermissionDenied
    return render(
        request,
        "studio/send_confirm.html",
        context(
            access,
            post=post,
            newsletter=newsletter,
            segment=segment,
            publish=publish,
            count=segment_recipients(access.publication, newsletter, segment).count(),
            last_send=_last_send(post),
        ),
    )


@require_safe
@publication_view("send")
def recipient_count(request: HttpRequest, access: Access) -> JsonResponse:
    newsletter, segment = _chosen(access, request)
    count = segment_recipients(access.publication, newsletter, segment).count()
    return JsonResponse({"count": count})


@require_POST
@publication_view("write")
def post_autosave(request: HttpRequest, access: Access, post_id: int) -> JsonResponse:
    post = get_post_for_access(access, post_id, edit=True)
    try:
        post = autosave(
            post, _edit_for(request, post), request.POST.get("version", ""), request.user
        )
    except EditConflict as conflict:
        if conflict.reason:
            return JsonResponse({"conflict": True, "message": conflict.reason}, status=409)
        who = (
            conflict.post.revisions.exclude(created_by=request.user)
            .select_related("created_by")
            .first()
        )
        name = who.created_by.get_username() if who and who.created_by else _("someone else")
        return JsonResponse(
            {
                "conflict": True,
                "message": _(
                    "%(name)s saved this post at %(time)s, after you opened it. Your text is kept "
                    "in the revision history; save to choose which version stays."
                )
                % {
                    "name": name,
                    "time": timezone.localtime(conflict.post.updated_at).strftime("%H:%M"),
                },
            },
            status=409,
        )
    return JsonResponse(
        {
            "ok": True,
            "version": version_of(post),
            "saved_at": timezone.localtime().strftime("%H:%M:%S"),
            "draft": post.status == Status.DRAFT,
            "slug": post.slug,
            "slug_auto": _slug_is_automatic(post),
        }
    )


@require_POST
@publication_view("write")
def post_delete(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id, edit=True)
    delete_post(post)
    messages.success(request, _("The post is deleted."))
    return redirect("studio:posts", access.publication.slug)


# --- revisions --------------------------------------------------------------------------------


@require_safe
@publication_view("write")
def post_revisions(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id, edit=True)
    return render(
        request,
        "studio/revisions.html",
        context(access, post=post, revisions=post.revisions.select_related("created_by")[:100]),
    )


@require_POST
@publication_view("write")
def revision_restore(
    request: HttpRequest, access: Access, post_id: int, revision_id: int
) -> HttpResponse:
    post = get_post_for_access(access, post_id, edit=True)
    revision = PostRevision.objects.filter(post=post, pk=revision_id).first()
    if revision is None:
        raise Http404
    restore_revision(post, revision, request.user)
    messages.success(request, _("The revision is restored."))
    return redirect("studio:post_edit", access.publication.slug, post.pk)


def editor_urls(slug: str, post_id: int) -> dict[str, str]:
    return {
        "autosave": reverse("studio:post_autosave", args=[slug, post_id]),
        "upload": reverse("studio:upload_image", args=[slug]),
        "card": reverse("studio:card", args=[slug]),
        "markdown": reverse("studio:markdown", args=[slug]),
        "recipients": reverse("studio:recipients", args=[slug]),
    }
