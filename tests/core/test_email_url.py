"""EMAIL_URL turned into Django's MAILERS: each scheme, and the mistakes an operator makes."""

from __future__ import annotations

import importlib.util

import pytest

from hanji.core.email_url import OUTBOX_BACKEND, EmailURLError, mailers_from_env, parse_email_url


def test_no_url_means_the_outbox():
    assert parse_email_url("") == {"BACKEND": OUTBOX_BACKEND}
    assert parse_email_url("outbox://") == {"BACKEND": OUTBOX_BACKEND}


def test_smtp_urls_carry_host_port_security_and_credentials():
    starttls = parse_email_url("smtp://kim%40example.com:p%40ss@mail.example.com:587?tls=1")
    assert starttls["OPTIONS"] == {
        "host": "mail.example.com",
        "port": 587,
        "use_ssl": False,
        "use_tls": True,
        "timeout": 30.0,
        "username": "kim@example.com",
        "password": "p@ss",
    }
    implicit = parse_email_url("smtps://u:p@mail.example.com")["OPTIONS"]
    assert implicit["port"] == 465 and implicit["use_ssl"] and not implicit["use_tls"]
    assert parse_email_url("smtp://relay.local")["OPTIONS"]["port"] == 25


def test_email_services_get_their_key_and_domain():
    postmark = parse_email_url("postmark://TOKEN@")
    assert postmark["BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert postmark["OPTIONS"] == {"server_token": "TOKEN"}
    mailgun = parse_email_url("mailgun://KEY@mg.example.com")
    assert mailgun["OPTIONS"] == {"api_key": "KEY", "sender_domain": "mg.example.com"}


def test_ses_without_boto3_is_one_clear_error(monkeypatch):
    if importlib.util.find_spec("boto3") is not None:
        pytest.skip("boto3 is installed here")
    with pytest.raises(EmailURLError, match="boto3"):
        parse_email_url("ses://ACCESS:SECRET@ap-northeast-2")


@pytest.mark.parametrize("url", ["smtp://", "carrier-pigeon://coop", "sendmail:///usr/sbin"])
def test_a_wrong_url_is_refused(url):
    with pytest.raises(EmailURLError):
        parse_email_url(url)


def test_transactional_mail_may_have_its_own_transport(monkeypatch):
    monkeypatch.setenv("HANJI_TRANSACTIONAL_EMAIL_URL", "postmark://T@")
    mailers = mailers_from_env("smtp://relay.local")
    assert mailers["default"]["BACKEND"].endswith("smtp.EmailBackend")
    assert mailers["transactional"]["BACKEND"] == "anymail.backends.postmark.EmailBackend"
    monkeypatch.delenv("HANJI_TRANSACTIONAL_EMAIL_URL")
    assert mailers_from_env("console://")["transactional"] == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
