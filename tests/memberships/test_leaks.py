"""Paid text never leaves to a reader who may not read it, through any channel: the web page
(body, meta tags, JSON-LD), the anonymous page cache, RSS, Atom, the sitemap, search, the view
beacon and the email. Personas: anonymous, a free subscriber, a member of another tier."""

from __future__ import annotations

import pytest
from django.test import Client

from hanji.memberships.actions import limit_post_to_tiers
from hanji.posts.models import Visibility

BODY = """무료로 읽는 도입부 FREE-INTRO.

{subscribers}
구독자 전용 SUB-SECRET
{/subscribers}

{members}
채팅방 비밀번호 MEMBERS-SECRET
{/members}

{tier:gold}
골드 전용 GOLD-SECRET
{/tier}

{paywall}

유료 본문 PAID-BODY 입니다.
"""
SECRETS = ("SUB-SECRET", "MEMBERS-SECRET", "GOLD-SECRET", "PAID-BODY")


@pytest.fixture
def paid_post(make_post, gold):
    post = make_post(title="골드 전용 글", body=BODY, visibility=Visibility.PAID)
    limit_post_to_tiers(post, [gold])
    return post


@pytest.fixture
def public_post(make_post, gold, silver):
    return make_post(title="모두의 글", body=BODY.replace("{paywall}", ""))


@pytest.fixture
def clients(make_reader, make_member, gold, silver, sign_in):
    """anonymous, free subscriber, silver member (another tier), gold member."""
    free = make_reader("free@example.org")
    silver_member = make_member("silver@example.org", silver)
    gold_member = make_member("gold@example.org", gold)
    return {
        "anonymous": Client(),
        "free": sign_in(Client(), free),
        "silver": sign_in(Client(), silver_member.subscriber),
        "gold": sign_in(Client(), gold_member.subscriber),
    }


def page(client, post) -> str:
    response = client.get(f"/posts/{post.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_tier_only_post_shows_each_reader_only_what_they_may_read(clients, paid_post):
    anonymous = page(clients["anonymous"], paid_post)
    assert "FREE-INTRO" in anonymous and not any(s in anonymous for s in SECRETS)
    free = page(clients["free"], paid_post)
    assert "SUB-SECRET" in free
    assert not any(s in free for s in ("MEMBERS-SECRET", "GOLD-SECRET", "PAID-BODY"))
    silver = page(clients["silver"], paid_post)
    assert "MEMBERS-SECRET" in silver and "SUB-SECRET" in silver
    assert "GOLD-SECRET" not in silver and "PAID-BODY" not in silver
    gold = page(clients["gold"], paid_post)
    assert all(s in gold for s in SECRETS)


def test_members_only_blocks_in_a_public_post_are_for_their_readers_only(clients, public_post):
    anonymous = page(clients["anonymous"], public_post)
    assert "PAID-BODY" in anonymous and "FREE-INTRO" in anonymous
    assert not any(s in anonymous for s in ("SUB-SECRET", "MEMBERS-SECRET", "GOLD-SECRET"))
    silver = page(clients["silver"], public_post)
    assert "MEMBERS-SECRET" in silver and "GOLD-SECRET" not in silver
    assert "GOLD-SECRET" in page(clients["gold"], public_post)


def test_the_anonymous_cache_never_holds_a_members_page(clients, paid_post, public_post):
    for post in (paid_post, public_post):
        signed_in = clients["gold"].get(f"/posts/{post.slug}/")
        assert "private" in signed_in["Cache-Control"]
        assert "Cookie" in signed_in["Vary"]
        for _ in range(2):  # the second answer comes from the anonymous cache
            response = clients["anonymous"].get(f"/posts/{post.slug}/")
            body = response.content.decode()
            assert not any(s in body for s in ("SUB-SECRET", "MEMBERS-SECRET", "GOLD-SECRET"))
        assert response["X-Hanji-Cache"] == "hit"


def test_meta_tags_and_json_ld_hold_no_paid_text(clients, paid_post, public_post):
    for post in (paid_post, public_post):
        html = page(clients["silver"], post)
        head = html[: html.index("</head>")]
        assert "FREE-INTRO" in head  # the excerpt is the free part
        assert not any(s in head for s in ("SUB-SECRET", "MEMBERS-SECRET", "GOLD-SECRET"))
        assert "PAID-BODY" not in head or post is public_post
    assert '"isAccessibleForFree": false' in page(clients["anonymous"], paid_post)


def test_feeds_sitemap_and_search_hold_no_paid_text(client, paid_post, public_post):
    for url in ("/rss/", "/atom/", "/sitemap.xml", "/search/?q=글", "/search/?q=SECRET"):
        body = client.get(url).content.decode()
        assert not any(s in body for s in ("SUB-SECRET", "MEMBERS-SECRET", "GOLD-SECRET")), url
        # The public post says PAID-BODY too: feeds and its search result may show it.
        assert "PAID-BODY" not in body or url in ("/rss/", "/atom/", "/search/?q=글"), url
    # The paid post is never found by its paid words; the public post that says them is.
    found = client.get("/search/?q=PAID-BODY").content.decode()
    assert public_post.title in found and paid_post.title not in found
    import feedparser

    for url in ("/rss/", "/atom/"):
        entries = feedparser.parse(client.get(url).content).entries
        paid = next(e for e in entries if e.title == paid_post.title)
        text = paid.get("summary", "") + "".join(c.value for c in paid.get("content", []))
        assert "FREE-INTRO" in text and "PAID-BODY" not in text and "SUB-SECRET" not in text


def test_the_view_beacon_of_a_paid_post_is_not_a_404(clients, paid_post):
    for name in ("anonymous", "free", "silver"):
        response = clients[name].post(
            f"/engagement/{paid_post.pk}/beacon/", HTTP_SEC_FETCH_SITE="same-origin"
        )
        assert response.status_code == 204, name
        assert not response.content
    gold = clients["gold"].post(
        f"/engagement/{paid_post.pk}/beacon/", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert gold.status_code == 200


def test_each_recipient_gets_the_email_their_tier_allows(
    clients, paid_post, public_post, mail_to, send_now
):
    send_now(paid_post)
    got = {r.rcpt_tos[0].split("@")[0]: r.data.decode() for r in mail_to.received}
    assert set(got) == {"free", "silver", "gold"}
    for name in ("free", "silver"):
        raw = got[name]
        assert "FREE-INTRO" in raw and "SUB-SECRET" in raw, name
        assert not any(s in raw for s in ("MEMBERS-SECRET", "GOLD-SECRET", "PAID-BODY")), name
        assert 'class="button"' in raw, name  # the upgrade button
    assert all(s in got["gold"] for s in SECRETS)


def test_a_public_post_emails_members_blocks_only_to_members(
    clients, public_post, mail_to, send_now
):
    send_now(public_post)
    got = {r.rcpt_tos[0].split("@")[0]: r.data.decode() for r in mail_to.received}
    assert "MEMBERS-SECRET" not in got["free"] and "PAID-BODY" in got["free"]
    assert "MEMBERS-SECRET" in got["silver"] and "MEMBERS-SECRET" in got["gold"]
    # Two paid tiers get one paid variant: a block for one tier goes to neither by email.
    assert not any("GOLD-SECRET" in raw for raw in got.values())
