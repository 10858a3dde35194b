"""Pieces of view plumbing the studio repeats, written once: a streamed CSV download, and
what a test send tells the person who asked for it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _

from hanji.subscribers.exporter import csv_writer


class _Echo:
    def write(self, value):
        return value


def csv_download(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """Stream `rows` as a CSV file named `filename`, row by row (a million rows never sit in
    memory), with the byte-order mark Excel needs to read UTF-8 (Korean Windows above all).
    Cells are written as given: neutralise text from outside (hanji.subscribers.exporter)."""
    writer = csv_writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def send_test_and_say(request: HttpRequest, post, addresses: list[str]) -> bool:
    """Send `post` as a test to `addresses` and tell the person how it went, in the studio's
    words (a remote server's own answer goes to the log only: hanji.sending.explain). True
    when every message was taken."""
    from hanji.sending.actions import SendError, send_test
    from hanji.sending.explain import TRANSPORT_ERRORS, explain, explain_error

    try:
        if post is None:
            raise SendError(_("Write a post first: the test sends it."))
        outcomes = send_test(post, addresses)
    except (SendError, ValueError) as refused:
        messages.error(request, str(refused) or _("That is not an email address."))
        return False
    except TRANSPORT_ERRORS as error:
        messages.error(request, explain_error(error))
        return False
    failed = [outcome for outcome in outcomes if outcome.status != "sent"]
    if failed:
        messages.error(request, explain(failed[0]))
        return False
    messages.success(
        request, _("A test email is on its way to %(to)s.") % {"to": ", ".join(addresses)}
    )
    return True
