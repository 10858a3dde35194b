"""What a transport's refusal means, in the studio's words.

A remote server's own answer (its banner, its error text) is never shown to a studio user:
with a publication's own transport it could be any listener the owner pointed Hanji at, and
its words are whatever that listener wants to reveal. The raw answer goes to the log for the
operator; the studio gets one of these sentences.
"""

from __future__ import annotations

import logging
import smtplib

from anymail.exceptions import AnymailError
from django.utils.translation import gettext as _

from hanji.sending.transports import DOWN, FAILED, HALT, RETRY, Outcome

logger = logging.getLogger(__name__)

_LOGIN_CODES = {530, 534, 535, 401, 403}

# What a transport may raise when it cannot send at all (connecting, TLS, logging in, an API
# answering with an error): caught by name, so a bug in Hanji still shows as a bug.
TRANSPORT_ERRORS = (OSError, smtplib.SMTPException, AnymailError)


def explain(outcome: Outcome) -> str:
    """One translated sentence for a message the transport did not take."""
    logger.info("transport refused a test message: %s %s", outcome.code, outcome.detail)
    code = outcome.code or 0
    if outcome.status == HALT and code in _LOGIN_CODES:
        return _("The mail server refused the user name or password.")
    if outcome.status == HALT:
        return _("The mail server refused the sender address. Check the newsletter's sender.")
    if outcome.status == FAILED:
        return _("The mail server refused the recipient address.")
    if outcome.status == RETRY:
        return _("The mail server asked Hanji to try again later.")
    if outcome.status == DOWN and code <= 0:
        return _("Hanji could not connect to the mail server. Check its host name and port.")
    return _("The mail server did not accept the message.")


def explain_error(error: Exception) -> str:
    """For an exception out of a transport: logged whole, summarised for the studio."""
    logger.warning("the transport test failed", exc_info=error)
    return _("Hanji could not send through this transport. The server's log has the details.")
