"""PortOne V2 (Korean cards, KakaoPay, Toss Pay, Naver Pay) through portone-server-sdk.

PortOne has no subscription object: the browser SDK's `requestIssueBillingKey` gives a
billing key, the server charges it (`POST /payments/{paymentId}/billing-key`) for the first
period and Hanji's own renewal job (hanji.memberships.renewals) charges each later one.
Nothing the browser says is trusted: every charge is read back from the API and its amount
compared with the order before anything is granted. Webhooks are Standard Webhooks
(webhook-id, webhook-timestamp, webhook-signature), verified with `standardwebhooks`.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from hanji.memberships import events
from hanji.memberships.models import (
    Checkout,
    CheckoutStatus,
    Member,
    Payment,
    PaymentStatus,
    Period,
)
from hanji.memberships.providers.base import (
    BadSignature,
    Charge,
    CheckoutStart,
    ProviderError,
    WebhookEvent,
    api_base,
)

logger = logging.getLogger(__name__)
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def period_after(start, period: str):
    """The end of one period from `start` (a month is the same day next month, clamped)."""
    if period == Period.YEAR:
        try:
            return start.replace(year=start.year + 1)
        except ValueError:  # 29 February
            return start.replace(year=start.year + 1, day=28)
    month = start.month % 12 + 1
    year = start.year + (start.month == 12)
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return start + timedelta(days=30)


@dataclass
class PaymentRecord:
    """What the API says of one payment."""

    id: str
    status: str
    amount: int
    currency: str
    billing_key: str = ""


# The SDK gives each payment status its own class (and no status field).
_STATUS_OF_CLASS = {
    "PaidPayment": "PAID",
    "FailedPayment": "FAILED",
    "CancelledPayment": "CANCELLED",
    "PartialCancelledPayment": "PARTIAL_CANCELLED",
    "PayPendingPayment": "PAY_PENDING",
    "ReadyPayment": "READY",
    "VirtualAccountIssuedPayment": "VIRTUAL_ACCOUNT_ISSUED",
}


def _record(payment: Any) -> PaymentRecord:
    if isinstance(payment, dict):
        amount = (payment.get("amount") or {}).get("total", 0)
        return PaymentRecord(
            str(payment.get("id", "")),
            str(payment.get("status", "")),
            int(amount),
            str(payment.get("currency", "")),
            str(payment.get("billingKey") or ""),
        )
    return PaymentRecord(
        payment.id,
        _STATUS_OF_CLASS.get(type(payment).__name__, "UNKNOWN"),
        int(payment.amount.total),
        str(payment.currency),
        getattr(payment, "billing_key", None) or "",
    )


@functools.lru_cache(maxsize=64)
def _shared_client(secret: str, base_url: str):
    from portone_server_sdk import PaymentClient

    return PaymentClient(secret=secret, base_url=base_url)


def _payment_client(secret: str, base_url: str):
    """One API client per secret and address, shared by every thread of the process: making
    one loads the CA bundle a dozen times (~0.7 s), and its connections are kept alive."""
    if not secret:
        raise ProviderError("PortOne's API secret is not set")
    return _shared_client(secret, base_url)


class PortOneProvider:
    name = "portone"

    def __init__(self, settings) -> None:
        self.settings = settings

    def _payments(self):
        return _payment_client(
            self.settings.portone_api_secret, api_base("portone", "https://api.portone.io")
        )

    def get_payment(self, payment_id: str) -> PaymentRecord:
        return _record(self._payments().get_payment(payment_id=payment_id))

    def charge(
        self,
        *,
        payment_id: str,
        billing_key: str,
        amount: int,
        currency: str,
        order_name: str,
        customer_id: str,
    ) -> Charge:
        """Charge a billing key once per payment id (PortOne refuses a paid id twice), then
        read the payment back: only a PAID payment of exactly `amount` counts."""
        from portone_server_sdk.common import CustomerInput, PaymentAmountInput
        from portone_server_sdk.errors import AlreadyPaidError, PortOneError

        try:
            self._payments().pay_with_billing_key(
                payment_id=payment_id,
                billing_key=billing_key,
                order_name=order_name[:100],
                amount=PaymentAmountInput(total=amount),
                currency=currency,
                customer=CustomerInput(id=customer_id),
            )
        except AlreadyPaidError:
            pass  # a second worker, or a retry after a crash: read what the first one did
        except PortOneError as error:
            return Charge(payment_id, False, amount, currency, _failure(error))
        record = self.get_payment(payment_id)
        if record.status != "PAID":
            return Charge(payment_id, False, amount, currency, f"payment is {record.status}")
        if record.amount != amount or record.currency != currency:
            logger.warning(
                "PortOne payment %s: amount %s %s differs from the order's %s %s",
                payment_id,
                record.amount,
                record.currency,
                amount,
                currency,
            )
            return Charge(payment_id, False, record.amount, record.currency, "amount mismatch")
        return Charge(payment_id, True, amount, currency)

    # --- webhooks ------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers) -> WebhookEvent:
        from standardwebhooks import Webhook
        from standardwebhooks.webhooks import WebhookVerificationError

        secret = self.settings.portone_webhook_secret
        if not secret:
            raise BadSignature("no PortOne webhook secret is set")
        found = {name: headers.get(name) for name in HEADERS}
        if not all(found.values()):
            raise BadSignature("no Standard Webhooks signature headers")
        try:
            Webhook(secret).verify(body, found)
            payload = json.loads(body)
        except (WebhookVerificationError, ValueError, TypeError) as error:
            raise BadSignature(str(error)[:200]) from None
        return WebhookEvent(found["webhook-id"], str(payload.get("type", "")), payload)

    def handle(self, publication, event: WebhookEvent) -> str:
        if not event.kind.startswith("Transaction."):
            return "ignored"
        payment_id = str((event.data.get("data") or {}).get("paymentId", ""))
        if not payment_id:
            return "no payment id"
        record = self.get_payment(payment_id)  # the API's word, not the webhook's
        checkout = (
            Checkout.objects.select_for_update()
            .filter(publication=publication, provider="portone", order_id=payment_id)
            .first()
        )
        if record.status in ("CANCELLED", "PARTIAL_CANCELLED"):
            found = Payment.objects.filter(
                publication=publication, provider="portone", provider_payment_id=payment_id
            )
            return "refunded" if found.update(status=PaymentStatus.REFUNDED) else "unknown payment"
        if checkout is None and payment_id.startswith("gift-"):
            return self._gift_paid(publication, payment_id, record)
        if checkout is None:
            return "not a checkout (renewals are settled by the renewal job)"
        if record.status != "PAID":
            return f"payment is {record.status}"
        if record.amount != checkout.charge_amount or record.currency != checkout.currency:
            logger.warning(
                "PortOne payment %s paid %s %s but the order was %s %s: nothing granted",
                payment_id,
                record.amount,
                record.currency,
                checkout.charge_amount,
                checkout.currency,
            )
            return "amount mismatch"
        if checkout.status == CheckoutStatus.PAID:
            return "checkout already granted"
        member = self.grant(checkout, record.billing_key, payment_id)
        return member.status

    # --- checkout and account -----------------------------------------------------------

    def start_checkout(self, checkout, *, success_url: str, cancel_url: str) -> CheckoutStart:
        return CheckoutStart(
            browser={
                "storeId": self.settings.portone_store_id,
                "channelKey": self.settings.portone_channel_key,
                "billingKeyMethod": "CARD",
                "issueId": checkout.order_id,
                "issueName": checkout.tier.name,
                "customer": {
                    "customerId": f"hanji-{checkout.subscriber_id}",
                    "email": checkout.subscriber.email,
                },
            }
        )

    def complete_checkout(self, checkout: Checkout, billing_key: str) -> Member | None:
        """After the browser got a billing key: charge the first period (none during a
        trial), read it back, then grant. None when the charge did not go through."""
        if checkout.status == CheckoutStatus.PAID:
            return Member.objects.filter(subscriber_id=checkout.subscriber_id).first()
        if not checkout.trial_days:
            charge = self.charge(
                payment_id=checkout.order_id,
                billing_key=billing_key,
                amount=checkout.charge_amount,
                currency=checkout.currency,
                order_name=checkout.tier.name,
                customer_id=f"hanji-{checkout.subscriber_id}",
            )
            if not charge.paid:
                Checkout.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.FAILED)
                logger.info("PortOne first charge %s failed: %s", checkout.order_id, charge.failure)
                return None
        return self.grant(checkout, billing_key, checkout.order_id)

    def grant(self, checkout: Checkout, billing_key: str, payment_id: str) -> Member:
        now = timezone.now()
        trial = bool(checkout.trial_days)
        end = (
            now + timedelta(days=checkout.trial_days)
            if trial
            else period_after(now, checkout.period)
        )
        member = events.grant_from_checkout(
            checkout,
            trial=trial,
            period_end=end,
            customer=f"hanji-{checkout.subscriber_id}",
            billing_key=billing_key,
        )
        if not trial:
            payment, created = events.record_payment(
                member,
                payment_id,
                amount=checkout.charge_amount,
                currency=checkout.currency,
                status=PaymentStatus.PAID,
                period_end=end,
            )
            if created:
                from hanji.memberships.notices import receipt

                receipt(member, payment)
        return member

    def start_gift(self, gift, *, success_url: str, cancel_url: str) -> CheckoutStart:
        """Parameters of the browser SDK's requestPayment (a one-time card payment)."""
        return CheckoutStart(
            browser={
                "storeId": self.settings.portone_store_id,
                "channelKey": self.settings.portone_channel_key,
                "paymentId": gift.order_id,
                "orderName": f"{gift.tier.name} × {gift.months}",
                "totalAmount": gift.amount,
                "currency": gift.currency,
                "payMethod": "CARD",
                "customer": {"email": gift.buyer.email},
            }
        )

    def settle_gift(self, gift) -> str:
        return self._gift_paid(gift.publication, gift.order_id, self.get_payment(gift.order_id))

    def _gift_paid(self, publication, payment_id: str, record: PaymentRecord) -> str:
        from hanji.memberships import gifts
        from hanji.memberships.models import Gift

        gift = (
            Gift.objects.filter(publication=publication, provider="portone", order_id=payment_id)
            .select_related("tier", "publication")
            .first()
        )
        if gift is None:
            return "unknown gift"
        if record.status != "PAID":
            return f"payment is {record.status}"
        if record.amount != gift.amount or record.currency != gift.currency:
            logger.warning(
                "PortOne gift %s paid %s %s but the order was %s %s: nothing granted",
                payment_id,
                record.amount,
                record.currency,
                gift.amount,
                gift.currency,
            )
            return "amount mismatch"
        return "gift paid" if gifts.mark_paid(gift) else "gift already paid"

    def set_cancel_at_period_end(self, member: Member, cancel: bool) -> None:
        """Nothing to tell PortOne: Hanji owns the schedule and simply will not charge."""

    def switch_period(self, member: Member, period: str, amount: int) -> None:
        """Nothing to tell PortOne: the next renewal charges the new period's price."""

    def manage_url(self, member: Member, return_url: str) -> str:
        from django.urls import reverse

        return reverse("memberships:card")  # the card is changed on Hanji's own page

    # --- card change ----------------------------------------------------------------------

    def start_card_change(self, member: Member, issue_id: str) -> CheckoutStart:
        """Parameters of the browser SDK's requestIssueBillingKey for a new card."""
        return CheckoutStart(
            browser={
                "storeId": self.settings.portone_store_id,
                "channelKey": self.settings.portone_channel_key,
                "billingKeyMethod": "CARD",
                "issueId": issue_id,
                "issueName": member.tier.name,
                "customer": {
                    "customerId": customer_of(member),
                    "email": member.subscriber.email,
                },
            }
        )

    def check_billing_key(self, member: Member, billing_key: str) -> None:
        """The API's word that `billing_key` is issued, in this store, to this member
        (`GET /billing-keys/{billingKey}`); ProviderError with the reason otherwise."""
        from portone_server_sdk.errors import PortOneError

        try:
            info = self._payments().billing_key.get_billing_key_info(billing_key=billing_key)
        except PortOneError as error:
            raise ProviderError(_failure(error)) from None
        except ValueError as error:  # an answer the SDK does not know
            raise ProviderError(f"unreadable billing key answer: {str(error)[:100]}") from None
        status = getattr(info, "status", "")
        if type(info).__name__ != "IssuedBillingKeyInfo" and status != "ISSUED":
            raise ProviderError("the billing key is not issued")
        store = self.settings.portone_store_id
        if store and getattr(info, "store_id", store) != store:
            raise ProviderError("the billing key belongs to another store")
        customer = getattr(getattr(info, "customer", None), "id", None) or ""
        if customer != customer_of(member):
            raise ProviderError("the billing key was issued to another customer")

    def delete_billing_key(self, billing_key: str) -> bool:
        """`DELETE /billing-keys/{billingKey}`; True when PortOne no longer holds it."""
        from portone_server_sdk.errors import (
            BillingKeyAlreadyDeletedError,
            BillingKeyNotFoundError,
            PortOneError,
        )

        try:
            self._payments().billing_key.delete_billing_key(billing_key=billing_key)
        except (BillingKeyAlreadyDeletedError, BillingKeyNotFoundError):
            return True
        except (PortOneError, ValueError) as error:
            logger.warning("PortOne: the old billing key was not deleted: %s", _failure(error))
            return False
        return True


def customer_of(member: Member) -> str:
    """The customer id Hanji gives PortOne for a member (the checkout's own)."""
    return member.provider_customer or f"hanji-{member.subscriber_id}"


def _failure(error: Exception) -> str:
    message = getattr(error, "message", None) or getattr(error, "pg_message", None)
    return f"{type(error).__name__}: {message or ''}"[:300]
