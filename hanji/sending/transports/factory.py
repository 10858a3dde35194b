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


def from_url(url: str, publication_id: int | None = None, guarded: bool = False) -> Transport:
    """The transport `url` names. `guarded`: the URL is a publication's own, so every
    connection it makes must pass hanji.core.addresses (see check_transport_url too)."""
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
            guarded=guarded,
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
            guarded=guarded,
            **limits,
        )
    raise ValueError(f"no sending transport for {backend}")


def check_transport_url(url: str) -> None:
    """Before a publication saves its own transport URL: it parses, and every host it names
    (the SMTP server, an email service's api_url) resolves only to addresses Hanji may
    connect to. Raises ValidationError with a sentence for the studio. The same check runs
    again when each connection is made (see `guarded`)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from hanji.core.addresses import FetchRefused, check_host
    from hanji.core.email_url import EmailURLError

    if not url:
        return
    try:
        parsed = parse_email_url(url)
        from_url(url, guarded=True)
    except (EmailURLError, ValueError, KeyError, ImportError):
        raise ValidationError(
            _("Hanji cannot read this transport URL. Check it against the list of examples.")
        ) from None
    targets = []
    if parsed["BACKEND"].endswith("smtp.EmailBackend"):
        targets.append((parsed["OPTIONS"]["host"], int(parsed["OPTIONS"]["port"])))
    if api_url := parse_qs(urlsplit(url).query).get("api_url", [""])[0]:
        api = urlsplit(api_url)
        if api.scheme not in ("http", "https") or not api.hostname:
            raise ValidationError(_("api_url must be an http or https address."))
        try:
            targets.append((api.hostname, api.port or (443 if api.scheme == "https" else 80)))
        except ValueError:
            raise ValidationError(_("api_url must be an http or https address.")) from None
    for host, port in targets:
        try:
            check_host(host, port)
        except FetchRefused as refused:
            raise ValidationError(str(refused)) from None
