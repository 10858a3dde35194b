"""No script through RSS or Atom: every feed field is sanitized HTML or text, and text that
RSS readers render as HTML arrives escaped (titles, excerpts, the publication's description)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import feedparser
import pytest

from tests.engagement.xss import CORPUS

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _rss_html_fields(xml: bytes) -> list[str]:
    """What an RSS reader renders as HTML: channel and item title and description."""
    root = ET.fromstring(xml)
    channel = root.find("channel")
    fields = [channel.findtext("title"), channel.findtext("description")]
    for item in channel.findall("item"):
        fields += [item.findtext("title"), item.findtext("description")]
    return [f or "" for f in fields]


@pytest.mark.parametrize("payload", CORPUS)
def test_no_rss_field_read_as_html_carries_markup(client, publication, make_post, payload):
    publication.name = f"Letter {payload}"
    publication.description = f"About {payload}"
    publication.save()
    make_post(title=f"Title {payload}", subtitle=f"Sub {payload}", excerpt=f"Ex {payload}")
    make_post(title="Code", body=f"```\n{payload}\n```")  # the excerpt comes from the body
    xml = client.get("/rss/").content
    for field in _rss_html_fields(xml):
        # A reader parses the field as HTML: it must contain no "<" at all, only "&lt;".
        assert "<" not in field, field
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].title.startswith("Code")


def test_the_issues_example_pre_code_entity_stays_text_in_rss(client, make_post):
    make_post(title="T", body="<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>")
    xml = client.get("/rss/").content
    item = ET.fromstring(xml).find("channel/item")
    assert item.findtext("description") == "&lt;img src=x onerror=alert(1)&gt;"
    # And the full content is sanitized HTML, where the same text is still escaped.
    assert "onerror=alert(1)&gt;" in xml.decode() or "onerror=alert(1)&amp;gt;" in xml.decode()


def test_an_ampersand_in_a_title_survives_as_one_character_for_readers(client, make_post):
    make_post(title="Tom & Jerry <3")
    for url in ("/rss/", "/atom/"):
        entry = feedparser.parse(client.get(url).content).entries[0]
        shown = entry.title
        if entry.title_detail.type == "text/html":  # what a reader displays
            shown = html.unescape(shown)
        assert shown == "Tom & Jerry <3", url


@pytest.mark.parametrize("payload", CORPUS)
def test_atom_text_fields_are_typed_text_and_the_content_is_sanitized(
    client, publication, make_post, payload
):
    publication.description = payload
    publication.save()
    make_post(title=payload, excerpt=payload, body=f"{payload}\n\n```\n{payload}\n```")
    root = ET.fromstring(client.get("/atom/").content)
    for element in [root.find(f"{ATOM}title"), root.find(f"{ATOM}subtitle")] + [
        e.find(f"{ATOM}{name}")
        for e in root.findall(f"{ATOM}entry")
        for name in ("title", "summary")
    ]:
        if element is not None:
            assert element.get("type") in (None, "text"), element.tag
    for content in root.iter(f"{ATOM}content"):
        assert_no_active_markup(content.text or "")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def assert_no_active_markup(fragment: str) -> None:
    """Parse `fragment` as a browser would and find no script, handler or javascript: URL."""
    parser = _Tags()
    parser.feed(fragment)
    for tag, attrs in parser.found:
        assert tag not in {"script", "iframe", "object", "embed", "svg", "math", "style"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower().replace(" ", ""), (tag, value)
