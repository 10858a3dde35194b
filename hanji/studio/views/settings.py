"""Settings (admins and owners): profile and branding, newsletters with the DNS records to
publish, business information and legal pages, domains, comment and tracking switches,
transports with a test button, the team with invitations, and deleting the publication."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hanji.core.params import parse_int
from hanji.engagement.actions import update_settings
from hanji.engagement.models import EngagementSettings
from hanji.publications import actions as domain_actions
from hanji.publications.domains import record_name, record_value
from hanji.publications.models import Domain, Role, TeamMember
from hanji.sending.actions import update_sending_settings
from hanji.sending.dns import dns_plan
from hanji.sending.models import sending_settings
from hanji.studio import actions, forms
from hanji.studio.models import Invitation
from hanji.studio.queries import Access
from hanji.studio.views.base import context, publication_view
from hanji.studio.views.plumbing import send_test_and_say
from hanji.subscribers.actions import save_newsletter
from hanji.subscribers.models import Newsletter


def _saved(request: HttpRequest) -> None:
    messages.success(request, _("Saved."))


def _screen(
    request: HttpRequest,
    access: Access,
    screen: str,
    build: Callable[[dict | None, dict | None], list[ModelForm]],
    save: Callable[..., object],
    **extra,
) -> HttpResponse:
    """One settings screen: its forms in one <form> with one save. Nothing is saved unless
    every form on the screen is valid; then `save(*cleaned_data)` calls the screen's actions
    (the forms only check; the actions write). The errors show under their fields."""
    posted = request.method == "POST"
    bound = build(request.POST if posted else None, request.FILES if posted else None)
    if posted:
        valid = [form.is_valid() for form in bound]
        if all(valid):
            try:
                with transaction.atomic():
                    save(*[form.cleaned_data for form in bound])
            except ValidationError as refused:
                bound[0].add_error(None, refused)
            else:
                _saved(request)
                return redirect(request.path)
    return render(
        request,
        f"studio/settings/{screen}.html",
        context(access, forms=bound, screen=screen, **extra),
        status=400 if posted else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def settings_home(request: HttpRequest, access: Access) -> HttpResponse:
    """Profile and branding."""
    return _screen(
        request,
        access,
        "profile",
        lambda data, files: [
            forms.ProfileForm(data, files, instance=access.publication, prefix="profile")
        ],
        lambda profile: domain_actions.update_profile(access.publication, profile),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def business(request: HttpRequest, access: Access) -> HttpResponse:
    """Business information (the footer 전자상거래법 asks for) and the legal pages."""
    return _screen(
        request,
        access,
        "business",
        lambda data, files: [
            forms.BusinessForm(data, instance=access.publication, prefix="business"),
            forms.LegalForm(data, instance=access.publication, prefix="legal"),
        ],
        lambda business, legal: domain_actions.update_business(
            access.publication, {**business, **legal}
        ),
        legal_urls=LEGAL_URLS,
    )


LEGAL_URLS = {
    "terms": "/terms/",
    "privacy": "/privacy/",
    "recurring_terms": "/recurring-terms/",
    "faq": "/faq/",
}


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def engagement(request: HttpRequest, access: Access) -> HttpResponse:
    """Comments, likes and views, and what the emails track."""
    comments = EngagementSettings.objects.get(publication=access.publication)
    sending = sending_settings(access.publication.pk)
    return _screen(
        request,
        access,
        "engagement",
        lambda data, files: [
            forms.CommentsForm(data, instance=comments, prefix="comments"),
            forms.TrackingForm(data, instance=sending, prefix="tracking"),
        ],
        lambda comments, tracking: (
            update_settings(access.publication, **comments),
            update_sending_settings(access.publication.pk, tracking),
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def sending(request: HttpRequest, access: Access) -> HttpResponse:
    """The transport, with a test button, the unsubscribe mailbox and the night hold."""
    if request.method == "POST" and request.POST.get("action") == "test":
        return _transport_test(request, access)
    own = sending_settings(access.publication.pk)
    return _screen(
        request,
        access,
        "sending",
        lambda data, files: [forms.TransportForm(data, instance=own, prefix="transport")],
        lambda transport: update_sending_settings(access.publication.pk, transport),
        instance_transport=bool(django_settings.EMAIL_URL),
    )


def _transport_test(request: HttpRequest, access: Access) -> HttpResponse:
    """Send the newest post as a test email through the publication's transport. The studio
    says what went wrong in its own words, never the remote server's (hanji.sending.explain)."""
    from hanji.posts.models import Post
    from hanji.sending.transports.factory import check_transport_url

    to = request.user.email or request.user.get_username()
    post = Post.objects.filter(publication=access.publication).order_by("-updated_at").first()
    try:
        check_transport_url(sending_settings(access.publication.pk).transport_url)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        send_test_and_say(request, post, [to])
    return redirect("studio:settings_sending", access.publication.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def newsletters(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    editing_id = parse_int(
        request.POST.get("newsletter") or request.GET.get("edit") or None, default=None
    )
    instance = (
        Newsletter.objects.filter(publication=publication, pk=editing_id).first()
        if editing_id is not None
        else None
    )
    form = forms.NewsletterForm(
        request.POST or None, instance=instance or Newsletter(publication=publication)
    )
    if request.method == "POST" and form.is_valid():
        try:
            save_newsletter(publication, instance, form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            _saved(request)
            return redirect("studio:newsletters", publication.slug)
    return render(
        request,
        "studio/newsletters.html",
        context(
            access,
            form=form,
            editing=instance,
            newsletters=Newsletter.objects.filter(publication=publication),
            records=dns_plan(publication).records,
            screen="newsletters",
        ),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("settings")
def domains(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    action = request.POST.get("action", "")
    form = forms.DomainForm(request.POST if action == "add" else None)
    if request.method == "POST":
        if action in ("remove", "verify"):
            domain_id = parse_int(request.POST.get("domain"))
            if action == "remove":
                domain_actions.remove_domain(publication, domain_id)
            else:
                _verify(request, get_object_or_404(publication.domains, pk=domain_id))
            return redirect("studio:domains", publication.slug)
        if form.is_valid():
            try:
                domain_actions.add_domain(publication, form.cleaned_data["host"])
            except ValidationError as refused:
                form.add_error("host", refused)
            else:
                _saved(request)
                return redirect("studio:domains", publication.slug)
    return render(
        request,
        "studio/domains.html",
        context(
            access,
            form=form,
            domains=[
                (d, record_name(d.host), record_value(d.verify_token))
                for d in Domain.objects.filter(publication=publication).order_by("host")
            ],
            base_host=django_settings.HANJI_BASE_HOST,
            screen="domains",
        ),
        status=400 if request.method == "POST" else 200,
    )


def _verify(request: HttpRequest, domain: Domain) -> None:
    if domain_actions.verify_domain(domain):
        messages.success(
            request, _("%(host)s is verified and serves your publication.") % {"host": domain.host}
        )
    else:
        messages.error(
            request,
            _(
                "The TXT record for %(host)s is not there yet. DNS changes can take a while; "
                "Hanji checks again by itself."
            )
            % {"host": domain.host},
        )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("team")
def team(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "invite":
                actions.invite(
                    publication,
                    request.POST.get("email", ""),
                    request.POST.get("role", Role.AUTHOR),
                    request.user,
                    lambda token: request.build_absolute_uri(
                        reverse("studio:invitation", args=[publication.pk, token])
                    ),
                )
                messages.success(request, _("The invitation is sent."))
            elif action == "role":
                actions.change_role(
                    publication,
                    parse_int(request.POST.get("member")),
                    request.POST.get("role", ""),
                    request.user,
                )
                _saved(request)
            elif action == "remove":
                actions.remove_member(
                    publication, parse_int(request.POST.get("member")), request.user
                )
                _saved(request)
            elif action == "revoke":
                actions.revoke_invitation(publication, parse_int(request.POST.get("invitation")))
            else:
                raise Http404
        except (actions.StudioError, ValueError) as refused:
            messages.error(request, str(refused))
        return redirect("studio:team", publication.slug)
    return render(
        request,
        "studio/team.html",
        context(
            access,
            members=TeamMember.objects.filter(publication=publication)
            .select_related("user")
            .order_by("created_at"),
            invitations=Invitation.objects.filter(
                publication=publication, accepted_at__isnull=True
            ),
            roles=Role.choices,
            screen="team",
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("delete_publication")
def danger(request: HttpRequest, access: Access) -> HttpResponse:
    """Billing and deleting the publication: owners only."""
    if request.method == "POST":
        try:
            actions.delete_publication(access.publication, request.POST.get("confirm", ""))
        except actions.StudioError as refused:
            messages.error(request, str(refused))
            return redirect("studio:danger", access.publication.slug)
        messages.success(request, _("The publication is deleted."))
        return redirect("studio:dashboard")
    return render(request, "studio/danger.html", context(access, screen="danger"))
