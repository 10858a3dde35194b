"""Benchmark: search quality and speed on the labelled set at 10,000 posts.

    HANJI_DATA_DIR=var/bench-search .venv/bin/python -m bench.search              # SQLite
    createdb -h 127.0.0.1 -U postgres bench_search
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search \\
        HANJI_DATA_DIR=var/bench-search .venv/bin/python -m bench.search          # PostgreSQL

Reports recall@10 and MRR over the queries of bench/search_data.py, the latency of
`search_posts` (each query 5 times, warm), the time `index_post` takes for a new post and for
an edit (through `save_post`, whose whole time is shown too). Budgets (issue 15): recall@10 ≥
0.95, MRR ≥ 0.8, p95 under 50 ms, index update under 100 ms per post.
BENCH_SEARCH_POSTS changes the post count; BENCH_SEARCH_REUSE=1 measures again on the posts
a previous run left (no reload, no index figures for new posts).
"""

from __future__ import annotations

import os
import statistics
import time

POSTS = int(os.environ.get("BENCH_SEARCH_POSTS", "10000"))
SLUG = "bench-search"
RUNS = 5
# Words in most posts (the filler's): the worst case, measured apart from the labelled queries.
COMMON = ["the", "a", "team", "이", "가", "다", "이번 주 소식", "오늘은 우리 팀은"]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanji.settings")
    os.environ.setdefault("HANJI_DATA_DIR", "var/bench-search")
    import django

    django.setup()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _edits(publication, count: int = 100) -> tuple[list[float], list[float]]:
    """Edit `count` posts through save_post: (save_post seconds, index_post seconds)."""
    from hanji.posts.actions import save_post
    from hanji.posts.models import Post
    from hanji.search import actions

    timed: list[float] = []
    real = actions.index_post

    def timed_index(post):
        started = time.perf_counter()
        real(post)
        timed.append(time.perf_counter() - started)

    saves = []
    posts = list(Post.objects.filter(publication=publication).order_by("?")[:count])
    import hanji.posts.actions as post_actions

    post_actions.index_post = timed_index
    try:
        for post in posts:
            started = time.perf_counter()
            save_post(
                publication,
                post=post,
                title=post.title + " (고침)",
                body_html=post.body + "<p>덧붙인 문단: 편집자가 고쳤습니다.</p>",
                subtitle=post.subtitle,
                tags=[t.name for t in post.tags.all()],
            )
            saves.append(time.perf_counter() - started)
    finally:
        post_actions.index_post = real
    return saves, timed


def main() -> dict:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from bench._search_eval import evaluate, load_corpus
    from bench.search_data import build_corpus
    from hanji.publications.models import Publication

    call_command("migrate", verbosity=0)
    publication, _ = Publication.objects.get_or_create(slug=SLUG, defaults={"name": "검색 벤치"})
    corpus = build_corpus(POSTS)
    size_mb = sum(len(p.body_html.encode()) for p in corpus) / 1e6
    index_times: list[float] = []
    started = time.perf_counter()
    slugs = publication.posts.values_list("slug", "pk")
    if os.environ.get("BENCH_SEARCH_REUSE") and slugs.count() == POSTS:
        ids = {int(slug.split("-")[1]): pk for slug, pk in slugs}
        index_times = [0.0]
    else:
        publication.posts.all().delete()
        ids = load_corpus(publication, corpus, index_times)
    load_s = time.perf_counter() - started
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchentry")
            cursor.execute("ANALYZE posts_post")
    quality = evaluate(publication, corpus, ids)  # the first round warms the caches
    latencies: list[float] = []
    for _ in range(RUNS):
        latencies += evaluate(publication, corpus, ids).latencies_ms
    common = []
    from hanji.search.queries import search_posts

    for _ in range(RUNS):
        for query in COMMON:
            started = time.perf_counter()
            search_posts(publication, query, limit=10)
            common.append((time.perf_counter() - started) * 1000)
    saves, edits = _edits(publication)
    figures = {
        "database": connection.vendor,
        "posts": POSTS,
        "body_mb": round(size_mb, 1),
        "queries": len(quality.latencies_ms),
        "recall_at_10": round(quality.recall_at_10, 4),
        "mrr": round(quality.mrr, 4),
        "search_p50_ms": round(statistics.median(latencies), 1),
        "search_p95_ms": round(_percentile(latencies, 0.95), 1),
        "search_max_ms": round(max(latencies), 1),
        "common_p50_ms": round(statistics.median(common), 1),
        "common_p95_ms": round(_percentile(common, 0.95), 1),
        "index_new_p50_ms": round(statistics.median(index_times) * 1000, 1),
        "index_new_p95_ms": round(_percentile(index_times, 0.95) * 1000, 1),
        "index_new_max_ms": round(max(index_times) * 1000, 1),
        "index_edit_p95_ms": round(_percentile(edits, 0.95) * 1000, 1),
        "save_post_edit_p95_ms": round(_percentile(saves, 0.95) * 1000, 1),
        "load_and_index_s": round(load_s, 1),
    }
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    for query, expected, top in quality.misses:
        print(f"  miss: {query!r} expected {expected} got {top}")
    return figures


if __name__ == "__main__":
    main()
