"""The search index: one entry per readable part of a post (see hanji.search.actions).

The term columns hold the space-separated terms of hanji.search.terms. The database indexes
them in its own way, created by the migration and kept by the database itself, so every
write of an entry (and every delete, cascades included) updates the index in the same
transaction:
- SQLite: the FTS5 table `search_fts` (external content, columns t_title, t_meta, t_body),
  kept by triggers on this table;
- PostgreSQL: the generated column `vector` (tsvector, 'simple' configuration: title weight A,
  meta weight B, body weight C) with a GIN index.
"""

from __future__ import annotations

from django.db import models

from hanji.posts.models import Post
from hanji.publications.models import Publication


class Part(models.IntegerChoices):
    PUBLIC = 0, "public"  # what every reader of the listing may read (above the paywall)
    FULL = 1, "full"  # the whole post; only for posts with a part some readers may not read


class SearchEntry(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="search_entries")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    part = models.PositiveSmallIntegerField(choices=Part.choices)
    t_title = models.TextField()
    t_meta = models.TextField()  # subtitle, category, tags and authors
    t_body = models.TextField()
    # The plain text of the part's body, for snippets (never sent for a part not readable).
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "part"], name="search_entry_post_part")
        ]
        indexes = [models.Index(fields=["publication", "part"], name="search_entry_pub")]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.part}"


class SearchWord(models.Model):
    """A Latin word (4 letters or more) seen in some post, for typo correction: words are
    added as posts are indexed and never removed one by one (a stale word only adds an
    alternative that matches nothing); a rebuild starts the list again."""

    word = models.CharField(max_length=40, unique=True)
    first = models.CharField(max_length=1)
    length = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["first", "length"], name="search_word_shape")]

    def __str__(self) -> str:
        return self.word
