"""What an email needs to know about a video embed that the body does not say.

YouTube's thumbnail address follows from the video id; Vimeo's does not, so Vimeo's oEmbed
endpoint is asked once per video (through hanji.core.fetch: public addresses only, a short
timeout) and the answer, or its absence, is cached: an email is rendered once per send, but
a studio preview or a test send should not wait on Vimeo every time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.core.cache import cache

from hanji.core.fetch import FetchRefused, fetch
from hanji.sending import conf

logger = logging.getLogger(__name__)

FOUND_SECONDS = 7 * 24 * 3600
MISSING_SECONDS = 600


@dataclass(frozen=True)
class Thumbnail:
    url: str
    width: int | None
    height: int | None
    title: str


def _number(value) -> int | None:
    return int(value) if isinstance(value, int | float) and 0 < value < 10_000 else None


def _ask_vimeo(video_id: str) -> Thumbnail | None:
    endpoint = conf.get("VIMEO_OEMBED_URL")
    if not endpoint:
        return None
    query = urlencode({"url": f"https://vimeo.com/{video_id}", "width": 1200})
    try:
        answer = fetch(f"{endpoint}?{query}", max_bytes=64 * 1024, timeout=3.0,
                       accept="application/json")  # fmt: skip
        data = json.loads(answer.body) if answer.status == 200 else {}
    except (FetchRefused, ValueError) as error:
        logger.info("no Vimeo thumbnail for %s: %s", video_id, error)
        return None
    url = data.get("thumbnail_url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.startswith("https://") or any(c in url for c in ' "<>'):
        return None
    title = data.get("title")
    return Thumbnail(
        url=url,
        width=_number(data.get("thumbnail_width")),
        height=_number(data.get("thumbnail_height")),
        title=title[:200] if isinstance(title, str) else "",
    )


def vimeo_thumbnail(video_id: str) -> Thumbnail | None:
    """The thumbnail Vimeo shows for a public video, or None (private, gone, unreachable)."""
    key = f"hanji:vimeo-thumb:{video_id}"
    cached = cache.get(key)
    if cached is not None:
        return Thumbnail(**cached) if cached else None
    thumb = _ask_vimeo(video_id)
    cache.set(key, asdict(thumb) if thumb else {}, FOUND_SECONDS if thumb else MISSING_SECONDS)
    return thumb
