"""Stripe: Checkout for the first payment, the Customer Portal for cards and invoices, and
webhooks verified by their Stripe-Signature header (300 s tolerance).

Stripe owns the renewal schedule. Each subscription event is answered by reading the
subscription again from the API, so events that arrive out of order (deleted before
updated) or late leave the member as Stripe has it now.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from hanji.memberships import events
from hanji.memberships.models import (
    Checkout,
    CheckoutStatus,
    Member,
    MemberStatus,
    Payment,
    PaymentStatus,
)
from hanji.memberships.providers.base import (
    BadSignature,
    CheckoutStart,
    ProviderError,
    WebhookEvent,
    api_base,
)

logger = logging.getLogger(__name__)
TOLERANCE = 300
STATES = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "canceled": "ended",
    "incomplete_expired": "ended",
}


def _time(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


class StripeProvider:
    name = "stripe"

    def __init__(self, settings) -> None:
        self.settings = settings

    def _client(self):
        import stripe

        if not self.settings.stripe_secret_key:
            raise ProviderError("Stripe's secret key is not set")
        return stripe.StripeClient(
            self.settings.stripe_secret_key,
            base_addresses={"api": api_base("stripe", "https://api.stripe.com")},
            max_network_retries=1,
        )

    # --- webhooks ------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers) -> WebhookEvent:
        import stripe

        secret = self.settings.stripe_webhook_secret
        signature = headers.get("Stripe-Signature")
        if not secret:
            raise BadSignature("no Stripe webhook signing secret is set")
        if not signature:
            raise BadSignature("no Stripe-Signature header")
        try:
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), signature, secret, TOLERANCE
            )
            payload = json.loads(body)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
            raise BadSignature(str(error)[:200]) from None
        return WebhookEvent(str(payload.get("id", "")), str(payload.get("type", "")), payload)

    def handle(self, publication, event: WebhookEvent) -> str:
        obj = event.data.get("data", {}).get("object", {}) or {}
        kind = event.kind
        if kind == "checkout.session.completed":
            return self._checkout_completed(publication, obj)
        if kind.startswith("customer.subscription."):
            return self._subscription_changed(publication, obj)
        if kind in ("invoice.payment_succeeded", "invoice.paid", "invoice.payment_failed"):
            return self._invoice(publication, obj, paid=kind != "invoice.payment_failed")
        if kind == "charge.refunded":
            return self._refunded(publication, obj)
        return "ignored"

    def _subscription(self, subscription_id: str) -> dict[str, Any]:
        # Each discount whole (its coupon and when it ends), not only its id.
        sub = self._client().v1.subscriptions.retrieve(subscription_id, {"expand": ["discounts"]})
        return sub.to_dict()

    @staticmethod
    def _state(sub: dict[str, Any]) -> tuple[str, datetime | None, bool]:
        end = sub.get("current_period_end")
        if not end and sub.get("items", {}).get("data"):
            end = sub["items"]["data"][0].get("current_period_end")
        target = STATES.get(sub.get("status", ""), "")
        return target, _time(end), bool(sub.get("cancel_at_period_end"))

    def _sync(self, member: Member, subscription_id: str) -> str:
        sub = self._subscription(subscription_id)
        target, end, cancelling = self._state(sub)
        if not target:
            return "subscription not started yet"
        self._sync_price(member, sub)
        return events.sync_status(member, target, end, cancelling)

    @staticmethod
    def _sync_price(member: Member, sub: dict[str, Any]) -> None:
        """The member's price and discount as the subscription has them now: a coupon "for
        N months" ends at Stripe (the discount leaves the subscription, announced by
        customer.subscription.updated), and from then on the member pays the full price."""
        items = (sub.get("items") or {}).get("data") or []
        amount = (items[0].get("price") or {}).get("unit_amount") if items else None
        if amount is None:
            return
        amount = int(amount)
        events.set_price(member, amount, _discounted(member, sub, amount))

    def _checkout_completed(self, publication, session: dict[str, Any]) -> str:
        if str(session.get("client_reference_id") or "").startswith("gift-"):
            return self._gift_paid(publication, session)
        checkout = (
            Checkout.objects.select_for_update()
            .filter(
                publication=publication,
                provider="stripe",
                order_id=str(session.get("client_reference_id") or ""),
            )
            .first()
        )
        if checkout is None or not session.get("subscription"):
            return "unknown checkout"
        if checkout.status == CheckoutStatus.PAID:
            return "checkout already granted"
        sub = self._subscription(str(session["subscription"]))
        target, end, cancelling = self._state(sub)
        if target not in ("trialing", "active"):
            return f"subscription is {sub.get('status')}"
        member = events.grant_from_checkout(
            checkout,
            trial=target == "trialing",
            period_end=end,
            customer=str(session.get("customer") or ""),
            subscription=str(sub["id"]),
        )
        self._sync_price(member, sub)
        return events.sync_status(member, target, end, cancelling)

    def _member(self, publication, subscription_id: str) -> Member | None:
        if not subscription_id:
            return None
        return (
            Member.objects.select_for_update()
            .filter(
                publication=publication, provider="stripe", provider_subscription=subscription_id
            )
            .first()
        )

    def _subscription_changed(self, publication, sub: dict[str, Any]) -> str:
        member = self._member(publication, str(sub.get("id", "")))
        if member is None:
            order = (sub.get("metadata") or {}).get("hanji_order", "")
            checkout = Checkout.objects.filter(publication=publication, order_id=order).first()
            if checkout is None:
                return "unknown subscription"
            return self._checkout_completed(
                publication,
                {
                    "client_reference_id": order,
                    "subscription": sub["id"],
                    "customer": sub.get("customer", ""),
                },
            )
        return self._sync(member, member.provider_subscription)

    @staticmethod
    def _invoice_subscription(invoice: dict[str, Any]) -> str:
        parent = (invoice.get("parent") or {}).get("subscription_details") or {}
        return str(parent.get("subscription") or invoice.get("subscription") or "")

    def _invoice(self, publication, invoice: dict[str, Any], paid: bool) -> str:
        member = self._member(publication, self._invoice_subscription(invoice))
        if member is None:
            return "unknown subscription"
        amount = invoice.get("amount_paid" if paid else "amount_due") or 0
        lines = (invoice.get("lines") or {}).get("data") or [{}]
        _payment, created = events.record_payment(
            member,
            str(invoice.get("id", "")),
            amount=int(amount),
            currency=str(invoice.get("currency", member.currency)).upper(),
            status=PaymentStatus.PAID if paid else PaymentStatus.FAILED,
            period_end=_time((lines[0].get("period") or {}).get("end")),
            failure="" if paid else "card declined",
        )
        outcome = self._sync(member, member.provider_subscription)
        if not paid and member.status not in (MemberStatus.PAST_DUE, MemberStatus.ENDED):
            # Stripe may still call the subscription active right after a failed renewal:
            # the failure itself starts the grace, it is never ignored.
            events.sync_status(member, "past_due", None, False)
            outcome = member.status
        if not paid and created:
            from hanji.memberships.notices import payment_failed

            payment_failed(member, final=False)
        return outcome

    def _refunded(self, publication, charge: dict[str, Any]) -> str:
        invoice = str(charge.get("invoice") or "")
        found = Payment.objects.filter(
            publication=publication,
            provider="stripe",
            provider_payment_id__in=[invoice, charge.get("id", "")],
        )
        return "refunded" if found.update(status=PaymentStatus.REFUNDED) else "unknown charge"

    # --- checkout and account -----------------------------------------------------------

    def settle_checkout(self, checkout) -> str:
        """The reader is back from Checkout: read the session from Stripe (never from the
        browser) and grant as checkout.session.completed would; the webhook then finds
        the checkout already granted."""
        if not checkout.provider_reference:
            return "no session"
        session = self._client().v1.checkout.sessions.retrieve(checkout.provider_reference)
        session = session.to_dict()
        if session.get("status") != "complete":
            return "not paid"
        return self._checkout_completed(checkout.publication, session)

    def start_checkout(self, checkout, *, success_url: str, cancel_url: str) -> CheckoutStart:
        tier = checkout.tier
        subscription_data: dict[str, Any] = {"metadata": {"hanji_order": checkout.order_id}}
        if checkout.trial_days:
            subscription_data["trial_period_days"] = checkout.trial_days
        discounts = [{"coupon": self._coupon(checkout.coupon)}] if checkout.coupon else []
        session = self._client().v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "client_reference_id": checkout.order_id,
                "customer_email": checkout.subscriber.email,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": checkout.currency.lower(),
                            "unit_amount": checkout.amount,
                            "recurring": {"interval": checkout.period},
                            "product_data": {"name": tier.name},
                        },
                    }
                ],
                "subscription_data": subscription_data,
                **({"discounts": discounts} if discounts else {}),
                "locale": "ko" if checkout.language == "ko" else "en",
            }
        )
        Checkout.objects.filter(pk=checkout.pk).update(provider_reference=session.id)
        return CheckoutStart(redirect_url=session.url)

    def _coupon(self, coupon) -> str:
        """The coupon's twin at Stripe (made once, then reused)."""
        if coupon.stripe_coupon_id:
            return coupon.stripe_coupon_id
        params: dict[str, Any] = {"name": coupon.code[:40]}
        if coupon.kind == "percent":
            params["percent_off"] = coupon.value
        else:
            params.update(amount_off=coupon.value, currency=coupon.currency.lower())
        if coupon.months is None:
            params["duration"] = "forever"
        else:
            params.update(duration="repeating", duration_in_months=coupon.months)
        created = self._client().v1.coupons.create(params)
        type(coupon).objects.filter(pk=coupon.pk).update(stripe_coupon_id=created.id)
        coupon.stripe_coupon_id = created.id
        return created.id

    def start_gift(self, gift, *, success_url: str, cancel_url: str) -> CheckoutStart:
        session = self._client().v1.checkout.sessions.create(
            {
                "mode": "payment",
                "client_reference_id": gift.order_id,
                "customer_email": gift.buyer.email,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": gift.currency.lower(),
                            "unit_amount": gift.amount,
                            "product_data": {"name": f"{gift.tier.name} × {gift.months}"},
                        },
                    }
                ],
            }
        )
        type(gift).objects.filter(pk=gift.pk).update(provider_reference=session.id)
        return CheckoutStart(redirect_url=session.url)

    def settle_gift(self, gift) -> str:
        if not gift.provider_reference:
            return "no session"
        session = self._client().v1.checkout.sessions.retrieve(gift.provider_reference)
        return self._gift_paid(gift.publication, session.to_dict())

    def _gift_paid(self, publication, session: dict[str, Any]) -> str:
        from hanji.memberships import gifts
        from hanji.memberships.models import Gift

        gift = (
            Gift.objects.filter(
                publication=publication,
                provider="stripe",
                order_id=str(session.get("client_reference_id") or ""),
            )
            .select_related("tier", "publication")
            .first()
        )
        if gift is None:
            return "unknown gift"
        if session.get("payment_status") != "paid":
            return "gift not paid"
        if (
            session.get("amount_total") != gift.amount
            or str(session.get("currency", "")).upper() != gift.currency
        ):
            logger.warning("Stripe gift %s: paid amount differs from the order", gift.order_id)
            return "amount mismatch"
        return "gift paid" if gifts.mark_paid(gift) else "gift already paid"

    def set_cancel_at_period_end(self, member: Member, cancel: bool) -> None:
        self._client().v1.subscriptions.update(
            member.provider_subscription, {"cancel_at_period_end": cancel}
        )

    def switch_period(self, member: Member, period: str, amount: int) -> None:
        sub = self._subscription(member.provider_subscription)
        item = sub["items"]["data"][0]
        self._client().v1.subscriptions.update(
            member.provider_subscription,
            {
                "items": [
                    {
                        "id": item["id"],
                        "price_data": {
                            "currency": member.currency.lower(),
                            "unit_amount": amount,
                            "recurring": {"interval": period},
                            "product": item["price"]["product"],
                        },
                    }
                ],
                "proration_behavior": "none",
            },
        )

    def manage_url(self, member: Member, return_url: str) -> str:
        session = self._client().v1.billing_portal.sessions.create(
            {"customer": member.provider_customer, "return_url": return_url}
        )
        return session.url


def _discounted(member: Member, sub: dict[str, Any], amount: int) -> int | None:
    """The price after the subscription's discount still running, or None for none."""
    from hanji.memberships.models import Coupon

    now = time.time()
    for discount in sub.get("discounts") or []:
        if not isinstance(discount, dict):  # an id: not expanded, nothing to read
            logger.warning("Stripe subscription %s: a discount was not expanded", sub.get("id"))
            continue
        if discount.get("end") and discount["end"] <= now:
            continue
        coupon = (discount.get("source") or {}).get("coupon") or discount.get("coupon")
        coupon_id = coupon if isinstance(coupon, str) else (coupon or {}).get("id", "")
        ours = Coupon.objects.filter(
            publication_id=member.publication_id, stripe_coupon_id=coupon_id
        ).first()
        if ours is not None:
            return ours.discounted(amount)
        if isinstance(coupon, dict) and coupon.get("percent_off") is not None:
            off = float(coupon["percent_off"])
            return max(0, amount - int(amount * min(off, 100) // 100))
        if isinstance(coupon, dict) and coupon.get("amount_off") is not None:
            return max(0, amount - int(coupon["amount_off"]))
    return None
