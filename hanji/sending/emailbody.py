"""The post body made email-safe, once per send.

Input is the one body schema of hanji.posts.body (sanitized); output is HTML that mail clients
render (images with sizes, embeds as linked thumbnails, bookmark cards as tables, absolute
URLs) plus the plain-text version of the same body, and the list of the post's own links
(click tracking redirects only to these).
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from hanji.posts.body import plain_text
from hanji.sending.embeds import vimeo_thumbnail

MAX_WIDTH = 600
THUMB_WIDTH = 120  # a bookmark card's picture

_ATTR = re.compile(r'([a-zA-Z][\w-]*)="([^"]*)"')
_SUBSCRIBE = re.compile(r'<p data-hanji="subscribe">.*?</p>', re.S)
_PAYWALL = re.compile(r'<hr data-hanji="paywall"\s*/?>')
_FIGURE = re.compile(r'<figure class="(image|bookmark|embed)"([^>]*)>(.*?)</figure>', re.S)
_IMG = re.compile(r"<img\b([^>]*)>")
_A = re.compile(r"<a\b([^>]*)>")
_IFRAME_SRC = re.compile(r'<iframe[^>]*\ssrc="([^"]+)"')
_YOUTUBE_ID = re.compile(r"/embed/([A-Za-z0-9_-]{6,20})")
_VIMEO_ID = re.compile(r"/video/(\d{1,12})")
_NAME = re.compile(r"\{\{\s*name\s*\}\}")
_SRCSET_ITEM = re.compile(r"(\S+)\s+(\d{1,5})w(?=,|$)")


def attrs(tag_inside: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in _ATTR.findall(tag_inside)}


def _attr_html(values: dict[str, str | int | None]) -> str:
    return "".join(
        f' {k}="{html.escape(str(v), quote=True)}"'
        for k, v in values.items()
        if v not in (None, "")
    )


@dataclass
class EmailBody:
    html: str
    text: str
    links: list[str] = field(default_factory=list)


class BodyRenderer:
    """Turns one variant of a body into email HTML and text, collecting the post's links.

    `base_url` makes relative URLs absolute; `link_url(position, url)` returns what a link
    points to in the email (a click-tracking URL, or the URL itself); `name_html` and
    `name_text` stand in for {{name}} (placeholders filled per recipient).
    """

    def __init__(self, base_url: str, link_url=None, name_html: str = "", name_text: str = ""):
        self.base_url = base_url.rstrip("/") + "/"
        self.link_url = link_url or (lambda position, url: url)
        self.name_html = name_html
        self.name_text = name_text
        self.links: list[str] = []

    # --- URLs ----------------------------------------------------------------------------
    def absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://", "mailto:")):
            return url
        return urljoin(self.base_url, url.lstrip("/")) if url else url

    def tracked(self, url: str) -> str:
        url = self.absolute(url)
        if not url.startswith(("http://", "https://")):
            return url
        if url not in self.links:
            self.links.append(url)
        return self.link_url(self.links.index(url), url)

    # --- pieces --------------------------------------------------------------------------
    def image_size(
        self, src: str, width: str | None, height: str | None, srcset: str = ""
    ) -> tuple[int | None, int | None]:
        """The width and height to write on an <img> (at most MAX_WIDTH wide): the body's
        width/height, else the widest of its srcset, else the file in our own media."""
        w = int(width) if width and width.isdigit() else None
        h = int(height) if height and height.isdigit() else None
        if w is None and (widths := srcset_widths(srcset)):
            w, h = max(widths), None
        if w is None:
            w, h = local_image_size(src) or (None, None)
        if w and w > MAX_WIDTH:
            h = round(h * MAX_WIDTH / w) if h else None
            w = MAX_WIDTH
        return w, h

    def img(self, inside: str, css_class: str = "", width: int | None = None) -> str:
        """An email <img>: an absolute src, its size written out (Outlook ignores max-width),
        and of a picture in several widths the narrowest that is sharp at twice MAX_WIDTH."""
        a = attrs(inside)
        srcset = a.get("srcset", "")
        src = self.absolute(srcset_pick(srcset, 2 * MAX_WIDTH) or a.get("src", ""))
        if not src.startswith(("http://", "https://")):
            return ""
        if width:
            w, h = width, None
        else:
            w, h = self.image_size(src, a.get("width"), a.get("height"), srcset)
        style = "display:block;max-width:100%;height:auto;border:0"
        return (
            f"<img{_attr_html({'src': src, 'alt': a.get('alt', ''), 'width': w, 'height': h})}"
            + (f' class="{css_class}"' if css_class else "")
            + f' style="{style}">'
        )

    def figure(self, match: re.Match) -> str:
        kind, extra, inner = match.group(1), attrs(match.group(2)), match.group(3)
        if kind == "image":
            img = _IMG.search(inner)
            caption = re.search(r"<figcaption>(.*?)</figcaption>", inner, re.S)
            cells = f'<tr><td align="center">{self.img(img.group(1)) if img else ""}</td></tr>'
            if caption:
                cells += f'<tr><td class="caption">{caption.group(1)}</td></tr>'
            return f'<table role="presentation" class="figure" width="100%">{cells}</table>'
        if kind == "embed":
            return self.embed(extra.get("data-provider", ""), inner)
        return self.bookmark(inner)

    def embed(self, provider: str, inner: str) -> str:
        src = _IFRAME_SRC.search(inner)
        if provider == "youtube" and src and (m := _YOUTUBE_ID.search(src.group(1))):
            video = f"https://www.youtube.com/watch?v={m.group(1)}"
            thumb = f"https://img.youtube.com/vi/{m.group(1)}/hqdefault.jpg"
            return (
                f'<table role="presentation" class="figure" width="100%"><tr><td align="center">'
                f'<a href="{html.escape(self.tracked(video))}"><img src="{thumb}" alt="YouTube" '
                f'width="{MAX_WIDTH}" height="{MAX_WIDTH * 3 // 4}" class="video" '
                f'style="display:block;max-width:100%;'
                f'height:auto;border:0"></a></td></tr><tr><td class="caption">▶ YouTube</td>'
                f"</tr></table>"
            )
        if provider == "vimeo" and src and (m := _VIMEO_ID.search(src.group(1))):
            return self.vimeo(m.group(1))
        # X posts (a quote with its link) and anything else: the content, as a quotation.
        inner = self.links_in(inner)
        return (
            inner
            if inner.lstrip().startswith("<blockquote")
            else f"<blockquote>{inner}</blockquote>"
        )

    def vimeo(self, video_id: str) -> str:
        """Like YouTube: a linked thumbnail when Vimeo told us one, else a link card."""
        video = f"https://vimeo.com/{video_id}"
        href = html.escape(self.tracked(video))
        style = "display:block;max-width:100%;height:auto;border:0"
        if thumb := vimeo_thumbnail(video_id):
            w, h = self.image_size(thumb.url, str(thumb.width or ""), str(thumb.height or ""))
            label = html.escape(thumb.title or "Vimeo")
            image = _attr_html({"src": thumb.url, "alt": thumb.title or "Vimeo", "width": w})
            image += _attr_html({"height": h})
            return (
                f'<table role="presentation" class="figure" width="100%"><tr><td align="center">'
                f'<a href="{href}"><img{image} class="video" style="{style}"></a></td></tr>'
                f'<tr><td class="caption">▶ {label}</td></tr></table>'
            )
        return (
            f'<table role="presentation" class="card video-card" width="100%"><tr>'
            f'<td width="40" class="video-play"><a href="{href}">▶</a></td>'
            f'<td><a href="{href}" class="bookmark-title">Vimeo</a>'
            f'<div class="bookmark-url">{html.escape(video)}</div></td></tr></table>'
        )

    def bookmark(self, inner: str) -> str:
        link = _A.search(inner)
        href = attrs(link.group(1)).get("href", "") if link else ""

        def span(name: str) -> str:
            m = re.search(rf'<span class="bookmark-{name}">(.*?)</span>', inner, re.S)
            return m.group(1) if m else ""

        image = re.search(r'<img\b([^>]*class="bookmark-image"[^>]*)>', inner)
        thumb = self.img(image.group(1), "bookmark-image", THUMB_WIDTH) if image else ""
        url = html.escape(self.tracked(href)) if href else ""
        return (
            f'<table role="presentation" class="card" width="100%"><tr><td>'
            f'<a href="{url}" class="bookmark-title">{span("title")}</a>'
            f'<div class="bookmark-description">{span("description")}</div>'
            f'<div class="bookmark-url">{span("url")}</div></td>'
            + (f'<td width="{THUMB_WIDTH}" class="bookmark-thumb">{thumb}</td>' if thumb else "")
            + "</tr></table>"
        )

    def links_in(self, fragment: str) -> str:
        def one(match: re.Match) -> str:
            a = attrs(match.group(1))
            href = a.get("href", "")
            if not href or href.startswith("#"):
                return "<a>"
            extra = ' class="button"' if a.get("class") == "button" else ""
            return f'<a href="{html.escape(self.tracked(href))}"{extra}>'

        return _A.sub(one, fragment)

    def flow(self, fragment: str) -> str:
        """Text between figures: inline images sized, links made absolute (and tracked)."""
        fragment = _IMG.sub(lambda m: self.img(m.group(1)), fragment)
        return self.links_in(fragment)

    # --- whole body ----------------------------------------------------------------------
    def render(self, body_html: str) -> EmailBody:
        body = _SUBSCRIBE.sub("", body_html)
        body = _PAYWALL.sub("", body)
        out, position = [], 0
        for match in _FIGURE.finditer(body):
            out.append(self.flow(body[position : match.start()]))
            out.append(self.figure(match))
            position = match.end()
        out.append(self.flow(body[position:]))
        email_html = "".join(out)
        text = self.text(email_html)
        email_html = _NAME.sub(self.name_html, email_html)
        return EmailBody(html=email_html, text=text, links=list(self.links))

    def text(self, email_html: str) -> str:
        """The plain-text part: links as "text ( url )", images as [alt], lists with dashes."""

        def link(match: re.Match) -> str:
            href, label = html.unescape(match.group(1)), match.group(2)
            label_text = plain_text(label).strip()
            if not label_text or label_text == href:
                return f" {href} "
            return f"{label} ( {href} )"

        t = re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', link, email_html, flags=re.S)
        t = re.sub(r'<img\b[^>]*alt="([^"]+)"[^>]*>', r"[\1]", t)
        t = re.sub(r"<li>", "- ", t)
        t = re.sub(r"<(?:/tr|/table|/h[2-4]|/ul|/ol|/pre)>", "\n", t)
        t = re.sub(r"<h([2-4])>", "\n", t)
        t = plain_text(t)
        t = _NAME.sub(self.name_text, t)
        lines = []
        for line in t.splitlines():
            # Lines stay well under SMTP's 998 octets (Korean is 3 bytes a character).
            lines.extend(textwrap.wrap(line, 200, break_on_hyphens=False) or [""])
        return "\n".join(lines)


def variant_body(post, paid: bool) -> tuple[str, bool]:
    """(the body this variant may see, whether it was cut at the paywall): decided by the one
    access function (hanji.memberships.access)."""
    from hanji.memberships.access import email_body

    return email_body(post, paid)


def local_image_size(src: str) -> tuple[int, int] | None:
    """Width and height of an image stored in this instance's media, else None."""
    path = urlsplit(src).path
    media = settings.MEDIA_URL
    if not path.startswith(media):
        return None
    file = Path(settings.MEDIA_ROOT) / path[len(media) :]
    try:
        from PIL import Image

        with Image.open(file) as image:
            return image.size
    except (OSError, ValueError):
        return None


def srcset_widths(srcset: str) -> list[int]:
    """The `w` descriptors of a srcset ("URL 480w, URL 960w")."""
    return [int(w) for _url, w in _SRCSET_ITEM.findall(srcset or "")]


def srcset_pick(srcset: str, wanted: int) -> str:
    """The URL of the narrowest candidate at least `wanted` wide, else the widest; "" if none."""
    candidates = sorted((int(w), url) for url, w in _SRCSET_ITEM.findall(srcset or ""))
    if not candidates:
        return ""
    return next((url for w, url in candidates if w >= wanted), candidates[-1][1])
