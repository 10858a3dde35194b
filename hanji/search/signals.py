"""Renaming an author, a category or a tag re-indexes its posts, in the same transaction (the
admin and the demo rename them with `save()`; posts' own changes go through `index_post`)."""

from __future__ import annotations

from django.db.models.signals import post_save


def _reindex_posts_of(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return  # a new author, category or tag has no post yet
    from hanji.search.actions import reindex_posts

    reindex_posts(instance.posts.values_list("pk", flat=True))


def connect() -> None:
    from hanji.posts.models import Category, Tag
    from hanji.publications.models import Author

    for model in (Author, Category, Tag):
        post_save.connect(_reindex_posts_of, sender=model, dispatch_uid=f"search.{model.__name__}")
