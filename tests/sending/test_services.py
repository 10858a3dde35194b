"""Email services through django-anymail, against a local HTTP server that answers with the
services' documented payloads (the services themselves are outside the machine)."""

from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from hanji.sending.compose import sender_domain
from hanji.sending.models import Delivery
from hanji.sending.personalize import delivery_reference, message_id, parse_delivery_reference


class FakeService:
    """Answers Postmark's /email, Mailgun's /<domain>/messages and SendGrid's v3 /mail/send
    with their documented bodies; `fail` (status, headers[, body]) answers first."""

    def __init__(self):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.fail: list[tuple[int, dict]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.requests.append((self.path, dict(self.headers), body))
                if service.fail:
                    status, headers, *answer = service.fail.pop(0)
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(
                        answer[0] if answer else b'{"ErrorCode": 429, "Message": "Rate limit"}'
                    )
                    return
                if self.path.endswith("/mail/send"):
                    # SendGrid: 202 Accepted, no body, an X-Message-Id for the request.
                    self.send_response(202)
                    self.send_header("X-Message-Id", f"sg-{len(service.requests)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.endswith("/email"):
                    data = json.loads(body)
                    answer = {
                        "To": data["To"],
                        "SubmittedAt": "2026-11-28T10:00:00.0000000-05:00",
                        "MessageID": f"pm-{len(service.requests)}",
                        "ErrorCode": 0,
                        "Message": "OK",
                    }
                else:
                    answer = {
                        "id": f"<mg-{len(service.requests)}@mg.example.com>",
                        "message": "Queued. Thank you.",
                    }
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service(fast_retries):
    fake = FakeService()
    yield fake
    fake.close()


def test_postmark_gets_one_call_per_message_with_our_headers(
    settings, service, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"postmark://server-token@?api_url={service.url}&connections=1"
    readers = make_subscribers(3)
    send = send_now(make_post(title="소식"))
    assert send.state == "sent"
    assert len(service.requests) == 3
    path, headers, body = service.requests[0]
    data = json.loads(body)
    assert path == "/email" and headers["X-Postmark-Server-Token"] == "server-token"
    assert data["Subject"] == "소식" and data["To"] == readers[0].email
    assert data["From"] == "주간 실리콘밸리 <letter@weekly.example.com>"
    names = {h["Name"]: h["Value"] for h in data["Headers"]}
    assert names["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in names["List-Unsubscribe"]
    assert names["Message-ID"].startswith(f"<hanji.{send.pk}.")
    reference = data["Metadata"]["hanji_delivery"]
    assert parse_delivery_reference(reference) == Delivery.objects.get(subscriber=readers[0]).pk
    assert "/unsubscribe/" in data["HtmlBody"] and "hjph" not in data["HtmlBody"]
    assert list(
        Delivery.objects.filter(send=send)
        .values_list("provider_message_id", flat=True)
        .order_by("id")
    ) == ["pm-1", "pm-2", "pm-3"]


def test_a_429_with_retry_after_waits_and_then_sends(
    settings, service, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"postmark://server-token@?api_url={service.url}&connections=1"
    service.fail = [(429, {"Retry-After": "1"}), (429, {"Retry-After": "1"})]
    make_subscribers(2)
    send = send_now(make_post())
    assert send.state == "sent"
    assert Delivery.objects.filter(send=send, state="sent").count() == 2
    assert len(service.requests) == 4  # two refused, then one each


def test_a_refused_api_key_pauses_the_send(
    settings, service, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"postmark://wrong@?api_url={service.url}&connections=1"
    service.fail = [(401, {})] * 5
    make_subscribers(2)
    send = send_now(make_post())
    assert send.state == "paused" and "401" in send.state_reason
    assert not Delivery.objects.filter(send=send, state="sent").exists()


def test_mailgun_gets_batches_with_its_recipient_variables(
    settings, service, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"mailgun://key-123@mg.example.com?api_url={service.url}v3&connections=1"
    readers = make_subscribers(30)
    send = send_now(make_post(body="안녕하세요 {{name}}님"))
    assert send.state == "sent"
    assert len(service.requests) == 1
    path, headers, body = service.requests[0]
    assert path == "/v3/mg.example.com/messages"
    if headers["Content-Type"].startswith("multipart/"):
        form = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, list[str]] = {}
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(name, []).append(part.get_content())
    else:
        fields = parse_qs(body.decode())
    assert len(fields["to"]) == 30
    variables = json.loads(fields["recipient-variables"][0])
    assert variables[readers[5].email]["NAMET"] == "독자5"
    assert "/unsubscribe/" in variables[readers[5].email]["UNSUB"]
    assert "%recipient.UNSUB%" in fields["html"][0] and "%recipient.NAMEH%" in fields["html"][0]
    assert fields["h:List-Unsubscribe"][0] == "%recipient.h:List-Unsubscribe%"
    # Each recipient's own Message-ID, filled in by Mailgun like the other fields.
    assert fields["h:Message-Id"][0] == "%recipient.h:Message-Id%"
    assert variables[readers[5].email]["h:Message-Id"] == message_id(
        send.pk, readers[5].pk, sender_domain(send)
    )
    assert len({v["h:Message-Id"] for v in variables.values()}) == 30
    assert Delivery.objects.filter(send=send, state="sent").count() == 30


# --- SendGrid's v3 mail/send: one call per chunk, per-recipient personalizations ---------------


def sendgrid_calls(service) -> list[dict]:
    calls = []
    for path, headers, body in service.requests:
        assert path == "/v3/mail/send"
        assert headers["Authorization"] == "Bearer SG.test-key"
        calls.append(json.loads(body))
    return calls


@pytest.fixture
def sendgrid(settings, service):
    settings.EMAIL_URL = f"sendgrid://SG.test-key@?api_url={service.url}v3/&connections=1"
    return service


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_gets_one_call_with_a_personalization_per_recipient(
    sendgrid, make_post, make_subscribers, send_now
):
    readers = make_subscribers(30)
    send = send_now(make_post(title="이번 주 소식", body="안녕하세요 {{name}}님"))
    assert send.state == "sent"
    [data] = sendgrid_calls(sendgrid)
    assert data["subject"] == "이번 주 소식"
    assert data["from"] == {"email": "letter@weekly.example.com", "name": "주간 실리콘밸리"}
    assert data["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Message-ID" not in data["headers"] and "List-Unsubscribe" not in data["headers"]
    # The body carries SendGrid's substitution tags, never our own placeholders.
    [text, html] = data["content"]
    assert (text["type"], html["type"]) == ("text/plain", "text/html")
    assert "-NAMEH-" in html["value"] and "-UNSUB-" in html["value"]
    assert "-NAMET-" in text["value"] and "hjph" not in html["value"] + text["value"]
    people = {p["to"][0]["email"]: p for p in data["personalizations"]}
    assert len(data["personalizations"]) == 30 and set(people) == {r.email for r in readers}
    assert all(len(p["to"]) == 1 for p in data["personalizations"])
    domain = sender_domain(send)
    rows = {d.subscriber_id: d for d in Delivery.objects.filter(send=send)}
    for reader in readers:
        mine = people[reader.email]
        number = reader.email.removeprefix("reader").split("@")[0]
        assert mine["substitutions"]["-NAMET-"] == f"독자{number}"
        assert "/unsubscribe/" in mine["substitutions"]["-UNSUB-"]
        assert mine["headers"]["Message-ID"] == message_id(send.pk, reader.pk, domain)
        unsubscribe = mine["headers"]["List-Unsubscribe"]
        assert unsubscribe.startswith("<http") and mine["substitutions"]["-UNSUB-"] in unsubscribe
        assert mine["custom_args"]["hanji_delivery"] == delivery_reference(rows[reader.pk].pk)
        # anymail's per-recipient id, which SendGrid's events carry back, is what we keep.
        assert rows[reader.pk].provider_message_id == mine["custom_args"]["anymail_id"]
        assert rows[reader.pk].state == "sent"
    assert len({p["headers"]["Message-ID"] for p in data["personalizations"]}) == 30
    assert len({p["substitutions"]["-UNSUB-"] for p in data["personalizations"]}) == 30


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_429s_are_waited_out_as_told_and_nothing_is_sent_twice(
    sendgrid, make_post, make_subscribers, send_now
):
    too_many = b'{"errors": [{"field": null, "message": "too many requests"}]}'
    sendgrid.fail = [
        (429, {"Retry-After": "1"}, too_many),
        # SendGrid documents only the X-RateLimit-* headers: the reset is a Unix time.
        (429, {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
               "X-RateLimit-Reset": str(int(time.time()) + 1)}, too_many),
    ]  # fmt: skip
    readers = make_subscribers(12)
    send = send_now(make_post())
    assert send.state == "sent"
    calls = sendgrid_calls(sendgrid)
    assert len(calls) == 3
    delivered = [p["to"][0]["email"] for p in calls[-1]["personalizations"]]
    assert sorted(delivered) == sorted(r.email for r in readers)
    rows = Delivery.objects.filter(send=send)
    assert rows.filter(state="sent").count() == 12
    # Only the call that went through counts as an attempt: waiting out a 429 uses none.
    assert set(rows.values_list("attempts", flat=True)) == {1}


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_5xx_is_the_service_being_down_and_retried(
    sendgrid, make_post, make_subscribers, send_now
):
    sendgrid.fail = [
        (500, {}, b'{"errors": [{"field": null, "message": "internal error"}]}'),
        (503, {}, b"<html>Service Unavailable</html>"),
    ]
    readers = make_subscribers(5)
    send = send_now(make_post())
    assert send.state == "sent"
    calls = sendgrid_calls(sendgrid)
    assert len(calls) == 3
    assert sorted(p["to"][0]["email"] for p in calls[-1]["personalizations"]) == sorted(
        r.email for r in readers
    )
    assert not Delivery.objects.filter(send=send).exclude(state="sent").exists()
    assert Delivery.objects.get(send=send, subscriber=readers[0]).attempts == 1


@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_sendgrid_refusing_the_request_fails_the_chunk_without_suppressing(
    sendgrid, make_post, make_subscribers, send_now
):
    sendgrid.fail = [
        (400, {}, b'{"errors": [{"field": "from.email", "message": "does not match a '
         b'verified Sender Identity"}]}'),
    ]  # fmt: skip
    readers = make_subscribers(3)
    send = send_now(make_post())
    rows = Delivery.objects.filter(send=send)
    assert rows.filter(state="failed").count() == 3
    assert "400" in rows.first().error
    assert {r.status for r in type(readers[0]).objects.filter(pk__in=[r.pk for r in readers])} == {
        "active"
    }


def test_the_wait_after_a_429_comes_from_retry_after_or_sendgrids_reset_time():
    from types import SimpleNamespace

    from hanji.sending.transports.anymail import _retry_after

    def answer(**headers):
        return SimpleNamespace(headers={k.replace("_", "-"): v for k, v in headers.items()})

    assert _retry_after(answer(Retry_After="7")) == 7.0
    assert _retry_after(answer(Retry_After="Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    reset = int(time.time()) + 30
    assert 25 <= _retry_after(answer(X_RateLimit_Reset=str(reset))) <= 30
    assert _retry_after(answer(X_RateLimit_Reset=str(reset), Retry_After="2")) == 2.0
    assert _retry_after(answer()) is None and _retry_after(None) is None
