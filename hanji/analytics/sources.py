"""Where a reader came from, in a few words: pure functions, no database (issue 15).

A view or a sign-up carries a *source*: the channel (search engines, social networks, email,
another website, the publication's own pages, or none at all: direct), the referring host,
and the landing URL's utm_source / utm_medium / utm_campaign. Everything here is read from
what a browser sends, so everything is cleaned to a short, fixed alphabet before it is kept:
a forged referrer can make a row say "evil.example", never break a page or grow a column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

DIRECT, INTERNAL, SEARCH, SOCIAL, EMAIL, SITE = (
    "direct",
    "internal",
    "search",
    "social",
    "email",
    "site",
)
CHANNELS = (DIRECT, INTERNAL, SEARCH, SOCIAL, EMAIL, SITE)

# Matched against the host with "www." and "m." taken off; a suffix match (".google.com"),
# so every country site and sub-domain of one engine or network counts as that one.
SEARCH_HOSTS = (
    "google",
    "naver.com",
    "search.naver.com",
    "daum.net",
    "search.daum.net",
    "bing.com",
    "duckduckgo.com",
    "search.yahoo.com",
    "yahoo.co.jp",
    "baidu.com",
    "yandex.ru",
    "ecosia.org",
    "search.brave.com",
    "zum.com",
)
SOCIAL_HOSTS = (
    "facebook.com",
    "l.facebook.com",
    "instagram.com",
    "l.instagram.com",
    "t.co",
    "x.com",
    "twitter.com",
    "linkedin.com",
    "lnkd.in",
    "threads.net",
    "threads.com",
    "kakao.com",
    "story.kakao.com",
    "band.us",
    "reddit.com",
    "news.ycombinator.com",
    "youtube.com",
    "tiktok.com",
    "bsky.app",
    "mastodon.social",
    "blog.naver.com",
    "cafe.naver.com",
    "cafe.daum.net",
    "brunch.co.kr",
    "pinterest.com",
)
MAIL_HOSTS = (
    "mail.google.com",
    "mail.naver.com",
    "mail.daum.net",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "mail.yahoo.com",
    "mail.kakao.com",
)
EMAIL_MEDIUMS = ("email", "e-mail", "newsletter", "mail")

HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}$")
WORD_RE = re.compile(r"[^a-z0-9가-힣._-]+")
HOST_LENGTH = 64
WORD_LENGTH = 40


@dataclass(frozen=True)
class Source:
    channel: str = DIRECT
    host: str = ""  # the referring host, external only ("" for direct and internal)
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""

    def token(self) -> str:
        """One whitespace-free word for the view spool: "channel:host|source|medium|campaign"."""
        return "|".join(
            [f"{self.channel}:{self.host}", self.utm_source, self.utm_medium, self.utm_campaign]
        )


def clean_host(value: str) -> str:
    """A host name in lower case without "www."; "" when it is not one."""
    host = (value or "").strip().lower().rstrip(".")
    host = host.split("@")[-1].split(":")[0]
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    if len(host) > HOST_LENGTH or not HOST_RE.match(host):
        return ""
    return host


def clean_word(value: str) -> str:
    """A utm value: lower case, letters, digits, Hangul and . _ - only, at most 40 long."""
    return WORD_RE.sub("-", (value or "").strip().lower())[:WORD_LENGTH].strip("-")


def _matches(host: str, names: tuple[str, ...]) -> bool:
    for name in names:
        if name == "google":
            if host == "google.com" or host.startswith("google.") or ".google." in host:
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def channel_of(host: str, utm_medium: str) -> str:
    if utm_medium in EMAIL_MEDIUMS or (host and _matches(host, MAIL_HOSTS)):
        return EMAIL
    if not host:
        return DIRECT
    if _matches(host, SEARCH_HOSTS):
        return SEARCH
    if _matches(host, SOCIAL_HOSTS):
        return SOCIAL
    return SITE


def classify(referrer: str, landing_query: str, own_hosts: tuple[str, ...] = ()) -> Source:
    """The source of a page view: `referrer` is the browser's document.referrer, and
    `landing_query` the landing URL's query string (with or without "?")."""
    try:
        host = clean_host(urlsplit((referrer or "")[:2000]).hostname or "")
    except ValueError:
        host = ""
    own = {clean_host(h) for h in own_hosts}
    try:
        query = parse_qs((landing_query or "")[:2000].lstrip("?"), max_num_fields=50)
    except ValueError:
        query = {}
    utm = {
        k: clean_word((query.get(f"utm_{k}") or [""])[0]) for k in ("source", "medium", "campaign")
    }
    if host and host in own:
        channel = EMAIL if utm["medium"] in EMAIL_MEDIUMS else INTERNAL
        return Source(channel, "", utm["source"], utm["medium"], utm["campaign"])
    return Source(
        channel_of(host, utm["medium"]), host, utm["source"], utm["medium"], utm["campaign"]
    )


def from_token(token: str) -> Source:
    """The Source a token stands for; anything malformed is a direct visit (never an error)."""
    parts = (token or "").split("|")
    head, *rest = parts + ["", "", ""]
    channel, _colon, host = head.partition(":")
    if channel not in CHANNELS:
        return Source()
    host = clean_host(host) if channel not in (DIRECT, INTERNAL) else ""
    return Source(channel, host, *(clean_word(v) for v in rest[:3]))


def cookie_value(source: Source) -> str:
    """The token, percent-encoded (a utm value may be Hangul; cookies are ASCII)."""
    return quote(source.token(), safe=":|.-_")


def from_cookie(value: str) -> Source:
    return from_token(unquote((value or "")[:600]))


def tag_email_link(url: str, site_url: str, newsletter: str) -> str:
    """A link of an email to the publication's own site (`site_url`), with utm_medium=email
    and utm_source=<newsletter> added, so the view it brings counts as email instead of a
    direct visit (mail programs send no referrer, and the click redirect sends none). Links
    elsewhere, and links that already carry a UTM, are left as they are."""
    parts = urlsplit(url)
    site = urlsplit(site_url)
    if (parts.scheme, parts.netloc.lower()) != (site.scheme, site.netloc.lower()):
        return url
    base_path = site.path.rstrip("/")
    if base_path and not (parts.path == base_path or parts.path.startswith(base_path + "/")):
        return url
    if "utm_" in parts.query:
        return url
    tags = urlencode({"utm_source": newsletter, "utm_medium": "email"})
    query = f"{parts.query}&{tags}" if parts.query else tags
    return urlunsplit(parts._replace(query=query))
