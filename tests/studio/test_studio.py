"""The studio: teams only; the dashboard and the outboxes show only what the user may see."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings

from hanji.core.models import OutboxMessage
from hanji.publications.models import Role, TeamMember

pytestmark = pytest.mark.django_db

OUTBOX = override_settings(MAILERS={"default": {"BACKEND": "hanji.core.outbox.OutboxBackend"}})


@pytest.fixture(autouse=True)
def _english(client):
    # The studio follows the browser's language; the assertions below read English.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def staff(user, superuser: bool = False):
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    return user


def store_email(publication=None, subject="주간 소식", html="<p>안녕하세요 <b>독자님</b></p>"):
    """An email through the real outbox backend, as Hanji would have sent it."""
    message = EmailMultiAlternatives(
        subject, "안녕하세요 독자님", "주간 소식 <letters@example.com>", ["reader@example.com"]
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.publication_id = getattr(publication, "pk", None)
    with OUTBOX:
        mail.mailers["default"].send_messages([message])
    return OutboxMessage.objects.latest("id")


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/studio/", "/studio/outbox/", "/studio/outbox/1/", "/studio/p/weekly/outbox/"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/studio/login/?next=")


def test_a_signed_in_account_on_no_team_gets_403(client, stranger):
    client.force_login(stranger)
    response = client.get("/studio/")
    assert response.status_code == 403
    assert "The studio is for the teams of publications" in response.content.decode()


def test_a_team_member_uses_the_studio_without_being_staff(client, owner, publication):
    client.force_login(owner)
    assert client.get("/studio/").status_code == 200
    assert client.get(f"/studio/p/{publication.slug}/").status_code == 200


def test_studio_pages_are_never_cached(client, owner):
    client.force_login(staff(owner))
    assert "no-store" in client.get("/studio/")["Cache-Control"]


# --- dashboard -----------------------------------------------------------------------------


def test_the_dashboard_lists_the_users_publications_with_their_posts(
    client, owner, publication, other_publication, make_post
):
    make_post(title="발행된 글", slug="live")
    make_post(title="초안", publish=False)
    make_post(title="남의 글", pub=other_publication)
    client.force_login(staff(owner))
    page = client.get("/studio/").content.decode()
    assert publication.name in page and other_publication.name not in page
    assert '<a href="/p/weekly/posts/live/">발행된 글</a>' in page
    assert 'href="/studio/p/weekly/posts/' in page  # edit in the studio
    assert "초안" in page and "남의 글" not in page
    assert ">Draft<" in page and ">Published<" in page
    assert page.index("초안") < page.index("발행된 글")  # drafts first, then newest
    assert "/p/weekly/" in page


def test_a_superuser_sees_every_publication(client, owner, publication, other_publication):
    client.force_login(staff(owner, superuser=True))
    page = client.get("/studio/").content.decode()
    assert publication.name in page and other_publication.name in page


def test_the_dashboard_costs_the_same_queries_for_many_posts(
    client, owner, publication, make_post, django_assert_max_num_queries
):
    for i in range(12):
        make_post(title=f"글 {i}")
    client.force_login(staff(owner))
    with django_assert_max_num_queries(10):
        assert client.get("/studio/").status_code == 200


# --- outbox --------------------------------------------------------------------------------

BOX = "/studio/p/weekly/outbox/"


def test_the_outbox_lists_the_publications_emails_newest_first(client, owner, publication):
    store_email(publication, subject="첫 번째")
    store_email(publication, subject="두 번째")
    client.force_login(owner)
    page = client.get(BOX).content.decode()
    assert page.index("두 번째") < page.index("첫 번째")
    assert "reader@example.com" in page
    assert f'href="{BOX}"' in page  # in the publication's menu


def test_a_message_shows_its_html_in_a_sandboxed_frame_its_text_and_headers(
    client, owner, publication
):
    message = store_email(publication)
    client.force_login(owner)
    page = client.get(f"{BOX}{message.pk}/").content.decode()
    assert 'sandbox="" referrerpolicy="no-referrer"' in page
    assert f'src="{BOX}{message.pk}/html/"' in page
    assert "안녕하세요 독자님" in page  # the plain-text part
    assert "Message-ID" in page and "reader@example.com" in page
    assert "From 주간 소식 &lt;letters@example.com&gt;" in page  # decoded, not =?utf-8?…
    assert "<b>독자님</b>" not in page  # the HTML part is only inside the frame

    frame = client.get(f"{BOX}{message.pk}/html/")
    assert frame.status_code == 200
    assert frame.content.decode().strip() == "<p>안녕하세요 <b>독자님</b></p>"
    csp = frame["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_a_hostile_html_part_cannot_reach_the_studio_page(client, owner, publication):
    message = store_email(
        publication, subject="<script>alert(1)</script>", html="<script>x()</script>"
    )
    client.force_login(owner)
    page = client.get(f"{BOX}{message.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<script>x()</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    frame = client.get(f"{BOX}{message.pk}/html/")
    assert frame["Content-Security-Policy"].startswith("sandbox;")


def test_a_text_only_message_says_it_has_no_html(client, owner, publication):
    message = store_email(publication, html=None)
    client.force_login(owner)
    page = client.get(f"{BOX}{message.pk}/").content.decode()
    assert "has no HTML part" in page
    assert client.get(f"{BOX}{message.pk}/html/").status_code == 404


def test_the_raw_message_downloads_as_eml(client, owner, publication):
    message = store_email(publication)
    client.force_login(owner)
    response = client.get(f"{BOX}{message.pk}/raw/")
    assert response["Content-Type"] == "message/rfc822"
    assert response.content == bytes(message.raw)


def test_nobody_sees_another_publications_emails(client, owner, publication, other_publication):
    theirs = store_email(other_publication, subject="남의 편지")
    nobodys = store_email(None, subject="관리자 비밀번호 재설정")
    client.force_login(owner)
    assert "남의 편지" not in client.get(BOX).content.decode()
    for message in (theirs, nobodys):
        for suffix in ("", "html/", "raw/"):
            assert client.get(f"{BOX}{message.pk}/{suffix}").status_code == 404
    # their own outbox is another publication's screen: 404 for someone not on its team
    assert client.get(f"/studio/p/{other_publication.slug}/outbox/").status_code == 404


def test_editors_and_authors_do_not_see_the_outbox(client, editor, publication):
    """It holds readers' confirmation and sign-in links; the "outbox" capability is an
    admin's, like subscribers and settings."""
    message = store_email(publication)
    client.force_login(editor)
    for path in (BOX, f"{BOX}{message.pk}/", f"{BOX}{message.pk}/raw/"):
        response = client.get(path)
        assert response.status_code == 403 and "주간 소식" not in response.content.decode()
    assert f'href="{BOX}"' not in client.get("/studio/p/weekly/").content.decode()
    TeamMember.objects.filter(user=editor).update(role=Role.ADMIN)
    assert client.get(f"{BOX}{message.pk}/").status_code == 200


def test_the_dashboard_links_each_outbox_the_person_may_read(
    client, owner, editor, publication, other_publication
):
    store_email(publication)
    store_email(publication)
    store_email(other_publication, subject="남의 편지")
    client.force_login(owner)
    page = client.get("/studio/").content.decode()
    assert f'href="{BOX}">2 emails in the outbox</a>' in page
    assert "/studio/outbox/" not in page  # the instance's outbox is for superusers
    client.force_login(editor)
    assert "in the outbox" not in client.get("/studio/").content.decode()


def test_the_instance_outbox_shows_every_email_to_superusers_only(
    client, owner, publication, other_publication
):
    store_email(other_publication, subject="남의 편지")
    nobodys = store_email(None, subject="관리자 비밀번호 재설정")
    client.force_login(owner)
    for path in (
        "/studio/outbox/",
        f"/studio/outbox/{nobodys.pk}/",
        f"/studio/outbox/{nobodys.pk}/raw/",
    ):
        response = client.get(path)
        assert response.status_code == 403 and "비밀번호" not in response.content.decode()
    client.force_login(staff(owner, superuser=True))
    page = client.get("/studio/outbox/").content.decode()
    assert "남의 편지" in page and "관리자 비밀번호 재설정" in page
    assert f'href="/studio/outbox/{nobodys.pk}/"' in page
    assert client.get(f"/studio/outbox/{nobodys.pk}/").status_code == 200
    assert client.get(f"/studio/outbox/{nobodys.pk}/raw/").content == bytes(nobodys.raw)
    # a superuser reads any publication's outbox too, as its owner would
    assert "남의 편지" in client.get(f"/studio/p/{other_publication.slug}/outbox/").content.decode()


def test_the_outbox_pages_and_rejects_bad_page_cursors(client, owner, publication):
    for i in range(51):
        store_email(publication, subject=f"편지 {i}")
    client.force_login(owner)
    first = client.get(BOX).content.decode()
    assert "편지 50" in first and "편지 0<" not in first
    older = re.search(r'href="([^"]*before=[^"]*)" rel="next"', first).group(1)
    second = client.get(older.replace("&amp;", "&")).content.decode()
    assert "편지 0" in second and 'rel="next"' not in second
    assert client.get(f"{BOX}?before=x").status_code == 404
    assert client.get(f"{BOX}?before=2026-13-01~5").status_code == 404
