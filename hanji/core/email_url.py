"""Turn `EMAIL_URL` into Django 6.1's `MAILERS` setting.

    smtp://user:pass@host:587?tls=1      STARTTLS      smtps://user:pass@host:465   implicit TLS
    outbox:// (or empty)                 the built-in outbox shown in the studio
    console://                           print to stdout
    postmark://TOKEN@   sendgrid://KEY@   resend://KEY@   mailgun://KEY@DOMAIN
    ses://ACCESS:SECRET@REGION           brevo://KEY@     mailersend://KEY@      (django-anymail)

`HANJI_TRANSACTIONAL_EMAIL_URL`, when set, becomes the "transactional" mailer used for
confirmations and sign-in links; otherwise those use the default one.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

OUTBOX_BACKEND = "hanji.core.outbox.OutboxBackend"

ANYMAIL = {
    "postmark": ("anymail.backends.postmark.EmailBackend", "server_token"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "api_key"),
    "resend": ("anymail.backends.resend.EmailBackend", "api_key"),
    "brevo": ("anymail.backends.brevo.EmailBackend", "api_key"),
    "mailersend": ("anymail.backends.mailersend.EmailBackend", "api_token"),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", "api_key"),
    "ses": ("anymail.backends.amazon_ses.EmailBackend", None),
}


class EmailURLError(ValueError):
    pass


def _truthy(query: dict[str, list[str]], key: str) -> bool:
    return query.get(key, ["0"])[0].lower() in {"1", "true", "yes", "on"}


def parse_email_url(url: str) -> dict[str, Any]:
    """One MAILERS entry from one URL."""
    if not url or url.startswith("outbox:"):
        return {"BACKEND": OUTBOX_BACKEND}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in {"smtp", "smtps", "submission"}:
        if not parts.hostname:
            raise EmailURLError(f"EMAIL_URL {scheme}:// needs a host name")
        options: dict[str, Any] = {
            "host": parts.hostname,
            "port": parts.port
            or (465 if scheme == "smtps" else 587 if scheme == "submission" else 25),
            "use_ssl": scheme == "smtps" or _truthy(query, "ssl"),
            "use_tls": scheme == "submission" or _truthy(query, "tls"),
            "timeout": float(query.get("timeout", ["30"])[0]),
        }
        if user:
            options["username"] = user
            options["password"] = password
        return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    if scheme in ANYMAIL:
        backend, key_name = ANYMAIL[scheme]
        options = {}
        if scheme == "ses":
            if importlib.util.find_spec("boto3") is None:
                raise EmailURLError(
                    "EMAIL_URL ses:// needs boto3, which Hanji does not install by default: "
                    "pip install 'django-anymail[amazon-ses]' into Hanji's environment"
                )
            if user:
                options["session_params"] = {
                    "aws_access_key_id": user,
                    "aws_secret_access_key": password,
                    "region_name": parts.hostname or "us-east-1",
                }
        elif key_name:
            options[key_name] = user or password
            if scheme == "mailgun" and parts.hostname:
                options["sender_domain"] = parts.hostname
        return {"BACKEND": backend, "OPTIONS": options}
    raise EmailURLError(f"EMAIL_URL has an unknown scheme {scheme!r}")


def mailers_from_env(default_url: str) -> dict[str, dict[str, Any]]:
    mailers = {"default": parse_email_url(default_url)}
    transactional = os.environ.get("HANJI_TRANSACTIONAL_EMAIL_URL", "")
    mailers["transactional"] = (
        parse_email_url(transactional) if transactional else mailers["default"]
    )
    return mailers
