"""The real SMTP server and in-line sends of tests/sending, for the XSS corpus's emails."""

from tests.sending.conftest import fast_retries, mail_to, send_now, smtp_server  # noqa: F401
