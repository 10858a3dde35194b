"""Renaming or deleting an author, a category or a tag re-indexes its posts, in the same
transaction (the admin and the demo change them with `save()` and `delete()`; posts' own
changes go through `index_post`)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete


def _reindex_posts_of(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return  # a new author, category or tag has no post yet
    from hanji.search.actions import reindex_posts

    reindex_posts(instance.posts.values_list("pk", flat=True))


def _remember_posts_of(sender, instance, **kwargs) -> None:
    # Before the delete: afterwards the posts no longer point at it.
    instance._search_post_ids = list(instance.posts.values_list("pk", flat=True))


def _reindex_remembered(sender, instance, **kwargs) -> None:
    from hanji.search.actions import reindex_posts

    reindex_posts(getattr(instance, "_search_post_ids", []))


def connect() -> None:
    from hanji.posts.models import Category, Tag
    from hanji.publications.models import Author

    for model in (Author, Category, Tag):
        uid = f"search.{model.__name__}"
        post_save.connect(_reindex_posts_of, sender=model, dispatch_uid=uid)
        pre_delete.connect(_remember_posts_of, sender=model, dispatch_uid=uid)
        post_delete.connect(_reindex_remembered, sender=model, dispatch_uid=uid)
