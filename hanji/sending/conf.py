"""Tunables of the sending engine: a Django setting `HANJI_SEND_<NAME>` wins, then the
environment variable of the same name, then the default here.

Reading them through one function keeps settings.py free of a dozen sending knobs, lets tests
use override_settings, and lets worker subprocesses take them from their environment.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Rows claimed by one loop at a time, and how long a claim lives without renewal before
    # another worker may take it over (a worker that died holds nothing after this).
    "BATCH_SIZE": 200,
    "LEASE_SECONDS": 120.0,
    # Sending loops enqueued per send: each runs in one worker (db_worker runs one task at a
    # time), so this is the most workers that can share one send.
    "LOOPS": 4,
    # A loop gives its worker back after this long (and queues its own continuation), so a
    # single worker still runs confirmations and sign-in mail during a long send.
    "SLICE_SECONDS": 60.0,
    # Reused connections (threads) per loop, and messages queued to them at most.
    "CONNECTIONS": 2,
    "QUEUE_PER_CONNECTION": 8,
    # Sent rows are recorded together, at most this many or this long after the first:
    # fewer write transactions (SQLite has one writer at a time); on a crash these few are
    # the ones sent again, with the same Message-ID.
    "FLUSH_MESSAGES": 64,
    "FLUSH_SECONDS": 0.05,
    # Deliveries inserted per statement while preparing (keyset pages).
    "PREPARE_PAGE": 10_000,
    # Temporary failures: attempts, and the backoff base/cap in seconds (doubling, jittered).
    "MAX_ATTEMPTS": 8,
    "RETRY_BASE_SECONDS": 60.0,
    "RETRY_MAX_SECONDS": 3600.0,
    # No loop heartbeat for this long: the send has no live worker; enqueued loops get
    # REENQUEUE seconds to start before more are enqueued; the watcher looks every WATCH.
    "STALE_SECONDS": 10.0,
    "REENQUEUE_SECONDS": 30.0,
    "WATCH_SECONDS": 30.0,
    # A loop whose transport stays down this long leaves (the watcher brings a new one).
    "DOWN_SECONDS": 300.0,
    # How long a loop waits in place for work due soon before it leaves it to a wake-up task.
    "IDLE_SECONDS": 20.0,
    # Auto-pause: this share of permanent failures among at least MIN recent results.
    "PAUSE_FAILURE_RATIO": 0.5,
    "PAUSE_FAILURE_MIN": 100,
    # A message larger than this is refused before the send starts.
    "MAX_MESSAGE_BYTES": 1_000_000,
    # Soft bounces that suppress an address within the window (days).
    "SOFT_BOUNCE_LIMIT": 3,
    "SOFT_BOUNCE_DAYS": 30,
    # Complaint rate that pauses a publication, over its deliveries of the last N days, once
    # at least MIN messages were sent.
    "COMPLAINT_RATE": 0.003,
    "COMPLAINT_DAYS": 30,
    "COMPLAINT_MIN_SENT": 1000,
    # Amazon SNS signing certificates and subscription links are trusted only at URLs that
    # match this (SNS's own https hosts).
    "SNS_URL_PATTERN": r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/",
    # A signed webhook call (Mailgun, SendGrid, SNS) older than this is refused, and one seen
    # within it is refused as a replay. Mailgun retries for 8 hours, SendGrid for 24.
    "WEBHOOK_MAX_AGE": 24 * 3600,
    # Vimeo's oEmbed endpoint, asked once per video for the thumbnail an email shows (empty:
    # never ask; Vimeo embeds become link cards).
    "VIMEO_OEMBED_URL": "https://vimeo.com/api/oembed.json",
    # Advertising held for the night stops leaving this many seconds before 21:00 Seoul, so
    # that a chunk handed over just before is through before 21:00.
    "NIGHT_MARGIN_SECONDS": 5.0,
    # Where VERP bounce addresses live (bounces+<id>@<domain>); empty: no VERP.
    "BOUNCE_DOMAIN": "",
}


def get(name: str) -> Any:
    default = DEFAULTS[name]
    setting = getattr(settings, f"HANJI_SEND_{name}", None)
    if setting is not None:
        return setting
    raw = os.environ.get(f"HANJI_SEND_{name}")
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw
