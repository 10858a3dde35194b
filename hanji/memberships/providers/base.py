"""The interface every payment provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings as django_settings


class BadSignature(Exception):
    """A webhook whose signature is missing, wrong or stale, or no secret to check it with."""


class ProviderError(Exception):
    """The provider refused or failed; the message is safe to log (no secrets)."""


@dataclass
class WebhookEvent:
    id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckoutStart:
    """How the reader goes on paying: a redirect (Stripe Checkout) or parameters for the
    provider's browser SDK on our own page (PortOne's requestIssueBillingKey)."""

    redirect_url: str = ""
    browser: dict[str, Any] = field(default_factory=dict)


@dataclass
class Charge:
    payment_id: str
    paid: bool
    amount: int
    currency: str
    failure: str = ""


class Provider(Protocol):
    name: str

    def verify_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent: ...

    def handle(self, publication, event: WebhookEvent) -> str: ...

    def start_checkout(self, checkout, *, success_url: str, cancel_url: str) -> CheckoutStart: ...

    def set_cancel_at_period_end(self, member, cancel: bool) -> None: ...

    def manage_url(self, member, return_url: str) -> str: ...


def api_base(name: str, default: str) -> str:
    """The provider's API address: the real one, or a local fake in tests and benchmarks
    (HANJI_STRIPE_API_BASE, HANJI_PORTONE_API_BASE)."""
    return getattr(django_settings, f"HANJI_{name.upper()}_API_BASE", "") or default
