"""Loading the labelled search set into a publication and measuring recall@10 and MRR."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bench.search_data import QUERIES, PostSpec, expected_keys


@dataclass
class Quality:
    recall_at_10: float
    mrr: float
    misses: list[tuple[str, list[int], list[int]]]  # (query, expected keys, top 10 keys)
    latencies_ms: list[float]


def load_corpus(publication, posts: list[PostSpec], index_times: list[float] | None = None):
    """Create the posts (published, one a day back from now, all public) and index each
    through `index_post`; returns {post key: post id}. With `index_times`, the seconds each
    post's indexing took are appended to it."""
    from hanji.posts.actions import get_or_create_tags
    from hanji.posts.models import Post, Status
    from hanji.search.actions import index_post

    now = timezone.now()
    ids = {}
    tag_cache: dict[str, object] = {}
    with transaction.atomic():
        rows = [
            Post(
                publication=publication,
                title=spec.title,
                subtitle=spec.subtitle,
                slug=f"post-{spec.key}",
                body=spec.body_html,
                status=Status.PUBLISHED,
                published_at=now - timedelta(days=spec.key % 2000, minutes=spec.key),
            )
            for spec in posts
        ]
        Post.objects.bulk_create(rows, batch_size=500)
        through = []
        for spec, post in zip(posts, rows, strict=True):
            ids[spec.key] = post.pk
            for name in spec.tags:
                if name not in tag_cache:
                    tag_cache[name] = get_or_create_tags(publication, [name])[0]
                through.append(Post.tags.through(post_id=post.pk, tag_id=tag_cache[name].pk))
        Post.tags.through.objects.bulk_create(through, batch_size=1000)
    for post in Post.objects.filter(publication=publication).prefetch_related("tags", "authors"):
        started = time.perf_counter()
        index_post(post)
        if index_times is not None:
            index_times.append(time.perf_counter() - started)
    return ids


def evaluate(publication, posts: list[PostSpec], ids: dict[int, int], queries=QUERIES) -> Quality:
    """recall@10 (of each query's expected posts, the share in its first 10 results, at most
    10 expected) and MRR (1 / rank of the first expected post), averaged over the queries."""
    from hanji.search.queries import search_posts

    key_of = {post_id: key for key, post_id in ids.items()}
    recalls, ranks, misses, latencies = [], [], [], []
    for query, groups, _kind in queries:
        expected = expected_keys(posts, groups)
        started = time.perf_counter()
        results = search_posts(publication, query, limit=10)
        latencies.append((time.perf_counter() - started) * 1000)
        top = [key_of.get(r.post.pk) for r in results]
        found = expected & set(top)
        recalls.append(len(found) / min(10, len(expected)) if expected else 1.0)
        rank = next((i for i, key in enumerate(top, 1) if key in expected), None)
        ranks.append(1 / rank if rank else 0.0)
        if len(found) < min(10, len(expected)) or rank != 1:
            misses.append((query, sorted(expected), top))
    return Quality(sum(recalls) / len(recalls), sum(ranks) / len(ranks), misses, latencies)
