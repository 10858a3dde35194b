"""What one uncached page costs inside Django, without an HTTP server or a load generator:
CPU time and queries per request through Django's test client, with the page cache off.

"warm": the publication's shared data (the publication, the post with its authors and tags,
its comments, the home page's latest posts, the navigation) is in the cache, as for every
page after the first one since the last change. "cold": the publication's pages are
invalidated before every request, as right after an edit or a new comment, so everything is
read from the database again and stored again.

    python -m bench._pages_render SLUG   (with the bench environment; prints one JSON line)
"""

from __future__ import annotations

import json
import os
import sys
import time
from urllib.parse import quote

ROUNDS = 5
PER_ROUND = int(os.environ.get("HANJI_BENCH_RENDER_REQUESTS", "40"))


def measure(slug: str) -> dict:
    os.environ["HANJI_PAGE_CACHE"] = "0"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hanji.core.pagecache import invalidate_publication
    from hanji.publications.models import Publication

    publication_id = Publication.objects.get(slug="weekly").pk
    client = Client(HTTP_HOST="127.0.0.1")
    results: dict = {}
    for page, path in {"post": f"/posts/{quote(slug)}/", "home": "/"}.items():
        for mode in ("warm", "cold"):

            def one(path: str = path, mode: str = mode) -> None:
                if mode == "cold":
                    invalidate_publication(publication_id)
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            for _ in range(10):
                one()
            with CaptureQueriesContext(connection) as queries:
                one()
            count = len(queries.captured_queries)  # before the next request resets the log
            rounds = []
            for _ in range(ROUNDS):
                started = time.process_time()
                for _ in range(PER_ROUND):
                    one()
                rounds.append((time.process_time() - started) * 1000 / PER_ROUND)
            # The quickest round: the one least disturbed by whatever else runs.
            results[f"{page} {mode}"] = {
                "cpu_ms": round(min(rounds), 2),
                "queries": count,
            }
    return results


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
