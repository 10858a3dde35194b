"""View counting: beacons from real browsers, cached pages included; bots, repeats, email opens
and other publications' posts never count; the spool folds into Post.view_count exactly once."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from hanji.engagement import actions, counting
from hanji.engagement.counting import fold_views, record_view
from hanji.engagement.models import ViewBatch
from hanji.engagement.spool import get_spool
from hanji.posts.actions import publish_post, save_post
from hanji.posts.models import Post
from tests.engagement.conftest import BROWSER

pytestmark = pytest.mark.django_db

HOST = "weekly.testserver"
BEACON = {"HTTP_HOST": HOST, "HTTP_USER_AGENT": BROWSER, "HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.fixture
def post(make_post):
    return make_post(title="조회수 세기")


def beacon(client, post, **extra):
    return client.post(f"/engagement/{post.pk}/beacon/", **{**BEACON, **extra})


def views_of(post) -> int:
    return Post.objects.get(pk=post.pk).view_count


def test_every_browser_view_counts_including_cached_pages(post):
    for _ in range(3):
        browser = Client()
        page = browser.get(f"/posts/{post.slug}/", HTTP_HOST=HOST)
        assert f'data-beacon="/engagement/{post.pk}/beacon/"' in page.content.decode()
        assert beacon(browser, post).json()["counted"] is True
    assert page["X-Hanji-Cache"] == "hit"
    assert views_of(post) == 0  # written in batches, not per request
    assert fold_views() == 3
    assert views_of(post) == 3


def test_the_beacon_needs_no_database_for_readers_without_a_session(
    post, django_assert_num_queries
):
    beacon(Client(), post)  # the post's facts are now known to this process
    with django_assert_num_queries(0):
        response = beacon(Client(), post)
    assert response.status_code == 200


def test_repeats_by_one_visitor_within_30_minutes_count_once(post):
    browser = Client()
    for _ in range(5):
        beacon(browser, post)
    fold_views()
    assert views_of(post) == 1
    # The next batch still remembers the visitor.
    beacon(browser, post)
    fold_views()
    assert views_of(post) == 1


def test_a_visitor_counts_again_after_30_minutes(post):
    now = time.time()
    for minutes_ago in (60, 59, 28, 0):
        record_view(post.pk, "visitor-aaaaaaaaaaaa", "c1", at=now - minutes_ago * 60)
    assert fold_views() == 2  # 60 minutes ago, and now (28 minutes after the one at 60 ... 59)
    assert views_of(post) == 2


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)",
        "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966) Daumoa",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "kakaotalk-scrap/1.0; +https://devtalk.kakao.com/",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
    ],
)
def test_bots_and_crawlers_do_not_count(post, agent):
    assert beacon(Client(), post, HTTP_USER_AGENT=agent).json()["counted"] is False
    fold_views()
    assert views_of(post) == 0


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.8.5",
        "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 NAVER(inapp; search; 2000; 12.6.2)",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 DaumApps/8.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ],
)
def test_in_app_browsers_of_korean_apps_are_readers(post, agent):
    assert beacon(Client(), post, HTTP_USER_AGENT=agent).json()["counted"] is True


def test_email_opens_and_prefetches_never_count(post):
    # An email client can only load an image: a GET, or a fetch whose destination is an image.
    assert Client().get(f"/engagement/{post.pk}/beacon/", **BEACON).status_code == 405
    assert beacon(Client(), post, HTTP_SEC_FETCH_DEST="image").status_code == 403
    assert beacon(Client(), post, HTTP_SEC_PURPOSE="prefetch").json()["counted"] is False
    # Opening the page itself (what a scanner or a script-less client does) counts nothing.
    Client().get(f"/posts/{post.slug}/", HTTP_HOST=HOST, HTTP_USER_AGENT=BROWSER)
    fold_views()
    assert views_of(post) == 0


def test_beacons_from_another_site_are_refused(post):
    assert beacon(Client(), post, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    origin = {"HTTP_ORIGIN": "https://evil.example"}
    no_fetch_metadata = {k: v for k, v in BEACON.items() if k != "HTTP_SEC_FETCH_SITE"}
    response = Client().post(f"/engagement/{post.pk}/beacon/", **no_fetch_metadata, **origin)
    assert response.status_code == 403


def test_view_endpoints_refuse_other_publications_drafts_and_paid_posts(
    publication, other_publication, make_post, reader, sign_in
):
    theirs = make_post(pub=other_publication, title="Their post")
    draft = make_post(title="초안", publish=False)
    paid = publish_post(save_post(publication, title="유료", body_markdown="x", visibility="paid"))
    signed_in = sign_in(Client(), reader, HTTP_HOST=HOST)
    for target in (theirs, draft):
        assert beacon(Client(), target).status_code == 404
        assert beacon(signed_in, target).status_code == 404
    # The paid post's page shows its preview and sends a beacon: no error, nothing counted.
    assert beacon(Client(), paid).status_code == 204
    assert beacon(signed_in, paid).status_code == 204
    fold_views()
    assert not Post.objects.filter(view_count__gt=0).exists()


def test_the_publication_can_turn_view_counting_off(post, publication):
    actions.update_settings(publication, count_views=False)
    response = beacon(Client(), post)
    assert response.status_code == 200 and response.json()["counted"] is False
    fold_views()
    assert views_of(post) == 0


def test_one_client_address_counts_a_limited_number_of_views_per_minute(post, settings):
    settings.HANJI_ENGAGEMENT_LIMITS = {"view-ip": (10, 60)}
    for _ in range(25):
        beacon(Client(), post)  # a new cookie every time, one address
    for _ in range(3):
        beacon(Client(), post, REMOTE_ADDR="10.0.0.2")
    fold_views()
    assert views_of(post) == 13


def test_a_batch_is_counted_once_even_if_the_fold_dies_before_removing_it(post):
    spool = get_spool()
    for i in range(4):
        record_view(post.pk, f"visitor-{i:012d}", "c")
    spool.take()
    (batch_id,) = spool.batches()
    counting._apply(batch_id, spool.read(batch_id))  # committed, then the worker died
    assert views_of(post) == 4 and ViewBatch.objects.filter(pk=batch_id).exists()
    assert fold_views() == 0  # the next run recognises the batch and drops it
    assert views_of(post) == 4 and spool.pending_count() == 0


def test_a_fold_that_fails_leaves_its_batch_for_the_next_run(post, monkeypatch):
    for i in range(3):
        record_view(post.pk, f"visitor-{i:012d}", "c")

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(counting, "_judge", broken)
    with pytest.raises(RuntimeError):
        fold_views()
    assert views_of(post) == 0 and get_spool().pending_count() == 3
    monkeypatch.undo()
    assert fold_views() == 3 and views_of(post) == 3


def test_the_post_page_shows_counts_compactly_and_the_beacon_brings_fresh_ones(post):
    Post.objects.filter(pk=post.pk).update(view_count=7240, like_count=1260)
    html = Client().get(f"/posts/{post.slug}/", HTTP_HOST=HOST).content.decode()
    assert "조회 7.2K" in html and "1.3K" in html
    Post.objects.filter(pk=post.pk).update(view_count=72400)
    counting_post = post.pk
    from hanji.engagement import queries

    queries.forget_post(counting_post)
    state = beacon(Client(), post).json()
    assert state["views"] == 72400 and state["views_label"] == "조회 72K"


def test_a_backlog_after_a_worker_outage_is_judged_in_order_of_time(post):
    now = time.time()
    spool = get_spool()
    # Two batches were taken before the worker died; more views arrived while it was down.
    for minutes_ago in (120, 110):
        record_view(post.pk, "visitor-bbbbbbbbbbbb", "c1", at=now - minutes_ago * 60)
    spool.take()
    for minutes_ago in (100, 60, 45):
        record_view(post.pk, "visitor-bbbbbbbbbbbb", "c1", at=now - minutes_ago * 60)
    spool.take()
    record_view(post.pk, "visitor-bbbbbbbbbbbb", "c1", at=now)
    # 120 counts; 110 and 100 repeat it; 60 counts; 45 repeats it; now counts.
    assert fold_views() == 3
    assert views_of(post) == 3


def test_the_file_spool_keeps_its_file_open_and_follows_the_folds_rename(tmp_path):
    from hanji.engagement.spool import FileSpool, encode

    spool = FileSpool(tmp_path)
    spool.append(encode(1, "a", 1.0))
    first_fd = spool._fd
    spool.append(encode(1, "b", 2.0))
    assert spool._fd == first_fd  # no open per view
    spool.take()  # the fold renames the pending file away
    spool.append(encode(1, "c", 3.0))  # goes to a new pending file, not the batch
    (batch,) = spool.batches()
    assert [r.visitor for r in spool.read(batch)] == ["a", "b"]
    spool.remove(batch)
    spool.take()
    (batch,) = spool.batches()
    assert [r.visitor for r in spool.read(batch)] == ["c"]
