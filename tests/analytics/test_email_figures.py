"""A send's email figures, kept as the events come: sent, delivered, bounced, unique and machine
opens, clicks per link, unsubscribes caused by the send; forged and replayed tracking requests;
the studio's outbox and the team not counted (SQLite and PostgreSQL, a real SMTP server)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hanji.analytics.actions import (
    LATE_BOUNCE,
    email_event,
    purge_raw_email_events,
    rebuild_send_figures,
)
from hanji.analytics.machine import is_machine_open
from hanji.analytics.models import LinkFigures, SendFigures
from hanji.analytics.queries import parse_range, post_email, post_links, send_rates
from hanji.engagement.models import Comment
from hanji.sending import events
from hanji.sending.models import Delivery, DeliveryEvent, EventKind
from hanji.sending.personalize import track_signer
from hanji.studio import stats
from tests.analytics.downloads import csv_of

pytestmark = pytest.mark.django_db

BODY = "[첫 번째](https://example.com/first) 그리고 [두 번째](https://example.com/second)"
APPLE = {"HTTP_USER_AGENT": "Mozilla/5.0", "REMOTE_ADDR": "17.58.1.2"}
PERSON = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
    "REMOTE_ADDR": "203.0.113.9",
}


def links_of(message) -> dict[str, list[str]]:
    """The tracking URLs (paths) of one received message: the pixel, the clicks in order, and
    the unsubscribe link of its List-Unsubscribe header."""
    html = message.get_payload()[1].get_content()
    paths = [urlsplit(u).path for u in re.findall(r'(?:href|src)="(http://testserver[^"]+)"', html)]
    header = str(message["List-Unsubscribe"]).strip().lstrip("<").split(">")[0]
    return {
        "open": [p for p in paths if "/e/o/" in p],
        "click": list(dict.fromkeys(p for p in paths if "/e/c/" in p)),
        "unsubscribe": [urlsplit(header).path],
    }


@pytest.fixture
def sent(mail_to, make_post, make_subscribers, send_now):
    """A post with two links sent to three readers: (send, readers, their tracking URLs)."""
    readers = make_subscribers(3)
    send = send_now(make_post(title="이번 주 소식", body=BODY))
    by_address = {str(m.message["To"]).split("<")[-1].rstrip(">"): m for m in mail_to.received}
    urls = [links_of(by_address[r.email].message) for r in readers]
    return send, readers, urls


def figures(send) -> SendFigures:
    return SendFigures.objects.get(send=send)


def test_a_send_counts_its_messages_opens_clicks_per_link_and_unsubscribes(client, sent):
    send, readers, urls = sent
    assert (figures(send).sent, figures(send).delivered) == (3, 3)
    client.get(urls[0]["open"][0], **PERSON)
    client.get(urls[0]["open"][0], **PERSON)  # read again: an open, not a second reader
    client.get(urls[1]["open"][0], **APPLE)  # Apple's proxy, at once: a machine open
    assert client.get(urls[1]["click"][1], **PERSON)["Location"] == "https://example.com/second"
    client.get(urls[1]["click"][1], **PERSON)
    client.get(urls[2]["click"][0], **PERSON)
    response = client.post(urls[2]["unsubscribe"][0], {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    client.post(urls[2]["unsubscribe"][0], {"List-Unsubscribe": "One-Click"})  # again
    f = figures(send)
    # Reader 1 opened, reader 2's click proves an open (the machine open does not), reader 3
    # clicked without loading images.
    assert (f.unique_opens, f.opens, f.machine_opens) == (3, 4, 1)
    assert (f.unique_clicks, f.clicks, f.unsubscribes) == (2, 3, 1)
    assert f.open_rate == 1 and f.click_rate == pytest.approx(2 / 3)
    links = {link.url: (link.clicks, link.unique_clicks) for link in post_links(send.post)}
    assert links == {"https://example.com/second": (2, 1), "https://example.com/first": (1, 1)}


def test_a_replayed_open_counts_once_as_unique(client, sent):
    send, _readers, urls = sent
    for _ in range(5):
        client.get(urls[0]["open"][0], **PERSON)
    f = figures(send)
    assert (f.unique_opens, f.opens) == (1, 5)


def test_apple_mail_privacy_protection_is_told_from_a_person():
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    just_sent, long_ago = now - timedelta(seconds=3), now - timedelta(days=1)
    assert is_machine_open("Mozilla/5.0", "17.58.1.2", long_ago, now)
    assert is_machine_open("", "17.0.0.1", None, now)
    assert is_machine_open("Mozilla/5.0", "::ffff:17.1.2.3", None, now)
    assert is_machine_open("Mozilla/5.0", "198.51.100.4", just_sent, now)  # another relay
    assert not is_machine_open("Mozilla/5.0", "198.51.100.4", long_ago, now)
    assert not is_machine_open(PERSON["HTTP_USER_AGENT"], "17.58.1.2", just_sent, now)
    assert not is_machine_open("", "198.51.100.4", just_sent, now)
    assert not is_machine_open("Mozilla/5.0", "not an address", long_ago, now)


def test_forged_opens_and_clicks_are_not_counted_and_lead_nowhere(
    client, sent, other_publication, make_subscribers
):
    send, readers, urls = sent
    pixel, click = urls[0]["open"][0], urls[0]["click"][0]
    token = pixel.split("/e/o/")[1].removesuffix(".gif")
    # A bad signature.
    client.get(pixel.replace(token, token[:-3] + "abc"))
    assert client.get(click.replace(token, token[:-3] + "abc")).status_code == 404
    # Another publication's token for the same send and reader, and this token elsewhere.
    foreign = track_signer(other_publication.pk).sign(f"{send.pk}.{readers[0].pk}")
    client.get(pixel.replace(token, foreign))
    assert client.get(click.replace(token, foreign)).status_code == 404
    assert client.get(f"/p/{other_publication.slug}/e/c/{token}/0/").status_code == 404
    # Another send's link position: this send has two links.
    assert client.get(click.replace("/0/", "/7/")).status_code == 404
    # A validly signed token for a subscriber who was not in the send.
    (outsider,) = make_subscribers(1, prefix="outsider")
    stranger = track_signer(send.publication_id).sign(f"{send.pk}.{outsider.pk}")
    client.get(pixel.replace(token, stranger))
    response = client.get(click.replace(token, stranger))
    assert response["Location"] == "https://example.com/first"  # the post's own link, only
    f = figures(send)
    assert (f.unique_opens, f.opens, f.unique_clicks, f.clicks, f.machine_opens) == (0, 0, 0, 0, 0)
    assert not LinkFigures.objects.exists()
    assert not DeliveryEvent.objects.filter(kind__in=["open", "click"]).exists()


def test_the_click_redirect_takes_no_target_from_the_request(client, sent):
    _send, _readers, urls = sent
    click = urls[0]["click"][1]
    response = client.get(click + "?url=https://evil.example&next=https://evil.example")
    assert response["Location"] == "https://example.com/second"


def test_the_outbox_and_the_team_are_not_counted(client, sent, editor):
    send, _readers, urls = sent
    client.get(urls[0]["click"][0] + "?outbox", **PERSON)
    client.get(urls[0]["open"][0] + "?outbox", **PERSON)
    client.force_login(editor)
    client.get(urls[1]["open"][0], **PERSON)
    assert client.get(urls[1]["click"][1], **PERSON).status_code == 302
    f = figures(send)
    assert (f.unique_opens, f.opens, f.clicks) == (0, 0, 0)


def test_the_outbox_marks_the_click_links_of_the_message_it_shows(
    client, settings, owner, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = ""  # the built-in outbox
    make_subscribers(1)
    send_now(make_post(body=BODY))
    from hanji.core.models import OutboxMessage

    message = OutboxMessage.objects.filter(subject__contains="첫 번째 글").latest("pk")
    client.force_login(owner)
    url = reverse("studio:outbox_message_html", args=["weekly", message.pk])
    html = client.get(url).content.decode()
    clicks = re.findall(r'href="[^"]*/e/c/[^"]*"', html)
    assert clicks and all(c.endswith('/?outbox"') for c in clicks)
    assert "/e/o/" not in html


def test_bounces_and_complaints_count_once_per_delivery(sent):
    send, readers, _urls = sent
    first, second = (Delivery.objects.get(send=send, subscriber=r) for r in readers[:2])
    events.bounce(first, hard=True, detail="550 no such user", source="dsn")
    events.bounce(first, hard=True, detail="550 no such user", source="webhook:postmark")
    events.bounce(second, hard=False, detail="452 mailbox full", source="dsn")  # soft: not one
    events.complaint(second, detail="abuse report", source="arf")
    events.complaint(second, detail="abuse report", source="arf")
    f = figures(send)
    assert (f.bounced, f.bounced_late, f.delivered, f.complaints) == (1, 1, 2, 1)
    assert email_event(send.pk, first.pk, LATE_BOUNCE) is False


def test_a_permanent_refusal_while_sending_is_a_bounce(
    mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(2)
    mail_to.handler.rule = lambda stage, address, n: (
        "550 5.1.1 no such user" if stage == "rcpt" and address == "reader1@example.org" else None
    )
    send = send_now(make_post())
    f = figures(send)
    assert (f.sent, f.bounced, f.bounced_late, f.delivered) == (1, 1, 0, 1)


def test_an_unsubscribe_page_and_an_old_link_without_a_send(client, sent, publication):
    send, readers, urls = sent
    page = urls[0]["unsubscribe"][0]
    assert client.get(page).status_code == 200  # a mail scanner opening the link: nothing
    assert figures(send).unsubscribes == 0
    client.post(page, {"scope": "all"})
    from hanji.subscribers.links import unsubscribe_token

    old = unsubscribe_token(publication.pk, readers[1].pk, send.newsletter_id)  # no send in it
    client.post(f"/p/weekly/unsubscribe/{old}/", {"List-Unsubscribe": "One-Click"})
    readers[1].refresh_from_db()
    assert readers[1].status == "unsubscribed"
    assert figures(send).unsubscribes == 1


def test_rebuilding_gives_the_figures_kept_as_the_events_came(client, sent):
    send, _readers, urls = sent
    client.get(urls[0]["open"][0], **PERSON)
    client.get(urls[1]["open"][0], **APPLE)
    client.get(urls[1]["click"][0], **PERSON)
    client.get(urls[1]["click"][0], **PERSON)
    client.post(urls[2]["unsubscribe"][0], {"List-Unsubscribe": "One-Click"})
    kept = SendFigures.objects.filter(send=send).values().get()
    links = list(
        LinkFigures.objects.filter(send=send).values("position", "clicks", "unique_clicks")
    )
    SendFigures.objects.all().delete()
    LinkFigures.objects.all().delete()
    out = io.StringIO()
    call_command("analytics", "rebuild", stdout=out)
    assert "1" in out.getvalue()
    assert SendFigures.objects.filter(send=send).values().get() == kept
    assert (
        list(LinkFigures.objects.filter(send=send).values("position", "clicks", "unique_clicks"))
        == links
    )
    assert rebuild_send_figures([send.pk]) == 1


def test_old_raw_opens_and_clicks_are_deleted_and_the_figures_stay(client, sent, settings):
    settings.HANJI_ANALYTICS_RAW_DAYS = 2
    send, readers, urls = sent
    client.get(urls[0]["open"][0], **PERSON)
    client.get(urls[0]["click"][0], **PERSON)
    events.complaint(Delivery.objects.get(send=send, subscriber=readers[1]), source="arf")
    today = timezone.now().date()
    assert purge_raw_email_events(today) == 0
    assert purge_raw_email_events(today + timedelta(days=3)) == 2
    assert list(DeliveryEvent.objects.values_list("kind", flat=True)) == [EventKind.COMPLAINT]
    f = figures(send)
    assert (f.unique_opens, f.unique_clicks, f.complaints) == (1, 1, 1)
    # A later replay of the same open is still not a new reader (the delivery remembers).
    client.get(urls[0]["open"][0], **PERSON)
    assert figures(send).unique_opens == 1


def test_the_post_analytics_screen_shows_the_email_and_its_link_csv(client, editor, sent):
    send, readers, urls = sent
    client.get(urls[0]["open"][0], **PERSON)
    client.get(urls[1]["open"][0], **APPLE)
    client.get(urls[0]["click"][1], **PERSON)
    Comment.objects.create(
        publication_id=send.publication_id,
        post=send.post,
        subscriber=readers[0],
        body="좋은 글",
        body_html="<p>좋은 글</p>",
    )
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the wording checked below is English
    html = client.get(reverse("studio:post_analytics", args=["weekly", send.post_id])).content
    html = html.decode()
    assert "33.3%" in html  # one person of three delivered
    assert "Apple Mail Privacy Protection" in html and "https://example.com/second" in html
    assert post_email(send.post).machine_opens == 1
    response = client.get(reverse("studio:post_links_csv", args=["weekly", send.post_id]))
    rows = csv_of(response)
    assert rows == [
        ["url", "clicks", "unique_clicks"],
        ["https://example.com/second", "1", "1"],
        ["https://example.com/first", "0", "0"],
    ]


def test_a_post_never_sent_says_so(client, editor, make_post):
    post = make_post(title="메일로 안 보낸 글")
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("studio:post_analytics", args=["weekly", post.pk])).content.decode()
    assert "has not been emailed yet" in html


def test_send_rates_and_the_dashboard_read_the_figures(client, sent, publication):
    send, _readers, urls = sent
    client.get(urls[0]["open"][0], **PERSON)
    client.get(urls[1]["click"][0], **PERSON)
    today = timezone.localdate()
    (rate,) = send_rates(publication, parse_range("", "", today))
    assert (rate.send_id, rate.delivered) == (send.pk, 3)
    assert rate.open_rate == pytest.approx(2 / 3) and rate.click_rate == pytest.approx(1 / 3)
    assert send_rates(publication, parse_range("2020-01-01", "2020-01-31", today)) == []
    (post,) = [p for p in stats.recent_posts(publication.posts.all()) if p.pk == send.post_id]
    assert (post.opens, post.clicks) == (2, 1)


def test_the_sends_partial_draws_a_chart_and_a_table(rf, sent, publication):
    from django.template.loader import render_to_string

    from hanji.analytics.charts import rate_chart

    send, _readers, _urls = sent
    rates = send_rates(publication, parse_range("", "", date.today()))
    chart = rate_chart([(r.subject, r.open_rate, r.click_rate) for r in rates], "rates")
    html = render_to_string(
        "studio/analytics/_sends.html", {"sends": rates, "sends_chart": chart, "pub": publication}
    )
    assert html.count("<rect ") == 2 and send.subject in html and "0.0%" in html


@pytest.mark.django_db(transaction=True)
def test_opens_and_clicks_at_the_same_moment_count_once(sent):
    """Eight requests for one reader at once (a mail program fetching twice, a replay): the
    conditional UPDATE on the delivery lets exactly one count as unique."""
    import threading

    from django.db import connection

    send, readers, _urls = sent
    barrier = threading.Barrier(8)
    errors = []

    def hit(kind: str) -> None:
        try:
            barrier.wait(timeout=10)
            if kind == "open":
                events.opened(send.pk, readers[0].pk, send.publication_id)
            else:
                events.clicked(send.pk, readers[0].pk, send.publication_id, 0)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit, args=("open" if i % 2 else "click",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    f = figures(send)
    assert (f.unique_opens, f.unique_clicks, f.clicks) == (1, 1, 4)
    assert f.opens in (4, 5)  # four opens, and one more if a click came before all of them
    assert LinkFigures.objects.get(send=send, position=0).unique_clicks == 1


@pytest.mark.parametrize(
    ("url", "tagged"),
    [
        ("http://testserver/p/weekly/posts/a/", True),
        ("http://testserver/p/weekly/posts/a/?page=2#top", True),
        ("http://TESTSERVER/p/weekly/", True),
        ("http://testserver/p/weekly-two/", False),  # another publication on the same host
        ("http://testserver/p/weekly/?utm_source=mine", False),  # the writer's own UTM stays
        ("https://testserver/p/weekly/", False),
        ("https://example.com/first", False),
        ("mailto:hello@example.com", False),
    ],
)
def test_only_links_to_the_publications_own_site_are_tagged_as_email(url, tagged):
    from hanji.analytics.sources import tag_email_link

    out = tag_email_link(url, "http://testserver/p/weekly", "주간")
    assert (out != url) is tagged
    if tagged:
        query = parse_qs(urlsplit(out).query)
        assert query["utm_medium"] == ["email"] and query["utm_source"] == ["주간"]
        assert urlsplit(out).fragment == urlsplit(url).fragment


def test_a_click_to_the_site_lands_as_an_email_view(
    client, mail_to, make_post, make_subscribers, send_now
):
    """Mail programs send no referrer (nor does the click redirect): without the tag the
    reader's view would count as a direct visit."""
    from hanji.analytics.models import PostSourceDay
    from hanji.engagement.counting import fold_views
    from tests.engagement.conftest import BROWSER

    target = make_post(title="웹에서 읽기")
    (reader,) = make_subscribers(1)
    web = f"http://testserver/p/weekly/posts/{target.slug}/"
    send = send_now(make_post(title="링크", body=f"[웹에서]({web}) [밖](https://example.com/x)"))
    (message,) = [m.message for m in mail_to.received]
    own, outside = links_of(message)["click"][:2]
    landing = client.get(own, **PERSON)["Location"]
    assert unquote(landing).startswith(web + "?") and "utm_medium=email" in landing
    assert parse_qs(urlsplit(landing).query)["utm_source"] == [send.newsletter.slug]
    assert client.get(outside, **PERSON)["Location"] == "https://example.com/x"
    viewer = Client()
    viewer.post(
        f"/engagement/{target.pk}/beacon/",
        {"r": "", "q": "?" + urlsplit(landing).query},
        HTTP_HOST="weekly.testserver",
        HTTP_USER_AGENT=BROWSER,
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    fold_views()
    # Its channel, and its utm_source as a campaign of its own.
    assert sorted(PostSourceDay.objects.filter(post=target).values_list("channel", "name")) == [
        ("email", ""),
        ("utm", send.newsletter.slug),
    ]
    assert viewer.cookies["hanji_src"].value.startswith("email")
