"""Saving from the editor: a version check against silent loss, autosave, revision history.

The version of a post is its `updated_at` (every save changes it; view and like counters are
written with UPDATE … SET and leave it alone). The editor sends back the version it loaded;
when someone else saved in between, `save_from_editor` raises EditConflict instead of
overwriting them, and keeps the refused text as a revision, so neither side's words are lost.

Autosave writes a draft itself; for a published post it only keeps a revision (an unfinished
edit must not go live on its own). Autosaves of one person within AUTOSAVE_WINDOW fold into
one revision, so history stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.posts.actions import save_post
from hanji.posts.body import block_only_lines, sanitize, strip_blocks, text_lines
from hanji.posts.models import Post, PostRevision, RevisionKind, Status
from hanji.search.actions import index_post

_BLOCK_OPENING = re.compile(r'<div\b[^>]*\bdata-hanji="(?:members|subscribers|tier)"')

AUTOSAVE_WINDOW = timedelta(minutes=10)
KEEP_REVISIONS = 100


class EditConflict(Exception):
    """Someone saved the post after this editor loaded it."""

    reason = ""  # set when the save is refused for another reason than a newer version

    def __init__(self, post: Post):
        super().__init__("edit conflict")
        self.post = post


class BlocksLost(EditConflict):
    """The editor's words would unwrap a members-only block of the post (fewer blocks, and
    text that was only inside one now outside every block): saving would make the block's
    text, a chat room's password say, public. Deleting a block with its text is a save."""

    @property
    def reason(self) -> str:
        return _(
            "This save would take text out of a members-only block and show it to everyone. "
            "Nothing was saved (your text is in the revision history): put the text back in "
            "a members-only block, or delete it."
        )


def _block_count(body_html: str) -> int:
    return len(_BLOCK_OPENING.findall(body_html))


def _unwraps_blocks(old_body: str, new_body: str) -> bool:
    if _block_count(new_body) >= _block_count(old_body):
        return False
    return bool(block_only_lines(old_body) & text_lines(strip_blocks(new_body)))


@dataclass
class Edit:
    """What the editor form sends."""

    title: str
    body_html: str
    subtitle: str = ""
    slug: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = "public"
    excerpt: str = ""
    seo_title: str = ""
    seo_description: str = ""
    cover_alt: str = ""
    cover_caption: str = ""


def version_of(post: Post) -> str:
    return post.updated_at.isoformat() if post.updated_at else ""


def record_revision(post: Post, kind: str, by=None, *, title=None, subtitle=None, body=None):
    """Keep the post's current words (or the given ones) as a revision."""
    title = post.title if title is None else title
    subtitle = post.subtitle if subtitle is None else subtitle
    body = post.body if body is None else sanitize(body)
    now = timezone.now()
    if kind == RevisionKind.AUTOSAVE:
        latest = post.revisions.order_by("-created_at", "-id").first()
        if (
            latest is not None
            and latest.kind == RevisionKind.AUTOSAVE
            and latest.created_by_id == getattr(by, "pk", None)
            and latest.created_at > now - AUTOSAVE_WINDOW
        ):
            latest.title, latest.subtitle, latest.body = title, subtitle, body
            latest.save(update_fields=["title", "subtitle", "body"])
            return latest
    revision = PostRevision.objects.create(
        post=post,
        title=title,
        subtitle=subtitle,
        body=body,
        kind=kind,
        created_by=by,
        created_at=now,
    )
    old = list(
        post.revisions.order_by("-created_at", "-id").values_list("pk", flat=True)[KEEP_REVISIONS:]
    )
    if old:
        PostRevision.objects.filter(pk__in=old).delete()
    return revision


def _apply(post: Post, edit: Edit, by) -> Post:
    if _unwraps_blocks(post.body, sanitize(edit.body_html)):
        raise BlocksLost(post)
    post = save_post(
        post.publication,
        post=post,
        title=edit.title,
        body_html=edit.body_html,
        subtitle=edit.subtitle,
        slug=edit.slug,
        category=edit.category or None,
        tags=edit.tags,
        visibility=edit.visibility,
        excerpt=edit.excerpt,
    )
    post.seo_title = edit.seo_title.strip()[:300]
    post.seo_description = edit.seo_description.strip()[:500]
    post.cover_alt = edit.cover_alt.strip()[:300]
    post.cover_caption = edit.cover_caption.strip()[:300]
    post.save(
        update_fields=["seo_title", "seo_description", "cover_alt", "cover_caption", "updated_at"]
    )
    return post


def save_from_editor(
    post: Post, edit: Edit, base_version: str, by=None, *, force: bool = False
) -> Post:
    """Save the editor's words unless someone saved since `base_version` (EditConflict).
    With `force` (the writer saw the warning and chose their version) it overwrites, and the
    other version stays in the history."""
    try:
        return _save(post, edit, base_version, by, force)
    except EditConflict:  # BlocksLost too
        # Kept after the refused transaction, so the refused words survive it.
        record_revision(
            post,
            RevisionKind.AUTOSAVE,
            by,
            title=edit.title,
            subtitle=edit.subtitle,
            body=edit.body_html,
        )
        raise


@transaction.atomic
def _save(post: Post, edit: Edit, base_version: str, by, force: bool) -> Post:
    current = Post.objects.select_for_update().select_related("publication").get(pk=post.pk)
    if version_of(current) != base_version and not force:
        raise EditConflict(current)
    if force and version_of(current) != base_version:
        record_revision(current, RevisionKind.SAVE, None)  # theirs, before it is replaced
    current = _apply(current, edit, by)
    record_revision(current, RevisionKind.SAVE, by)
    return current


def autosave(post: Post, edit: Edit, base_version: str, by=None) -> Post:
    """A draft is saved (with the version check); a published post keeps only a revision."""
    try:
        return _autosave(post, edit, base_version, by)
    except EditConflict:
        record_revision(
            post,
            RevisionKind.AUTOSAVE,
            by,
            title=edit.title,
            subtitle=edit.subtitle,
            body=edit.body_html,
        )
        raise


@transaction.atomic
def _autosave(post: Post, edit: Edit, base_version: str, by) -> Post:
    current = Post.objects.select_for_update().select_related("publication").get(pk=post.pk)
    if current.status != Status.DRAFT:
        record_revision(
            current,
            RevisionKind.AUTOSAVE,
            by,
            title=edit.title,
            subtitle=edit.subtitle,
            body=edit.body_html,
        )
        return current
    if version_of(current) != base_version:
        raise EditConflict(current)
    current = _apply(current, edit, by)
    record_revision(current, RevisionKind.AUTOSAVE, by)
    return current


@transaction.atomic
def restore_revision(post: Post, revision: PostRevision, by=None) -> Post:
    """Bring back a revision's title and body (the words replaced stay in the history)."""
    if revision.post_id != post.pk:
        raise ValueError("the revision belongs to another post")
    current = Post.objects.select_for_update().select_related("publication").get(pk=post.pk)
    record_revision(current, RevisionKind.SAVE, by)
    current.title = revision.title
    current.subtitle = revision.subtitle
    current.body = sanitize(revision.body)
    current.save(update_fields=["title", "subtitle", "body", "updated_at"])
    index_post(current)
    record_revision(current, RevisionKind.RESTORE, by)
    return current


def create_draft(publication, by, title: str) -> Post:
    post = save_post(publication, title=title, body_html="", created_by=by)
    record_revision(post, RevisionKind.SAVE, by)
    return post
