"""Keeping the search index: every change of a post's words calls `index_post` in the same
transaction (hanji.posts.actions.save_post, hanji.posts.revisions.restore_revision); a
deleted post's entries go with it (ON DELETE CASCADE, and the database's own index follows
its table: see hanji.search.models). Publishing and unpublishing change no entry: a search
reads the post's status and visibility at query time, so neither can be missed.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from hanji.memberships.access import public_body, without_blocks
from hanji.posts.body import plain_text
from hanji.posts.models import Post
from hanji.posts.queries import writer_name
from hanji.search.models import Part, SearchEntry, SearchWord
from hanji.search.terms import index_text, latin_words


def _meta(post: Post) -> str:
    authors = [a.name for a in post.authors.all()] or [writer_name(post)]
    names = [post.subtitle, post.category.name if post.category_id else ""]
    return "\n".join(names + [t.name for t in post.tags.all()] + authors)


def entries_for(post: Post, meta: str | None = None) -> dict[int, dict[str, str]]:
    """The fields of the post's entries: its public part, and its whole text when some of it
    is not public."""
    meta = _meta(post) if meta is None else meta
    title, meta_terms = index_text(post.title), index_text(meta)
    # What anyone may read (the access function's anonymous version), and the whole post
    # without its members-only blocks for the readers `readable_posts` lets in.
    public, whole = public_body(post), without_blocks(post)
    parts = {Part.PUBLIC: public}
    if public != whole:
        parts[Part.FULL] = whole
    entries = {}
    for part, body in parts.items():
        text = plain_text(body)
        entries[part] = {"t_title": title, "t_meta": meta_terms, "t_body": index_text(text)}
        entries[part]["text"] = text
    return entries


FIELDS = ["publication", "t_title", "t_meta", "t_body", "text"]


def index_post(post: Post) -> None:
    """Bring the post's entries up to date with its words (call after every change, inside
    its transaction): one upsert of its entries, one delete of a part it no longer has."""
    meta = _meta(post)
    entries = entries_for(post, meta)
    with transaction.atomic(savepoint=False):
        SearchEntry.objects.bulk_create(
            [
                SearchEntry(post=post, part=part, publication_id=post.publication_id, **fields)
                for part, fields in entries.items()
            ],
            update_conflicts=True,
            unique_fields=["post", "part"],
            update_fields=FIELDS,
        )
        if Part.FULL not in entries:
            SearchEntry.objects.filter(post=post, part=Part.FULL).delete()
        text = " ".join([post.title, meta, *(fields["text"] for fields in entries.values())])
        _remember_words(latin_words(text))


def _remember_words(words: set[str]) -> None:
    SearchWord.objects.bulk_create(
        [SearchWord(word=w, first=w[0], length=len(w)) for w in sorted(words)],
        ignore_conflicts=True,
        batch_size=500,
    )


def rebuild_index(publication_id: int | None = None) -> int:
    """Index every post again (of one publication, or all); returns how many posts."""
    posts = Post.objects.all()
    if publication_id is not None:
        posts = posts.filter(publication_id=publication_id)
    with transaction.atomic():
        if publication_id is None:
            SearchWord.objects.all().delete()
        return reindex_posts(posts.order_by("pk").values_list("pk", flat=True))


def reindex_posts(ids, batch: int = 200) -> int:
    count = 0
    for chunk in _chunks(ids, batch):
        for post in _with_relations(chunk):
            index_post(post)
            count += 1
    return count


def _chunks(ids, size: int) -> Iterator[list[int]]:
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _with_relations(ids: list[int]):
    return (
        Post.objects.filter(pk__in=ids)
        .select_related("category", "created_by")
        .prefetch_related("tags", "authors")
    )
