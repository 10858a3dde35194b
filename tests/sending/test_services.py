"""Email services through django-anymail, against a local HTTP server that answers with the
services' documented payloads (the services themselves are outside the machine)."""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from hanji.sending.models import Delivery


class FakeService:
    """Answers Postmark's /email and Mailgun's /<domain>/messages; `fail` answers first."""

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
                    status, headers = service.fail.pop(0)
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ErrorCode": 429, "Message": "Rate limit exceeded"}')
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
    assert data["Metadata"]["hanji_delivery"].isdigit()
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
    assert Delivery.objects.filter(send=send, state="sent").count() == 30
