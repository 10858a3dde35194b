"""bench/analytics.py at a thousandth of its size, so a broken benchmark is found by the suite
(PostgreSQL only: the benchmark builds its own PostgreSQL database next to the test one)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the analytics benchmark runs on PostgreSQL",
)
def test_the_analytics_benchmark_runs_at_a_small_scale(monkeypatch):
    import bench.analytics as analytics

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    url = f"{server}/{os.environ.get('HANJI_TEST_DATABASE_NAME', 'test')}_bench_smoke"
    monkeypatch.setattr(analytics, "DATABASE_URL", url)
    monkeypatch.setenv("BENCH_ANALYTICS_DATABASE_URL", url)
    figures = analytics.run(scale=0.001)
    assert figures["posts"] == 10 and figures["subscribers"] == 1_000
    assert figures["purged_rows"] == figures["events"] // analytics.RAW_DAYS
    assert figures["raw_rows_before_purge"] >= figures["events"]
    for page in ("publication_30_days", "publication_90_days", "post_30_days", "post_90_days"):
        assert figures[page]["cold_ms"] > 0
