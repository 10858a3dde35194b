"""Every change to subscribers goes through these functions (views, CLI, tasks, tests).

Split by job; import from the package (`from hanji.subscribers.actions import subscribe`):

- `subscribe`: subscribe and confirm (double opt-in), the newsletters a subscriber joins, the
  consent statements;
- `account`: the reader's sign-in, newsletter choices, email change, export and delete;
- `leave`: unsubscribe, suppression, withdrawing advertising consent;
- `staff`: what the publication's team changes in the studio (tags, saved segments);
- `mail`: the emails a reader asked for (sent by the tasks);
- `common`: what they share (request info, the consent log, single-use tokens).
"""

from hanji.subscribers.actions.account import (
    EMAIL_CHANGE,
    EMAIL_CHANGE_MAX_AGE,
    SIGN_IN,
    SIGN_IN_MAX_AGE,
    EmailTaken,
    confirm_email_change,
    consent_log,
    delete_subscriber,
    email_change_token,
    export_data,
    read_email_change_token,
    read_sign_in_token,
    request_email_change,
    request_sign_in,
    set_newsletters,
    sign_in,
    sign_in_next,
    sign_in_token,
)
from hanji.subscribers.actions.common import (
    MAIL_INTERVAL,
    Refused,
    RequestInfo,
    TokenUsed,
    erased_digest,
)
from hanji.subscribers.actions.leave import suppress, unsubscribe, withdraw_advertising
from hanji.subscribers.actions.mail import (
    mail_confirmation,
    mail_email_change_link,
    mail_sign_in_link,
    mail_welcome,
)
from hanji.subscribers.actions.staff import (
    NEWSLETTER_FIELDS,
    delete_segment,
    save_newsletter,
    save_segment,
    set_subscriber_tags,
)
from hanji.subscribers.actions.subscribe import (
    CONFIRM,
    CONFIRM_MAX_AGE,
    advertising_statement,
    chosen_newsletters,
    confirm_next,
    confirm_subscription,
    confirm_token,
    ensure_newsletter,
    read_confirm_token,
    subscribe,
    subscribe_statement,
)

__all__ = [
    "CONFIRM",
    "CONFIRM_MAX_AGE",
    "EMAIL_CHANGE",
    "EMAIL_CHANGE_MAX_AGE",
    "MAIL_INTERVAL",
    "NEWSLETTER_FIELDS",
    "SIGN_IN",
    "SIGN_IN_MAX_AGE",
    "EmailTaken",
    "Refused",
    "RequestInfo",
    "TokenUsed",
    "advertising_statement",
    "chosen_newsletters",
    "confirm_email_change",
    "confirm_next",
    "confirm_subscription",
    "confirm_token",
    "consent_log",
    "delete_segment",
    "delete_subscriber",
    "email_change_token",
    "ensure_newsletter",
    "erased_digest",
    "export_data",
    "mail_confirmation",
    "mail_email_change_link",
    "mail_sign_in_link",
    "mail_welcome",
    "read_confirm_token",
    "read_email_change_token",
    "read_sign_in_token",
    "save_newsletter",
    "save_segment",
    "request_email_change",
    "request_sign_in",
    "set_newsletters",
    "set_subscriber_tags",
    "sign_in",
    "sign_in_next",
    "sign_in_token",
    "subscribe",
    "subscribe_statement",
    "suppress",
    "unsubscribe",
    "withdraw_advertising",
]
