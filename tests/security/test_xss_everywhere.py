"""Hostile text in every field a person controls, checked in every place it is shown.

Each payload of the corpus goes at once into the post's title, subtitle, body (Markdown and
HTML), excerpt, tag and category, the author's name and bio, the publication's name and
description, a comment and the commenting reader's name. Then every public page, both feeds,
the email (HTML and text, received by the real SMTP server), the studio's pages and the
OpenGraph / JSON-LD head are parsed as a browser parses them (tests/security/htmlsafety.py):
nothing in them may run, and the text is still there to read.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from email.message import EmailMessage

import html5lib
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hanji.engagement import actions as engagement
from hanji.posts.actions import save_post
from hanji.posts.models import Post
from hanji.publications.models import Author, Publication
from hanji.subscribers.models import Newsletter, Subscriber, Subscription
from tests.engagement.xss import CORPUS as COMMENT_CORPUS
from tests.security.htmlsafety import active_markup, text_of

pytestmark = pytest.mark.django_db

CORPUS = [
    *COMMENT_CORPUS,
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<a href=" &#14;javascript:alert(1)">x</a>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "&#x6A;avascript:alert(1)",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<p style="x:expression(alert(1))">x</p>',
    "]]><script>alert(1)</script><![CDATA[",
    '{"@context": "x"}</script><script>alert(1)</script>',
    "x\r\nBcc: victim@example.org\r\nX-Evil: 1",
    "x\nContent-Type: text/html\n\n<script>alert(1)</script>",
]
MARK = "ZQ"  # every field starts with it, so the text can be found again after parsing


@pytest.fixture
def hostile(publication, owner):
    """`make(payload)`: publication, post, reader and comment, every field carrying it."""

    def make(payload: str) -> dict:
        Publication.objects.filter(pk=publication.pk).update(
            name=f"{MARK}pub {payload}"[:200], description=f"{MARK}desc {payload}"
        )
        publication.refresh_from_db()
        author = Author.objects.create(
            publication=publication, name=f"{MARK}author {payload}"[:100], slug="a", bio=payload
        )
        body = f"{MARK}body {payload}\n\n```\n{payload}\n```\n\n[link]({payload})\n\n> {payload}"
        post = save_post(
            publication,
            title=f"{MARK}title {payload}"[:200],
            subtitle=f"{MARK}subtitle {payload}"[:300],
            body_markdown=body,
            excerpt=f"{MARK}excerpt {payload}",
            tags=[payload[:90]],
            category=payload[:90],
            authors=[author],
            created_by=owner,
        )
        html_post = save_post(publication, title="HTML", body_html=payload, authors=[author])
        for one in (post, html_post):
            Post.objects.filter(pk=one.pk).update(status="published", published_at=timezone.now())
        post.refresh_from_db()
        newsletter = Newsletter.objects.create(
            publication=publication, name="레터", slug="letter", sender_email="l@example.com"
        )
        reader = Subscriber.objects.create(
            publication=publication,
            email="reader@example.org",
            name=f"{MARK}name {payload}"[:200],
            status="active",
            created_at=timezone.now(),
            confirmed_at=timezone.now(),
        )
        Subscription.objects.create(subscriber=reader, newsletter=newsletter)
        comment = engagement.post_comment(post, reader, f"{MARK}comment {payload}")
        return {
            "publication": publication,
            "post": post,
            "html_post": html_post,
            "author": author,
            "reader": reader,
            "comment": comment,
            "newsletter": newsletter,
        }

    return make


def _assert_safe(document: str, where: str, *, fragment: bool = False) -> None:
    found = active_markup(document, fragment=fragment)
    assert found == [], (where, found)


def _public_paths(world: dict) -> list[str]:
    post = world["post"]
    paths = ["/", "/archive/", "/subscribe/", f"/posts/{post.slug}/"]
    paths.append(f"/posts/{world['html_post'].slug}/")
    paths += [f"/tag/{tag.slug}/" for tag in post.tags.all() if tag.slug]
    if post.category and post.category.slug:
        paths.append(f"/category/{post.category.slug}/")
    paths += [f"/author/{world['author'].slug}/", "/search/?q=ZQ"]
    return paths


@pytest.mark.parametrize("payload", CORPUS)
def test_the_public_pages_and_their_head_carry_nothing_that_runs(client, hostile, payload):
    world = hostile(payload)
    for path in _public_paths(world):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        _assert_safe(page, path)
        assert f"{MARK}pub" in text_of(page), path
    page = client.get(f"/posts/{world['post'].slug}/").content.decode()
    shown = text_of(page)
    for field in ("title", "body", "author", "comment"):
        assert f"{MARK}{field}" in shown, field
    _assert_head_is_data(page)


def _assert_head_is_data(page: str) -> None:
    """OpenGraph values are attribute text; each JSON-LD block is one JSON document."""
    root = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    head = root.find("head")
    properties = {m.get("property"): m.get("content") for m in head.iter("meta")}
    assert properties["og:title"].startswith(f"{MARK}title")
    blocks = [s for s in root.iter("script") if s.get("type") == "application/ld+json"]
    assert blocks, "no JSON-LD"
    for block in blocks:
        data = json.loads(block.text)
        assert str(data.get("headline", "")).startswith(f"{MARK}title")


def _rss_fields_read_as_html(xml: bytes) -> list[str]:
    channel = ET.fromstring(xml).find("channel")
    fields = [channel.findtext("title"), channel.findtext("description")]
    for item in channel.findall("item"):
        fields += [item.findtext("title"), item.findtext("description")]
        fields += [e.text for e in item if e.tag.endswith("}encoded")]
    return [field or "" for field in fields]


@pytest.mark.parametrize("payload", CORPUS)
def test_the_feeds_carry_nothing_that_runs(client, hostile, payload):
    hostile(payload)
    rss = client.get("/rss/").content
    for field in _rss_fields_read_as_html(rss):
        _assert_safe(field, "rss", fragment=True)
    atom = ET.fromstring(client.get("/atom/").content)
    for element in atom.iter():
        if element.get("type") == "html":
            _assert_safe(element.text or "", "atom", fragment=True)
        else:
            assert element.get("type") in (None, "text"), element.tag


def _parts(message: EmailMessage) -> tuple[str, str]:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


@pytest.mark.parametrize("payload", CORPUS)
def test_the_email_carries_nothing_that_runs_and_no_forged_header(
    hostile, payload, mail_to, send_now
):
    world = hostile(payload)
    send_now(world["post"], newsletter=world["newsletter"])
    (received,) = mail_to.received
    message = received.message
    html, text = _parts(message)
    _assert_safe(html, "email html")
    assert f"{MARK}body" in text_of(html)
    assert f"{MARK}body" in text
    assert received.rcpt_tos == ["reader@example.org"]
    names = {name.lower() for name in message.keys()}
    assert not {"bcc", "x-evil"} & names, names
    assert message.get_content_type() == "multipart/alternative" or message.is_multipart()
    for name, value in message.items():
        assert "\n" not in str(value).replace("\r\n ", "").replace("\n ", ""), name


@pytest.mark.parametrize("payload", CORPUS)
def test_the_studio_pages_carry_nothing_that_runs(hostile, payload, owner):
    world = hostile(payload)
    slug, post = world["publication"].slug, world["post"]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    pages = [
        reverse("studio:dashboard"),
        reverse("studio:home", args=[slug]),
        reverse("studio:posts", args=[slug]),
        reverse("studio:post_edit", args=[slug, post.pk]),
        reverse("studio:post_revisions", args=[slug, post.pk]),
        reverse("studio:preview", args=[slug, post.pk]),
        reverse("studio:preview_web", args=[slug, post.pk]),
        reverse("studio:preview_email", args=[slug, post.pk]),
        reverse("studio:subscribers", args=[slug]),
        reverse("studio:subscriber", args=[slug, world["reader"].pk]),
        reverse("studio:settings", args=[slug]),
        reverse("engagement:moderation", args=[slug]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_safe(response.content.decode(), url)
    shown = text_of(
        client.get(reverse("studio:subscriber", args=[slug, world["reader"].pk])).content.decode()
    )
    assert f"{MARK}name" in shown


def test_the_checker_finds_what_would_run():
    """The parser-based check itself: each of these is caught."""
    for markup in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" java\tscript:alert(1)">x</a>',
        "<svg><a xlink:href=javascript:alert(1)>x</a></svg>",
        "<math><mi>x</mi></math>",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<iframe src="https://evil.example/"></iframe>',
        "<object data=x></object>",
        "<base href=//evil.example/>",
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        "<p>x</p><style>body{}</style>",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<script type="application/ld+json">{"a": 1}</script><script>alert(1)</script>',
    ):
        assert active_markup(markup, fragment=True), markup
    assert active_markup('<p>&lt;script&gt;</p><a href="https://e.example/">x</a>') == []
