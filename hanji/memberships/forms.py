from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanji.memberships.actions import BILLING_FIELDS
from hanji.memberships.models import MembershipSettings, Provider, Tier


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = [
            "name",
            "slug",
            "description",
            "currency",
            "monthly_price",
            "yearly_price",
            "benefits",
            "trial_days",
            "active",
        ]
        help_texts = {
            "monthly_price": _("In the currency's smallest unit: won, or cents for USD."),
        }
        widgets = {"benefits": forms.Textarea(attrs={"rows": 4})}


class BillingForm(forms.ModelForm):
    """Provider, keys and the legal extras. A key field left empty keeps the saved key:
    secrets are never written back into the page."""

    class Meta:
        model = MembershipSettings
        fields = BILLING_FIELDS  # the fields update_billing accepts
        labels = {
            "stripe_publishable_key": _("Stripe publishable key"),
            "stripe_secret_key": _("Stripe secret key"),
            "stripe_webhook_secret": _("Stripe webhook signing secret"),
            "portone_store_id": _("PortOne store ID"),
            "portone_channel_key": _("PortOne channel key"),
            "portone_api_secret": _("PortOne API secret"),
            "portone_webhook_secret": _("PortOne webhook secret"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Not Django's "---------": say what no provider means.
        self.fields["provider"].choices = [
            ("", _("None yet: readers cannot pay")),
            *Provider.choices,
        ]
        for name in MembershipSettings.SECRET_FIELDS:
            saved = bool(getattr(self.instance, name, ""))
            self.fields[name].widget = forms.PasswordInput(
                render_value=False,
                attrs={"autocomplete": "off", "placeholder": _("saved") if saved else ""},
            )
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in MembershipSettings.SECRET_FIELDS:
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name, "")
        return cleaned


class CouponForm(forms.ModelForm):
    class Meta:
        from hanji.memberships.models import Coupon

        model = Coupon
        fields = ["code", "kind", "value", "currency", "months", "max_redemptions", "expires_at"]
        widgets = {"expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}
