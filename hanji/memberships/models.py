"""Tiers, members, provider events, checkouts and payments.

Amounts are integers in the currency's minor unit (KRW has none: 5,000 won is 5000; USD is in
cents: $5.00 is 500). Never floats.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber
from hanji.subscribers.queries import zone_named


class Currency(models.TextChoices):
    KRW = "KRW", "KRW (₩)"
    USD = "USD", "USD ($)"


class Period(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    PORTONE = "portone", _("PortOne (Korean cards, KakaoPay, Toss Pay, Naver Pay)")


class Tier(models.Model):
    """What a member pays for. The free tier has no prices."""

    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    benefits = models.TextField(_("benefits"), blank=True, help_text=_("One per line."))
    is_free = models.BooleanField(_("free tier"), default=False)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.KRW
    )
    monthly_price = models.PositiveIntegerField(_("monthly price"), default=0)
    yearly_price = models.PositiveIntegerField(_("yearly price"), default=0)
    trial_days = models.PositiveSmallIntegerField(_("free trial days"), default=0)
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="tier_slug_unique"),
            models.UniqueConstraint(
                fields=["publication"],
                condition=models.Q(is_free=True),
                name="tier_one_free_per_publication",
            ),
        ]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name

    def price(self, period: str) -> int:
        return self.yearly_price if period == Period.YEAR else self.monthly_price

    def benefit_list(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


class MemberStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Payment failed")
    CANCELLING = "cancelling", _("Cancelled at period end")
    ENDED = "ended", _("Ended")
    COMPED = "comped", _("Complimentary")
    GIFT = "gift", _("Gift")


class Member(models.Model):
    """A subscriber with a paid, gifted or complimentary tier: one row per subscriber.

    Its status changes only in hanji.memberships.states (verified provider events, Hanji's
    renewal job, the creator's comps); nothing the browser says sets it.
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="members")
    subscriber = models.OneToOneField(Subscriber, on_delete=models.CASCADE, related_name="member")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="members")
    status = models.CharField(max_length=12, choices=MemberStatus.choices)
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.MONTH)
    # The price this member pays: kept when the tier's price changes later.
    amount = models.PositiveIntegerField(default=0)
    # A coupon's price and for how many more charges (None: forever) it applies.
    discounted_amount = models.PositiveIntegerField(null=True, blank=True)
    discount_charges_left = models.PositiveSmallIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.KRW)
    provider = models.CharField(max_length=10, choices=Provider.choices, blank=True)
    provider_customer = models.CharField(max_length=100, blank=True)
    provider_subscription = models.CharField(max_length=100, blank=True, db_index=True)
    # PortOne: the billing key Hanji charges each period (a credential: never shown).
    billing_key = models.CharField(max_length=200, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=40, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # The language the reader checked out in: receipts and dunning emails speak it.
    language = models.CharField(max_length=8, blank=True)
    source_post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["publication", "status", "id"], name="member_by_status"),
            models.Index(fields=["status", "current_period_end"], name="member_due"),
            models.Index(fields=["publication", "started_at"], name="member_started"),
            models.Index(
                fields=["publication", "cancelled_at"],
                name="member_cancelled",
                condition=models.Q(cancelled_at__isnull=False),
            ),
            models.Index(
                fields=["publication", "ended_at"],
                name="member_ended",
                condition=models.Q(ended_at__isnull=False),
            ),
            models.Index(
                fields=["publication", "source_post"],
                name="member_source_post",
                condition=models.Q(source_post__isnull=False),
            ),
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.tier_id} {self.status}"

    def next_amount(self) -> int:
        """What the next charge costs: the coupon's price while it lasts, else the price."""
        if self.discounted_amount is not None and self.discount_charges_left != 0:
            return self.discounted_amount
        return self.amount

    def has_access(self, now=None, grace_days: int = 7) -> bool:
        """Whether this membership opens paid content right now."""
        now = now or timezone.now()
        status = self.status
        if status in (MemberStatus.ACTIVE, MemberStatus.TRIALING):
            return True
        if status == MemberStatus.COMPED:
            return self.current_period_end is None or now < self.current_period_end
        if status in (MemberStatus.CANCELLING, MemberStatus.GIFT):
            return self.current_period_end is not None and now < self.current_period_end
        if status == MemberStatus.PAST_DUE:
            since = self.past_due_since or now
            return now < since + timedelta(days=grace_days)
        return False


class TrialUse(models.Model):
    """One free trial per email address and publication, whatever happens to the member."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "email"], name="trial_once_per_email")
        ]

    def __str__(self) -> str:
        return self.email


class PostTier(models.Model):
    """A paid post open only to some tiers (none listed: every paid tier)."""

    invalidates_pages = True

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tier_access")
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "tier"], name="post_tier_unique")]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.tier_id}"

    @property
    def publication_id(self) -> int:
        return self.tier.publication_id


class ProviderEvent(models.Model):
    """A verified webhook, kept so each event id is acted on once (replays change nothing)."""

    provider = models.CharField(max_length=10, choices=Provider.choices)
    event_id = models.CharField(max_length=200)
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "provider", "event_id"], name="provider_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class Checkout(models.Model):
    """One reader's order: tier, period, price and the terms they accepted, before paying."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    # Our order id: PortOne's paymentId of the first charge, Stripe's client_reference_id.
    order_id = models.CharField(max_length=64, unique=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=8, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    return_path = models.CharField(max_length=300, blank=True)
    source_post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms_version = models.CharField(max_length=40)
    terms_accepted_at = models.DateTimeField()
    language = models.CharField(max_length=8, blank=True)
    trial_days = models.PositiveSmallIntegerField(default=0)
    coupon = models.ForeignKey(
        "Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the first charge costs after the coupon (`amount` is the list price).
    first_amount = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.order_id

    @property
    def charge_amount(self) -> int:
        """What the first charge costs (after a coupon)."""
        return self.amount if self.first_amount is None else self.first_amount


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


def month_start(now=None, zone=None):
    """The first instant of the month `now` falls in, in `zone` (default: the current one)."""
    local = timezone.localtime(now or timezone.now(), zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class PaymentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # A change to a payment of a closed month (a refund, a late settlement) makes the
        # stored months of its publication stale: they are dropped, the overview rebuilds them.
        forget_closed_months(self)
        return super().update(**kwargs)


def forget_closed_months(payments) -> None:
    """Drop the stored months of the publications that have one of `payments` in a month that
    has ended in their time zone."""
    rows = (
        payments.order_by()
        .values_list("publication_id", "publication__time_zone")
        .annotate(first=models.Min("created_at"))
    )
    stale = [pk for pk, zone, first in rows if first < month_start(zone=zone_named(zone))]
    if stale:
        RevenueMonth.objects.filter(publication_id__in=stale).delete()


class Payment(models.Model):
    """One charge (a receipt when paid). `charge_key` is unique: a renewal of one member for
    one period can be attempted by two workers at once and still charge once."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    provider_payment_id = models.CharField(max_length=200)
    charge_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    status = models.CharField(max_length=8, choices=PaymentStatus.choices)
    period_end = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"], name="payment_once_per_provider_id"
            )
        ]
        indexes = [
            models.Index(fields=["publication", "created_at"], name="payment_by_time"),
            models.Index(fields=["publication", "status", "created_at"], name="payment_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_payment_id}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        forget_closed_months(Payment.objects.filter(pk=self.pk))


class RevenueMonth(models.Model):
    """What a closed month brought in (paid payments, per currency), kept so that the studio's
    revenue chart sums only the current month's payments. Built by the overview when missing;
    any write to a payment of a closed month drops the publication's rows (PaymentQuerySet)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day, in the publication's time zone
    totals = models.JSONField(default=dict)  # {"KRW": 150000, "USD": 2500}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "month"], name="revenue_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}:{self.month:%Y-%m}"


class MembershipSettings(models.Model):
    """Per publication: the payment provider and its secrets, the grace for failed payments,
    and what Korean law asks for beyond the publication's own business fields."""

    invalidates_pages = True

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="membership_settings"
    )
    paid_enabled = models.BooleanField(_("paid memberships on"), default=False)
    provider = models.CharField(
        _("payment provider"), max_length=10, choices=Provider.choices, blank=True
    )
    past_due_grace_days = models.PositiveSmallIntegerField(
        _("days a failed payment keeps access"), default=7
    )
    mail_order_office = models.CharField(
        _("office that issued the mail-order report number"), max_length=100, blank=True
    )
    hosting_provider = models.CharField(_("hosting provider"), max_length=100, blank=True)
    terms_version = models.CharField(
        _("recurring-payment terms version"), max_length=40, blank=True
    )
    stripe_secret_key = models.CharField(max_length=200, blank=True)
    stripe_publishable_key = models.CharField(max_length=200, blank=True)
    stripe_webhook_secret = models.CharField(max_length=200, blank=True)
    portone_store_id = models.CharField(max_length=100, blank=True)
    portone_channel_key = models.CharField(max_length=200, blank=True)
    portone_api_secret = models.CharField(max_length=300, blank=True)
    portone_webhook_secret = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    SECRET_FIELDS = (
        "stripe_secret_key",
        "stripe_webhook_secret",
        "portone_api_secret",
        "portone_webhook_secret",
    )

    def __repr__(self) -> str:  # secrets never reach a log line through repr
        return f"<MembershipSettings publication={self.publication_id} provider={self.provider}>"

    def __str__(self) -> str:
        return f"membership settings of {self.publication_id}"


class CouponKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    AMOUNT = "amount", _("Amount off")


class Coupon(models.Model):
    """A discount code: percent or amount off, for some months or forever, with a limit on
    redemptions and an expiry."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=CouponKind.choices)
    value = models.PositiveIntegerField(
        _("value"), help_text=_("Percent, or an amount in minor units.")
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    months = models.PositiveSmallIntegerField(
        _("for months"), null=True, blank=True, help_text=_("Empty: forever.")
    )
    max_redemptions = models.PositiveIntegerField(_("redemption limit"), null=True, blank=True)
    redeemed = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    stripe_coupon_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "code"], name="coupon_code_unique")
        ]

    def __str__(self) -> str:
        return self.code

    def discounted(self, amount: int) -> int:
        if self.kind == CouponKind.PERCENT:
            return max(0, amount - amount * min(self.value, 100) // 100)
        return max(0, amount - self.value)


class GiftStatus(models.TextChoices):
    OPEN = "open", _("Not paid yet")
    PAID = "paid", _("Paid, not redeemed")
    REDEEMED = "redeemed", _("Redeemed")


class Gift(models.Model):
    """A membership someone pays for and someone else redeems through an emailed link."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="gifts")
    buyer = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    months = models.PositiveSmallIntegerField()
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    recipient_email = models.EmailField()
    message = models.CharField(max_length=500, blank=True)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    order_id = models.CharField(max_length=64, unique=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=GiftStatus.choices, default=GiftStatus.OPEN)
    redeemed_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.order_id
