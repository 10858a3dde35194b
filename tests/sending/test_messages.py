"""What subscribers receive: parsed from a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import subprocess
from urllib.parse import urlsplit

import dkim
import pytest

from hanji.posts.models import Visibility
from hanji.sending.actions import SendError, start_send_for_post
from hanji.sending.dkim import public_key_b64
from hanji.sending.models import Delivery, DeliveryEvent, Send, SendingSettings
from hanji.subscribers.models import Subscriber

SINGLE = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Feedback-ID",
    "MIME-Version",
    "Content-Type",
]

BODY = """안녕하세요 {{name}}님, 이번 주 소식입니다.

[첫 번째 링크](https://example.com/first) 그리고 [두 번째](https://example.com/second?a=1&b=2)

![고양이](https://example.com/cat.jpg "고양이 사진")

https://www.youtube.com/watch?v=dQw4w9WgXcQ

{paywall}

유료 독자만 읽는 부분입니다. SECRET-PAID-PART
"""


def only(mail_to):
    assert len(mail_to.received) == 1
    return mail_to.received[0]


def test_each_message_has_both_parts_and_every_header_once(
    mail_to, make_post, make_subscribers, send_now
):
    (reader,) = make_subscribers(1)
    post = make_post(title="이번 주 소식", subtitle="요약 한 줄", body=BODY)
    send = send_now(post)
    received = only(mail_to)
    message = received.message
    for header in SINGLE:
        assert len(message.get_all(header, [])) == 1, header
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_payload()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert "안녕하세요 독자0님" in text.get_content()
    assert "안녕하세요 독자0님" in html.get_content()
    assert str(message["Subject"]) == "이번 주 소식"
    assert "주간 실리콘밸리" in str(message["From"])
    assert message["To"].addresses[0].addr_spec == "reader0@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.message_id.startswith(f"<hanji.{send.pk}.{reader.pk}.")
    assert "<weekly.weekly.weekly.example.com>" in message["List-Id"]
    assert message["Feedback-ID"] == f"{send.pk}:{send.newsletter_id}:{send.publication_id}:hanji"
    # The preheader, the view-in-browser link and the footer.
    assert "요약 한 줄" in html.get_content()
    assert "/p/weekly/posts/" in html.get_content()
    assert "주간 레터" in text.get_content()
    # SMTP lines stay under 998 octets.
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 998


def test_the_one_click_unsubscribe_url_is_well_formed_and_works_when_posted(
    client, mail_to, make_post, make_subscribers, send_now
):
    (reader,) = make_subscribers(1)
    send_now(make_post())
    header = str(only(mail_to).message["List-Unsubscribe"])
    url = header.strip().lstrip("<").split(">")[0]
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc == "testserver"
    assert parts.path.startswith("/p/weekly/unsubscribe/")
    response = client.post(parts.path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


def test_the_same_recipient_of_the_same_send_always_gets_the_same_message_id():
    from hanji.sending.personalize import message_id, parse_message_id

    first = message_id(7, 42, "example.com")
    assert first == message_id(7, 42, "example.com")
    assert first != message_id(7, 43, "example.com")
    assert parse_message_id(first) == (7, 42)
    assert parse_message_id(first.replace("hanji.7.42", "hanji.7.43")) is None


def test_messages_are_dkim_signed_and_verify(
    tmp_path, mail_to, publication, make_post, make_subscribers, send_now
):
    key = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(key), "2048"],
        check=True,
        capture_output=True,
    )
    SendingSettings.objects.update_or_create(
        publication=publication,
        defaults={"dkim_key_path": str(key), "dkim_selector": "hanji2026"},
    )
    make_subscribers(2)
    send_now(make_post(body=BODY))
    record = f"v=DKIM1; k=rsa; p={public_key_b64(key.read_bytes())}".encode()

    def dns(name, timeout=5):
        assert name == b"hanji2026._domainkey.weekly.example.com."
        return record

    assert len(mail_to.received) == 2  # no mail, no check: both readers got theirs
    for received in mail_to.received:
        assert received.data.startswith(b"DKIM-Signature:")
        assert dkim.verify(received.data, dnsfunc=dns)
        tampered = received.data.replace("이번 주".encode(), "다음 주".encode(), 1)
        assert not dkim.verify(tampered.replace(b"reader", b"readex"), dnsfunc=dns)


def test_header_injection_through_subject_sender_or_name_is_impossible(
    mail_to, newsletter, make_post, make_subscribers, send_now
):
    newsletter.sender_name = "Evil\r\nBcc: victim@example.net"
    newsletter.save()
    (reader,) = make_subscribers(1)
    Subscriber.objects.filter(pk=reader.pk).update(name="Bob\r\nBcc: other@example.net\nX-Evil: 1")
    post = make_post(title="Hello\r\nBcc: third@example.net")
    send_now(post, subject="Hi\nBcc: fourth@example.net\r\nX-Evil: yes")
    received = only(mail_to)
    message = received.message
    assert message.get_all("Bcc") is None and message.get_all("X-Evil") is None
    for header in SINGLE:
        assert len(message.get_all(header, [])) == 1, header
    assert received.rcpt_tos == ["reader0@example.org"]
    assert "\n" not in str(message["Subject"]) and "\n" not in str(message["To"])


def test_free_recipients_of_a_paid_post_get_the_part_above_the_paywall_and_an_invitation(
    mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(1)
    post = make_post(body=BODY, visibility=Visibility.PAID)
    send_now(post)
    received = only(mail_to)
    raw = received.data.decode()
    assert "SECRET-PAID-PART" not in raw
    text, html = received.message.get_payload()
    assert "Upgrade to read it all" in text.get_content() or "유료" in text.get_content()
    assert 'class="button"' in html.get_content()


def test_a_public_post_with_a_divider_goes_whole(mail_to, make_post, make_subscribers, send_now):
    make_subscribers(1)
    send_now(make_post(body=BODY))
    assert "SECRET-PAID-PART" in only(mail_to).data.decode()


def test_advertising_gets_the_prefix_and_the_contact_block(
    mail_to, publication, make_post, make_subscribers, send_now, monkeypatch
):
    monkeypatch.setattr("hanji.sending.loop.night_until", lambda now: None)
    publication.contact_email = "help@weekly.example.com"
    publication.phone = "02-123-4567"
    publication.company_name = "주식회사 한지"
    publication.save()
    make_subscribers(1)
    send_now(make_post(), is_advertising=True)
    message = only(mail_to).message
    assert str(message["Subject"]).startswith("(광고) ")
    text = message.get_payload()[0].get_content()
    assert "help@weekly.example.com" in text and "02-123-4567" in text
    assert "주식회사 한지" in text


def test_names_are_escaped_in_html(mail_to, make_post, make_subscribers, send_now):
    (reader,) = make_subscribers(1)
    Subscriber.objects.filter(pk=reader.pk).update(name="<b>Kim</b> & co")
    send_now(make_post(body="{{name}}님 안녕하세요"))
    html = only(mail_to).message.get_payload()[1].get_content()
    assert "&lt;b&gt;Kim&lt;/b&gt; &amp; co님" in html and "<b>Kim" not in html


def test_a_body_too_large_is_refused_before_anything_starts(
    settings, mail_to, newsletter, make_post, make_subscribers
):
    settings.HANJI_SEND_MAX_MESSAGE_BYTES = 50_000
    make_subscribers(2)
    post = make_post(body="\n\n".join(["아주 긴 문단입니다. " * 80] * 40))
    with pytest.raises(SendError, match="50000"):
        start_send_for_post(post)
    assert not Send.objects.exists() and not Delivery.objects.exists()
    assert mail_to.received == []


def test_a_body_full_of_images_is_sent_with_images_linked_not_attached(
    mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(1)
    body = "\n\n".join(f"![그림 {i}](https://cdn.example.com/{i}.jpg)" for i in range(300))
    send = send_now(make_post(body=body))
    assert send.state == "sent"
    received = only(mail_to)
    assert received.message.get_content_type() == "multipart/alternative"
    assert received.data.count(b"https://cdn.example.com/") == 300
    assert len(received.data) < 200_000


def test_long_lines_are_folded_under_the_smtp_limit(mail_to, make_post, make_subscribers, send_now):
    make_subscribers(1)
    send_now(make_post(body="가나다라마바사 " * 2000 + "\n\n" + "x" * 5000))
    data = only(mail_to).data
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert "가나다라마바사" in only(mail_to).message.get_payload()[1].get_content()


def test_click_links_redirect_only_to_the_posts_own_links(
    client, mail_to, make_post, make_subscribers, send_now
):
    (reader,) = make_subscribers(1)
    send = send_now(make_post(body=BODY))
    html = only(mail_to).message.get_payload()[1].get_content()
    clicks = sorted(
        set(
            part.split('"')[0]
            for part in html.split('href="http://testserver')[1:]
            if "/e/c/" in part
        )
    )
    assert len(clicks) == 3  # two links and the video
    response = client.get(clicks[1])
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/second?a=1&b=2"
    delivery = Delivery.objects.get(send=send)
    assert delivery.clicked_at is not None and delivery.opened_at is not None
    assert DeliveryEvent.objects.filter(kind="click", send=send, link=1).count() == 1
    # A forged token or another position leads nowhere; nothing in the URL picks the target.
    token = clicks[0].split("/e/c/")[1].split("/")[0]
    assert client.get(clicks[0].replace(token, token[:-2] + "xx")).status_code == 404
    assert client.get(f"/p/weekly/e/c/{token}/99/").status_code == 404
    response = client.get(
        f"/p/weekly/e/c/{token}/0/?next=https://evil.example&url=https://evil.example"
    )
    assert response["Location"] == "https://example.com/first"


def test_the_open_pixel_records_an_open(client, mail_to, make_post, make_subscribers, send_now):
    make_subscribers(1)
    send = send_now(make_post())
    html = only(mail_to).message.get_payload()[1].get_content()
    pixel = html.split('src="http://testserver')[-1].split('"')[0]
    assert "/e/o/" in pixel
    response = client.get(pixel)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert Delivery.objects.get(send=send).opened_at is not None


def test_a_publication_may_turn_tracking_off(
    mail_to, publication, make_post, make_subscribers, send_now
):
    SendingSettings.objects.filter(publication=publication).update(
        track_opens=False, track_clicks=False
    )
    make_subscribers(1)
    send_now(make_post(body=BODY))
    html = only(mail_to).message.get_payload()[1].get_content()
    assert "/e/c/" not in html and "/e/o/" not in html
    assert 'href="https://example.com/first"' in html


def test_a_test_send_is_marked_and_goes_to_the_chosen_addresses(mail_to, make_post, newsletter):
    from hanji.sending.actions import send_test

    outcomes = send_test(make_post(title="미리 보기"), ["editor@example.com"])
    assert [o.status for o in outcomes] == ["sent"]
    message = only(mail_to).message
    assert message["X-Hanji-Test"] == "yes"
    assert "미리 보기" in str(message["Subject"]) and str(message["Subject"]).startswith("[")
    assert only(mail_to).rcpt_tos == ["editor@example.com"]
    assert not Send.objects.exists()


def test_a_test_sends_subject_is_marked_in_the_publications_language(
    mail_to, make_post, newsletter, publication
):
    from hanji.sending.actions import send_test

    send_test(make_post(title="미리 보기"), ["editor@example.com"])
    # The publication writes in Korean: the mark is Korean too (it was "[Test]").
    assert str(only(mail_to).message["Subject"]) == "[테스트] 미리 보기"


def test_the_text_part_keeps_link_targets(
    mail_to, make_post, make_subscribers, send_now, publication
):
    SendingSettings.objects.filter(publication=publication).update(track_clicks=False)
    make_subscribers(1)
    send_now(make_post(body=BODY))
    text = only(mail_to).message.get_payload()[0].get_content()
    assert "첫 번째 링크 ( https://example.com/first )" in text


def test_list_unsubscribe_carries_a_mailto_where_configured(
    mail_to, publication, make_post, make_subscribers, send_now
):
    SendingSettings.objects.filter(publication=publication).update(
        unsubscribe_mailto="leave@weekly.example.com"
    )
    make_subscribers(1)
    send_now(make_post())
    header = str(only(mail_to).message["List-Unsubscribe"])
    assert "<mailto:leave@weekly.example.com?subject=unsubscribe%20" in header
    assert header.count("<") == 2


def test_a_message_parses_the_same_with_the_strict_policy(
    mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(1)
    send_now(make_post(body=BODY))
    message = email.message_from_bytes(only(mail_to).data, policy=email.policy.strict)
    assert message.defects == [] and all(p.defects == [] for p in message.walk())
