"""Forms of the settings screens (model forms: the models' own validators apply)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanji.engagement.models import EngagementSettings
from hanji.publications.models import Publication
from hanji.sending.models import SendingSettings
from hanji.subscribers.models import Newsletter


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = ["name", "description", "bio", "language", "time_zone", "accent_color", "logo"]
        widgets = {"accent_color": forms.TextInput(attrs={"type": "color"})}


class BusinessForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = [
            "company_name",
            "representative",
            "business_number",
            "mail_order_number",
            "address",
            "contact_email",
            "phone",
        ]


class LegalForm(forms.ModelForm):
    """The legal pages, written in Markdown (the editor previews them as readers see them)."""

    class Meta:
        model = Publication
        fields = ["terms", "privacy", "recurring_terms", "faq"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 14, "data-markdown-editor": ""}) for name in fields
        }


class NewsletterForm(forms.ModelForm):
    class Meta:
        model = Newsletter
        fields = [
            "name",
            "slug",
            "description",
            "sender_name",
            "sender_email",
            "reply_to",
            "subscribe_by_default",
            "welcome_message",
        ]

    def clean_slug(self) -> str:
        # The publication is not a field of the form, so the model form does not check the
        # (publication, slug) constraint: a taken slug would reach the database as a 500.
        slug = self.cleaned_data["slug"]
        taken = Newsletter.objects.filter(publication_id=self.instance.publication_id, slug=slug)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another newsletter already has this address."))
        return slug


class DomainForm(forms.Form):
    """The host only; hanji.publications.actions.add_domain decides whether it may be claimed."""

    host = forms.CharField(label=_("Domain"), max_length=253)


class TrackingForm(forms.ModelForm):
    class Meta:
        model = SendingSettings
        fields = ["track_opens", "track_clicks"]


class CommentsForm(forms.ModelForm):
    class Meta:
        model = EngagementSettings
        fields = ["who_may_comment", "anonymous_likes", "count_views"]


class TransportForm(forms.ModelForm):
    class Meta:
        model = SendingSettings
        fields = ["transport_url", "unsubscribe_mailto", "night_hold"]

    def clean_transport_url(self) -> str:
        from hanji.sending.transports.factory import check_transport_url

        url = self.cleaned_data["transport_url"].strip()
        check_transport_url(url)
        return url
