"""Bookmark cards: a pasted URL becomes title, description and picture of the page it names.

Everything is fetched through hanji.core.fetch (never a private or loopback address), the
picture is stored here (readers' browsers and mail clients never call the other site), and the
card is plain schema HTML that passes the body sanitizer like everything else.
"""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

from hanji.core.fetch import FetchRefused, fetch
from hanji.posts.body import embed_html, sanitize
from hanji.posts.images import store_remote_image

PAGE_BYTES = 512 * 1024  # the <head> is near the start; a long page is cut, not refused
PICTURE_BYTES = 5 * 1024 * 1024
# The whole card (page and picture) within this many seconds: the editor waits for it.
CARD_SECONDS = 6.0


class _Head(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"].strip()
            if values.get("charset"):
                self.meta.setdefault("charset", values["charset"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title and len(self.title) < 500:
            self.title += data


def _decode(body: bytes, content_type_header: str = "") -> str:
    match = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", body[:4096], re.I)
    for encoding in filter(None, [match and match.group(1).decode(), "utf-8", "cp949"]):
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def read_page(body: bytes) -> dict[str, str]:
    parser = _Head()
    try:
        parser.feed(_decode(body))
    except Exception:  # a broken page still gives what was read before the break
        pass
    meta = parser.meta
    return {
        "title": (meta.get("og:title") or meta.get("twitter:title") or parser.title).strip(),
        "description": (
            meta.get("og:description")
            or meta.get("twitter:description")
            or meta.get("description")
            or ""
        ).strip(),
        "image": meta.get("og:image") or meta.get("twitter:image") or "",
    }


def _short(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def card_for_url(publication_id: int, url: str) -> str:
    """Schema HTML for `url`: an embed for YouTube, Vimeo and X, else a bookmark card.
    Raises FetchRefused (with a reason for the writer) when the page cannot be fetched."""
    url = url.strip()
    if embedded := embed_html(url):
        return sanitize(embedded)
    # The editor waits for this inside a web request: the page and its picture share one
    # budget, so a slow site holds a web thread for CARD_SECONDS at most.
    deadline = time.monotonic() + CARD_SECONDS
    page = fetch(url, max_bytes=PAGE_BYTES, truncate=True, timeout=CARD_SECONDS * 2 / 3)
    if page.status >= 400:
        raise FetchRefused(
            _("The page answered with an error (%(status)d).") % {"status": page.status}
        )
    if page.content_type not in ("text/html", "application/xhtml+xml", ""):
        raise FetchRefused(_("That address is not a web page."))
    info = read_page(page.body)
    picture = ""
    left = deadline - time.monotonic()
    if info["image"] and left > 0.5:
        try:
            image = fetch(
                urljoin(page.url, info["image"]),
                max_bytes=PICTURE_BYTES,
                accept="image/*",
                timeout=left,
            )
            if image.status < 400:
                picture = store_remote_image(publication_id, image.body) or ""
        except FetchRefused:
            picture = ""
    host = urlsplit(url).hostname or url
    title = _short(info["title"] or host, 200)
    parts = [
        f'<figure class="bookmark"><a href="{html.escape(url)}">',
        f'<span class="bookmark-title">{html.escape(title)}</span>',
    ]
    if info["description"]:
        parts.append(
            f'<span class="bookmark-description">{html.escape(_short(info["description"], 300))}</span>'
        )
    parts.append(f'<span class="bookmark-url">{html.escape(host)}</span>')
    if picture:
        parts.append(f'<img class="bookmark-image" src="{html.escape(picture)}" alt="">')
    parts.append("</a></figure>")
    return sanitize("".join(parts))
