from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanji.subscribers.addresses import InvalidEmail, normalize_email


class EmailInput(forms.CharField):
    """An email field that checks with Hanji's own rules and keeps the canonical form."""

    widget = forms.EmailInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("label", _("Email address"))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return normalize_email(value)
        except InvalidEmail as error:
            raise forms.ValidationError(error.message, code="invalid") from None


class SubscribeForm(forms.Form):
    email = EmailInput()
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    newsletters = forms.TypedMultipleChoiceField(
        label=_("Newsletters"), coerce=int, required=False, choices=()
    )
    advertising = forms.BooleanField(
        label=_("I also agree to receive advertising information (optional)"), required=False
    )
    # The honeypot: people never see it, form-filling robots fill it in.
    website = forms.CharField(required=False)
    # The page the box was on: the confirmation leads back there (checked by safe_next).
    next = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, newsletters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].choices = [(n.pk, n.name) for n in newsletters]

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class SignInForm(forms.Form):
    email = EmailInput()


class ChangeEmailForm(forms.Form):
    email = EmailInput(label=_("New email address"))


class NewslettersForm(forms.Form):
    newsletters = forms.TypedMultipleChoiceField(
        label=_("Newsletters"),
        coerce=int,
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, newsletters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].choices = [(n.pk, n.name) for n in newsletters]
