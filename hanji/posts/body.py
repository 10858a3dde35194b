"""The post body: one sanitized HTML schema that web, email, feeds and search all read.

The schema (everything else is removed by `sanitize`):

    p h2 h3 h4 ul ol li blockquote pre code hr br strong em b i s u sup sub mark a
    table thead tbody tr th td
    <figure class="image"><img src alt width height><figcaption>…</figcaption></figure>
    <figure class="bookmark"><a href><span class="bookmark-title">…</span>
        <span class="bookmark-description">…</span><span class="bookmark-url">…</span>
        <img class="bookmark-image" src alt></a></figure>
    <figure class="embed" data-provider="youtube|vimeo"><iframe src></iframe></figure>
    <figure class="embed" data-provider="x"><blockquote><p>…</p><a href>…</a></blockquote></figure>
    <hr data-hanji="paywall">                      the paywall divider
    <p data-hanji="subscribe"><a href="#subscribe" class="button">…</a></p>   subscribe button
    <div data-hanji="members">…</div>              a members-only block (any paid member)
    <div data-hanji="subscribers">…</div>          for confirmed subscribers
    <div data-hanji="tier" data-tier="SLUG">…</div>   for the members of one tier

Markdown (markdown-it-py) becomes the same schema: `![alt](src "caption")` alone in a paragraph
is a figure, a YouTube/Vimeo/X link alone in a paragraph is an embed, a line `{paywall}` is the
divider and `{subscribe}` the subscribe button. A members-only block is a line `{members}` …
a line `{/members}` (likewise `{subscribers}` … `{/subscribers}` and `{tier:SLUG}` … `{/tier}`);
who may see a block is decided by hanji.memberships.access, never here.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from django.utils.translation import gettext

TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "hr",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "s",
    "u",
    "sup",
    "sub",
    "mark",
    "a",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
    "div",
    "img",
    "iframe",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "div": {"data-tier"},
    "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes"},
    "iframe": {"src", "title", "allowfullscreen", "loading"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
LANGUAGES = {
    "python",
    "javascript",
    "js",
    "ts",
    "typescript",
    "bash",
    "sh",
    "html",
    "css",
    "json",
    "sql",
    "go",
    "rust",
    "java",
    "kotlin",
    "swift",
    "c",
    "cpp",
    "text",
    "yaml",
}
CLASSES = {
    "figure": {"image", "bookmark", "embed", "wide", "full"},
    "span": {"bookmark-title", "bookmark-description", "bookmark-url"},
    "img": {"bookmark-image"},
    "a": {"button"},
    "code": {f"language-{name}" for name in LANGUAGES},
}
TAG_VALUES = {
    "hr": {"data-hanji": {"paywall"}},
    "p": {"data-hanji": {"subscribe"}},
    "div": {"data-hanji": {"members", "subscribers", "tier"}},
    "figure": {"data-provider": {"youtube", "vimeo", "x"}},
}
# Where an embed's iframe may point; the Content-Security-Policy's frame-src lists the same
# origins (hanji.core.csp), so an embed the sanitizer keeps is one the browser loads.
EMBED_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")
EMBED_SOURCES = [
    re.compile(r"^https://www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{6,20}$"),
    re.compile(r"^https://player\.vimeo\.com/video/\d{1,12}$"),
]
# Responsive widths of an uploaded picture (hanji.posts.images): "URL 480w, URL 960w".
_SRCSET = re.compile(r"^(?:(?:https?://|/)[^\s,]+ \d{1,5}w)(?:, (?:https?://|/)[^\s,]+ \d{1,5}w)*$")
_SIZES = re.compile(r"^[a-z0-9 (),:.%-]{1,200}$")
_EMPTY_IFRAME = re.compile(r"<iframe(?![^>]*\ssrc=)[^>]*></iframe>")
PAYWALL = '<hr data-hanji="paywall">'
_TIER_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "iframe" and attribute == "src":
        return value if any(p.match(value) for p in EMBED_SOURCES) else None
    if tag == "img" and attribute == "srcset":
        return value if _SRCSET.match(value) else None
    if tag == "img" and attribute == "sizes":
        return value if _SIZES.match(value) else None
    if attribute in {"width", "height"}:
        return value if value.isdigit() and len(value) <= 5 else None
    if tag == "div" and attribute == "data-tier":
        return value if _TIER_SLUG.match(value) else None
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) <= 6 else None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags={"script", "style"},
    attributes=ATTRIBUTES,
    attribute_filter=_attribute_filter,
    link_rel="noopener noreferrer",
    tag_attribute_values=TAG_VALUES,
    url_schemes={"http", "https", "mailto"},
    allowed_classes=CLASSES,
)


def sanitize(body_html: str) -> str:
    """The one allowlist every body (and any other stored HTML) passes."""
    body_html = re.sub(r"<(/?)h1\b", r"<\1h2", body_html, flags=re.I)
    body_html = re.sub(r"<(/?)h[56]\b", r"<\1h4", body_html, flags=re.I)
    return _EMPTY_IFRAME.sub("", _cleaner.clean(_defuse(body_html)))


# Before the allowlist: what would make an HTML parser swallow the rest of the body. Inside
# <math> or <svg> the parser is in foreign content, where everything up to the next HTML
# block tag belongs to the foreign element, and nh3 drops MathML and SVG elements whole; an
# unclosed <style>, <title>, <textarea>, <iframe> … or comment makes the rest of the
# document its text. So, first: closed <style> and <script> blocks go with their content,
# every other tag outside the schema goes alone (its text stays), and an <iframe> or a
# comment that is never closed loses its opener. nh3 then judges what is left as before.
_CLOSED_CODE = re.compile(r"<(style|script)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_ANY_TAG = re.compile(r"""<(/?)([A-Za-z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")


def _known_tags_only(match: re.Match) -> str:
    return match.group(0) if match.group(2).lower() in TAGS else ""


def _drop_unclosed(body: str, opener: re.Pattern, closer: re.Pattern) -> str:
    """Remove every opener that no closer follows."""
    last = None
    for last in closer.finditer(body):  # noqa: B007 (the last match is wanted)
        pass
    cut = last.end() if last else 0
    return body[:cut] + opener.sub("", body[cut:])


_IFRAME_OPEN, _IFRAME_CLOSE = (
    re.compile(r"<iframe\b[^>]*>", re.I),
    re.compile(r"</iframe\s*>", re.I),
)
_COMMENT_OPEN, _COMMENT_CLOSE = re.compile(r"<!--"), re.compile(r"-->")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _defuse(body: str) -> str:
    for _round in range(4):  # removing one tag can join the pieces of another
        before = body
        body = _ANY_TAG.sub(_known_tags_only, _CLOSED_CODE.sub("", body))
        body = _drop_unclosed(body, _IFRAME_OPEN, _IFRAME_CLOSE)
        body = _drop_unclosed(body, _COMMENT_OPEN, _COMMENT_CLOSE)
        if body == before:
            break
    # A tag that never ends ("<sty…" at the very end) would take the text after it along.
    cut = body.rfind(">") + 1
    return body[:cut] + _TAG_START.sub("&lt;", body[cut:])


# --- Markdown --------------------------------------------------------------------------------

# What a paste or an upload may ask of the converter. A long essay is about 60,000 characters;
# markdown-it works in linear time, but some characters cost far more than prose: each `[` or
# `<` opens a link-label or HTML scan (400,000 `[` took 3.3 s of CPU, prose 0.25 s per 100,000
# characters). Both caps keep one conversion well under a second.
MARKDOWN_MAX_CHARS = 100_000
MARKDOWN_MAX_OPENERS = 10_000  # `[` and `<` together; a post with 1,000 links has 2,000


class MarkdownRefused(ValueError):
    """Markdown the converter will not take; `status` is the HTTP answer (413 or 400)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def check_markdown(source: str) -> None:
    """Refuse Markdown that is too long or made of too many costly characters."""
    if len(source) > MARKDOWN_MAX_CHARS:
        raise MarkdownRefused(
            gettext(
                "This Markdown is %(length)s characters long; at most %(limit)s can be "
                "converted at once. It was pasted as plain text; paste it in parts to convert it."
            )
            % {"length": f"{len(source):,}", "limit": f"{MARKDOWN_MAX_CHARS:,}"},
            status=413,
        )
    if source.count("[") + source.count("<") > MARKDOWN_MAX_OPENERS:
        raise MarkdownRefused(
            gettext(
                "This text has more than %(limit)s [ and < characters, too many to convert "
                "from Markdown. It was pasted as plain text."
            )
            % {"limit": f"{MARKDOWN_MAX_OPENERS:,}"},
            status=400,
        )


@functools.cache
def _markdown():
    # Imported on first use: pages that only show stored HTML never need markdown-it, and
    # every web process and worker then stays about 4 MB smaller (bench/pages.py).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "breaks": False}).enable(
        ["table", "strikethrough"]
    )


_YOUTUBE = re.compile(
    r"^https?://(?:www\.|m\.)?(?:youtube\.com/watch\?v=|youtu\.be/|youtube\.com/shorts/)"
    r"([A-Za-z0-9_-]{6,20})\S*$"
)
_VIMEO = re.compile(r"^https?://(?:www\.)?vimeo\.com/(\d{1,12})/?$")
_X_POST = re.compile(
    r"^https?://(?:www\.)?(?:x|twitter)\.com/[A-Za-z0-9_]{1,15}/status/\d{1,25}\S*$"
)
_LONE_LINK = re.compile(r"<p>(?:<a href=\"([^\"]+)\">[^<]*</a>|(https?://[^\s<]+))</p>")
_LONE_IMAGE = re.compile(r'<p><img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")? ?/?></p>')


def embed_html(url: str) -> str | None:
    """The schema's embed figure for a YouTube, Vimeo or X link, or None."""
    url = html.unescape(url)
    if m := _YOUTUBE.match(url):
        return (
            '<figure class="embed" data-provider="youtube"><iframe '
            f'src="https://www.youtube-nocookie.com/embed/{m.group(1)}" title="YouTube" '
            'loading="lazy" allowfullscreen></iframe></figure>'
        )
    if m := _VIMEO.match(url):
        return (
            '<figure class="embed" data-provider="vimeo"><iframe '
            f'src="https://player.vimeo.com/video/{m.group(1)}" title="Vimeo" '
            'loading="lazy" allowfullscreen></iframe></figure>'
        )
    if _X_POST.match(url):
        safe = html.escape(url)
        return (
            f'<figure class="embed" data-provider="x"><blockquote><a href="{safe}">{safe}</a>'
            "</blockquote></figure>"
        )
    return None


def _figure(match: re.Match) -> str:
    src, alt, caption = match.group(1), match.group(2), match.group(3)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        f'<figure class="image"><img src="{src}" alt="{alt}" loading="lazy">{figcaption}</figure>'
    )


def _lone_link(match: re.Match) -> str:
    return embed_html(match.group(1) or match.group(2)) or match.group(0)


_BLOCK_MARK = re.compile(
    r"^[ \t]*\{(/?(?:members|subscribers|tier)(?::[a-z0-9][a-z0-9-]{0,59})?)\}[ \t]*$"
)
_BLOCK_LINE = re.compile(
    r"<p>\{(/?(?:members|subscribers|tier)(?::[a-z0-9][a-z0-9-]{0,59})?)\}</p>"
)
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def _isolate_block_lines(source: str) -> str:
    """Blank lines around each block line (`{members}` …), outside code fences, so Markdown
    makes each its own paragraph even when the writer put text right under it."""
    out, fenced = [], False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and _BLOCK_MARK.match(line):
            out.extend(["", line.strip(), ""])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _block_tag(match: re.Match) -> str:
    mark = match.group(1)
    if mark.startswith("/"):
        return "</div>" if mark in ("/members", "/subscribers", "/tier") else match.group(0)
    if mark in ("members", "subscribers"):
        return f'<div data-hanji="{mark}">'
    if mark.startswith("tier:"):
        return f'<div data-hanji="tier" data-tier="{mark[5:]}">'
    return match.group(0)  # "{tier}" without a slug stays text: it opens nothing


def block_errors(source: str) -> list[str]:
    """What is wrong with the block lines of a Markdown source (unclosed, stray or mismatched
    closes), for the command line and imports to report. An unclosed block still hides
    everything after it, which can only withhold, never leak."""
    errors, stack, fenced = [], [], False
    for number, line in enumerate(source.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
        found = None if fenced else _BLOCK_MARK.match(line)
        if not found:
            continue
        mark = found.group(1)
        kind = mark.lstrip("/").split(":", 1)[0]
        if mark == "tier":
            errors.append(
                gettext("line %(n)d: {tier} needs a tier, as in {tier:gold}") % {"n": number}
            )
        elif not mark.startswith("/"):
            stack.append((kind, number))
        elif not stack or stack[-1][0] != kind:
            errors.append(
                gettext("line %(n)d: {%(mark)s} closes no open block") % {"n": number, "mark": mark}
            )
        else:
            stack.pop()
    for kind, number in stack:
        errors.append(
            gettext("line %(n)d: {%(kind)s} is never closed") % {"n": number, "kind": kind}
        )
    return errors


def markdown_to_html(source: str, *, subscribe_label: str | None = None) -> str:
    """Markdown in, schema HTML out (sanitized)."""
    if subscribe_label is None:
        subscribe_label = gettext("Subscribe")
    rendered = _markdown().render(_isolate_block_lines(source))
    rendered = rendered.replace("<p>{paywall}</p>", PAYWALL)
    rendered = _BLOCK_LINE.sub(_block_tag, rendered)
    rendered = rendered.replace(
        "<p>{subscribe}</p>",
        '<p data-hanji="subscribe"><a href="#subscribe" class="button">'
        f"{html.escape(subscribe_label)}</a></p>",
    )
    rendered = _LONE_IMAGE.sub(_figure, rendered)
    rendered = _LONE_LINK.sub(_lone_link, rendered)
    return sanitize(rendered)


# --- reading the body ------------------------------------------------------------------------

_PAYWALL_RE = re.compile(r'<hr data-hanji="paywall"\s*/?>')


def split_at_paywall(body_html: str) -> tuple[str, str]:
    """(the free part, the paid part); the paid part is empty without a divider."""
    parts = _PAYWALL_RE.split(body_html, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (body_html, "")


def has_paywall(body_html: str) -> bool:
    return bool(_PAYWALL_RE.search(body_html))


def plain_text(body_html: str) -> str:
    """Text of a body with tags removed and whitespace folded (for excerpts and search)."""
    text = re.sub(r"<(?:br|/p|/h[2-4]|/li|/blockquote|/figure|hr[^>]*)>", "\n", body_html)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()


_DIV = re.compile(r"<div\b([^>]*)>|</div>")
_DIV_KIND = re.compile(r'data-hanji="(members|subscribers|tier)"')
_DIV_TIER = re.compile(r'data-tier="([a-z0-9-]+)"')


def filter_blocks(body_html: str, may_see) -> str:
    """The body without the members-only blocks `may_see(kind, tier_slug)` refuses (with all
    they hold, nested blocks too). A block left open to the end hides the rest."""
    out, stack, shown_from = [], [], 0
    hidden = 0  # how many enclosing blocks are refused
    for match in _DIV.finditer(body_html):
        if hidden == 0:
            out.append(body_html[shown_from : match.start()])
        shown_from = match.end()
        if match.group(0) == "</div>":
            if not stack:
                continue
            refused = stack.pop()
            if refused:
                hidden -= 1
            elif hidden == 0:
                out.append(match.group(0))
            continue
        attrs = match.group(1)
        kind = _DIV_KIND.search(attrs)
        tier = _DIV_TIER.search(attrs)
        refused = bool(kind) and not may_see(kind.group(1), tier.group(1) if tier else "")
        if hidden == 0 and not refused:
            out.append(match.group(0))
        stack.append(refused)
        hidden += refused
    if hidden == 0:
        out.append(body_html[shown_from:])
    return "".join(out)


def strip_blocks(body_html: str) -> str:
    """The body with every members-only block removed: what may be shown to anyone."""
    return filter_blocks(body_html, lambda kind, tier: False)


def text_lines(body_html: str) -> set[str]:
    """The body's lines of text (for comparing what two versions show)."""
    return {line.strip() for line in plain_text(body_html).splitlines() if line.strip()}


def block_only_lines(body_html: str) -> set[str]:
    """The lines of text found only inside the body's members-only blocks."""
    return text_lines(body_html) - text_lines(strip_blocks(body_html))


def has_blocks(body_html: str) -> bool:
    return bool(_DIV_KIND.search(body_html))


def make_excerpt(body_html: str, length: int = 160) -> str:
    free, _paid = split_at_paywall(body_html)
    free = strip_blocks(free)
    text = " ".join(plain_text(free).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
