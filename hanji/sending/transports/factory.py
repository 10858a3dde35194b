"""A transport from a URL in the EMAIL_URL syntax (see hanji.core.email_url).

Extra query parameters understood here:
    connections=N                 reused connections per worker loop (default HANJI_SEND_CONNECTIONS)
    max_per_second=R  max_per_hour=N  max_per_day=N    shared by every worker
    verify=0                      do not check the SMTP server's certificate (test servers)
    api_url=URL   batch=0|1       for email services through django-anymail
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hanji.core.email_url import OUTBOX_BACKEND, parse_email_url
from hanji.sending import conf
from hanji.sending.transports import Transport


def _limits(query: dict[str, list[str]]) -> dict:
    def number(name: str, kind):
        value = query.get(name, [""])[0]
        return kind(value) if value else None

    return {
        "per_second": number("max_per_second", float),
        "per_hour": number("max_per_hour", int),
        "per_day": number("max_per_day", int),
    }


def from_url(url: str, publication_id: int | None = None) -> Transport:
    parsed = parse_email_url(url)
    backend = parsed["BACKEND"]
    options = dict(parsed.get("OPTIONS", {}))
    query = parse_qs(urlsplit(url).query) if url else {}
    connections = int(query.get("connections", [conf.get("CONNECTIONS")])[0])
    limits = _limits(query)
    if backend == OUTBOX_BACKEND:
        from hanji.sending.transports.outbox import OutboxTransport

        return OutboxTransport(publication_id)
    if backend.endswith("console.EmailBackend"):
        from hanji.sending.transports.outbox import ConsoleTransport

        return ConsoleTransport()
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        from hanji.sending.transports.smtp import SMTPConfig, SMTPTransport

        config = SMTPConfig(
            host=options["host"],
            port=int(options["port"]),
            username=options.get("username", ""),
            password=options.get("password", ""),
            use_tls=bool(options.get("use_tls")),
            use_ssl=bool(options.get("use_ssl")),
            timeout=float(options.get("timeout", 30)),
            verify=query.get("verify", ["1"])[0] not in {"0", "false", "no"},
        )
        return SMTPTransport(config, connections=connections, **limits)
    if backend.startswith("anymail."):
        from hanji.sending.transports.anymail import AnymailTransport

        esp = backend.split(".")[2]
        if api_url := query.get("api_url", [""])[0]:
            options["api_url"] = api_url
        batch = query.get("batch", [""])[0]
        return AnymailTransport(
            backend,
            options,
            esp,
            connections=connections,
            batch=None if batch == "" else batch in {"1", "true", "yes"},
            **limits,
        )
    raise ValueError(f"no sending transport for {backend}")
