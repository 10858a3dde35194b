from tests.engagement.conftest import _fresh_engagement  # noqa: F401
from tests.sending.conftest import (  # noqa: F401
    fast_retries,
    mail_to,
    make_subscribers,
    newsletter,
    send_now,
    smtp_server,
)
