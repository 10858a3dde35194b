"""`hanji send …`, `hanji dns` (the management commands the `hanji` CLI forwards to)."""

from __future__ import annotations

import io

import dkim
import pytest
from django.core.management import CommandError, call_command

from hanji.sending.models import Send, SendingSettings


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("HANJI_LANGUAGE", "en")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_start_status_and_the_lifecycle_commands(
    mail_to, publication, make_post, make_subscribers, django_capture_on_commit_callbacks
):
    make_subscribers(4)
    post = make_post(title="명령줄에서 보내기")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("send", "start", post.slug, "--publication", "weekly")
    send = Send.objects.get()
    assert f"Send {send.pk}:" in out and "명령줄에서 보내기" in out
    assert len(mail_to.received) == 4
    status = run("send", "status", str(send.pk))
    assert "sent 4" in status and "remaining 0" in status
    assert str(send.pk) in run("send", "status")
    listing = run("send", "status", str(send.pk), "--recipients")
    assert listing.count("\tSent\t") == 4 and "reader0@example.org" in listing
    with pytest.raises(CommandError, match="already sent"):
        run("send", "start", post.slug, "--publication", "weekly")
    with pytest.raises(CommandError, match="not running"):
        run("send", "pause", str(send.pk))
    with pytest.raises(CommandError, match="already ended"):
        run("send", "cancel", str(send.pk))
    with pytest.raises(CommandError, match="not paused"):
        run("send", "resume", str(send.pk))


def test_send_start_later_then_pause_resume_and_cancel(mail_to, make_post, make_subscribers):
    make_subscribers(2)
    post = make_post()
    out = run("send", "start", post.slug, "--at", "2099-01-01T07:00")
    send = Send.objects.get()
    assert send.state == "scheduled" and "2099-01-01 07:00" in out
    assert "Paused" in run("send", "pause", str(send.pk))
    assert "Resumed" in run("send", "resume", str(send.pk))
    assert Send.objects.get().state == "scheduled"
    assert "Cancelled" in run("send", "cancel", str(send.pk))
    assert Send.objects.get().state == "cancelled"


def test_send_start_refuses_clearly(publication, make_post, newsletter):
    with pytest.raises(CommandError, match="no post"):
        run("send", "start", "missing", "--publication", "weekly")
    draft = make_post(title="초안", publish=False)
    with pytest.raises(CommandError, match="Publish the post"):
        run("send", "start", draft.slug)


def test_send_test_mails_the_chosen_addresses(mail_to, make_post, newsletter):
    post = make_post()
    out = run("send", "test", post.slug, "--to", "editor@example.com", "--to", "me@example.com")
    assert out.count(": sent") == 2
    assert sorted(mail_to.recipients()) == ["editor@example.com", "me@example.com"]


def test_dns_prints_spf_dkim_and_dmarc_with_a_generated_key(
    settings, publication, newsletter, tmp_path
):
    settings.DATA_DIR = tmp_path
    settings.EMAIL_URL = "smtp://mail.weekly.example.com:587?tls=1"
    out = run("dns", "--publication", "weekly", "--generate-dkim")
    assert 'weekly.example.com.\tTXT\t"v=spf1 a mx a:mail.weekly.example.com ~all"' in out
    assert "_dmarc.weekly.example.com.\tTXT\t" in out and "v=DMARC1" in out
    line = next(x for x in out.splitlines() if x.startswith("hanji._domainkey.weekly.example.com."))
    record = "".join(part.strip('"') for part in line.split("\t")[2].split('" "')).strip('"')
    assert record.startswith("v=DKIM1; k=rsa; p=")
    options = SendingSettings.objects.get(publication=publication)
    assert options.dkim_key_path.startswith(str(tmp_path))
    # The printed key verifies what the signer signs.
    from hanji.sending.dkim import DKIMSigner

    pem = open(options.dkim_key_path, "rb").read()
    message = b"From: a@weekly.example.com\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhello\r\n"
    signed = DKIMSigner("weekly.example.com", "hanji", pem).sign(message)
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: record.encode())


def test_dns_names_the_service_include(settings, publication, newsletter):
    settings.EMAIL_URL = "postmark://token@"
    out = run("dns", "--publication", "weekly")
    assert "include:spf.mtasv.net" in out and "Postmark".lower() in out.lower()


def test_the_studio_shows_the_records_hanji_dns_prints(
    settings, client, owner, publication, newsletter, tmp_path
):
    """One function (hanji.sending.dns.dns_plan) for both: the same names and values."""
    import html

    from django.urls import reverse

    from hanji.sending.dns import dns_plan

    settings.DATA_DIR = tmp_path
    settings.EMAIL_URL = "mailgun://key-1@mg.weekly.example.com"
    out = run("dns", "--publication", "weekly", "--generate-dkim")
    records = dns_plan(publication).records
    assert [r.kind for r in records] == ["TXT", "TXT", "TXT"]
    assert "include:mailgun.org" in records[0].value
    client.force_login(owner)
    response = client.get(reverse("studio:newsletters", args=[publication.slug]))
    assert response.status_code == 200
    page = html.unescape(response.text)
    for record in records:
        assert record.name in out and record.name in page
        assert record.value in page
        printed = next(x for x in out.splitlines() if x.startswith(record.name + "\t"))
        joined = "".join(part.strip('"') for part in printed.split("\t")[2].split('" "'))
        assert joined.strip('"') == record.value
