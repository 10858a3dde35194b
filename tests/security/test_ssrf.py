"""No outbound connection a user chooses reaches a private or local address: link previews,
a publication's own SMTP server and its email-service API URL all go through one check,
at save time and again at connect time, and the studio never shows a remote server's words."""

from __future__ import annotations

import http.server
import socket
import threading
from contextlib import contextmanager

import pytest
from django.test import override_settings
from django.urls import reverse

from hanji.core.addresses import FetchRefused, check_address, resolve
from hanji.core.fetch import fetch
from hanji.sending.models import SendingSettings
from hanji.sending.transports.factory import check_transport_url
from hanji.subscribers.models import Newsletter
from tests.sending.smtpd import SMTPServer

PRIVATE_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # the cloud's metadata service
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%lo",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "fec0::1",  # site-local
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:0:7f00:1",  # IPv4-translated
    "::7f00:1",  # IPv4-compatible
    "::a9fe:a9fe",
    "64:ff9b::7f00:1",  # NAT64
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",  # documentation
]

PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]

# Spellings of 127.0.0.1 that the C library's resolver accepts (inet_aton's forms).
LOOPBACK_SPELLINGS = [
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0x7f.1",
    "0177.0.0.1",
    "127.1",
    "127.0.1",
    "0x7f.0.0.1",
    "127.000.000.001",
    "localhost",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:7f00:1",
]


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_a_private_or_local_address_is_refused(address):
    with pytest.raises(FetchRefused, match="private or local"):
        check_address(address)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_public_address_passes(address):
    check_address(address)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_when_resolved(host):
    with pytest.raises(FetchRefused):
        resolve(host, 80)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + ["[::1]", "169.254.169.254"])
def test_the_fetcher_refuses_every_spelling_of_a_local_host(host):
    url = f"http://[{host}]/" if ":" in host and not host.startswith("[") else f"http://{host}/"
    with pytest.raises(FetchRefused):
        fetch(url, timeout=2)


def test_the_operator_may_allow_private_networks_under_the_clearer_name():
    with override_settings(HANJI_ALLOW_PRIVATE_NETWORKS=True):
        check_address("127.0.0.1")
        check_address("64:ff9b::a9fe:a9fe")


def test_an_allowed_network_also_allows_its_ipv6_spellings():
    with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        check_address("::ffff:127.0.0.1")
        with pytest.raises(FetchRefused):
            check_address("127.0.0.2")


# --- a publication's own transport ------------------------------------------------------------


class BannerListener:
    """A TCP service on 127.0.0.1 that greets with a secret and counts who connected."""

    def __init__(self, banner: bytes = b"220 SECRET-BANNER internal-db-01 ESMTP\r\n"):
        self.banner = banner
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                try:
                    conn.sendall(self.banner)
                    conn.recv(1024)
                    conn.sendall(b"554 SECRET-BANNER says no\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener():
    service = BannerListener()
    yield service
    service.close()


@pytest.fixture
def studio(client, owner, publication, make_post):
    Newsletter.objects.create(
        publication=publication, name="레터", slug="letter", sender_email="l@weekly.example.com"
    )
    make_post(title="Test me")
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _save_transport(client, publication, url: str):
    return client.post(
        reverse("studio:settings_sending", args=[publication.slug]),
        {"transport-transport_url": url},
    )


def _press_test(client, publication) -> str:
    response = client.post(
        reverse("studio:settings_sending", args=[publication.slug]),
        {"action": "test"},
        follow=True,
    )
    return response.content.decode()


LOCAL_TRANSPORTS = [
    "smtp://127.0.0.1:{port}",
    "smtp://[::1]:{port}",
    "smtp://localhost:{port}",
    "smtp://2130706433:{port}",
    "smtp://0x7f.1:{port}",
    "smtps://127.1:{port}",
    "submission://169.254.169.254:587",
    "smtp://[::ffff:127.0.0.1]:{port}",
    "smtp://10.0.0.1:25",
    "postmark://token@?api_url=http://127.0.0.1:{port}/",
    "postmark://token@?api_url=http://169.254.169.254/latest/",
    "mailgun://key@mg.example.com?api_url=http://[::1]:{port}/v3",
]


@pytest.mark.django_db
@pytest.mark.parametrize("template", LOCAL_TRANSPORTS)
def test_a_transport_on_a_local_address_cannot_be_saved(studio, publication, listener, template):
    url = template.format(port=listener.port)
    response = _save_transport(studio, publication, url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "private or local" in page or "does not resolve" in page
    assert not SendingSettings.objects.filter(transport_url=url).exists()
    assert listener.connections == 0


def test_the_save_time_check_refuses_names_that_do_not_parse():
    for url in ("smtp://", "nonsense://x", "postmark://t@?api_url=ftp://x/", "smtp://h:99999"):
        with pytest.raises(Exception) as refused:
            check_transport_url(url)
        assert type(refused.value).__name__ == "ValidationError", url


@pytest.mark.django_db
@pytest.mark.parametrize("template", ["smtp://127.0.0.1:{port}", "smtp://localhost:{port}"])
def test_a_local_transport_saved_before_the_check_never_connects(
    studio, publication, listener, template
):
    """A URL already in the database (saved before this check, or a name whose DNS answer
    changed since): the connection itself is refused, and the banner never reaches the page."""
    SendingSettings.objects.update_or_create(
        publication=publication, defaults={"transport_url": template.format(port=listener.port)}
    )
    page = _press_test(studio, publication)
    assert "SECRET-BANNER" not in page and "internal-db-01" not in page
    assert "private or local" in page
    assert listener.connections == 0


@pytest.mark.django_db
def test_the_connection_itself_is_checked_even_without_the_studios_precheck(
    publication, make_post, listener
):
    from hanji.sending.actions import send_test

    Newsletter.objects.create(
        publication=publication, name="레터", slug="letter", sender_email="l@weekly.example.com"
    )
    post = make_post(title="Direct")
    for url in (
        f"smtp://127.0.0.1:{listener.port}",
        f"postmark://t@?api_url=http://127.0.0.1:{listener.port}/",
    ):
        SendingSettings.objects.update_or_create(
            publication=publication, defaults={"transport_url": url}
        )
        outcomes = send_test(post, ["reader@example.com"])
        assert outcomes[0].status != "sent"
    assert listener.connections == 0


@pytest.mark.django_db
def test_a_remote_servers_words_never_reach_the_studio(studio, publication, listener):
    url = f"smtp://127.0.0.1:{listener.port}"
    with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        assert _save_transport(studio, publication, url).status_code == 302
        page = _press_test(studio, publication)
    assert listener.connections >= 1
    assert "SECRET-BANNER" not in page and "internal-db-01" not in page and "554" not in page
    assert "did not accept" in page or "could not connect" in page


@pytest.mark.django_db
def test_an_allowed_private_transport_still_sends(studio, publication):
    server = SMTPServer().start()
    try:
        with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"]):
            assert _save_transport(studio, publication, server.url).status_code == 302
            page = _press_test(studio, publication)
        assert "on its way" in page
        assert server.recipients() == ["owner@example.com"]
    finally:
        server.stop()


@contextmanager
def _http_service():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    finally:
        server.shutdown()
        server.server_close()


def test_the_instance_transport_chosen_by_the_operator_is_not_restricted(settings):
    """EMAIL_URL is the operator's own: a local relay (Postfix on 127.0.0.1) is normal."""
    from hanji.sending.transports import transport_for

    settings.EMAIL_URL = "smtp://127.0.0.1:25"
    assert transport_for(None).config.guarded is False


@pytest.mark.django_db
def test_a_guarded_api_session_refuses_a_local_api(publication):
    from hanji.sending.transports.factory import from_url

    with _http_service() as (api, hits):
        transport = from_url(f"postmark://t@?api_url={api}", publication.pk, guarded=True)
        backend_connection = transport.open(template=None)
        session = backend_connection.backend.session
        with pytest.raises(Exception) as refused:
            session.post(api + "email", json={})
        assert "private or local" in str(refused.value)
        assert hits == []
        backend_connection.close()
        with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"]):
            allowed = from_url(f"postmark://t@?api_url={api}", publication.pk, guarded=True)
            connection = allowed.open(template=None)
            assert connection.backend.session.post(api + "email", json={}).status_code == 500
            connection.close()
        assert hits == ["/email"]
