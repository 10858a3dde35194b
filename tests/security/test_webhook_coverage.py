"""Every email service Hanji can send through either has a webhook route that verifies the
service's own proof, or the operator's documentation says plainly that its events are not
received (and its path answers 404). A transport added later must choose one of the two."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanji.core.email_url import ANYMAIL
from hanji.sending.hooks import SERVICES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
# The webhook route of each service, named as anymail names it.
ROUTE = {"ses": "amazon_ses"}
# Services Hanji sends through but does not hear: their bounces come by the bounce mailbox.
NOT_HEARD = {"resend": "Resend", "brevo": "Brevo", "mailersend": "MailerSend"}


def _route(scheme: str) -> str:
    return f"{ROUTE.get(scheme, scheme)}/tracking/"


def test_every_transport_is_heard_with_proof_or_documented_as_not_heard():
    # The paragraph of docs/security.md that says which services are not heard.
    said = " ".join(p for p in DOCS.read_text().split("\n- ") if "are not heard" in p)
    for scheme in ANYMAIL:
        if scheme in NOT_HEARD:
            assert _route(scheme) not in SERVICES, scheme
            assert NOT_HEARD[scheme] in said, f"docs/security.md: {scheme} is not heard"
        else:
            service = SERVICES.get(_route(scheme))
            assert service is not None, f"{scheme}: a transport with no verified webhook route"
            assert service.verify.__name__.startswith("verify_"), scheme


def test_no_route_is_heard_without_a_transport():
    assert {_route(scheme) for scheme in ANYMAIL} >= set(SERVICES)


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", sorted(NOT_HEARD))
def test_a_service_that_is_not_heard_answers_404(client, settings, scheme):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:password"}
    for kind in ("tracking", "inbound"):
        response = client.post(f"/e/hooks/{scheme}/{kind}/", "{}", content_type="application/json")
        assert response.status_code == 404, (scheme, kind)
