"""Likes: one per reader or browser, toggled, exact counts, refused where the post is not."""

from __future__ import annotations

import pytest
from django.test import Client

from hanji.engagement import actions
from hanji.engagement.beacon import LIKED_HINT
from hanji.engagement.counting import VISITOR_COOKIE
from hanji.engagement.models import PostLike
from hanji.posts.actions import publish_post, save_post
from hanji.posts.models import Post

pytestmark = pytest.mark.django_db

HOST = "weekly.testserver"
SCRIPT = {"HTTP_HOST": HOST, "HTTP_X_HANJI_REQUEST": "1", "HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.fixture
def post(make_post):
    return make_post(title="좋아요를 눌러 주세요")


def like(client, post, want=None, **extra):
    data = {} if want is None else {"like": "1" if want else "0"}
    return client.post(f"/engagement/{post.pk}/like/", data, **{**SCRIPT, **extra})


def likes_of(post) -> int:
    return Post.objects.get(pk=post.pk).like_count


def test_a_browser_likes_once_and_toggles_back(post):
    browser = Client()
    first = like(browser, post)
    assert first.status_code == 200 and first.json()["liked"] is True
    assert first.cookies[VISITOR_COOKIE]["httponly"]
    assert first.cookies[LIKED_HINT].value == "1"
    assert likes_of(post) == 1
    # "like" again is idempotent; a toggle unlikes.
    assert like(browser, post, want=True).json()["likes"] == 1
    assert like(browser, post).json()["liked"] is False
    assert like(browser, post).json()["liked"] is True
    assert likes_of(post) == 1
    assert like(browser, post, want=False).json()["liked"] is False
    assert likes_of(post) == 0 == PostLike.objects.count()


def test_two_browsers_two_likes_and_the_beacon_reports_the_browsers_own(post):
    one, two = Client(), Client()
    like(one, post)
    like(two, post)
    assert likes_of(post) == 2
    state = one.post(f"/engagement/{post.pk}/beacon/", **SCRIPT).json()
    assert state["liked"] is True and state["likes"] == 2
    three = Client()
    assert three.post(f"/engagement/{post.pk}/beacon/", **SCRIPT).json()["liked"] is False


def test_a_signed_in_reader_likes_as_themselves(post, reader, sign_in):
    browser = sign_in(Client(), reader, HTTP_HOST=HOST)
    like(browser, post)
    assert PostLike.objects.get().subscriber == reader
    # Their like follows them, not the browser.
    other_browser = sign_in(Client(), reader, HTTP_HOST=HOST)
    assert other_browser.post(f"/engagement/{post.pk}/beacon/", **SCRIPT).json()["liked"] is True
    assert like(other_browser, post).json()["liked"] is False
    assert likes_of(post) == 0


def test_the_publication_can_turn_off_likes_from_browsers(post, publication, reader, sign_in):
    actions.update_settings(publication, anonymous_likes=False)
    response = like(Client(), post)
    assert response.status_code == 403 and likes_of(post) == 0
    assert like(sign_in(Client(), reader, HTTP_HOST=HOST), post).status_code == 200
    assert likes_of(post) == 1


def test_a_like_from_another_site_is_refused(post):
    forged = Client()
    assert like(forged, post, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    # A plain form post without the page's header needs Django's CSRF token.
    checked = Client(enforce_csrf_checks=True)
    response = checked.post(f"/engagement/{post.pk}/like/", HTTP_HOST=HOST)
    assert response.status_code == 403
    assert likes_of(post) == 0


def test_likes_are_rate_limited_per_client(post):
    statuses = [like(Client(), post).status_code for _ in range(125)]
    assert statuses.count(200) == 120 and statuses[-1] == 429
    assert likes_of(post) == 120


def test_like_endpoints_refuse_other_publications_drafts_and_paid_posts(
    publication, other_publication, make_post
):
    theirs = make_post(pub=other_publication, title="Their post")
    draft = make_post(title="초안", publish=False)
    paid = publish_post(save_post(publication, title="유료", body_markdown="x", visibility="paid"))
    members = publish_post(
        save_post(publication, title="구독자 전용", body_markdown="x", visibility="subscribers")
    )
    for target in (theirs, draft, paid, members):
        assert like(Client(), target).status_code == 404, target.title
        beacon = Client().post(f"/engagement/{target.pk}/beacon/", **SCRIPT)
        # A paid post's preview page sends its beacon too: answered, with nothing in it.
        expected = 204 if target in (paid, members) else 404
        assert beacon.status_code == expected, target.title
        assert beacon.content == b"" or expected == 404
    assert not PostLike.objects.exists()


def test_a_confirmed_subscriber_may_like_a_post_for_subscribers(publication, reader, sign_in):
    members = publish_post(
        save_post(publication, title="구독자 전용", body_markdown="x", visibility="subscribers")
    )
    browser = sign_in(Client(), reader, HTTP_HOST=HOST)
    assert like(browser, members).status_code == 200
    assert likes_of(members) == 1


def test_the_count_always_equals_the_rows(post, make_reader):
    readers = [make_reader(f"r{i}@example.com") for i in range(5)]
    for r in readers:
        actions.set_like(post, reader=r)
    actions.set_like(post, reader=readers[0])
    for i in range(3):
        actions.set_like(post, visitor=f"visitor-{i:012d}")
    Post.objects.filter(pk=post.pk).update(like_count=999)  # someone edited it by hand
    assert actions.recount_likes(post) == 7 == likes_of(post)
