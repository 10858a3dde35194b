"""SMTP: reused smtplib connections (plain, STARTTLS or TLS, with or without login), each
message one transaction of prebuilt bytes, pipelined (RFC 2920) when the server offers it.

smtplib's `sendmail()` re-scans every message with two regular expressions (line endings and
dot-stuffing) and waits for each command's reply in turn. Hanji's messages are built with CRLF
already, so only dot-stuffing is left (one bytes.replace), and with PIPELINING the envelope
commands travel in one packet: two round trips a message instead of four.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass

from hanji.sending.transports import (
    DOWN,
    FAILED,
    HALT,
    RETRY,
    SENT,
    Connection,
    Outcome,
    OutMessage,
    Transport,
)

# Enhanced status codes (RFC 3463) that say the address itself is bad.
_BAD_ADDRESS = re.compile(r"\b5\.(1\.\d|2\.1)\b")


@dataclass(frozen=True)
class SMTPConfig:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS
    use_ssl: bool = False  # implicit TLS
    timeout: float = 30.0
    verify: bool = True  # verify the server's certificate (off only for local test servers)
    local_hostname: str | None = None
    # A publication's own server (its owner chose the host): connect only to addresses that
    # pass hanji.core.addresses, the checked one itself. The instance's EMAIL_URL is trusted.
    guarded: bool = False


class _GuardedSMTP(smtplib.SMTP):
    def _get_socket(self, host, port, timeout):
        from hanji.core.addresses import FetchRefused, connect

        try:
            return connect(host, port, timeout, self.source_address)
        except FetchRefused as refused:
            raise smtplib.SMTPConnectError(-1, str(refused)) from None


class _GuardedSMTPSSL(smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):
        sock = _GuardedSMTP._get_socket(self, host, port, timeout)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class SMTPTransport(Transport):
    name = "smtp"

    def __init__(self, config: SMTPConfig, connections: int = 2, **limits):
        self.config = config
        self.connections = connections
        self.key = f"smtp:{config.host}:{config.port}:{config.username}"
        self.per_second = limits.get("per_second")
        self.per_hour = limits.get("per_hour")
        self.per_day = limits.get("per_day")

    def open(self, template, signer=None) -> SMTPConnection:
        return SMTPConnection(self.config, template, signer)


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())[:250]


def _outcome(code: int, reply, stage: str) -> Outcome:
    """What a refusal at `stage` (mail, rcpt, data, end) means for the message."""
    detail = f"{code} {_text(reply)}".strip()
    if code == 421 or not 400 <= code < 600:
        return Outcome(DOWN, code, detail)
    if 400 <= code < 500:
        return Outcome(RETRY, code, detail)
    if stage == "mail":
        # The server refuses our sender: no message will pass until that is fixed.
        return Outcome(HALT, code, detail)
    suppress = stage == "rcpt" or bool(_BAD_ADDRESS.search(detail))
    return Outcome(FAILED, code, detail, suppress=suppress)


class SMTPConnection(Connection):
    def __init__(self, config: SMTPConfig, template, signer=None):
        self.config = config
        self.template = template
        self.signer = signer
        self.smtp: smtplib.SMTP | None = None
        self.pipelining = False
        self.options = b""

    def connect(self) -> None:
        c = self.config
        context = ssl.create_default_context()
        if not c.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if c.use_ssl:
            kind = _GuardedSMTPSSL if c.guarded else smtplib.SMTP_SSL
            smtp = kind(
                c.host, c.port, timeout=c.timeout, context=context, local_hostname=c.local_hostname
            )
        else:
            kind = _GuardedSMTP if c.guarded else smtplib.SMTP
            smtp = kind(c.host, c.port, timeout=c.timeout, local_hostname=c.local_hostname)
        try:
            smtp.ehlo()
            if c.use_tls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except BaseException:
            smtp.close()
            raise
        self.smtp = smtp
        self.pipelining = smtp.has_extn("pipelining")
        self.options = b" BODY=8BITMIME" if smtp.has_extn("8bitmime") else b""
        self.size_limit = int(smtp.esmtp_features.get("size", "0") or 0)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def deliver(self, messages: list[OutMessage]) -> list[Outcome]:
        return [self.deliver_one(message) for message in messages]

    def deliver_one(self, message: OutMessage) -> Outcome:
        if self.smtp is None:
            try:
                self.connect()
            except smtplib.SMTPAuthenticationError as error:
                return Outcome(HALT, error.smtp_code, f"login refused: {_text(error.smtp_error)}")
            except smtplib.SMTPNotSupportedError as error:
                # A login or STARTTLS the server does not offer: waiting will not change it.
                return Outcome(HALT, 0, f"the server does not support it: {error}")
            except smtplib.SMTPResponseException as error:
                self._drop()
                return Outcome(DOWN, error.smtp_code, _text(error.smtp_error))
            except (OSError, smtplib.SMTPException) as error:
                self._drop()
                return Outcome(DOWN, 0, f"cannot connect: {error}")
        data = self.template.message(message.variant, message.values)
        if self.signer is not None:
            data = self.signer.sign(data)
        try:
            return self._transaction(message, data)
        except (OSError, smtplib.SMTPException) as error:
            # The connection broke mid-transaction: the message may or may not have been
            # taken; retrying sends the same Message-ID, which receivers treat as one message.
            self._drop()
            return Outcome(DOWN, 0, f"connection lost: {error}")

    def _transaction(self, message: OutMessage, data: bytes) -> Outcome:
        smtp = self.smtp
        assert smtp is not None
        size = b" SIZE=%d" % len(data) if self.size_limit else b""
        mail = b"MAIL FROM:<%s>%s%s\r\n" % (message.envelope_from.encode(), self.options, size)
        rcpt = b"RCPT TO:<%s>\r\n" % message.recipient.encode()
        if self.pipelining:
            smtp.sock.sendall(mail + rcpt + b"DATA\r\n")
            replies = [smtp.getreply(), smtp.getreply(), smtp.getreply()]
        else:
            replies = []
            for command in (mail, rcpt, b"DATA\r\n"):
                smtp.sock.sendall(command)
                replies.append(smtp.getreply())
                if not 200 <= replies[-1][0] < 400:
                    break
        for (code, reply), stage in zip(replies, ("mail", "rcpt", "data"), strict=False):
            if (stage == "data" and code != 354) or (stage != "data" and not 200 <= code < 300):
                if len(replies) == 3 and replies[2][0] == 354:
                    # A server that said 354 after refusing the recipient: end the empty data.
                    smtp.sock.sendall(b".\r\n")
                    smtp.getreply()
                return self._refused(code, reply, stage)
        # Dot-stuffing (RFC 5321 4.5.2); the message is CRLF throughout and ends with one.
        body = data.replace(b"\r\n.", b"\r\n..")
        if body.startswith(b"."):
            body = b"." + body
        smtp.sock.sendall(body + b".\r\n")
        code, reply = smtp.getreply()
        if 200 <= code < 300:
            return Outcome(SENT, code, _text(reply)[:100])
        return self._refused(code, reply, "end")

    def _refused(self, code: int, reply, stage: str) -> Outcome:
        outcome = _outcome(code, reply, stage)
        if outcome.status == DOWN or code == -1:
            self._drop()
        else:
            try:
                self.smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        return outcome


def probe(config: SMTPConfig) -> str:
    """Connect, greet and leave: '' when the server answers, else why not (for `hanji send`)."""
    try:
        conn = SMTPConnection(config, None)
        conn.connect()
        conn.close()
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        return str(error)
    return ""
