"""Where readers come from (issue 15): each view's referrer and UTM kept per post and per
publication with a cap on names, the team's own visits and the preview not counted, sign-ups
attributed to their form, post and source, gained and lost kept per day (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hanji.analytics import sources
from hanji.analytics.actions import POST_NAMES_PER_DAY, raw_days
from hanji.analytics.models import (
    PostDay,
    PostSourceDay,
    SignupSource,
    SourceDay,
    SubscriberDay,
)
from hanji.analytics.signups import count_imported, local_day, rebuild_signups
from hanji.engagement.counting import fold_views
from hanji.subscribers import actions
from hanji.subscribers.models import Subscriber
from tests.analytics.downloads import csv_of
from tests.engagement.conftest import BROWSER

pytestmark = pytest.mark.django_db

HOST = "weekly.testserver"
BEACON = {"HTTP_HOST": HOST, "HTTP_USER_AGENT": BROWSER, "HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.fixture
def post(make_post):
    return make_post(title="어디서 왔을까")


def beacon(client, post, referrer="", query="", **extra):
    return client.post(
        f"/engagement/{post.pk}/beacon/", {"r": referrer, "q": query}, **{**BEACON, **extra}
    )


def post_sources(post) -> dict[tuple[str, str], int]:
    return {
        (r.channel, r.name): r.views for r in PostSourceDay.objects.filter(post=post).order_by()
    }


# --- classifying -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "referrer, query, expected",
    [
        ("https://www.google.co.kr/search?q=x", "", ("search", "google.co.kr")),
        ("https://search.naver.com/search.naver?query=y", "", ("search", "search.naver.com")),
        ("https://m.facebook.com/", "", ("social", "facebook.com")),
        ("https://t.co/abc", "", ("social", "t.co")),
        ("https://mail.naver.com/", "", ("email", "mail.naver.com")),
        ("", "?utm_source=newsletter&utm_medium=email", ("email", "")),
        ("", "", ("direct", "")),
        ("https://weekly.testserver/", "", ("internal", "")),
        ("https://blog.example.org/a/b", "", ("site", "blog.example.org")),
        ("javascript:alert(1)", "", ("direct", "")),
        ("https://exa mple.com/", "", ("direct", "")),
        ("https://" + "a" * 300 + ".com/", "", ("direct", "")),
        ("\x00\udcff", "utm_source=\x00<script>", ("direct", "")),
    ],
)
def test_a_referrer_and_a_landing_query_are_read_as_a_channel_and_host(referrer, query, expected):
    source = sources.classify(referrer, query, ("weekly.testserver",))
    assert (source.channel, source.host) == expected
    assert " " not in source.token() and "<" not in source.token()
    assert sources.from_token(source.token()) == source


def test_utm_values_are_cleaned_and_a_forged_token_is_a_direct_visit():
    source = sources.classify("", "utm_source=카카오 채널&utm_campaign=12월 호!&utm_medium=SNS")
    assert (source.utm_source, source.utm_medium, source.utm_campaign) == (
        "카카오-채널",
        "sns",
        "12월-호",
    )
    assert sources.from_cookie(sources.cookie_value(source)) == source
    assert sources.from_token("evil:x|y") == sources.Source()
    assert sources.from_token("site:<b>|" + "x" * 500).host == ""
    assert len(sources.from_token("site:a.com|" + "x" * 500).utm_source) == 40


# --- web views by source -----------------------------------------------------------------------


def test_views_are_kept_by_referrer_host_and_utm_source_per_post_and_publication(post):
    beacon(Client(), post, "https://www.google.com/search?q=hanji")
    beacon(Client(), post, "https://www.google.com/")
    beacon(Client(), post, "https://t.co/xyz", "?utm_source=twitter&utm_medium=social")
    beacon(Client(), post, "", "?utm_source=newsletter&utm_medium=email")
    beacon(Client(), post)
    assert fold_views() == 5
    assert post_sources(post) == {
        ("search", "google.com"): 2,
        ("social", "t.co"): 1,
        ("utm", "twitter"): 1,
        ("email", ""): 1,
        ("utm", "newsletter"): 1,
        ("direct", ""): 1,
    }
    whole = {(r.channel, r.name): r.views for r in SourceDay.objects.all()}
    assert whole == post_sources(post)


def test_a_flood_of_forged_referrers_adds_at_most_the_cap_of_names_a_day(post):
    for i in range(POST_NAMES_PER_DAY + 40):
        beacon(Client(), post, f"https://spam{i}.example/", REMOTE_ADDR=f"10.0.{i}.1")
    beacon(Client(), post, "https://spam0.example/again", REMOTE_ADDR="10.9.9.9")
    fold_views()
    rows = post_sources(post)
    assert len(rows) == POST_NAMES_PER_DAY + 1
    assert rows[("site", "(other)")] == 40
    assert sum(rows.values()) == POST_NAMES_PER_DAY + 41
    # Later folds keep the names already kept and add new ones to "other".
    beacon(Client(), post, "https://spam0.example/", REMOTE_ADDR="10.8.8.8")
    beacon(Client(), post, "https://new.example/", REMOTE_ADDR="10.7.7.7")
    fold_views()
    rows = post_sources(post)
    assert rows[("site", "spam0.example")] == 3 and rows[("site", "(other)")] == 41


def test_the_first_external_source_is_kept_in_a_first_party_cookie(post):
    browser = Client()
    first = beacon(
        browser, post, "https://www.instagram.com/", "?utm_source=insta&utm_campaign=dec"
    )
    assert first.cookies["hanji_src"]["httponly"]
    again = beacon(browser, post, "https://www.google.com/")
    assert "hanji_src" not in again.cookies  # first touch: not replaced
    direct = beacon(Client(), post)
    assert "hanji_src" not in direct.cookies


def test_the_teams_own_visits_are_not_counted(client, editor, post, stranger):
    client.force_login(editor)
    assert beacon(client, post).json()["counted"] is False
    other = Client()
    other.force_login(stranger)  # signed in to the studio, but not on this team
    assert beacon(other, post).json()["counted"] is True
    assert fold_views() == 1


def test_the_studio_preview_has_no_beacon(client, editor, post):
    client.force_login(editor)
    url = reverse("studio:preview_web", args=["weekly", post.pk])
    html = client.get(url).content.decode()
    assert "data-hanji-engagement" in html and "data-beacon" not in html


# --- sign-ups ------------------------------------------------------------------------------------


def subscribe(client, email, **data):
    return client.post(
        "/subscribe/", {"email": email, **data}, HTTP_HOST=HOST, REMOTE_ADDR="203.0.113.9"
    )


def confirm(publication, email):
    subscriber = Subscriber.objects.get(publication=publication, email=email)
    token = actions.confirm_token(subscriber, [], False, "")
    return actions.confirm_subscription(publication, token)


def test_a_sign_up_on_a_post_page_is_attributed_to_the_post_and_its_source(publication, post):
    browser = Client()
    beacon(browser, post, "https://www.facebook.com/", "?utm_source=fb&utm_campaign=launch")
    assert subscribe(browser, "a@example.com", form="post", post=str(post.pk)).status_code == 200
    source = SignupSource.objects.get(subscriber__email="a@example.com")
    assert (source.kind, source.post_id, source.channel, source.referrer_host) == (
        "post",
        post.pk,
        "social",
        "facebook.com",
    )
    assert (source.utm_source, source.utm_campaign) == ("fb", "launch")
    assert not SubscriberDay.objects.exists()  # pending: not gained yet
    confirm(publication, "a@example.com")
    day = SubscriberDay.objects.get()
    assert (day.kind, day.gained, day.lost) == ("post", 1, 0)
    assert PostDay.objects.get(post=post).signups == 1


def test_bad_attribution_fields_are_dropped_and_the_sign_up_still_works(
    publication, other_publication, make_post, post
):
    theirs = make_post(title="남의 글", pub=other_publication)
    browser = Client()
    browser.cookies["hanji_src"] = "%ZZ|<script>|" + "x" * 2000
    for i, (kind, post_id) in enumerate(
        [("post", str(theirs.pk)), ("'; DROP TABLE x", "-1"), ("embed", "abc"), ("home", "9" * 40)]
    ):
        assert subscribe(browser, f"b{i}@example.com", form=kind, post=post_id).status_code == 200
    rows = SignupSource.objects.order_by("subscriber__email")
    assert [(r.kind, r.post_id, r.channel) for r in rows] == [
        ("post", None, "direct"),
        ("page", None, "direct"),
        ("embed", None, "direct"),
        ("home", None, "direct"),
    ]


def test_an_embedded_form_on_another_site_is_attributed_to_that_site(publication):
    Client().post(
        "/subscribe/",
        {"email": "c@example.com", "form": "embed"},
        HTTP_HOST=HOST,
        HTTP_REFERER="https://friends-blog.example/about",
    )
    source = SignupSource.objects.get()
    assert (source.kind, source.channel, source.referrer_host) == (
        "embed",
        "site",
        "friends-blog.example",
    )


def test_gained_and_lost_follow_confirm_unsubscribe_come_back_and_delete(publication, post):
    subscribe(Client(), "d@example.com", form="home")
    reader = confirm(publication, "d@example.com")
    actions.unsubscribe(reader)
    actions.unsubscribe(reader)  # twice: still one lost
    reader.refresh_from_db()
    actions.set_newsletters(reader, [actions.ensure_newsletter(publication).pk])
    reader.refresh_from_db()
    actions.delete_subscriber(reader)
    day = SubscriberDay.objects.get(publication=publication, kind="home")
    assert (day.gained, day.lost) == (2, 2)
    assert day.day == local_day(publication)


def test_studio_additions_and_imports_are_their_own_sources(client, owner, publication):
    client.force_login(owner)
    client.post(reverse("studio:subscriber_add", args=["weekly"]), {"email": "e@example.com"})
    assert SignupSource.objects.get().kind == "studio"
    confirm(publication, "e@example.com")
    count_imported(publication, 120)
    count_imported(publication, 0)
    days = {d.kind: d.gained for d in SubscriberDay.objects.all()}
    assert days == {"studio": 1, "import": 120}


def test_rebuild_recounts_the_days_from_subscribers(publication, post):
    subscribe(Client(), "f@example.com", form="post", post=str(post.pk))
    reader = confirm(publication, "f@example.com")
    subscribe(Client(), "g@example.com", form="home")
    confirm(publication, "g@example.com")
    actions.unsubscribe(reader)
    before = sorted(SubscriberDay.objects.values_list("kind", "gained", "lost"))
    signups = PostDay.objects.get(post=post).signups
    SubscriberDay.objects.all().delete()
    PostDay.objects.update(signups=0)
    assert rebuild_signups(publication) == 2
    assert sorted(SubscriberDay.objects.values_list("kind", "gained", "lost")) == before
    assert PostDay.objects.get(post=post).signups == signups == 1


def test_the_raw_retention_is_at_least_a_day(settings):
    settings.HANJI_ANALYTICS_RAW_DAYS = 0
    assert raw_days() == 1
    settings.HANJI_ANALYTICS_RAW_DAYS = 7
    assert raw_days() == 7


# --- the screens -------------------------------------------------------------------------------


def test_the_publication_screen_shows_subscribers_top_posts_and_sources(
    client, owner, publication, post, make_post
):
    quiet = make_post(title="조용한 글")
    browser = Client()
    beacon(browser, post, "https://www.google.com/", "?utm_source=kakao")
    beacon(Client(), quiet, "https://t.co/a")
    fold_views()
    subscribe(browser, "h@example.com", form="post", post=str(post.pk))
    confirm(publication, "h@example.com")
    client.force_login(owner)
    url = reverse("studio:analytics", args=["weekly"])
    html = client.get(url).content.decode()
    assert "어디서 왔을까" in html and "조용한 글" in html
    assert "google.com" in html and "t.co" in html and "kakao" in html
    assert 'class="up"' in html and "diverging-chart" in html
    assert 'id="send-rates-title"' in html  # the open and click rate per send
    assert 'aria-current="page"' in html and reverse("studio:home", args=["weekly"]) in html
    home = client.get(reverse("studio:home", args=["weekly"])).content.decode()
    assert url in home


def csv_rows(client, table: str, **query) -> list[list[str]]:

    response = client.get(reverse("studio:analytics_csv", args=["weekly", table]), query)
    return csv_of(response)


def test_each_table_of_the_publication_screen_downloads_as_csv(client, owner, publication, post):
    beacon(Client(), post, "https://www.google.com/")
    fold_views()
    subscribe(Client(), "i@example.com", form="home")
    confirm(publication, "i@example.com")
    today = local_day(publication).isoformat()
    client.force_login(owner)
    rows = csv_rows(client, "subscribers", **{"from": today, "to": today})
    assert rows == [
        ["date", "gained", "lost", "net", "home_gained", "home_lost"],
        [today, "1", "0", "1", "1", "0"],
    ]
    assert csv_rows(client, "months", **{"from": today, "to": today})[1][:4] == [
        today[:7],
        "1",
        "0",
        "1",
    ]
    assert csv_rows(client, "views", **{"from": today, "to": today})[1] == [
        today,
        "1",
        "1",
        "0",
        "0",
    ]
    assert csv_rows(client, "posts")[1][1:3] == ["어디서 왔을까", "1"]
    assert ["referrer", "search", "google.com", "1"] in csv_rows(client, "sources")


def test_bad_dates_and_unknown_tables_get_a_clear_answer(client, owner, author_user, stranger):
    client.force_login(owner)
    url = reverse("studio:analytics", args=["weekly"])
    for bad in ("어제", "2026-02-30", "\x00", "9" * 5000, "' OR 1=1 --"):
        page = client.get(url, {"from": bad, "to": "2026-12-01"})
        assert page.status_code == 200 and "message-warning" in page.content.decode()
    wide = client.get(url, {"from": "1900-01-01", "to": "2026-12-01"})
    assert wide.status_code == 200  # cut to the last 366 days
    assert client.get(reverse("studio:analytics_csv", args=["weekly", "nope"])).status_code == 404
    client.force_login(author_user)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    assert client.get(url).status_code in (403, 404)


def test_a_membership_started_from_a_post_is_that_posts_paid_sign_up(
    client, owner, publication, post, make_post
):
    from datetime import timedelta

    from django.utils import timezone

    from hanji.memberships import actions as memberships
    from hanji.memberships.events import grant_from_checkout
    from hanji.memberships.models import Checkout

    gold = memberships.save_tier(publication, name="골드", slug="gold", monthly_price=9000)
    first = make_post(title="처음 구독한 글")
    subscribe(Client(), "j@example.com", form="post", post=str(first.pk))
    reader = confirm(publication, "j@example.com")
    subscribe(Client(), "k@example.com", form="home")
    other = confirm(publication, "k@example.com")
    for i, (subscriber, source_post) in enumerate([(reader, post), (other, None)]):
        checkout = Checkout.objects.create(
            publication=publication,
            subscriber=subscriber,
            tier=gold,
            period="month",
            amount=9000,
            currency=gold.currency,
            provider="stripe",
            order_id=f"order-{i}",
            source_post=source_post,
            terms_version="1",
            terms_accepted_at=timezone.now(),
        )
        grant_from_checkout(checkout, trial=False, period_end=timezone.now() + timedelta(days=30))
    grant_from_checkout(checkout, trial=False, period_end=None)  # a replayed event: once
    # The checkout's post counts the paid sign-up; a checkout from no post falls back to the
    # post of the reader's first sign-up (the home-page reader has none: nothing counted).
    paid = dict(PostDay.objects.values_list("post__title", "paid_signups"))
    assert paid == {"어디서 왔을까": 1, "처음 구독한 글": 0}
    checkout.pk, checkout.order_id, checkout.subscriber = None, "order-x", reader
    checkout.status, checkout.source_post = "open", None
    checkout.save()
    grant_from_checkout(checkout, trial=False, period_end=timezone.now() + timedelta(days=30))
    paid = dict(PostDay.objects.values_list("post__title", "paid_signups"))
    assert paid == {"어디서 왔을까": 1, "처음 구독한 글": 1}
    client.force_login(owner)
    html = client.get(reverse("studio:analytics", args=["weekly"])).content.decode()
    assert "MRR" in html


def test_a_sign_up_on_the_home_page_keeps_the_utm_it_was_opened_with(publication):
    """The home page sends no beacon, so no source cookie: the form page's own URL (the
    Referer of its POST) still has the campaign."""
    Client().post(
        "/subscribe/",
        {"email": "u@example.com", "form": "home"},
        HTTP_HOST=HOST,
        HTTP_REFERER=f"http://{HOST}/?utm_source=instagram&utm_medium=social&utm_campaign=봄#top",
    )
    source = SignupSource.objects.get()
    assert (source.kind, source.channel, source.referrer_host) == ("home", "internal", "")
    assert (source.utm_source, source.utm_medium, source.utm_campaign) == (
        "instagram",
        "social",
        "봄",
    )
