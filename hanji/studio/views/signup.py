"""Start your own newsletter: sign up with a publication, create another one, join a team."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from hanji.core import ratelimit
from hanji.studio import actions
from hanji.studio.accounts import sign_in
from hanji.studio.forms import PublicationForm, SignUpForm, refuse
from hanji.studio.views.base import studio_view


def _site_address(slug: str) -> str:
    return f"{settings.HANJI_BASE_URL}/p/{slug}/"


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if not settings.HANJI_ALLOW_SIGNUPS:
        return render(request, "studio/signup_closed.html", status=404)
    if request.user.is_authenticated:
        return redirect("studio:publication_new")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if not ratelimit.allow(
            "studio-signup", ratelimit.client_ip(request), limit=10, period=3600
        ):
            form.add_error(None, _("Too many sign-ups from your network. Try again in an hour."))
        else:
            try:
                user, publication = actions.sign_up(
                    form.cleaned_data["email"],
                    form.cleaned_data["password"],
                    name=form.cleaned_data["name"],
                    slug=form.cleaned_data["slug"],
                    language=form.cleaned_data["language"],
                )
            except actions.StudioError as refused:
                refuse(form, refused)
            else:
                sign_in(request, user, second_factor=False)
                messages.success(
                    request,
                    _("Welcome! Your publication lives at %(address)s")
                    % {"address": _site_address(publication.slug)},
                )
                return redirect("studio:home", publication.slug)
    return render(
        request,
        "studio/signup.html",
        {"form": form, "base_url": settings.HANJI_BASE_URL},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@studio_view
def publication_new(request: HttpRequest) -> HttpResponse:
    if not (settings.HANJI_ALLOW_SIGNUPS or request.user.is_staff):
        raise PermissionDenied
    form = PublicationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            publication = actions.start_publication(request.user, **form.cleaned_data)
        except actions.StudioError as refused:
            refuse(form, refused)
        else:
            messages.success(
                request,
                _("Your publication lives at %(address)s")
                % {"address": _site_address(publication.slug)},
            )
            return redirect("studio:home", publication.slug)
    return render(
        request,
        "studio/publication_new.html",
        {"form": form, "base_url": settings.HANJI_BASE_URL},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, publication_id: int, token: str) -> HttpResponse:
    """GET shows the invitation; POST (signed in) joins the team."""
    try:
        found = actions.read_invitation(publication_id, token)
    except actions.StudioError as refused:
        return render(request, "studio/invitation.html", {"error": str(refused)}, status=400)
    if request.method == "POST":
        if not request.user.is_authenticated:
            # A newcomer makes their account here, with the address the invitation went to.
            try:
                user = actions.create_account(found.email, request.POST.get("password", ""))
            except actions.StudioError as refused:
                return render(
                    request,
                    "studio/invitation.html",
                    {"invitation": found, "error": str(refused)},
                    status=400,
                )
            sign_in(request, user, second_factor=False)
        actions.accept_invitation(found, request.user)
        messages.success(
            request, _("You are on the team of %(name)s.") % {"name": found.publication.name}
        )
        return redirect("studio:home", found.publication.slug)
    return render(request, "studio/invitation.html", {"invitation": found})
