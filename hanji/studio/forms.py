"""Forms of the settings screens (model forms: the models' own validators apply)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanji.engagement.models import EngagementSettings
from hanji.publications.actions import BUSINESS_FIELDS, LEGAL_FIELDS, PROFILE_FIELDS
from hanji.publications.models import Publication
from hanji.sending.actions import TRACKING_FIELDS, TRANSPORT_FIELDS
from hanji.sending.models import SendingSettings
from hanji.subscribers.actions import NEWSLETTER_FIELDS
from hanji.subscribers.models import Newsletter, Source, SubscriberStatus


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = PROFILE_FIELDS
        widgets = {"accent_color": forms.TextInput(attrs={"type": "color"})}


class BusinessForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = BUSINESS_FIELDS


class LegalForm(forms.ModelForm):
    """The legal pages, written in Markdown (the editor previews them as readers see them)."""

    class Meta:
        model = Publication
        fields = LEGAL_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 14, "data-markdown-editor": ""})
            for name in LEGAL_FIELDS
        }


class NewsletterForm(forms.ModelForm):
    class Meta:
        model = Newsletter
        fields = NEWSLETTER_FIELDS

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
        fields = TRACKING_FIELDS


class CommentsForm(forms.ModelForm):
    class Meta:
        model = EngagementSettings
        fields = ["who_may_comment", "anonymous_likes", "count_views"]


class TransportForm(forms.ModelForm):
    class Meta:
        model = SendingSettings
        fields = TRANSPORT_FIELDS

    def clean_transport_url(self) -> str:
        from hanji.sending.transports.factory import check_transport_url

        url = self.cleaned_data["transport_url"].strip()
        check_transport_url(url)
        return url


# --- hand-written screens: the fields, rendered by studio/_fields.html; the actions decide ------


class PublicationForm(forms.Form):
    """Start a publication. The checks are the action's (hanji.studio.actions): a refusal
    names its field, and `refuse` puts it under that field."""

    name = forms.CharField(label=_("Name of your publication"), max_length=200)
    slug = forms.CharField(
        label=_("Its address"),
        max_length=63,
        help_text=_("Lower-case letters, digits and hyphens."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    language = forms.ChoiceField(
        label=_("Language of your pages and emails"),
        choices=[("ko", "한국어"), ("en", "English")],
        required=False,  # Korean when left out (the action's default)
        initial="ko",
    )


class SignUpForm(PublicationForm):
    email = forms.CharField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "minlength": 8}),
    )
    field_order = ["email", "password", "name", "slug", "language"]


class SubscriberAddForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=320, widget=forms.EmailInput)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    newsletters = forms.MultipleChoiceField(
        label=_("Newsletters"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, newsletters, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].choices = [(str(n.pk), n.name) for n in newsletters]
        self.fields["newsletters"].initial = [
            str(n.pk) for n in newsletters if n.subscribe_by_default
        ]


class SegmentForm(forms.Form):
    """A saved segment; hanji.subscribers.actions.save_segment checks the values."""

    name = forms.CharField(label=_("Name"), max_length=200)
    statuses = forms.MultipleChoiceField(
        label=_("Statuses"), required=False, widget=forms.CheckboxSelectMultiple
    )
    newsletter = forms.ChoiceField(label=_("Newsletter"), required=False)
    tags = forms.CharField(label=_("With any of these tags"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    # Text, not DateField: the action's own message explains the format it wants.
    signed_up_from = forms.CharField(
        label=_("Signed up from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_up_until = forms.CharField(
        label=_("Signed up until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, newsletters, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["statuses"].choices = SubscriberStatus.choices
        self.fields["newsletter"].choices = [("", _("Any"))] + [
            (str(n.pk), n.name) for n in newsletters
        ]
        self.fields["source"].choices = [("", _("Any")), *Source.choices]


def refuse(form: forms.Form, error: Exception) -> None:
    """Show an action's refusal under the field it names (`error.field`), or above the form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(getattr(error, "message", error)))
