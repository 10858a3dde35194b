"""The message of a send, built once as bytes with placeholders; per recipient only the
placeholders are filled (DESIGN: "bytes plus replace").

A compiled message is a list of segments per variant (free / paid) and per piece (head, text,
html): literal strings alternating with field names. It is stored on the Send as JSON, so every
worker sends the same bytes even if the post changes during the send.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from hanji.posts.queries import writer_name
from hanji.publications.links import absolute_url, publication_base_url
from hanji.sending import conf
from hanji.sending.emailbody import MAX_WIDTH, BodyRenderer, local_image_size, variant_body
from hanji.subscribers.addresses import clean_name

# Per-recipient fields and the most bytes each may take once filled (for line and size limits).
FIELDS = {
    "DATE": 40,
    "TO": 400,
    "MID": 120,
    "LUNSUB": 600,
    "UNSUB": 300,
    "PREFS": 300,
    "TRACK": 80,
    "NAMEH": 240,
    "NAMET": 120,
}
LINE_LIMIT = 900  # SMTP allows 998 octets a line; leave room
_inliner = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True)


class MessageTooLarge(ValueError):
    """The compiled message passes MAX_MESSAGE_BYTES; `str()` says so to the writer."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size

    def __str__(self) -> str:
        return gettext(
            "The email would be %(size)s bytes, over the limit of %(limit)s bytes. "
            "Shorten the post or move part of it to the web."
        ) % {"size": self.size, "limit": conf.get("MAX_MESSAGE_BYTES")}


def placeholder(nonce: str, field: str) -> str:
    return f"hjph{nonce}x{field}x"


def clean_header_text(value: str, max_length: int = 300) -> str:
    """One line of text that cannot open a new header (no CR, LF or other controls)."""
    return clean_name(value, max_length)


def encode_header(value: str, name: str) -> str:
    """RFC 2047 when needed, folded with CRLF, never longer than a line allows."""
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def sender_domain(send) -> str:
    address = send.from_email or settings.HANJI_DEFAULT_FROM_EMAIL
    return address.rpartition("@")[2].lower() or settings.HANJI_BASE_HOST


def subject_for(send, test: bool = False) -> str:
    subject = clean_header_text(send.subject, 250)
    if send.is_advertising:
        # Korean law (정보통신망법 제50조): the subject of advertising starts with (광고).
        subject = f"(광고) {subject}"
    if test:
        # One phrase for translators (the catalog had no "Test" of its own: Korean got "[Test]").
        subject = gettext("[Test] %(subject)s") % {"subject": subject}
    return subject


def _fold(line: str, nonce: str) -> list[str]:
    """Split one long line at spaces or after '>' so that, with every placeholder filled at
    its largest, no line passes LINE_LIMIT bytes. UTF-8 never puts b' ' or b'>' inside a
    multi-byte character, and a break never lands right before a placeholder."""
    token = re.compile(placeholder(nonce, "([A-Z]+)"))
    out, start, cost, last_break = [], 0, 0, -1
    i, n = 0, len(line)
    while i < n:
        m = token.match(line, i) if line[i] == "h" else None
        if m:
            cost += FIELDS[m.group(1)]
            i = m.end()
        else:
            ch = line[i]
            cost += len(ch.encode()) if ord(ch) > 127 else 1
            i += 1
            if ch in " >" and i < n and not token.match(line, i):
                last_break = i
        if cost > LINE_LIMIT:
            # No space or tag end to break at (a 1,000-character word): break where we are;
            # browsers drop a line break inside a URL, and in text it shows as a space.
            cut = last_break if last_break > start else i
            out.append(line[start:cut].rstrip(" "))
            start = cut
            cost = sum(
                FIELDS[t.group(1)] - len(t.group(0)) for t in token.finditer(line, start, i)
            ) + len(line[start:i].encode())
            last_break = -1
    out.append(line[start:])
    return out


def fold_lines(text: str, nonce: str) -> str:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines.extend(_fold(line, nonce) if len(line.encode()) > LINE_LIMIT // 3 else [line])
    return "\r\n".join(lines)


def _segments(text: str, nonce: str) -> list[str]:
    """Literal, field, literal, field, …, literal."""
    return re.split(placeholder(nonce, "([A-Z]+)"), text)


def _business_line(publication) -> str:
    parts = [
        publication.company_name,
        f"{gettext('Representative')} {publication.representative}"
        if publication.representative
        else "",
        f"{gettext('Business registration number')} {publication.business_number}"
        if publication.business_number
        else "",
        f"{gettext('Mail-order business report number')} {publication.mail_order_number}"
        if publication.mail_order_number
        else "",
        publication.address,
        publication.contact_email,
        publication.phone,
    ]
    return " · ".join(p for p in parts if p)


def _media_url(publication, file) -> str:
    """The absolute URL of a stored file (logo, cover image), on the publication's host."""
    if not file:
        return ""
    base = publication_base_url(publication).split("/p/")[0]
    return base.rstrip("/") + file.url


def _cover(publication, post) -> dict:
    url = _media_url(publication, post.cover_image)
    if not url:
        return {}
    size = local_image_size(url) or (None, None)
    width, height = size
    if width and width > MAX_WIDTH:
        height, width = round(height * MAX_WIDTH / width) if height else None, MAX_WIDTH
    return {
        "cover_url": url,
        "cover_alt": post.cover_alt or post.title,
        "cover_width": width or MAX_WIDTH,
        "cover_height": height,
    }


def compile_send(send, *, test: bool = False) -> dict:
    """Render, inline and fold the send's message once; return the JSON-able template."""
    from hanji.sending.models import sending_settings

    publication, post, newsletter = send.publication, send.post, send.newsletter
    options = sending_settings(publication.pk)
    nonce = secrets.token_hex(5)
    ph = {field: placeholder(nonce, field) for field in FIELDS}
    click_base = absolute_url(publication, "sending:click", token="T", position=0)
    click_base = click_base[: click_base.index("/T/0/")]
    links: list[str] = []

    def link_url(position: int, url: str) -> str:
        if not options.track_clicks or test:
            return url
        return f"{click_base}/{ph['TRACK']}/{position}/"

    view_url = absolute_url(publication, "site:post", slug=post.slug)
    variants = {}
    with translation.override(publication.language):
        subject = subject_for(send, test)
        for paid in (False, True):
            body, cut = variant_body(post, paid)
            if paid and "free" in variants and body == post.body and not variants["free"]["cut"]:
                variants["paid"] = variants["free"]  # not a paid post: one message for all
                continue
            renderer = BodyRenderer(
                publication_base_url(publication) + "/",
                link_url=link_url,
                name_html=ph["NAMEH"],
                name_text=ph["NAMET"],
            )
            renderer.links = links  # one numbering for both variants
            email_body = renderer.render(body)
            context = {
                "language": publication.language,
                "publication": publication,
                "newsletter": newsletter,
                "post": post,
                "title": post.title,
                "subject": subject,
                "preheader": send.preheader or post.subtitle or post.excerpt,
                "preheader_pad": range(60),
                "accent": publication.accent_color or "#c0392b",
                "logo_url": _media_url(publication, publication.logo),
                **_cover(publication, post),
                "home_url": absolute_url(publication, "site:home"),
                "view_url": view_url,
                "upgrade_url": view_url + "#upgrade",
                "date": formats.date_format(
                    timezone.localtime(post.published_at or timezone.now()), "DATE_FORMAT"
                ),
                "authors": ", ".join(a.name for a in post.authors.all()) or writer_name(post),
                "body_html": email_body.html,
                "body_text": email_body.text,
                "cut": cut,
                "advertising": send.is_advertising,
                "sender_name": send.from_name or publication.name,
                "business": _business_line(publication),
                "unsubscribe_url": ph["UNSUB"],
                "preferences_url": ph["PREFS"],
                "open_pixel_url": (
                    absolute_url(publication, "sending:open", token="T").replace(
                        "/T.gif", f"/{ph['TRACK']}.gif"
                    )
                    if options.track_opens and not test
                    else ""
                ),
            }
            html = _inliner.inline(render_to_string("sending/email/newsletter.html", context))
            text = render_to_string("sending/email/newsletter.txt", context)
            variants["paid" if paid else "free"] = {
                "text": _segments(fold_lines(text.strip() + "\n", nonce), nonce),
                "html": _segments(fold_lines(html, nonce), nonce),
                "cut": cut,
            }
    head = _head(send, subject, nonce, options, test)
    compiled = {
        "nonce": nonce,
        "boundary": f"=_hanji_{secrets.token_hex(12)}",
        "head": _segments(head, nonce),
        "variants": variants,
        "links": links,
        "subject": subject,
        "from": _from_header(send),
        "from_name": clean_header_text(send.from_name or publication.name, 100),
        "from_email": send.from_email or settings.HANJI_DEFAULT_FROM_EMAIL,
        "reply_to": send.reply_to,
        "list_id": " ".join(list_id(send).split()),
        "feedback_id": feedback_id(send),
        "test": test,
    }
    compiled["size"] = max_size(compiled)
    if compiled["size"] > conf.get("MAX_MESSAGE_BYTES"):
        raise MessageTooLarge(compiled["size"])
    return compiled


def _from_header(send) -> str:
    name = clean_header_text(send.from_name or send.publication.name, 100)
    return formataddr((name, send.from_email or settings.HANJI_DEFAULT_FROM_EMAIL), "utf-8")


def list_id(send) -> str:
    newsletter = send.newsletter
    label = newsletter.slug if newsletter.slug.isascii() else f"n{newsletter.pk}"
    ident = f"{label}.{send.publication.slug}.{sender_domain(send)}"
    name = clean_header_text(f"{send.publication.name} · {newsletter.name}", 120)
    return f"{encode_header(name, 'List-Id')} <{ident}>"


def feedback_id(send) -> str:
    # Gmail's format: up to four colon-separated fields, the last naming the sender.
    return f"{send.pk}:{send.newsletter_id}:{send.publication_id}:hanji"


def _head(send, subject: str, nonce: str, options, test: bool) -> str:
    ph = {field: placeholder(nonce, field) for field in FIELDS}
    lines = [
        f"Date: {ph['DATE']}",
        f"From: {_from_header(send)}",
        f"To: {ph['TO']}",
        f"Subject: {encode_header(subject, 'Subject')}",
        f"Message-ID: {ph['MID']}",
    ]
    if send.reply_to:
        lines.append(f"Reply-To: {send.reply_to}")
    lines += [
        f"List-Id: {list_id(send)}",
        f"List-Unsubscribe: {ph['LUNSUB']}",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        f"Feedback-ID: {feedback_id(send)}",
    ]
    if test:
        lines.append("X-Hanji-Test: yes")
    lines.append("MIME-Version: 1.0")
    return "\r\n".join(lines) + "\r\n"


def max_size(compiled: dict) -> int:
    def size(segments: list[str]) -> int:
        return sum(len(s.encode()) if i % 2 == 0 else FIELDS[s] for i, s in enumerate(segments))

    head = size(compiled["head"]) + 200
    return head + max(size(v["text"]) + size(v["html"]) for v in compiled["variants"].values())


@dataclass(slots=True)
class Pieces:
    """One variant, as bytes: literals at even positions, field names at odd ones."""

    head: list
    text: list
    html: list


class MessageTemplate:
    """A compiled message loaded once per worker loop; fills placeholders per recipient."""

    def __init__(self, compiled: dict):
        self.compiled = compiled
        boundary = compiled["boundary"]
        self.subject = compiled["subject"]
        self.from_header = compiled["from"]
        self.reply_to = compiled.get("reply_to", "")
        self.links = compiled.get("links", [])
        self.size = compiled["size"]

        def enc(segments: list[str]) -> list:
            return [s.encode() if i % 2 == 0 else s for i, s in enumerate(segments)]

        head = enc(compiled["head"])
        head[-1] += (
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode()
        middle = (
            f"\r\n--{boundary}\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode()
        end = f"\r\n--{boundary}--\r\n".encode()
        self.variants: dict[str, Pieces] = {}
        self.wire: dict[str, list] = {}
        for name, pieces in compiled["variants"].items():
            text, html = enc(pieces["text"]), enc(pieces["html"])
            self.variants[name] = Pieces(head, text, html)
            # The whole message as one segment list: head + text part + html part.
            wire = list(head[:-1]) + [head[-1] + text[0]] + text[1:-1]
            wire += [text[-1] + middle + html[0]] + html[1:-1] + [html[-1] + end]
            self.wire[name] = wire

    @staticmethod
    def fill(segments: list, values: dict[str, bytes]) -> bytes:
        return b"".join([s if i % 2 == 0 else values[s] for i, s in enumerate(segments)])

    def message(self, variant: str, values: dict[str, bytes]) -> bytes:
        return self.fill(self.wire[variant], values)

    def parts(self, variant: str, values: dict[str, bytes]) -> tuple[str, str]:
        pieces = self.variants[variant]
        return self.fill(pieces.text, values).decode(), self.fill(pieces.html, values).decode()


def date_header() -> bytes:
    return format_datetime(timezone.now()).encode()
