"""SMTP with STARTTLS, implicit TLS and a login, against aiosmtpd with a self-signed
certificate; the SMTP reply classification."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from hanji.sending.models import Delivery
from hanji.sending.transports import DOWN, FAILED, HALT, RETRY
from hanji.sending.transports.smtp import _outcome
from tests.sending.smtpd import SMTPServer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"letters"
        and auth_data.password == b"p@ss word"
    )
    # handled=False: aiosmtpd then answers 535 itself (handled=True means "I replied").
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_server(certificate):
    server = SMTPServer(
        tls_context=certificate,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    ).start()
    yield server
    server.stop()


def test_starttls_and_login(
    settings, fast_retries, tls_server, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"smtp://letters:p%40ss%20word@127.0.0.1:{tls_server.port}?tls=1&verify=0"
    make_subscribers(3)
    send = send_now(make_post())
    assert send.state == "sent"
    assert len(tls_server.received) == 3


def test_a_wrong_password_pauses_with_the_servers_words(
    settings, fast_retries, tls_server, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = f"smtp://letters:wrong@127.0.0.1:{tls_server.port}?tls=1&verify=0"
    make_subscribers(3)
    send = send_now(make_post())
    assert send.state == "paused" and "login refused" in send.state_reason
    assert not Delivery.objects.filter(send=send, state="sent").exists()


def test_a_certificate_that_does_not_verify_is_refused_unless_told(
    settings, fast_retries, tls_server, make_post, make_subscribers, send_now
):
    settings.HANJI_SEND_DOWN_SECONDS = 1.0
    settings.EMAIL_URL = f"smtp://letters:p%40ss%20word@127.0.0.1:{tls_server.port}?tls=1"
    make_subscribers(1)
    send = send_now(make_post())
    assert send.state == "sending" and "certificate" in send.transport_error.lower()
    assert tls_server.received == []


def test_implicit_tls(settings, fast_retries, certificate, make_post, make_subscribers, send_now):
    server = SMTPServer(ssl_context=certificate).start()
    try:
        settings.EMAIL_URL = f"smtps://127.0.0.1:{server.port}?verify=0"
        make_subscribers(2)
        assert send_now(make_post()).state == "sent"
        assert len(server.received) == 2
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("code", "reply", "stage", "status", "suppress"),
    [
        (421, "4.3.2 shutting down", "rcpt", DOWN, False),
        (451, "4.3.0 try later", "rcpt", RETRY, False),
        (452, "4.2.2 mailbox full", "end", RETRY, False),
        (550, "5.1.1 no such user", "rcpt", FAILED, True),
        (554, "5.7.1 spam", "end", FAILED, False),
        (552, "5.2.2 mailbox full", "end", FAILED, False),
        (550, "5.1.1 unknown", "end", FAILED, True),
        (553, "5.7.1 sender refused", "mail", HALT, False),
        (-1, "garbage", "end", DOWN, False),
    ],
)
def test_smtp_replies_mean_what_they_say(code, reply, stage, status, suppress):
    outcome = _outcome(code, reply, stage)
    assert (outcome.status, outcome.suppress) == (status, suppress)
