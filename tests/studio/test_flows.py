"""What a creator does in the studio, through the HTTP interface: sign in (with two-factor),
end sessions, write with two tabs open, publish and send, import a list, start a publication."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hanji.core.models import OutboxMessage
from hanji.posts.models import Post, PostRevision
from hanji.publications.models import Publication, Role, TeamMember
from hanji.sending.models import Delivery
from hanji.studio.models import StaffSession, TwoFactorDevice
from hanji.subscribers.models import Import, Subscriber

pytestmark = pytest.mark.django_db
PASSWORD = "pw-very-secret-1"


def sign_in(client, email="owner@example.com", password=PASSWORD):
    return client.post(reverse("studio:login"), {"username": email, "password": password})


# --- signing in -------------------------------------------------------------------------------


def test_staff_sign_in_with_email_and_password_records_the_session(client, owner):
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/studio/"
    assert StaffSession.objects.filter(user=owner).count() == 1


def test_a_wrong_password_says_so_without_telling_whether_the_account_exists(client, owner):
    wrong = sign_in(client, password="nope").content.decode()
    unknown = sign_in(client, email="nobody@example.com").content.decode()
    assert (
        "The email or password is not right." in wrong
        and "The email or password is not right." in unknown
    )


def test_guessing_passwords_stops_after_ten_failures_even_with_the_right_one(client, owner):
    for _ in range(10):
        sign_in(client, password="guess")
    response = sign_in(client)  # the right password, too late
    assert response.status_code == 400
    assert "Too many failed sign-ins" in response.content.decode()


def test_guessing_from_one_address_across_accounts_is_limited(client, owner):
    for i in range(30):
        sign_in(client, email=f"someone{i}@example.com", password="guess")
    assert "Too many failed sign-ins" in sign_in(client).content.decode()


def test_two_factor_setup_and_sign_in_with_a_code(client, owner):
    client.force_login(owner)
    client.post(reverse("studio:account"), {"action": "2fa-start"})
    page = client.get(reverse("studio:account")).content.decode()
    assert "<svg" in page  # the QR code, made on the server
    device = TwoFactorDevice.objects.get(user=owner)
    client.post(
        reverse("studio:account"),
        {"action": "2fa-confirm", "code": pyotp.TOTP(device.secret).now()},
    )
    device.refresh_from_db()
    assert device.confirmed_at is not None

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(other)
    assert response["Location"] == reverse("studio:login_code")
    assert other.get("/studio/").status_code == 302  # not signed in by the password alone
    assert other.post(reverse("studio:login_code"), {"code": "000000"}).status_code == 400
    # the code already used to confirm cannot be replayed; the next step's code works
    code = pyotp.TOTP(device.secret).at(int(time.time()) + 30)
    response = other.post(reverse("studio:login_code"), {"code": code})
    assert response.status_code == 302
    assert other.get("/studio/").status_code == 200


def test_ending_another_session_signs_that_browser_out(client, owner):
    laptop, phone = Client(), Client()
    sign_in(laptop)
    sign_in(phone)
    assert phone.get("/studio/").status_code == 200
    phone_session = StaffSession.objects.get(session_key=phone.session.session_key)
    laptop.post(reverse("studio:account"), {"action": "end-session", "session": phone_session.pk})
    assert phone.get("/studio/").status_code == 302
    assert laptop.get("/studio/").status_code == 200


def test_a_magic_link_signs_in_once(client, owner, mailoutbox):
    client.post(reverse("studio:login_link"), {"email": "owner@example.com"})
    url = re.search(r"http://testserver(/studio/login/link/\S+/)", mailoutbox[-1].body).group(1)
    assert client.get(url).status_code == 200  # a button, for mail scanners
    assert client.post(url).status_code == 302
    assert client.get("/studio/").status_code == 200
    assert Client().post(url).status_code == 400  # used


# --- writing ----------------------------------------------------------------------------------


def _form(post, **changes):
    from hanji.posts.revisions import version_of

    data = {
        "title": post.title,
        "body": post.body,
        "version": version_of(post),
        "visibility": "public",
    }
    data.update(changes)
    return data


def test_a_post_edited_in_two_tabs_is_never_silently_lost(client, owner, make_post):
    post = make_post(title="원래 제목", publish=False)
    client.force_login(owner)
    tab_a, tab_b = _form(post, body="<p>A의 글</p>"), _form(post, body="<p>B의 글</p>")
    url = reverse("studio:post_edit", args=["weekly", post.pk])
    assert client.post(url, tab_a).status_code == 302
    response = client.post(url, tab_b)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this post" in page and "B의 글" in page  # B still has their words
    post.refresh_from_db()
    assert "A의 글" in post.body  # A's save stands
    assert PostRevision.objects.filter(post=post, body__contains="B의 글").exists()  # B's is kept
    # B chooses their version: the form now carries force=1 and the current version
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    assert client.post(url, {**tab_b, "version": version, "force": "1"}).status_code == 302
    post.refresh_from_db()
    assert "B의 글" in post.body
    assert PostRevision.objects.filter(post=post, body__contains="A의 글").exists()


def test_autosave_saves_a_draft_and_reports_a_conflict(client, owner, make_post):
    post = make_post(title="초안", publish=False)
    client.force_login(owner)
    url = reverse("studio:post_autosave", args=["weekly", post.pk])
    first = client.post(url, _form(post, body="<p>첫 문장</p>"))
    assert first.status_code == 200 and first.json()["ok"]
    post.refresh_from_db()
    assert post.body == "<p>첫 문장</p>"
    stale = client.post(
        url, _form(post, body="<p>다른 탭</p>", version="2000-01-01T00:00:00+00:00")
    )
    assert stale.status_code == 409 and "after you opened it" in stale.json()["message"]


def test_autosave_never_changes_a_published_post(client, owner, make_post):
    post = make_post(title="발행됨", body="원문")
    client.force_login(owner)
    client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]),
        _form(post, body="<p>고치는 중</p>"),
    )
    post.refresh_from_db()
    assert "고치는 중" not in post.body
    assert post.revisions.filter(kind="autosave", body__contains="고치는 중").exists()


def test_a_revision_can_be_restored(client, owner, make_post):
    post = make_post(title="제목", publish=False)
    client.force_login(owner)
    url = reverse("studio:post_edit", args=["weekly", post.pk])
    client.post(url, _form(post, body="<p>첫 판</p>"))
    post.refresh_from_db()
    client.post(url, _form(post, body="<p>둘째 판</p>"))
    first = post.revisions.filter(body="<p>첫 판</p>").first()
    client.post(reverse("studio:revision_restore", args=["weekly", post.pk, first.pk]))
    post.refresh_from_db()
    assert post.body == "<p>첫 판</p>"


def test_the_body_is_always_sanitized(client, owner, make_post):
    post = make_post(title="제목", publish=False)
    client.force_login(owner)
    response = client.post(
        reverse("studio:post_edit", args=["weekly", post.pk]),
        _form(
            post,
            body='<p onclick="x()">글<script>alert(1)</script></p><img src="javascript:alert(1)">',
        ),
    )
    assert response.status_code == 302  # the edit was accepted ...
    post.refresh_from_db()
    assert post.body.startswith("<p>글</p>")  # ... and saved, less what could run
    assert (
        "script" not in post.body and "onclick" not in post.body and "javascript" not in post.body
    )


def test_publish_and_send_to_three_confirmed_subscribers(
    client, owner, world, readers, newsletter, django_capture_on_commit_callbacks
):
    readers(1, prefix="extra")  # three in all with the two from `world`
    Subscriber.objects.create(
        publication=world["post"].publication,
        email="pending@example.org",
        status="pending",
        created_at=world["post"].created_at,
    )
    post = world["draft"]
    client.force_login(owner)
    count = client.get(
        reverse("studio:recipients", args=["weekly"]), {"newsletter": newsletter.pk}
    ).json()
    assert count == {"count": 3}
    response = client.post(
        reverse("studio:post_edit", args=["weekly", post.pk]),
        _form(post, action="publish-send", newsletter=newsletter.pk),
    )
    # First the confirmation, with the exact count; nothing is published or sent before it.
    confirm = client.get(response["Location"])
    assert "3" in confirm.content.decode() and not post.sends.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("studio:post_send", args=["weekly", post.pk]),
            {"newsletter": newsletter.pk, "segment": "", "publish": "1", "confirmed": "1"},
        )
    assert response.status_code == 302 and "/sends/" in response["Location"]
    send_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    progress = client.get(reverse("studio:send_progress", args=["weekly", send_id])).json()
    assert progress["percent"] == 100 and progress["sent"] == 3
    assert Delivery.objects.filter(send_id=send_id, state="sent").count() == 3
    sent_to = set(
        OutboxMessage.objects.filter(subject__contains="초안").values_list("to", flat=True)
    )
    assert sent_to == {"reader0@example.org", "reader1@example.org", "extra0@example.org"}


def test_the_email_preview_is_the_real_message_in_a_sandbox(client, owner, world):
    client.force_login(owner)
    response = client.get(reverse("studio:preview_email", args=["weekly", world["post"].pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox")
    html = response.content.decode()
    assert "보낸 글" in html and "본문입니다" in html and "hjph" not in html  # placeholders filled
    page = client.get(
        reverse("studio:preview", args=["weekly", world["post"].pk]) + "?as=email"
    ).content.decode()
    assert 'sandbox=""' in page and 'data-width="mobile"' in page


def test_a_test_email_goes_to_the_given_address(client, owner, world):
    client.force_login(owner)
    client.post(
        reverse("studio:post_test", args=["weekly", world["post"].pk]),
        {"addresses": "me@example.com"},
    )
    message = OutboxMessage.objects.filter(to="me@example.com").latest("id")
    assert "보낸 글" in message.subject


def test_pause_resume_and_cancel_a_send(client, owner, world, make_post, newsletter):
    from hanji.sending.actions import start_send_for_post
    from hanji.sending.models import Send

    post = make_post(title="예약 발송")
    from datetime import timedelta

    from django.utils import timezone

    send = start_send_for_post(post, newsletter, at=timezone.now() + timedelta(days=1))
    client.force_login(owner)
    base = ["weekly", send.pk]
    client.post(reverse("studio:send_control", args=[*base, "pause"]))
    assert Send.objects.get(pk=send.pk).state == "paused"
    client.post(reverse("studio:send_control", args=[*base, "resume"]))
    assert Send.objects.get(pk=send.pk).state == "scheduled"
    client.post(reverse("studio:send_control", args=[*base, "cancel"]))
    assert Send.objects.get(pk=send.pk).state == "cancelled"


# --- the posts list ---------------------------------------------------------------------------


def test_the_post_list_searches_filters_and_acts_in_bulk(
    client, owner, make_post, django_assert_max_num_queries
):
    for i in range(30):
        make_post(
            title=f"글 {i}", category="테크" if i % 2 else "일상", tags=["한지"] if i < 5 else []
        )
    client.force_login(owner)
    url = reverse("studio:posts", args=["weekly"])
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "글 29" in page
    page = client.get(url, {"q": "글 1", "category": "테크"}).content.decode()
    assert "글 11" in page and "글 12" not in page
    ids = list(Post.objects.filter(title__in=["글 1", "글 2"]).values_list("pk", flat=True))
    client.post(url, {"action": "unpublish", "ids": ids})
    assert set(Post.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"draft"}


# --- subscribers and the import wizard --------------------------------------------------------


def test_the_import_wizard_with_ten_thousand_rows_and_bad_ones(
    client, owner, publication, newsletter, django_capture_on_commit_callbacks
):
    lines = ["이메일,이름,태그"]
    for i in range(10_000):
        if i % 1000 == 7:
            lines.append(f"not-an-address-{i},이름{i},")
        else:
            lines.append(f"reader{i}@example.org,독자{i},vip")
    client.force_login(owner)
    upload = SimpleUploadedFile(
        "list.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv"
    )
    response = client.post(reverse("studio:import_start", args=["weekly"]), {"file": upload})
    assert response.status_code == 302
    mapping = client.get(response["Location"])
    page = mapping.content.decode()
    assert "reader0@example.org" in page and "not-an-address-7" in page  # preview and problems
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            response["Location"],
            {
                "column_email": "0",
                "column_name": "1",
                "column_tags": "2",
                "status": "active",
                "newsletters": [newsletter.pk],
            },
        )
    assert done.status_code == 302
    run = Import.objects.get(publication=publication)
    figures = client.get(done["Location"].rstrip("/") + "/progress/").json()
    assert figures["done"] and figures["percent"] == 100
    assert figures["created"] == 9_990 and figures["rejected"] == 10
    report = b"".join(
        client.get(reverse("studio:import_rejections", args=["weekly", run.pk])).streaming_content
    )
    assert report.decode().count("not-an-address-") == 10
    assert Subscriber.objects.filter(publication=publication).count() == 9_990


def test_the_subscriber_list_pages_by_keyset_and_exports_with_its_filters(
    client, owner, readers, django_assert_max_num_queries
):
    readers(120)
    client.force_login(owner)
    url = reverse("studio:subscribers", args=["weekly"])
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "reader119@example.org" in page and "reader0@example.org" not in page
    before = re.search(r"before=(\d+)", page).group(1)
    older = client.get(url, {"before": before}).content.decode()
    assert "reader69@example.org" in older
    export = client.get(reverse("studio:subscriber_export", args=["weekly"]), {"q": "reader11"})
    text = b"".join(export.streaming_content).decode()
    assert (
        "reader11@example.org" in text
        and "reader110@example.org" in text
        and "reader2@" not in text
    )


def test_a_subscriber_shows_their_consent_log_and_can_be_deleted(client, owner, publication):
    from hanji.subscribers.actions import subscribe

    subscriber = subscribe(publication, "someone@example.org")
    client.force_login(owner)
    url = reverse("studio:subscriber", args=["weekly", subscriber.pk])
    assert "subscribe" in client.get(url).content.decode()
    client.post(url, {"action": "tags", "tags": "vip, 2024"})
    subscriber.refresh_from_db()
    assert subscriber.tags == ["2024", "vip"]
    client.post(url, {"action": "delete"})
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()


# --- starting a publication, the team ---------------------------------------------------------


def test_a_visitor_signs_up_and_lands_on_the_onboarding_checklist(client, settings):
    settings.HANJI_ALLOW_SIGNUPS = True
    response = client.post(
        reverse("studio:signup"),
        {
            "email": "new@example.com",
            "password": "a-long-secret-9",
            "name": "새 레터",
            "slug": "new-letter",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/studio/p/new-letter/"
    publication = Publication.objects.get(slug="new-letter")
    assert TeamMember.objects.get(publication=publication).role == Role.OWNER
    page = client.get(response["Location"]).content.decode()
    assert "Getting started" in page and "/p/new-letter/" in page
    assert client.get("/p/new-letter/").status_code == 200  # their own address


def test_sign_ups_are_closed_unless_the_operator_opens_them(client):
    assert client.get(reverse("studio:signup")).status_code == 404


def test_an_invitation_by_email_adds_a_team_member_with_its_role(
    client, owner, publication, mailoutbox
):
    client.force_login(owner)
    client.post(
        reverse("studio:team", args=["weekly"]),
        {"action": "invite", "email": "writer@example.com", "role": "editor"},
    )
    path = re.search(r"http://testserver(/studio/invitation/\S+/)", mailoutbox[-1].body).group(1)
    guest = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = guest.post(path, {"password": "another-secret-7"})
    assert response.status_code == 302
    member = TeamMember.objects.get(publication=publication, user__email="writer@example.com")
    assert member.role == Role.EDITOR


def test_an_admin_cannot_hand_out_ownership_and_the_last_owner_stays(
    client, admin_user, owner, publication, mailoutbox
):
    client.force_login(admin_user)
    client.post(
        reverse("studio:team", args=["weekly"]),
        {"action": "invite", "email": "boss@example.com", "role": "owner"},
    )
    assert not mailoutbox
    owner_member = TeamMember.objects.get(user=owner)
    client.force_login(owner)
    client.post(
        reverse("studio:team", args=["weekly"]),
        {"action": "role", "member": owner_member.pk, "role": "author"},
    )
    assert TeamMember.objects.get(user=owner).role == Role.OWNER


def test_the_editor_never_drops_a_members_only_block(client, owner, make_post):
    """A save that would unwrap a members-only block (making a chat room's password public) is
    refused, and the words are kept in the history; deleting the block with its text saves."""
    from hanji.posts.actions import save_post

    post = make_post(title="비밀 있는 글", publish=False)
    save_post(
        post.publication,
        post=post,
        title=post.title,
        body_markdown="소개\n\n{members}\n\n비밀번호 1234\n\n{/members}\n",
    )
    post.refresh_from_db()
    client.force_login(owner)
    unwrapped = "<p>소개</p><p>비밀번호 1234</p>"
    saved = client.post(
        reverse("studio:post_edit", args=["weekly", post.pk]), _form(post, body=unwrapped)
    )
    assert saved.status_code == 302
    auto = client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]), _form(post, body=unwrapped)
    )
    assert auto.status_code == 409 and "members-only" in auto.json()["message"]
    post.refresh_from_db()
    assert 'data-hanji="members"' in post.body
    assert post.revisions.filter(body__contains="비밀번호 1234").exists()
    gone = client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]),
        _form(post, body="<p>소개</p>"),
    )
    assert gone.status_code == 200
    post.refresh_from_db()
    assert "data-hanji" not in post.body and "비밀번호" not in post.body
